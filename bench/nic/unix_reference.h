// File: bench/nic/unix_reference.h
//
// nic_bench's reference, measured in the same run: the same frames moved
// one way from this process to a forked child over an AF_UNIX
// SOCK_SEQPACKET socketpair (one message per frame, as a packet socket
// keeps frames apart), 32 per sendmmsg and recvmmsg: what the kernel's
// cheapest batched IPC does with the frames the NIC rows move. Each NIC
// row's ratio is its Mpps over this one's at the same frame size.
//
// Usage:
//   Summary mpps = unix_reference_mpps(1500, 32, 1000, 3);
#pragma once

#include <cstdint>

#include "common/statistics.h"

namespace bench::nic {

// Throws std::runtime_error if the socketpair or the child cannot be made.
Summary unix_reference_mpps(std::uint32_t frame_size, std::uint32_t burst, std::uint32_t duration_ms,
                            std::uint32_t repetitions);

}  // namespace bench::nic
