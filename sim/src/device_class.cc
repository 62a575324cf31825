// hvsim's per-class facts (drivers/hv/channel_mgmt.c vmbus_devs[], the
// drivers' id tables); names and GUIDs come from the SDK's class table.
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
    {"network", kDriverNetvsc, 0, HV_NIC, true, true, "netvsc"},
    // The KVP host (sim/hosts/kvp): Hyper-V's side of the key/value exchange.
    {"kvp", kDriverUtils, 0, HV_KVP, false, false, "kvp"},
    {"heartbeat", kDriverUtils, 0, HV_HB, false, false, "silent"},
    {"shutdown", kDriverUtils, 0, HV_SHUTDOWN, false, false, "silent"},
    {"timesync", kDriverUtils, 0, HV_TS, false, false, "silent"},
    {"vss", kDriverUtils, 0, HV_BACKUP, false, false, "silent"},
    {"fcopy", "", 0x4000, HV_FCOPY, false, false, "silent"},
    {"scsi", "", 0, HV_SCSI, true, false, "silent"},
    {"ide", "", 0, HV_IDE, true, false, "silent"},
    {"balloon", "", 0, HV_DM, false, false, "silent"},
    {"video", "", 0, HV_FB, false, false, "silent"},
    {"keyboard", "", 0, HV_KBD, false, false, "silent"},
    {"mouse", "", 0, HV_MOUSE, false, false, "silent"},
    {"echo", "", 0x11000, HV_UNKNOWN, false, false, "echo"},
};

constexpr DeviceClass kUnknown{"unknown", "", 0x11000, HV_UNKNOWN, false, false, "silent"};

}  // namespace

std::span<const DeviceClass> known_classes() { return kClasses; }

Guid DeviceClass::guid() const {
  if (this == &kUnknown) return Guid();
  return vmbus::find_class_guid(name).value_or(Guid());
}

const DeviceClass* find_class(std::string_view name_or_guid) {
  const std::optional<Guid> guid = Guid::parse(name_or_guid);
  const std::string_view name = guid ? vmbus::class_name(*guid) : name_or_guid;
  for (const DeviceClass& c : kClasses) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const DeviceClass& class_of(const Guid& guid) {
  const DeviceClass* c = find_class(vmbus::class_name(guid));
  return c != nullptr ? *c : kUnknown;
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
