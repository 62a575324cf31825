// File: sim/hosts/netvsc/rss.h
//
// Receive-side scaling as the NIC host applies it: the guest's key, hash
// types and indirection table (OID_GEN_RECEIVE_SCALE_PARAMETERS, validated
// by netvsc::ndis::parse_rss_parameters) turned into a queue per received
// frame. The hash is Microsoft's Toeplitz over the NDIS inputs: IPv4/IPv6
// addresses, plus the TCP ports when the guest enabled the TCP hash types
// (NDIS_HASH_TCP_IPV4/IPV6; Linux and DPDK set them). UDP is hashed over the
// addresses only unless the guest set the NDIS 6.80 UDP types (0x4000,
// 0x8000): Linux's netvsc leaves UDP 4-tuple hashing to itself
// (netvsc_set_rxfh_fields) because the host hashes UDP by addresses.
//
// Usage:
//   Rss rss;
//   rss.set(*netvsc::ndis::parse_rss_parameters(info));
//   if (auto h = rss.hash(frame)) queue = rss.queue_for(h->value, open_queues);
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "netvsc/protocol/ndis_rss.h"
#include "netvsc/protocol/toeplitz.h"

namespace hvsim::netvsc {

class Rss {
 public:
  struct Hash {
    std::uint32_t value = 0;
    std::uint32_t info = 0;  // NDIS_HASH_<type> | NDIS_HASH_FUNCTION_TOEPLITZ: the hash-info PPI
  };

  Rss() noexcept : toeplitz_(::netvsc::rss::kVerificationKey), table_(::netvsc::rss::IndirectionTable::round_robin(1)) {}

  // Applies validated parameters; a disable flag turns RSS off. Host thread.
  void set(const ::netvsc::ndis::RssSettings& settings) noexcept;
  bool enabled() const noexcept { return enabled_; }
  std::span<const std::uint32_t> table() const noexcept { return table_.entries(); }

  // The hash of an Ethernet frame's flow; nullopt when RSS is off or the
  // frame is neither IPv4 nor IPv6 (those go to queue 0).
  std::optional<Hash> hash(std::span<const std::byte> frame) const noexcept;
  // The indirection table's queue; one the guest has not opened yet falls back to 0.
  std::uint32_t queue_for(std::uint32_t hash, std::uint32_t open_queues) const noexcept {
    const std::uint32_t q = table_.queue_for(hash);
    return q < open_queues ? q : 0;
  }

 private:
  bool enabled_ = false;
  std::uint32_t hashinfo_ = 0;
  ::netvsc::rss::Toeplitz toeplitz_;
  ::netvsc::rss::IndirectionTable table_;
};

}  // namespace hvsim::netvsc
