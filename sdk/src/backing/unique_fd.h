// File: src/backing/unique_fd.h (internal): the SDK's owned fd, vmbus/unique_fd.h.
#pragma once

#include "vmbus/unique_fd.h"

namespace vmbus::detail {
using vmbus::UniqueFd;
}  // namespace vmbus::detail
