// IrqControlSignaller: signalling a channel without a monitor id through the
// kernel (hv_uio_irqcontrol -> vmbus_setevent) or the endpoint's IrqControl.
#include "vmbus/channel/signaller.h"

#include "vmbus/backing/device_backing.h"

namespace vmbus {

Status IrqControlSignaller::signal() noexcept {
  // write(fd, 1): for every channel of the device, interrupt_mask = 0, then
  // virt_mb() and vmbus_setevent() for each channel not monitor_allocated
  // (uio_hv_generic.c, 547fa4ffd799 and d062463edf17). The kernel's full
  // barrier orders our ring index store before the hypercall.
  Status s = backing_->irqcontrol(1);
  if (!s) return s;
  unmask_epoch_->fetch_add(1, std::memory_order_release);
  return {};
}

}  // namespace vmbus
