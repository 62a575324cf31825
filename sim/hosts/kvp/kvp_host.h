// File: sim/hosts/kvp/kvp_host.h
//
// The KVP device's host side (Hyper-V's key/value exchange, the "kvp_ic" of
// OpenVMM's hyperv_ic) as hvsim device host "kvp", the default host of the
// "kvp" class. docs/hvsim.md "KVP host" describes the behaviour:
//   - when the guest opens the device, the host speaks first: an IC
//     NEGOTIATE request offering DeviceSpec::kvp's framework and KVP
//     versions (OpenVMM common.rs IcPipe::negotiate: icmsgsize = 8 + 4 per
//     version, TRANSACTION | REQUEST, IC transaction id 0, header versions
//     0, sent inband with VMBus trans_id 0 and no completion, as vmbus_async
//     pipe.rs try_write_message writes every packet); the guest's answer
//     gives the versions, or 0/0 for none in common;
//   - then one transaction at a time (OpenVMM ReadyState: SendingRequest ->
//     WaitingResponse -> Ready), each operation `hvsim ctl kvp` queued
//     (kvp_shared.h), framed by kvp::host::write_request with the
//     negotiated versions and a VMBus trans_id of its own, so that a late
//     answer to a request that timed out is never taken for the next one;
//   - the guest is untrusted: every reply is checked (trans_id, IC
//     transaction id 0 and TRANSACTION | RESPONSE as OpenVMM's read_message
//     requires, then the host.h parser of its operation); a malformed one
//     fails its operation, is counted and logged, and the host goes on.
//
// Usage (kvp_host.cc registers it at start-up; nothing else to do):
//   std::unique_ptr<hvsim::DeviceHost> host = hvsim::make_kvp_host(spec);  // the registry's "kvp" (device_host.cc)
#pragma once

#include <memory>

#include "hvsim/device_host.h"

namespace hvsim {

std::unique_ptr<DeviceHost> make_kvp_host(const DeviceSpec& spec);


}  // namespace hvsim
