// File: sim/src/unique_fd.h (internal): hvsim uses the SDK's owned fd, vmbus/unique_fd.h.
#pragma once

#include "vmbus/unique_fd.h"

namespace hvsim {
using vmbus::UniqueFd;
}  // namespace hvsim
