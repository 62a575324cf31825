// Names of the KVP protocol's numbers, for ctl output and messages.
#include "kvp_names.h"

#include <cstdio>

#include "kvp/protocol/ic.h"

namespace hvsim::kvp_host {

namespace ic = ::kvp::ic;

const char* pool_name(::kvp::Pool pool) noexcept {
  switch (pool) {
    case ::kvp::Pool::external: return "external";
    case ::kvp::Pool::guest: return "guest";
    case ::kvp::Pool::automatic: return "auto";
    case ::kvp::Pool::auto_external: return "auto_external";
    case ::kvp::Pool::auto_internal: return "auto_internal";
  }
  return "?";
}

std::optional<::kvp::Pool> parse_pool(std::string_view text) noexcept {
  for (std::uint8_t i = 0; i < ::kvp::kPoolCount; ++i) {
    const auto pool = static_cast<::kvp::Pool>(i);
    if (text == pool_name(pool) || (text.size() == 1 && text[0] == static_cast<char>('0' + i))) return pool;
  }
  return std::nullopt;
}

const char* operation_name(::kvp::Operation op) noexcept {
  switch (op) {
    case ::kvp::Operation::get: return "get";
    case ::kvp::Operation::set: return "set";
    case ::kvp::Operation::delete_key: return "delete";
    case ::kvp::Operation::enumerate: return "enumerate";
    case ::kvp::Operation::get_ip_info: return "ip-info";
    case ::kvp::Operation::set_ip_info: return "set-ip-info";
  }
  return "?";
}

const char* status_name(std::uint32_t status) noexcept {
  switch (status) {
    case ic::kHvSOk: return "HV_S_OK";
    case ic::kHvSCont: return "HV_S_CONT";
    case ic::kHvEFail: return "HV_E_FAIL";
    case ic::kHvErrorNotSupported: return "HV_ERROR_NOT_SUPPORTED";
    case ic::kHvErrorMachineLocked: return "HV_ERROR_MACHINE_LOCKED";
    case ic::kHvErrorDeviceNotConnected: return "HV_ERROR_DEVICE_NOT_CONNECTED";
    case ic::kHvInvalidArg: return "HV_INVALIDARG";
    case ic::kHvGuidNotFound: return "HV_GUID_NOTFOUND";
    case ic::kHvErrorAlreadyExists: return "HV_ERROR_ALREADY_EXISTS";
    case ic::kHvErrorDiskFull: return "HV_ERROR_DISK_FULL";
    default: return "unknown HRESULT";
  }
}

std::string status_hex(std::uint32_t status) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", status);
  return s;
}

std::string status_text(std::uint32_t status) { return std::string(status_name(status)) + " (" + status_hex(status) + ")"; }

std::string value_type_name(std::uint32_t type) {
  switch (type) {
    case ::kvp::kRegSz: return "REG_SZ";
    case ::kvp::kRegU32: return "REG_U32";
    case ::kvp::kRegU64: return "REG_U64";
    default: return "type " + std::to_string(type);
  }
}

const char* family_name(std::uint8_t family) noexcept {
  switch (family) {
    case ::kvp::kAddrFamilyNone: return "any";
    case ::kvp::kAddrFamilyIpv4: return "ipv4";
    case ::kvp::kAddrFamilyIpv6: return "ipv6";
    default: return "?";
  }
}

std::optional<std::uint8_t> parse_family(std::string_view text) noexcept {
  if (text == "any") return ::kvp::kAddrFamilyNone;
  if (text == "ipv4") return ::kvp::kAddrFamilyIpv4;
  if (text == "ipv6") return ::kvp::kAddrFamilyIpv6;
  return std::nullopt;
}

std::string versions_text(std::span<const IcVersion> versions) {
  std::string s;
  for (IcVersion v : versions) s += (s.empty() ? "" : " ") + ic_version_text(v);
  return s.empty() ? "none" : s;
}

}  // namespace hvsim::kvp_host
