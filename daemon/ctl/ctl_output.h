// File: daemon/ctl/ctl_output.h
//
// How vmbusctl prints vmbus.control.v1 messages: aligned tables for people,
// or (--json) the messages in protobuf's canonical JSON mapping, one JSON
// document per command, for scripts.
//
// Usage:
//   print_devices(response.devices(), json);
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/repeated_ptr_field.h>

#include "vmbus/control/v1/control.pb.h"

namespace vmbusctl {

namespace pb = vmbus::control::v1;

// protobuf's JSON mapping of `m`, field names as in the .proto.
std::string to_json(const google::protobuf::Message& m);
// The same on one line (one event per line for `watch --json`).
std::string to_json_line(const google::protobuf::Message& m);

void print_devices(const google::protobuf::RepeatedPtrField<pb::Device>& devices);
void print_device(const pb::Device& d);
// "leased, driver uio_hv_generic".
std::string device_state_text(const pb::Device& d);
void print_channels(const google::protobuf::RepeatedPtrField<pb::Channel>& channels);
// One line: time, sequence, what happened, to which device.
void print_event(const pb::Event& e);
void print_leases(const google::protobuf::RepeatedPtrField<pb::Lease>& leases);

}  // namespace vmbusctl
