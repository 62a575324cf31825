// vmbus_device: a claimed and opened vmbus::Device (vmbus/device/device.h),
// its channels as stable handles, and its interrupts.
#include <chrono>
#include <string>

#include "c_api.h"

namespace {

vmbus_channel* channel_handle(vmbus_device& d, std::uint32_t index) {
  while (d.channels.size() <= index) d.channels.push_back(std::make_unique<vmbus_channel>());
  d.channels[index]->channel = &d.device->channel(index);
  return d.channels[index].get();
}

int null_device(const char* what) { return vmbus_c::fail(-EINVAL, std::string(what) + ": device is NULL"); }

}  // namespace

extern "C" int vmbus_device_open(vmbus_bus* bus, const char* selector, const vmbus_device_options* options,
                                 vmbus_device** out) {
  constexpr const char* what = "vmbus_device_open";
  return vmbus_c::guarded(what, [&] {
    if (out == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_device_open: out is NULL");
    *out = nullptr;
    vmbus_device_options o;
    if (!vmbus_c::read_options(options, sizeof(vmbus_device_options), o, what)) return -EINVAL;
    auto handle = std::make_unique<vmbus_device>();
    vmbus::DeviceInfo info;
    if (int rc = vmbus_c::find_and_claim(bus, selector, o.flags, o.claim_timeout_ms, handle->claim, info, what);
        rc < 0) {
      return rc;
    }
    vmbus::DeviceOptions device_options;
    device_options.map_shared_buffers = o.map_shared_buffers != 0;
    handle->device = vmbus::Device::open(info, device_options);
    handle->instance = info.instance.str();
    handle->description = handle->device->describe();
    *out = handle.release();
    return 0;
  });
}

extern "C" void vmbus_device_close(vmbus_device* device) {
  if (device == nullptr) return;
  // ~Claim cannot throw (it prints a failed release to stderr); the rest
  // only unmaps and closes.
  device->channels.clear();
  device->device.reset();
  delete device;
}

extern "C" const char* vmbus_device_instance(const vmbus_device* device) {
  return device ? device->instance.c_str() : "";
}

extern "C" const char* vmbus_device_describe(const vmbus_device* device) {
  return device ? device->description.c_str() : "";
}

extern "C" int vmbus_device_channel_count(const vmbus_device* device) {
  if (device == nullptr) return null_device("vmbus_device_channel_count");
  return static_cast<int>(device->device->channel_count());
}

extern "C" int vmbus_device_channel(vmbus_device* device, uint32_t index, vmbus_channel** out) {
  return vmbus_c::guarded("vmbus_device_channel", [&] {
    if (device == nullptr || out == nullptr) return vmbus_c::fail(-EINVAL, "vmbus_device_channel: NULL argument");
    if (index >= device->device->channel_count()) {
      return vmbus_c::fail(-EINVAL, "vmbus_device_channel: channel " + std::to_string(index) + " is not open (" +
                                        std::to_string(device->device->channel_count()) + " are)");
    }
    *out = channel_handle(*device, index);
    return 0;
  });
}

extern "C" int vmbus_device_open_subchannel(vmbus_device* device, uint32_t subchannel_id, uint32_t timeout_ms,
                                            vmbus_channel** out) {
  return vmbus_c::guarded("vmbus_device_open_subchannel", [&] {
    if (device == nullptr || out == nullptr) {
      return vmbus_c::fail(-EINVAL, "vmbus_device_open_subchannel: NULL argument");
    }
    vmbus::Channel& ch = device->device->open_subchannel_by_id(subchannel_id, std::chrono::milliseconds(timeout_ms));
    for (std::uint32_t i = 0; i < device->device->channel_count(); ++i) {
      if (&device->device->channel(i) == &ch) {
        *out = channel_handle(*device, i);
        return 0;
      }
    }
    return vmbus_c::fail(-EIO, "vmbus_device_open_subchannel: the subchannel opened but is not listed");
  });
}

extern "C" int vmbus_device_event_fd(const vmbus_device* device) {
  if (device == nullptr) return null_device("vmbus_device_event_fd");
  return device->device->event_fd();
}

extern "C" int vmbus_device_take_interrupts(vmbus_device* device) {
  if (device == nullptr) return null_device("vmbus_device_take_interrupts");
  const vmbus::Result<std::uint32_t> n = device->device->take_interrupts();
  if (!n) return vmbus_c::from_error(n.error(), "vmbus_device_take_interrupts");
  return static_cast<int>(std::min<std::uint32_t>(*n, INT32_MAX));
}

extern "C" int vmbus_device_wait(vmbus_device* device, uint32_t timeout_ms) {
  if (device == nullptr) return null_device("vmbus_device_wait");
  const vmbus::Result<std::uint32_t> n = device->device->wait(std::chrono::milliseconds(timeout_ms));
  if (!n) return vmbus_c::from_error(n.error(), "vmbus_device_wait");
  return static_cast<int>(std::min<std::uint32_t>(*n, INT32_MAX));
}

extern "C" int vmbus_device_rescinded(vmbus_device* device) {
  if (device == nullptr) return null_device("vmbus_device_rescinded");
  return device->device->check_rescinded() ? 1 : 0;
}
