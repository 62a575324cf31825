// File: sim/hosts/kvp/kvp_names.h
//
// The words the KVP host and `hvsim ctl kvp` use for the protocol's numbers:
// pools (enum hv_kvp_exchg_pool), value types (REG_*), address families
// (ADDR_FAMILY_*), operations (enum hv_kvp_exchg_op) and the HRESULTs a
// guest answers with (the HV_* codes of include/uapi/linux/hyperv.h, which
// kvp/protocol/ic.h carries). Shown both by name and in hex, since a guest
// may answer any HRESULT.
//
// Usage:
//   std::optional<kvp::Pool> pool = hvsim::kvp_host::parse_pool("guest");  // or "1"; nullopt if neither
//   std::string s = hvsim::kvp_host::status_text(0x80070103);              // "HV_S_CONT (0x80070103)"
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hvsim/config.h"
#include "kvp/protocol/kvp_msg.h"

namespace hvsim::kvp_host {

// "external", "guest", "auto", "auto_external", "auto_internal" (KVP_POOL_*
// without the prefix); parse_pool also takes the numbers 0..4.
const char* pool_name(::kvp::Pool pool) noexcept;
std::optional<::kvp::Pool> parse_pool(std::string_view text) noexcept;
inline constexpr const char* kPoolChoices = "external, guest, auto, auto_external, auto_internal, or 0..4";

// "get", "set", "delete", "enumerate", "ip-info", "set-ip-info": the ctl subcommands.
const char* operation_name(::kvp::Operation op) noexcept;

// "HV_S_OK", "HV_S_CONT", "HV_E_FAIL", ... or "unknown HRESULT".
const char* status_name(std::uint32_t status) noexcept;
std::string status_hex(std::uint32_t status);   // "0x80070103"
std::string status_text(std::uint32_t status);  // "HV_S_CONT (0x80070103)"

// "REG_SZ", "REG_U32", "REG_U64"; "type N" for others.
std::string value_type_name(std::uint32_t type);

// ADDR_FAMILY_*: "any" (ADDR_FAMILY_NONE, 0: no family named), "ipv4", "ipv6".
const char* family_name(std::uint8_t family) noexcept;
std::optional<std::uint8_t> parse_family(std::string_view text) noexcept;

// "1.0 3.0".
std::string versions_text(std::span<const IcVersion> versions);

}  // namespace hvsim::kvp_host
