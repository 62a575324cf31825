// File: kvp/protocol/kvp_msg.h
//
// The KVP exchange messages (ICMSGTYPE_KVPEXCHANGE) as
// include/uapi/linux/hyperv.h lays them out, every struct packed,
// little-endian, static_assert'ed offset by offset. A KVP message follows
// ICMSG_HDR in the IC payload; offsets below are from its start.
//
//   GET, SET      hv_kvp_hdr {u8 operation, u8 pool, u16 pad} | hv_kvp_exchg_msg_value
//   DELETE        hv_kvp_hdr | hv_kvp_msg_delete {u32 key_size, u8 key[512]}
//   ENUMERATE     hv_kvp_hdr | hv_kvp_msg_enumerate {u32 index, hv_kvp_exchg_msg_value}
//   GET_IP_INFO,  hv_kvp_ip_msg {u8 operation, u8 pool, hv_kvp_ipaddr_value}: no pad,
//   SET_IP_INFO   so the value starts at +2
//
// hv_kvp_exchg_msg_value is {u32 value_type, u32 key_size, u32 value_size,
// u8 key[512], u8 value[2048]} (2572 bytes); the value is a union with u32
// and u64 for REG_U32 and REG_U64. Keys and string values travel as UTF-16LE;
// sizes are in bytes and include the NUL (wire_string.h).
//
// Sizes. What the host sends is not sizeof(struct hv_kvp_msg): OpenVMM's KVP
// host (hyperv_ic_protocol kvp.rs, KvpMessage) sends 2580 bytes for GET,
// SET, DELETE and ENUMERATE (the 4-byte header and the largest of those
// bodies, the 2576-byte enumerate) and 7428 for the IP operations
// (hv_kvp_ip_msg). Linux checks no KVP size and answers with exactly what it
// received. sizeof(struct hv_kvp_msg) itself is 7432 on GCC, not the 7430
// its members add up to: its body union holds hv_kvp_msg_delete, which is
// not packed, so the union is 4-aligned and 7426 rounds up to 7428
// (`KvpMessage` below reproduces that). Only the kernel <-> daemon device
// (/dev/vmbus/hv_kvp) moves sizeof(struct hv_kvp_msg) bytes.
//
// Usage:
//   auto value = kvp::wire::load<kvp::ExchangeValue>(body, kvp::kExchangeValueOffset);
//   if (value.value_type == kvp::kRegU32) ...
#pragma once

#include <cstddef>
#include <cstdint>

