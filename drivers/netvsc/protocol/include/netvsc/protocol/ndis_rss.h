// File: netvsc/protocol/ndis_rss.h
//
// NDIS objects for receive-side scaling, carried in RNDIS information
// buffers:
//   - RssCapabilities (struct ndis_recv_scale_cap), the answer to a query of
//     OID_GEN_RECEIVE_SCALE_CAPABILITIES: how many receive queues the host has;
//   - RssParameters (struct ndis_recv_scale_param), which the guest sets with
//     OID_GEN_RECEIVE_SCALE_PARAMETERS, followed in the same buffer by the
//     indirection table and the Toeplitz key at offsets it names;
//   - the NDIS_HASH_* bits, used both in RssParameters.hashinfo and in the
//     hash-info per-packet info.
// Layouts from Linux's hyperv_net.h and DPDK's ndis.h. ndis_recv_scale_cap is
// packed in Linux (18 bytes); ndis_recv_scale_param is not, so its padding is
// spelled out here. Both guests build the parameters as
//
//   +0 RssParameters (40) | +40 u32 table[128] (indirect_tabsize = 512 bytes) | +552 key[40]
//
// (rndis_set_rss_param_msg; DPDK struct ndis_rssprm_toeplitz).
//
// Usage (guest):
//   std::array<std::byte, netvsc::ndis::rss_parameters_size(128, 40)> buf;
//   auto n = netvsc::ndis::write_rss_parameters(0, hash_bits, key, table, buf);
//   write_set(id, Oid::gen_receive_scale_parameters, std::span(buf).first(*n), out);
//
// Usage (host):
//   auto rss = netvsc::ndis::parse_rss_parameters(request.info);
//   if (rss) table = netvsc::rss::IndirectionTable(rss->table());
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "netvsc/protocol/ndis_offload.h"
#include "netvsc/protocol/parse_error.h"
#include "vmbus/result.h"

