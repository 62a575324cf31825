// File: netvsc/protocol/ndis_offload.h
//
// NDIS objects for task offload, carried in RNDIS information buffers:
//   - ObjectHeader (struct ndis_object_header), which starts every NDIS object;
//   - Offload (struct ndis_offload), the host's answer to a query of
//     OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES;
//   - OffloadParameters (struct ndis_offload_params), what the guest sets
//     with OID_TCP_OFFLOAD_PARAMETERS.
// Layouts are Linux's hyperv_net.h and DPDK's ndis.h. Neither declares these
// structs packed, so their members sit at natural alignment; the packed
// structs here spell that padding out as `pad*` members, and the offset
// asserts pin every field to the C layout.
//
// Object sizes grow with NDIS versions; a guest asks with the size and
// revision of its negotiated version, and a host may answer with less
// (rndis_query_hwcaps accepts anything from NDIS_OFFLOAD_SIZE_6_0 up).
//
// Usage (guest):
//   std::array<std::byte, sizeof(netvsc::ndis::Offload)> q;
//   auto n = netvsc::ndis::write_offload_query(version, q);
//   ... write_query(id, Oid::tcp_offload_hardware_capabilities, std::span(q).first(*n), buf) ...
//   auto caps = netvsc::ndis::parse_offload(reply.info);
//   if (caps && (caps->csum.ip4_txcsum & netvsc::ndis::kTxCsumTcp4)) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netvsc/protocol/nvsp.h"
#include "netvsc/protocol/parse_error.h"
#include "vmbus/result.h"

