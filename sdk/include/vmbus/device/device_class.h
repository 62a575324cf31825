// File: vmbus/device/device_class.h
//
// The VMBus device classes Linux knows, by class GUID (include/linux/hyperv.h:
// HV_NIC_GUID and friends; the order of enum vmbus_device_type does not
// matter here). Each has a short name for tools (`--class network`), the
// kernel's own name for it (HV_NIC -> "nic"), and a line of description.
//
// Usage:
//   std::string_view n = vmbus::class_name(info.class_id);        // "network", or "unknown"
//   std::optional<vmbus::Guid> c = vmbus::find_class_guid("kvp");  // also "KVP", "nic", or a GUID
//   if (!c) die("unknown class; known: " + vmbus::known_class_names());
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "vmbus/device/guid.h"

namespace vmbus {

// Class GUIDs the project names in code (include/linux/hyperv.h HV_NIC_GUID,
// HV_KVP_GUID), and hvsim's echo test class: "hvsmec" in its last six bytes.
// To a kernel the echo class is unknown (HV_UNKNOWN).
inline constexpr Guid kNicClassGuid = Guid::parse("f8615163-df3e-46c5-913f-f2d2f965ed0e").value();
inline constexpr Guid kKvpClassGuid = Guid::parse("a9a0f4e7-5a45-4d96-b827-8a841e8c03e6").value();
inline constexpr Guid kEchoClassGuid = Guid::parse("3a7e8c1d-2f4b-4e6a-9c5d-6876736d6563").value();

struct DeviceClass {
  std::string_view name;         // short name for tools: "network"
  std::string_view kernel_name;  // enum vmbus_device_type without HV_, lowercase: "nic"
  std::string_view description;  // "synthetic network adapter (netvsc)"
  Guid guid;
};

// Every class in the table, NIC first.
std::span<const DeviceClass> known_device_classes() noexcept;

// The class with this GUID, or nullptr.
const DeviceClass* find_device_class(const Guid& class_guid) noexcept;

// The short name of a class GUID; "unknown" if it is not in the table.
std::string_view class_name(const Guid& class_guid) noexcept;

// A class by name (the short name or the kernel's, any case) or by GUID text
// (with or without braces; any GUID, known or not). std::nullopt otherwise.
std::optional<Guid> find_class_guid(std::string_view name_or_guid) noexcept;

// "network, scsi, ide, ..." for error messages and --help.
std::string known_class_names();

}  // namespace vmbus