namespace netvsc::ndis {

// NDIS_HASH_FUNCTION_* and NDIS_HASH_* (hash function in the low byte, hash
// types above it).
inline constexpr std::uint32_t kHashFunctionToeplitz = 0x00000001;
inline constexpr std::uint32_t kHashFunctionMask = 0x000000ff;
inline constexpr std::uint32_t kHashIpv4 = 0x00000100;
inline constexpr std::uint32_t kHashTcpIpv4 = 0x00000200;
inline constexpr std::uint32_t kHashIpv6 = 0x00000400;
inline constexpr std::uint32_t kHashIpv6Ex = 0x00000800;
inline constexpr std::uint32_t kHashTcpIpv6 = 0x00001000;
inline constexpr std::uint32_t kHashTcpIpv6Ex = 0x00002000;
inline constexpr std::uint32_t kHashTypeMask = 0x00ffff00;
// What Linux asks for (rndis_set_rss_param_msg).
inline constexpr std::uint32_t kHashInfoLinux =
    kHashFunctionToeplitz | kHashIpv4 | kHashTcpIpv4 | kHashIpv6 | kHashTcpIpv6;

// --- OID_GEN_RECEIVE_SCALE_CAPABILITIES ---

// NDIS_RSS_CAPS_* (cap_flag). The low byte carries the hash functions.
inline constexpr std::uint32_t kRssCapMessageSignaledInterrupts = 0x01000000;
inline constexpr std::uint32_t kRssCapClassificationAtIsr = 0x02000000;
inline constexpr std::uint32_t kRssCapClassificationAtDpc = 0x04000000;
inline constexpr std::uint32_t kRssCapUsingMsiX = 0x08000000;
inline constexpr std::uint32_t kRssCapAvailableOnPorts = 0x10000000;
inline constexpr std::uint32_t kRssCapSupportsMsiX = 0x20000000;
inline constexpr std::uint32_t kRssCapHashTypeTcpIpv4 = 0x00000100;
inline constexpr std::uint32_t kRssCapHashTypeTcpIpv6 = 0x00000200;
inline constexpr std::uint32_t kRssCapHashTypeTcpIpv6Ex = 0x00000400;

// struct ndis_recv_scale_cap (packed in Linux; DPDK's ndis_rss_caps adds
// 2 bytes of tail padding but reports size 18 too).
struct [[gnu::packed]] RssCapabilities {
  ObjectHeader header;
  std::uint32_t cap_flag;
  std::uint32_t num_int_msg;
  std::uint32_t num_recv_que;          // receive queues: the guest's subchannel budget
  std::uint16_t num_indirect_tabent;   // NDIS >= 6.30
};
static_assert(offsetof(RssCapabilities, header) == 0);
static_assert(offsetof(RssCapabilities, cap_flag) == 4);
static_assert(offsetof(RssCapabilities, num_int_msg) == 8);
static_assert(offsetof(RssCapabilities, num_recv_que) == 12);
static_assert(offsetof(RssCapabilities, num_indirect_tabent) == 16);
static_assert(sizeof(RssCapabilities) == 18);
inline constexpr std::uint16_t kRssCapabilitiesSize6_0 = offsetof(RssCapabilities, num_indirect_tabent);  // 16
inline constexpr std::uint16_t kRssCapabilitiesSize = sizeof(RssCapabilities);                           // 18
inline constexpr std::uint8_t kRssCapabilitiesRevision1 = 1;
inline constexpr std::uint8_t kRssCapabilitiesRevision2 = 2;

// The guest's query buffer: header {0x88, 2, 18} and zeros (Linux
// rndis_filter_query_device; DPDK hn_rndis_query_rsscaps). Returns 18.
vmbus::Result<std::uint32_t> write_rss_capabilities_query(std::span<std::byte> out) noexcept;
// Guest: the host's answer (DPDK hn_rndis_query_rsscaps checks): type 0x88,
// revision >= 1, size from 16 up to the bytes given. Errors: as parse_offload.
ParseResult<RssCapabilities> parse_rss_capabilities(std::span<const std::byte> info) noexcept;

// --- OID_GEN_RECEIVE_SCALE_PARAMETERS ---

// NDIS_RSS_PARAM_FLAG_* (flag).
inline constexpr std::uint16_t kRssFlagBaseCpuUnchanged = 0x0001;
inline constexpr std::uint16_t kRssFlagHashInfoUnchanged = 0x0002;
inline constexpr std::uint16_t kRssFlagTableUnchanged = 0x0004;
inline constexpr std::uint16_t kRssFlagHashKeyUnchanged = 0x0008;
inline constexpr std::uint16_t kRssFlagDisable = 0x0010;

// Table and key limits (NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_2,
// NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_2; ITAB_NUM).
inline constexpr std::uint32_t kRssTableMaxEntries = 128;
inline constexpr std::uint32_t kRssKeyMaxSize = 40;

// struct ndis_recv_scale_param. Offsets count from the start of this struct.
struct [[gnu::packed]] RssParameters {
  ObjectHeader header;
  std::uint16_t flag;
  std::uint16_t base_cpu_number;
  std::uint32_t hashinfo;          // kHashFunction* | kHash* types
  std::uint16_t indirect_tabsize;  // bytes, not entries: 4 * entries
  std::uint8_t pad0[2];
  std::uint32_t indirect_taboffset;
  std::uint16_t hashkey_size;  // bytes
  std::uint8_t pad1[2];
  std::uint32_t hashkey_offset;
  std::uint32_t processor_masks_offset;  // NDIS >= 6.20
  std::uint32_t num_processor_masks;
  std::uint32_t processor_masks_entry_size;
};
static_assert(offsetof(RssParameters, header) == 0);
static_assert(offsetof(RssParameters, flag) == 4);
static_assert(offsetof(RssParameters, base_cpu_number) == 6);
static_assert(offsetof(RssParameters, hashinfo) == 8);
static_assert(offsetof(RssParameters, indirect_tabsize) == 12);
static_assert(offsetof(RssParameters, indirect_taboffset) == 16);
static_assert(offsetof(RssParameters, hashkey_size) == 20);
static_assert(offsetof(RssParameters, hashkey_offset) == 24);
static_assert(offsetof(RssParameters, processor_masks_offset) == 28);
static_assert(offsetof(RssParameters, num_processor_masks) == 32);
static_assert(offsetof(RssParameters, processor_masks_entry_size) == 36);
static_assert(sizeof(RssParameters) == 40);
inline constexpr std::uint16_t kRssParametersSize6_0 = offsetof(RssParameters, processor_masks_offset);  // 28
inline constexpr std::uint16_t kRssParametersSize = sizeof(RssParameters);                                // 40
inline constexpr std::uint8_t kRssParametersRevision1 = 1;  // NDIS 6.0
inline constexpr std::uint8_t kRssParametersRevision2 = 2;  // NDIS 6.20

// Bytes of a parameters buffer with `entries` table entries and a key.
constexpr std::uint32_t rss_parameters_size(std::uint32_t entries, std::uint32_t key_size) noexcept {
  return kRssParametersSize + entries * 4u + key_size;
}

// Writes header {0x89, 2, 40}, flags, hashinfo, the table at +40 and the key
// after it. Errors: invalid_argument (table not 1..128 entries or not a
// power of two: detail = entries; key over 40 bytes: detail = key size),
// buffer_too_small.
vmbus::Result<std::uint32_t> write_rss_parameters(std::uint16_t flags, std::uint32_t hashinfo,
                                                  std::span<const std::uint8_t> key,
                                                  std::span<const std::uint32_t> table,
                                                  std::span<std::byte> out) noexcept;

// What a host takes from the guest's parameters, copied out of the buffer.
struct RssSettings {
  std::uint16_t flags = 0;
  std::uint32_t hashinfo = 0;
  std::uint32_t table_entries = 0;  // 0 when the guest sent no table
  std::array<std::uint32_t, kRssTableMaxEntries> table_storage{};
  std::uint32_t key_size = 0;  // 0 when the guest sent no key
  std::array<std::uint8_t, kRssKeyMaxSize> key_storage{};

  std::span<const std::uint32_t> table() const noexcept { return std::span(table_storage).first(table_entries); }
  std::span<const std::uint8_t> key() const noexcept { return std::span(key_storage).first(key_size); }
  bool disabled() const noexcept { return (flags & kRssFlagDisable) != 0; }
};

// Host: parses the guest's parameters. Checks the header (type 0x89,
// revision >= 1, size from 28 up to the bytes given), then, when present,
// the table (a multiple of 4 bytes, a power-of-two count up to 128, offset
// past the header, inside the buffer) and the key (at most 40 bytes, offset
// past the header, inside the buffer). Errors: the header errors of
// parse_offload; rss_table_size/misaligned, /unexpected_value, /out_of_bounds;
// rss_table_offset/below_minimum, /overflow, /out_of_bounds;
// rss_key_size/unexpected_value, /out_of_bounds; rss_key_offset/below_minimum,
// /overflow, /out_of_bounds.
ParseResult<RssSettings> parse_rss_parameters(std::span<const std::byte> info) noexcept;

}  // namespace netvsc::ndis
