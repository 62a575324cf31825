// The device class table (include/linux/hyperv.h, drivers/hv/channel_mgmt.c).
#include "hvsim/device_class.h"

namespace hvsim {
namespace {

// enum vmbus_device_type.
enum : std::uint16_t {
  HV_IDE = 0, HV_SCSI, HV_FC, HV_NIC, HV_ND, HV_PCIE, HV_FB, HV_KBD, HV_MOUSE,
  HV_KVP, HV_TS, HV_HB, HV_SHUTDOWN, HV_FCOPY, HV_BACKUP, HV_DM, HV_UNKNOWN,
};

// pref_ring_size: only HV_FCOPY (0x4000) and HV_UNKNOWN (0x11000) set one.
constexpr DeviceClass kClasses[] = {
    {"network", kNicClassGuid, "Synthetic network adapter", kDriverNetvsc, 0, HV_NIC, true, true, "echo"},
    {"kvp", "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "Data Exchange", kDriverUtils, 0, HV_KVP, false, false, "silent"},
    {"heartbeat", "57164f39-9115-4e78-ab55-382f3bd5422d", "Heartbeat", kDriverUtils, 0, HV_HB, false, false, "silent"},
    {"shutdown", "0e0b6031-5213-4934-818b-38d90ced39db", "Operating system shutdown", kDriverUtils, 0, HV_SHUTDOWN, false, false, "silent"},
    {"timesync", "9527e630-d0ae-497b-adce-e80ab0175caf", "Time Synchronization", kDriverUtils, 0, HV_TS, false, false, "silent"},
    {"vss", "35fa2e29-ea23-4236-96ae-3a6ebacba440", "VSS (Backup/Restore)", kDriverUtils, 0, HV_BACKUP, false, false, "silent"},
    {"fcopy", "34d14be3-dee4-41c8-9ae7-6b174977c192", "Guest services (file copy)", "", 0x4000, HV_FCOPY, false, false, "silent"},
    {"scsi", "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", "Synthetic SCSI Controller", "", 0, HV_SCSI, true, false, "silent"},
    {"ide", "32412632-86cb-44a2-9b5c-50d1417354f5", "Synthetic IDE Controller", "", 0, HV_IDE, true, false, "silent"},
    {"balloon", "525074dc-8985-46e2-8057-a307dc18a502", "Dynamic Memory", "", 0, HV_DM, false, false, "silent"},
    {"video", "da0a7802-e377-4aac-8e77-0558eb1073f8", "Synthetic framebuffer adapter", "", 0, HV_FB, false, false, "silent"},
    {"keyboard", "f912ad6d-2b17-48ea-bd65-f927a61c7684", "Synthetic keyboard", "", 0, HV_KBD, false, false, "silent"},
    {"mouse", "cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a", "Synthetic mouse", "", 0, HV_MOUSE, false, false, "silent"},
    {"echo", kEchoClassGuid, "hvsim echo test device", "", 0x11000, HV_UNKNOWN, false, false, "echo"},
};

constexpr DeviceClass kUnknown{"unknown", "", "Unknown", "", 0x11000, HV_UNKNOWN, false, false, "silent"};

}  // namespace

std::span<const DeviceClass> known_classes() { return kClasses; }

const DeviceClass* find_class(std::string_view name_or_guid) {
  const auto guid = Guid::parse(name_or_guid);
  for (const DeviceClass& c : kClasses) {
    if (c.name == name_or_guid) return &c;
    if (guid && *Guid::parse(c.guid) == *guid) return &c;
  }
  return nullptr;
}

const DeviceClass& class_of(const Guid& guid) {
  for (const DeviceClass& c : kClasses) {
    if (*Guid::parse(c.guid) == guid) return c;
  }
  return kUnknown;
}

const DeviceClass& unknown_class() { return kUnknown; }

std::uint64_t kernel_ring_size(const DeviceClass& c) {
  constexpr std::uint64_t kPage = 4096;
  constexpr std::uint64_t kSz2M = 2u << 20;
  const std::uint64_t payload = c.pref_ring_size != 0 ? c.pref_ring_size : kSz2M;
  // VMBUS_RING_SIZE: PAGE_ALIGN(sizeof(struct hv_ring_buffer) + payload).
  return (kPage + payload + kPage - 1) / kPage * kPage;
}

}  // namespace hvsim