namespace kvp {

// HV_KVP_EXCHANGE_MAX_KEY_SIZE, HV_KVP_EXCHANGE_MAX_VALUE_SIZE: bytes,
// including the NUL terminator.
inline constexpr std::size_t kMaxKeySize = 512;
inline constexpr std::size_t kMaxValueSize = 2048;

// enum hv_kvp_exchg_op.
enum class Operation : std::uint8_t {
  get = 0,          // KVP_OP_GET
  set = 1,          // KVP_OP_SET
  delete_key = 2,   // KVP_OP_DELETE
  enumerate = 3,    // KVP_OP_ENUMERATE
  get_ip_info = 4,  // KVP_OP_GET_IP_INFO
  set_ip_info = 5,  // KVP_OP_SET_IP_INFO
};
inline constexpr std::uint8_t kOperationCount = 6;  // KVP_OP_COUNT
constexpr std::uint8_t raw(Operation op) noexcept { return static_cast<std::uint8_t>(op); }

// KVP_OP_REGISTER and KVP_OP_REGISTER1: used only between the kernel and
// hv_kvp_daemon, never on the wire.
inline constexpr std::uint8_t kOpRegister = 4;
inline constexpr std::uint8_t kOpRegister1 = 100;

// enum hv_kvp_exchg_pool.
enum class Pool : std::uint8_t {
  external = 0,       // KVP_POOL_EXTERNAL: written by the host
  guest = 1,          // KVP_POOL_GUEST: written in the guest, read by the host
  automatic = 2,      // KVP_POOL_AUTO: intrinsic values the daemon computes
  auto_external = 3,  // KVP_POOL_AUTO_EXTERNAL
  auto_internal = 4,  // KVP_POOL_AUTO_INTERNAL (OpenVMM: never exchanged with the host)
};
inline constexpr std::uint8_t kPoolCount = 5;  // KVP_POOL_COUNT
constexpr std::uint8_t raw(Pool p) noexcept { return static_cast<std::uint8_t>(p); }

// Registry value types (REG_*). Linux knows these three; kvp_send_key turns
// REG_U32 ("%u") and REG_U64 ("%llu") into decimal strings for the daemon.
inline constexpr std::uint32_t kRegSz = 1;
inline constexpr std::uint32_t kRegU32 = 4;
inline constexpr std::uint32_t kRegU64 = 8;

// ADDR_FAMILY_* (hv_kvp_ipaddr_value.addr_family).
inline constexpr std::uint8_t kAddrFamilyNone = 0;
inline constexpr std::uint8_t kAddrFamilyIpv4 = 1;
inline constexpr std::uint8_t kAddrFamilyIpv6 = 2;

// Array lengths of hv_kvp_ipaddr_value, in UTF-16 units (MAX_ADAPTER_ID_SIZE,
// MAX_IP_ADDR_SIZE, MAX_GATEWAY_SIZE).
inline constexpr std::size_t kMaxAdapterIdUnits = 128;
inline constexpr std::size_t kMaxIpAddrUnits = 1024;
inline constexpr std::size_t kMaxGatewayUnits = 512;

// struct hv_kvp_hdr.
struct [[gnu::packed]] KvpHeader {
  std::uint8_t operation;
  std::uint8_t pool;
  std::uint16_t pad;
};
static_assert(offsetof(KvpHeader, operation) == 0);
static_assert(offsetof(KvpHeader, pool) == 1);
static_assert(offsetof(KvpHeader, pad) == 2);
static_assert(sizeof(KvpHeader) == 4);

// struct hv_kvp_exchg_msg_value. `value` is the union's byte view; value_u32
// and value_u64 are its first 4 and 8 bytes.
struct [[gnu::packed]] ExchangeValue {
  std::uint32_t value_type;
  std::uint32_t key_size;
  std::uint32_t value_size;
  std::uint8_t key[kMaxKeySize];
  std::uint8_t value[kMaxValueSize];
};
static_assert(offsetof(ExchangeValue, value_type) == 0);
static_assert(offsetof(ExchangeValue, key_size) == 4);
static_assert(offsetof(ExchangeValue, value_size) == 8);
static_assert(offsetof(ExchangeValue, key) == 12);
static_assert(offsetof(ExchangeValue, value) == 524);
static_assert(sizeof(ExchangeValue) == 2572);

// struct hv_kvp_msg_enumerate.
struct [[gnu::packed]] EnumerateBody {
  std::uint32_t index;
  ExchangeValue data;
};
static_assert(offsetof(EnumerateBody, index) == 0);
static_assert(offsetof(EnumerateBody, data) == 4);
static_assert(sizeof(EnumerateBody) == 2576);

// struct hv_kvp_msg_delete. Not packed in Linux either (its size is the
// same; its 4-byte alignment is what makes hv_kvp_msg 7432 bytes).
struct DeleteBody {
  std::uint32_t key_size;
  std::uint8_t key[kMaxKeySize];
};
static_assert(offsetof(DeleteBody, key_size) == 0);
static_assert(offsetof(DeleteBody, key) == 4);
static_assert(sizeof(DeleteBody) == 516);
static_assert(alignof(DeleteBody) == 4);

// struct hv_kvp_ipaddr_value. The strings are UTF-16LE arrays, NUL-terminated
// inside the array (there are no size fields).
struct [[gnu::packed]] IpAddrValue {
  std::uint16_t adapter_id[kMaxAdapterIdUnits];
  std::uint8_t addr_family;
  std::uint8_t dhcp_enabled;
  std::uint16_t ip_addr[kMaxIpAddrUnits];
  std::uint16_t sub_net[kMaxIpAddrUnits];
  std::uint16_t gate_way[kMaxGatewayUnits];
  std::uint16_t dns_addr[kMaxIpAddrUnits];
};
static_assert(offsetof(IpAddrValue, adapter_id) == 0);
static_assert(offsetof(IpAddrValue, addr_family) == 256);
static_assert(offsetof(IpAddrValue, dhcp_enabled) == 257);
static_assert(offsetof(IpAddrValue, ip_addr) == 258);
static_assert(offsetof(IpAddrValue, sub_net) == 2306);
static_assert(offsetof(IpAddrValue, gate_way) == 4354);
static_assert(offsetof(IpAddrValue, dns_addr) == 5378);
static_assert(sizeof(IpAddrValue) == 7426);

// struct hv_kvp_ip_msg: no pad after the two header bytes.
struct [[gnu::packed]] IpMessage {
  std::uint8_t operation;
  std::uint8_t pool;
  IpAddrValue kvp_ip_val;
};
static_assert(offsetof(IpMessage, operation) == 0);
static_assert(offsetof(IpMessage, pool) == 1);
static_assert(offsetof(IpMessage, kvp_ip_val) == 2);
static_assert(sizeof(IpMessage) == 7428);

// struct hv_kvp_register (daemon <-> kernel only).
struct RegisterBody {
  std::uint8_t version[kMaxKeySize];
};
static_assert(sizeof(RegisterBody) == 512);

// The body union of struct hv_kvp_msg, not packed, as in Linux.
union KvpBody {
  ExchangeValue kvp_get;
  ExchangeValue kvp_set;
  DeleteBody kvp_delete;
  EnumerateBody kvp_enum_data;
  IpAddrValue kvp_ip_val;
  RegisterBody kvp_register;
};
static_assert(alignof(KvpBody) == 4);
static_assert(sizeof(KvpBody) == 7428);

// struct hv_kvp_msg: {union {hv_kvp_hdr; int error}, body}, packed.
struct [[gnu::packed]] KvpMessage {
  union {
    KvpHeader kvp_hdr;
    std::int32_t error;
  } header;
  KvpBody body;
};
static_assert(offsetof(KvpMessage, header) == 0);
static_assert(offsetof(KvpMessage, body) == 4);
static_assert(sizeof(KvpMessage) == 7432);

// Offsets within a KVP message (after ICMSG_HDR), and how many bytes each
// operation's struct needs: what the guest reads and writes in place.
inline constexpr std::size_t kKvpBodyOffset = sizeof(KvpHeader);  // 4
inline constexpr std::size_t kExchangeValueOffset = kKvpBodyOffset;                                  // GET, SET
inline constexpr std::size_t kEnumerateValueOffset = kKvpBodyOffset + offsetof(EnumerateBody, data);  // 8
inline constexpr std::size_t kIpValueOffset = offsetof(IpMessage, kvp_ip_val);                        // 2
inline constexpr std::size_t kGetSetMessageSize = kKvpBodyOffset + sizeof(ExchangeValue);            // 2576
inline constexpr std::size_t kDeleteMessageSize = kKvpBodyOffset + sizeof(DeleteBody);               // 520
inline constexpr std::size_t kEnumerateMessageSize = kKvpBodyOffset + sizeof(EnumerateBody);         // 2580
inline constexpr std::size_t kIpMessageSize = sizeof(IpMessage);                                     // 7428
// What a host sends for GET, SET, DELETE and ENUMERATE (OpenVMM KvpMessage).
inline constexpr std::size_t kHostKvpMessageSize = kEnumerateMessageSize;
static_assert(kHostKvpMessageSize == 2580);

// The bytes operation `op` needs after ICMSG_HDR.
constexpr std::size_t message_size_for(Operation op) noexcept {
  switch (op) {
    case Operation::get:
    case Operation::set: return kGetSetMessageSize;
    case Operation::delete_key: return kDeleteMessageSize;
    case Operation::enumerate: return kEnumerateMessageSize;
    case Operation::get_ip_info:
    case Operation::set_ip_info: return kIpMessageSize;
  }
  return kIpMessageSize;
}

}  // namespace kvp
