// File: kvp/protocol/wire.h
//
// The IC and KVP messages' loads and stores by copy: the SDK's vmbus/wire.h
// (little-endian, any alignment, no pointer casts), named in this library's
// namespace so its code reads kvp::wire::load.
//
// Usage:
//   auto header = kvp::wire::load<T>(message, offset);
#pragma once

#include "vmbus/wire.h"

namespace kvp::wire {

using vmbus::wire::bytes_of;
using vmbus::wire::fits;
using vmbus::wire::load;
using vmbus::wire::store;

}  // namespace kvp::wire
