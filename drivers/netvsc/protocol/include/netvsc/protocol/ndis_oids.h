// File: netvsc/protocol/ndis_oids.h
//
// NDIS object identifiers (OIDs) a netvsc guest queries or sets over RNDIS,
// and the plain values that travel in their information buffers: packet
// filter bits, media state, MAC options, the RNDIS config parameter. Values
// from include/linux/rndis.h, drivers/net/hyperv/hyperv_net.h and DPDK's
// drivers/net/netvsc/{rndis.h,ndis.h}; the structured objects (offload, RSS)
// are in ndis_objects.h. Status indications (RNDIS_STATUS_MEDIA_CONNECT and
// friends) are RNDIS status codes: rndis.h, namespace status.
//
// What the guests ask for (rndis_filter.c; DPDK hn_rndis.c):
//   query  gen_maximum_frame_size, gen_link_speed (100 bps units),
//          gen_media_connect_status, 802_3_permanent_address,
//          tcp_offload_hardware_capabilities, gen_receive_scale_capabilities
//   set    gen_current_packet_filter, tcp_offload_parameters,
//          gen_receive_scale_parameters, gen_rndis_config_parameter (Linux,
//          to change the MAC address)
//
// Usage:
//   std::uint32_t filter = netvsc::ndis::kPacketTypeDirected | netvsc::ndis::kPacketTypeBroadcast;
//   write_set(id, netvsc::ndis::Oid::gen_current_packet_filter, netvsc::wire::bytes_of(filter), buf);
#pragma once

#include <cstddef>
#include <cstdint>

