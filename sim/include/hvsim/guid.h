// File: hvsim/guid.h
//
// hvsim names devices with the SDK's GUID type (vmbus/device/guid.h: parsing,
// %pUl text, braced text, wire bytes). What only a host needs is here: random
// instance GUIDs for hot-added devices, and the modalias form.
//
// Usage:
//   hvsim::Guid instance = hvsim::random_guid();
//   std::string alias = "vmbus:" + hvsim::modalias_hex(class_id);  // sysfs modalias
#pragma once

#include <string>

#include "vmbus/device/guid.h"

namespace hvsim {

using Guid = vmbus::Guid;

// A random version-4 GUID (RFC 4122 variant).
Guid random_guid();

// The 32 lowercase hex digits of the GUID's wire bytes, as vmbus_drv.c
// modalias_show prints them ("vmbus:%*phN").
std::string modalias_hex(const Guid& guid);

}  // namespace hvsim
