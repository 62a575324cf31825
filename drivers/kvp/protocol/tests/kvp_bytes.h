// KVP messages written out by hand for the tests, from the layouts in
// include/uapi/linux/hyperv.h. Offsets are payload offsets: ICMSG_HDR (28)
// plus the offset in the KVP message.
#pragma once

#include <cstddef>
#include <cstdint>

#include "test_bytes.h"

namespace kvp::test {

inline constexpr std::size_t P = 28;  // ICMSG_HDR
// hv_kvp_hdr.
inline constexpr std::size_t kOp = P + 0;
inline constexpr std::size_t kPool = P + 1;
// GET / SET: hv_kvp_exchg_msg_value at +4.
inline constexpr std::size_t kValueType = P + 4;
inline constexpr std::size_t kKeySize = P + 8;
inline constexpr std::size_t kValueSize = P + 12;
inline constexpr std::size_t kKey = P + 16;
inline constexpr std::size_t kValue = P + 528;
// DELETE: hv_kvp_msg_delete at +4.
inline constexpr std::size_t kDeleteKeySize = P + 4;
inline constexpr std::size_t kDeleteKey = P + 8;
// ENUMERATE: {u32 index, hv_kvp_exchg_msg_value} at +4.
inline constexpr std::size_t kIndex = P + 4;
inline constexpr std::size_t kEnumValueType = P + 8;
inline constexpr std::size_t kEnumKeySize = P + 12;
inline constexpr std::size_t kEnumValueSize = P + 16;
inline constexpr std::size_t kEnumKey = P + 20;
inline constexpr std::size_t kEnumValue = P + 532;
// hv_kvp_ip_msg: hv_kvp_ipaddr_value at +2.
inline constexpr std::size_t kAdapterId = P + 2;
inline constexpr std::size_t kAddrFamily = P + 258;
inline constexpr std::size_t kDhcp = P + 259;
inline constexpr std::size_t kIpAddr = P + 260;
inline constexpr std::size_t kSubNet = P + 2308;
inline constexpr std::size_t kGateWay = P + 4356;
inline constexpr std::size_t kDnsAddr = P + 5380;

// A KVP request as a host sends it: pipe {1, 20 + size}, icmsg_hdr with
// framework 3.0 and KVP 4.0, type 2, icmsgsize `size`, status 0, transaction
// 0, TRANSACTION|REQUEST, then `size` bytes of message, zero but for the
// operation and the pool.
inline Bytes kvp_request(std::uint8_t op, std::uint8_t pool, std::size_t size) {
  Bytes b = cat({le32({1, static_cast<std::uint32_t>(20 + size)}),
                 le16({3, 0, 2, 4, 0, static_cast<std::uint16_t>(size)}), le32({0}), {0, 3, 0, 0}});
  b.resize(P + size, 0);
  b[kOp] = op;
  b[kPool] = pool;
  return b;
}

}  // namespace kvp::test
