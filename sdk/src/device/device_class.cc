// The class GUID table: include/linux/hyperv.h (HV_*_GUID), descriptions
// after tools/hv/lsvmbus.
#include "vmbus/device/device_class.h"

#include <array>
#include <cstddef>

namespace vmbus {
namespace {

constexpr Guid guid(std::string_view text) { return Guid::parse(text).value(); }

constexpr std::array kClasses = {
    DeviceClass{"network", "nic", "synthetic network adapter (netvsc)",
                kNicClassGuid},
    DeviceClass{"scsi", "scsi", "synthetic SCSI controller (storvsc)",
                guid("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f")},
    DeviceClass{"ide", "ide", "synthetic IDE controller", guid("32412632-86cb-44a2-9b5c-50d1417354f5")},
    DeviceClass{"fc", "fc", "synthetic Fibre Channel adapter", guid("2f9bcc4a-0069-4af3-b76b-6fd0be528cda")},
    DeviceClass{"kvp", "kvp", "key/value pair exchange (KVP)", kKvpClassGuid},
    DeviceClass{"heartbeat", "hb", "heartbeat", guid("57164f39-9115-4e78-ab55-382f3bd5422d")},
    DeviceClass{"shutdown", "shutdown", "guest shutdown", guid("0e0b6031-5213-4934-818b-38d90ced39db")},
    DeviceClass{"timesync", "ts", "time synchronization", guid("9527e630-d0ae-497b-adce-e80ab0175caf")},
    DeviceClass{"vss", "backup", "volume shadow copy (VSS backup)",
                guid("35fa2e29-ea23-4236-96ae-3a6ebacba440")},
    DeviceClass{"fcopy", "fcopy", "guest file copy (fcopy)", guid("34d14be3-dee4-41c8-9ae7-6b174977c192")},
    DeviceClass{"balloon", "dm", "dynamic memory (balloon)", guid("525074dc-8985-46e2-8057-a307dc18a502")},
    DeviceClass{"video", "fb", "synthetic video (framebuffer)", guid("da0a7802-e377-4aac-8e77-0558eb1073f8")},
    DeviceClass{"keyboard", "kbd", "synthetic keyboard", guid("f912ad6d-2b17-48ea-bd65-f927a61c7684")},
    DeviceClass{"mouse", "mouse", "synthetic mouse", guid("cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a")},
    DeviceClass{"nd", "nd", "NetworkDirect", guid("8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501")},
    DeviceClass{"pcie", "pcie", "PCI Express pass-through", guid("44c4f61d-4444-4400-9d52-802e27ede19f")},
    // hvsim's test device; the kernel has no name for it (HV_UNKNOWN).
    DeviceClass{"echo", "echo", "hvsim echo test device", kEchoClassGuid},
};

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::span<const DeviceClass> known_device_classes() noexcept { return kClasses; }

const DeviceClass* find_device_class(const Guid& class_guid) noexcept {
  for (const DeviceClass& c : kClasses) {
    if (c.guid == class_guid) return &c;
  }
  return nullptr;
}

std::string_view class_name(const Guid& class_guid) noexcept {
  const DeviceClass* c = find_device_class(class_guid);
  return c != nullptr ? c->name : std::string_view("unknown");
}

std::optional<Guid> find_class_guid(std::string_view name_or_guid) noexcept {
  for (const DeviceClass& c : kClasses) {
    if (equal_ignoring_case(c.name, name_or_guid) || equal_ignoring_case(c.kernel_name, name_or_guid)) {
      return c.guid;
    }
  }
  return Guid::parse(name_or_guid);
}

std::string known_class_names() {
  std::string names;
  for (const DeviceClass& c : kClasses) {
    if (!names.empty()) names += ", ";
    names += c.name;
  }
  return names;
}

}  // namespace vmbus