namespace netvsc::ndis {

// An open enum: any u32 converts, so a host can answer OIDs it does not know.
enum class Oid : std::uint32_t {
  // General (OID_GEN_*).
  gen_supported_list = 0x00010101,
  gen_hardware_status = 0x00010102,
  gen_media_supported = 0x00010103,
  gen_media_in_use = 0x00010104,
  gen_maximum_lookahead = 0x00010105,
  gen_maximum_frame_size = 0x00010106,  // u32: the MTU (without the Ethernet header)
  gen_link_speed = 0x00010107,          // u32: 100 bps units
  gen_transmit_buffer_space = 0x00010108,
  gen_receive_buffer_space = 0x00010109,
  gen_transmit_block_size = 0x0001010a,
  gen_receive_block_size = 0x0001010b,
  gen_vendor_id = 0x0001010c,
  gen_vendor_description = 0x0001010d,
  gen_current_packet_filter = 0x0001010e,  // u32: kPacketType* bits
  gen_current_lookahead = 0x0001010f,
  gen_driver_version = 0x00010110,
  gen_maximum_total_size = 0x00010111,
  gen_protocol_options = 0x00010112,
  gen_mac_options = 0x00010113,           // u32: kMacOption* bits
  gen_media_connect_status = 0x00010114,  // u32: kMediaStateConnected / Disconnected
  gen_maximum_send_packets = 0x00010115,
  gen_vendor_driver_version = 0x00010116,
  gen_supported_guids = 0x00010117,
  gen_network_layer_addresses = 0x00010118,
  gen_transport_header_offset = 0x00010119,
  gen_physical_medium = 0x00010202,
  gen_receive_scale_capabilities = 0x00010203,  // ndis_objects.h: RssCapabilities
  gen_receive_scale_parameters = 0x00010204,    // ndis_objects.h: RssParameters
  gen_machine_name = 0x0001021a,
  gen_rndis_config_parameter = 0x0001021b,  // ConfigParameterInfo + UTF-16 name and value
  gen_vlan_id = 0x0001021c,
  // Statistics.
  gen_xmit_ok = 0x00020101,
  gen_rcv_ok = 0x00020102,
  gen_xmit_error = 0x00020103,
  gen_rcv_error = 0x00020104,
  gen_rcv_no_buffer = 0x00020105,
  // IEEE 802.3 (OID_802_3_*).
  ieee802_3_permanent_address = 0x01010101,  // 6 bytes
  ieee802_3_current_address = 0x01010102,    // 6 bytes
  ieee802_3_multicast_list = 0x01010103,     // n * 6 bytes
  ieee802_3_maximum_list_size = 0x01010104,
  ieee802_3_mac_options = 0x01010105,
  // Offload (hyperv_net.h "New offload OIDs for NDIS 6").
  offload_encapsulation = 0x0101010a,
  tcp_offload_current_config = 0xfc01020b,
  tcp_offload_parameters = 0xfc01020c,             // set: ndis_objects.h OffloadParameters
  tcp_offload_hardware_capabilities = 0xfc01020d,  // query: ndis_objects.h Offload
  tcp_connection_offload_current_config = 0xfc01020e,
  tcp_connection_offload_hardware_capabilities = 0xfc01020f,
};
constexpr std::uint32_t raw(Oid oid) noexcept { return static_cast<std::uint32_t>(oid); }

// OID_GEN_CURRENT_PACKET_FILTER bits (NDIS_PACKET_TYPE_*). The values follow
// ntddndis.h, include/linux/rndis.h RNDIS_PACKET_TYPE_* and DPDK rndis.h;
// hyperv_net.h's NDIS_PACKET_TYPE_GROUP and above (0x100...0x800) differ from
// them, but no netvsc guest sets those bits.
inline constexpr std::uint32_t kPacketTypeNone = 0x00000000;
inline constexpr std::uint32_t kPacketTypeDirected = 0x00000001;
inline constexpr std::uint32_t kPacketTypeMulticast = 0x00000002;
inline constexpr std::uint32_t kPacketTypeAllMulticast = 0x00000004;
inline constexpr std::uint32_t kPacketTypeBroadcast = 0x00000008;
inline constexpr std::uint32_t kPacketTypeSourceRouting = 0x00000010;
inline constexpr std::uint32_t kPacketTypePromiscuous = 0x00000020;
inline constexpr std::uint32_t kPacketTypeSmt = 0x00000040;
inline constexpr std::uint32_t kPacketTypeAllLocal = 0x00000080;
inline constexpr std::uint32_t kPacketTypeGroup = 0x00001000;
inline constexpr std::uint32_t kPacketTypeAllFunctional = 0x00002000;
inline constexpr std::uint32_t kPacketTypeFunctional = 0x00004000;
inline constexpr std::uint32_t kPacketTypeMacFrame = 0x00008000;
// What Linux sets when the interface opens (rndis_filter_open_device).
inline constexpr std::uint32_t kPacketFilterLinuxOpen =
    kPacketTypeBroadcast | kPacketTypeAllMulticast | kPacketTypeDirected;

// OID_GEN_MEDIA_CONNECT_STATUS values (NDIS_MEDIA_STATE_*).
inline constexpr std::uint32_t kMediaStateConnected = 0;
inline constexpr std::uint32_t kMediaStateDisconnected = 1;

// OID_GEN_MAC_OPTIONS bits (NDIS_MAC_OPTION_*).
inline constexpr std::uint32_t kMacOptionCopyLookaheadData = 0x00000001;
inline constexpr std::uint32_t kMacOptionReceiveSerialized = 0x00000002;
inline constexpr std::uint32_t kMacOptionTransfersNotPend = 0x00000004;
inline constexpr std::uint32_t kMacOptionNoLoopback = 0x00000008;
inline constexpr std::uint32_t kMacOptionFullDuplex = 0x00000010;
inline constexpr std::uint32_t kMacOptionEotxIndication = 0x00000020;
inline constexpr std::uint32_t kMacOption8021pPriority = 0x00000040;

// RNDIS_STATUS_NETWORK_CHANGE buffer values (DPDK ndis.h NDIS_NETCHANGE_TYPE_*).
inline constexpr std::uint32_t kNetChangePossible = 1;
inline constexpr std::uint32_t kNetChangeDefinite = 2;
inline constexpr std::uint32_t kNetChangeFromMedia = 3;

// struct rndis_config_parameter_info: the OID_GEN_RNDIS_CONFIG_PARAMETER
// buffer. Offsets count from the start of this struct; name and value are
// UTF-16LE without a terminator (rndis_filter_set_device_mac writes
// "NetworkAddress" and 12 hex digits).
struct [[gnu::packed]] ConfigParameterInfo {
  std::uint32_t parameter_name_offset;
  std::uint32_t parameter_name_length;  // bytes
  std::uint32_t parameter_type;         // kConfigParamType*
  std::uint32_t parameter_value_offset;
  std::uint32_t parameter_value_length;  // bytes
};
static_assert(offsetof(ConfigParameterInfo, parameter_name_offset) == 0);
static_assert(offsetof(ConfigParameterInfo, parameter_name_length) == 4);
static_assert(offsetof(ConfigParameterInfo, parameter_type) == 8);
static_assert(offsetof(ConfigParameterInfo, parameter_value_offset) == 12);
static_assert(offsetof(ConfigParameterInfo, parameter_value_length) == 16);
static_assert(sizeof(ConfigParameterInfo) == 20);
inline constexpr std::uint32_t kConfigParamTypeInteger = 0;
inline constexpr std::uint32_t kConfigParamTypeString = 2;

}  // namespace netvsc::ndis
