// File: daemon/src/proto_convert.h
//
// The SDK's and the registry's types as vmbus.control.v1 messages
// (daemon/proto/vmbus/control/v1/control.proto), and the registry's errors
// as gRPC statuses. Pure functions: no I/O.
//
// Usage:
//   vmbus::control::v1::Device d;
//   to_proto(registry.get(id), d);
//   return to_status(error);   // in a catch (const ControlError&)
#pragma once

#include <grpcpp/support/status.h>

#include "control_error.h"
#include "device_registry.h"
#include "ring_probe.h"
#include "vmbus/control/v1/control.pb.h"

namespace vmbusd {

namespace pb = vmbus::control::v1;

void to_proto(const DeviceView& view, pb::Device& out);
void to_proto(const vmbus::ChannelInfo& channel, const std::string& device_id, pb::Channel& out);
void to_proto(const RingSnapshot& ring, pb::RingState& out);
void to_proto(const vmbus::ChannelCountersSnapshot& counters, pb::ChannelCounters& out);
void to_proto(SystemClock::time_point t, google::protobuf::Timestamp& out);
void to_proto(const LeaseRecord& lease, pb::Lease& out);
grpc::Status to_status(const ControlError& e);

}  // namespace vmbusd
