// File: netvsc/protocol/wire.h
//
// The NVSP, RNDIS and NDIS messages' loads and stores by copy: the SDK's vmbus/wire.h
// (little-endian, any alignment, no pointer casts), named in this library's
// namespace so its code reads netvsc::wire::load.
//
// Usage:
//   auto header = netvsc::wire::load<T>(message, offset);
#pragma once

#include "vmbus/wire.h"

namespace netvsc::wire {

using vmbus::wire::bytes_of;
using vmbus::wire::fits;
using vmbus::wire::load;
using vmbus::wire::store;

}  // namespace netvsc::wire