namespace netvsc::ndis {

// struct ndis_object_header (hyperv_net.h; DPDK struct ndis_object_hdr).
struct [[gnu::packed]] ObjectHeader {
  std::uint8_t type;
  std::uint8_t revision;
  std::uint16_t size;  // of the whole object, this header included
};
static_assert(offsetof(ObjectHeader, type) == 0);
static_assert(offsetof(ObjectHeader, revision) == 1);
static_assert(offsetof(ObjectHeader, size) == 2);
static_assert(sizeof(ObjectHeader) == 4);

// NDIS_OBJECT_TYPE_* (DPDK NDIS_OBJTYPE_*).
inline constexpr std::uint8_t kObjectTypeDefault = 0x80;
inline constexpr std::uint8_t kObjectTypeRssCapabilities = 0x88;
inline constexpr std::uint8_t kObjectTypeRssParameters = 0x89;
inline constexpr std::uint8_t kObjectTypeOffload = 0xa7;

// --- OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: struct ndis_offload ---

// NDIS_OFFLOAD_ENCAP_* (the *_encap fields).
inline constexpr std::uint32_t kEncapNone = 0x0000;
inline constexpr std::uint32_t kEncapNull = 0x0001;
inline constexpr std::uint32_t kEncap8023 = 0x0002;
inline constexpr std::uint32_t kEncap8023pq = 0x0004;
inline constexpr std::uint32_t kEncap8023pqOob = 0x0008;
inline constexpr std::uint32_t kEncapRfc1483 = 0x0010;
// NDIS_TXCSUM_CAP_* / NDIS_RXCSUM_CAP_* (same bits both ways).
inline constexpr std::uint32_t kCsumCapIp4Options = 0x001;
inline constexpr std::uint32_t kCsumCapTcp4Options = 0x004;
inline constexpr std::uint32_t kCsumCapTcp4 = 0x010;
inline constexpr std::uint32_t kCsumCapUdp4 = 0x040;
inline constexpr std::uint32_t kCsumCapIp4 = 0x100;
inline constexpr std::uint32_t kCsumCapIp6Extensions = 0x001;
inline constexpr std::uint32_t kCsumCapTcp6Options = 0x004;
inline constexpr std::uint32_t kCsumCapTcp6 = 0x010;
inline constexpr std::uint32_t kCsumCapUdp6 = 0x040;
// NDIS_LSOV2_CAP_* (lsov2.ip6_opts).
inline constexpr std::uint32_t kLsoV2CapIp6Extensions = 0x001;
inline constexpr std::uint32_t kLsoV2CapTcp6Options = 0x004;

struct [[gnu::packed]] CsumOffload {  // struct ndis_csum_offload
  std::uint32_t ip4_txenc;
  std::uint32_t ip4_txcsum;
  std::uint32_t ip4_rxenc;
  std::uint32_t ip4_rxcsum;
  std::uint32_t ip6_txenc;
  std::uint32_t ip6_txcsum;
  std::uint32_t ip6_rxenc;
  std::uint32_t ip6_rxcsum;
};
static_assert(offsetof(CsumOffload, ip4_txenc) == 0);
static_assert(offsetof(CsumOffload, ip4_txcsum) == 4);
static_assert(offsetof(CsumOffload, ip4_rxenc) == 8);
static_assert(offsetof(CsumOffload, ip4_rxcsum) == 12);
static_assert(offsetof(CsumOffload, ip6_txenc) == 16);
static_assert(offsetof(CsumOffload, ip6_txcsum) == 20);
static_assert(offsetof(CsumOffload, ip6_rxenc) == 24);
static_assert(offsetof(CsumOffload, ip6_rxcsum) == 28);
static_assert(sizeof(CsumOffload) == 32);

struct [[gnu::packed]] LsoV1Offload {  // struct ndis_lsov1_offload
  std::uint32_t encap;
  std::uint32_t maxsize;
  std::uint32_t minsegs;
  std::uint32_t opts;
};
static_assert(offsetof(LsoV1Offload, encap) == 0);
static_assert(offsetof(LsoV1Offload, maxsize) == 4);
static_assert(offsetof(LsoV1Offload, minsegs) == 8);
static_assert(offsetof(LsoV1Offload, opts) == 12);
static_assert(sizeof(LsoV1Offload) == 16);

struct [[gnu::packed]] IpsecV1Offload {  // struct ndis_ipsecv1_offload
  std::uint32_t encap;
  std::uint32_t ah_esp;
  std::uint32_t xport_tun;
  std::uint32_t ip4_opts;
  std::uint32_t flags;
  std::uint32_t ip4_ah;
  std::uint32_t ip4_esp;
};
static_assert(offsetof(IpsecV1Offload, encap) == 0);
static_assert(offsetof(IpsecV1Offload, ah_esp) == 4);
static_assert(offsetof(IpsecV1Offload, xport_tun) == 8);
static_assert(offsetof(IpsecV1Offload, ip4_opts) == 12);
static_assert(offsetof(IpsecV1Offload, flags) == 16);
static_assert(offsetof(IpsecV1Offload, ip4_ah) == 20);
static_assert(offsetof(IpsecV1Offload, ip4_esp) == 24);
static_assert(sizeof(IpsecV1Offload) == 28);

struct [[gnu::packed]] LsoV2Offload {  // struct ndis_lsov2_offload
  std::uint32_t ip4_encap;
  std::uint32_t ip4_maxsz;
  std::uint32_t ip4_minsg;
  std::uint32_t ip6_encap;
  std::uint32_t ip6_maxsz;
  std::uint32_t ip6_minsg;
  std::uint32_t ip6_opts;
};
static_assert(offsetof(LsoV2Offload, ip4_encap) == 0);
static_assert(offsetof(LsoV2Offload, ip4_maxsz) == 4);
static_assert(offsetof(LsoV2Offload, ip4_minsg) == 8);
static_assert(offsetof(LsoV2Offload, ip6_encap) == 12);
static_assert(offsetof(LsoV2Offload, ip6_maxsz) == 16);
static_assert(offsetof(LsoV2Offload, ip6_minsg) == 20);
static_assert(offsetof(LsoV2Offload, ip6_opts) == 24);
static_assert(sizeof(LsoV2Offload) == 28);

struct [[gnu::packed]] IpsecV2Offload {  // struct ndis_ipsecv2_offload
  std::uint32_t encap;
  std::uint8_t ip6;
  std::uint8_t ip4opt;
  std::uint8_t ip6ext;
  std::uint8_t ah;
  std::uint8_t esp;
  std::uint8_t ah_esp;
  std::uint8_t xport;
  std::uint8_t tun;
  std::uint8_t xport_tun;
  std::uint8_t lso;
  std::uint8_t extseq;
  std::uint8_t pad0;  // natural alignment of udp_esp
  std::uint32_t udp_esp;
  std::uint32_t auth;
  std::uint32_t crypto;
  std::uint32_t sa_caps;
};
static_assert(offsetof(IpsecV2Offload, encap) == 0);
static_assert(offsetof(IpsecV2Offload, ip6) == 4);
static_assert(offsetof(IpsecV2Offload, extseq) == 14);
static_assert(offsetof(IpsecV2Offload, udp_esp) == 16);
static_assert(offsetof(IpsecV2Offload, auth) == 20);
static_assert(offsetof(IpsecV2Offload, crypto) == 24);
static_assert(offsetof(IpsecV2Offload, sa_caps) == 28);
static_assert(sizeof(IpsecV2Offload) == 32);

struct [[gnu::packed]] RscOffload {  // struct ndis_rsc_offload
  std::uint8_t ip4;
  std::uint8_t ip6;
};
static_assert(offsetof(RscOffload, ip4) == 0);
static_assert(offsetof(RscOffload, ip6) == 1);
static_assert(sizeof(RscOffload) == 2);

struct [[gnu::packed]] EncapOffload {  // struct ndis_encap_offload
  std::uint32_t flags;
  std::uint32_t maxhdr;
};
static_assert(offsetof(EncapOffload, flags) == 0);
static_assert(offsetof(EncapOffload, maxhdr) == 4);
static_assert(sizeof(EncapOffload) == 8);

// struct ndis_offload.
struct [[gnu::packed]] Offload {
  ObjectHeader header;
  CsumOffload csum;
  LsoV1Offload lsov1;
  IpsecV1Offload ipsecv1;
  LsoV2Offload lsov2;
  std::uint32_t flags;
  IpsecV2Offload ipsecv2;  // NDIS >= 6.1
  RscOffload rsc;          // NDIS >= 6.30
  std::uint8_t pad0[2];    // natural alignment of encap_gre
  EncapOffload encap_gre;
};
static_assert(offsetof(Offload, header) == 0);
static_assert(offsetof(Offload, csum) == 4);
static_assert(offsetof(Offload, lsov1) == 36);
static_assert(offsetof(Offload, ipsecv1) == 52);
static_assert(offsetof(Offload, lsov2) == 80);
static_assert(offsetof(Offload, flags) == 108);
static_assert(offsetof(Offload, ipsecv2) == 112);
static_assert(offsetof(Offload, rsc) == 144);
static_assert(offsetof(Offload, encap_gre) == 148);
static_assert(sizeof(Offload) == 156);
// NDIS_OFFLOAD_SIZE_6_0, _6_1 and NDIS_OFFLOAD_SIZE, with revisions 1, 2, 3.
inline constexpr std::uint16_t kOffloadSize6_0 = offsetof(Offload, ipsecv2);  // 112
inline constexpr std::uint16_t kOffloadSize6_1 = offsetof(Offload, rsc);      // 144
inline constexpr std::uint16_t kOffloadSize = sizeof(Offload);                 // 156
inline constexpr std::uint8_t kOffloadRevision1 = 1;
inline constexpr std::uint8_t kOffloadRevision2 = 2;
inline constexpr std::uint8_t kOffloadRevision3 = 3;

// The header a guest puts in its hardware-capabilities query (Linux
// rndis_filter_query_device): revision 3 and 156 bytes from NVSP 5,
// revision 2 and 144 bytes on NVSP 4, revision 1 and 112 bytes before.
ObjectHeader offload_query_header(nvsp::Version v) noexcept;
// Writes that query's information buffer: the header, zeros to its size.
// Returns the size. Error: buffer_too_small.
vmbus::Result<std::uint32_t> write_offload_query(nvsp::Version v, std::span<std::byte> out) noexcept;
// Guest: the host's capabilities, as rndis_query_hwcaps checks them: type
// 0xa7, revision >= 1, size from 112 up to the bytes given. Fields past the
// host's size read 0. Errors: ndis_object_type/too_short (under 4 bytes),
// ndis_object_type/unexpected_value, ndis_object_revision/below_minimum,
// ndis_object_size/below_minimum, ndis_object_size/out_of_bounds.
ParseResult<Offload> parse_offload(std::span<const std::byte> info) noexcept;

// --- OID_TCP_OFFLOAD_PARAMETERS: struct ndis_offload_params ---

// NDIS_OFFLOAD_PARAMETERS_* for the checksum fields. TX and RX are values,
// not bits: DPDK's hn_rndis_conf_offload ORs RX (3) into TX (2) and so
// sends 3, "RX only", when it means both (4).
inline constexpr std::uint8_t kOffloadParamNoChange = 0;
inline constexpr std::uint8_t kOffloadParamTxRxDisabled = 1;
inline constexpr std::uint8_t kOffloadParamTxEnabledRxDisabled = 2;
inline constexpr std::uint8_t kOffloadParamRxEnabledTxDisabled = 3;
inline constexpr std::uint8_t kOffloadParamTxRxEnabled = 4;
// LSOv1/LSOv2/RSC fields: 1 off, 2 on.
inline constexpr std::uint8_t kOffloadParamLsoDisabled = 1;
inline constexpr std::uint8_t kOffloadParamLsoEnabled = 2;
inline constexpr std::uint8_t kOffloadParamRscDisabled = 1;
inline constexpr std::uint8_t kOffloadParamRscEnabled = 2;

struct [[gnu::packed]] OffloadParameters {
  ObjectHeader header;
  std::uint8_t ip_v4_csum;
  std::uint8_t tcp_ip_v4_csum;
  std::uint8_t udp_ip_v4_csum;
  std::uint8_t tcp_ip_v6_csum;
  std::uint8_t udp_ip_v6_csum;
  std::uint8_t lso_v1;
  std::uint8_t ip_sec_v1;
  std::uint8_t lso_v2_ipv4;
  std::uint8_t lso_v2_ipv6;
  std::uint8_t tcp_connection_ip_v4;
  std::uint8_t tcp_connection_ip_v6;
  std::uint8_t pad0;  // natural alignment of flags
  std::uint32_t flags;
  std::uint8_t ip_sec_v2;  // NDIS >= 6.1
  std::uint8_t ip_sec_v2_ip_v4;
  std::uint8_t rsc_ip_v4;  // NDIS >= 6.30
  std::uint8_t rsc_ip_v6;
  std::uint8_t encapsulated_packet_task_offload;
  std::uint8_t encapsulation_types;
  std::uint8_t pad1[2];  // the C struct's tail padding (sizeof is 28)
};
static_assert(offsetof(OffloadParameters, header) == 0);
static_assert(offsetof(OffloadParameters, ip_v4_csum) == 4);
static_assert(offsetof(OffloadParameters, tcp_ip_v4_csum) == 5);
static_assert(offsetof(OffloadParameters, udp_ip_v4_csum) == 6);
static_assert(offsetof(OffloadParameters, tcp_ip_v6_csum) == 7);
static_assert(offsetof(OffloadParameters, udp_ip_v6_csum) == 8);
static_assert(offsetof(OffloadParameters, lso_v1) == 9);
static_assert(offsetof(OffloadParameters, ip_sec_v1) == 10);
static_assert(offsetof(OffloadParameters, lso_v2_ipv4) == 11);
static_assert(offsetof(OffloadParameters, lso_v2_ipv6) == 12);
static_assert(offsetof(OffloadParameters, tcp_connection_ip_v4) == 13);
static_assert(offsetof(OffloadParameters, tcp_connection_ip_v6) == 14);
static_assert(offsetof(OffloadParameters, flags) == 16);
static_assert(offsetof(OffloadParameters, ip_sec_v2) == 20);
static_assert(offsetof(OffloadParameters, ip_sec_v2_ip_v4) == 21);
static_assert(offsetof(OffloadParameters, rsc_ip_v4) == 22);
static_assert(offsetof(OffloadParameters, rsc_ip_v6) == 23);
static_assert(offsetof(OffloadParameters, encapsulated_packet_task_offload) == 24);
static_assert(offsetof(OffloadParameters, encapsulation_types) == 25);
static_assert(sizeof(OffloadParameters) == 28);
// VERSION_4_OFFLOAD_SIZE / NDIS_OFFLOAD_PARAMS_SIZE_6_1, and sizeof.
inline constexpr std::uint16_t kOffloadParametersSize6_1 = offsetof(OffloadParameters, rsc_ip_v4);  // 22
inline constexpr std::uint16_t kOffloadParametersSize = sizeof(OffloadParameters);                   // 28
inline constexpr std::uint8_t kOffloadParametersRevision2 = 2;  // NDIS 6.1
inline constexpr std::uint8_t kOffloadParametersRevision3 = 3;  // NDIS 6.30

// Writes the guest's OID_TCP_OFFLOAD_PARAMETERS buffer from `params` (its
// header is filled in here): revision 3 and 28 bytes from NVSP 5, otherwise
// revision 2 and the 22-byte NDIS 6.1 prefix (DPDK hn_rndis_conf_offload;
// Linux sends the 22 bytes but labels them revision 3). Returns the bytes
// written. Error: buffer_too_small.
vmbus::Result<std::uint32_t> write_offload_parameters(const OffloadParameters& params, nvsp::Version v,
                                                      std::span<std::byte> out) noexcept;
// Host: the guest's parameters: type 0x80, revision >= 1, size from 22 up
// to the bytes given; fields past its size read 0. Errors: as parse_offload.
ParseResult<OffloadParameters> parse_offload_parameters(std::span<const std::byte> info) noexcept;

}  // namespace netvsc::ndis
