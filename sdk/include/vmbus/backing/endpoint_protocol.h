// File: vmbus/backing/endpoint_protocol.h
//
// The wire protocol of a uio endpoint served over a UNIX socket instead of a
// kernel character device. hvsim serves one at DIR/dev/uioN for each device
// bound to uio_hv_generic, and vmbusd serves the same protocol for leases. A
// socket can pass memory, which a regular file cannot.
//
// The protocol mirrors what a process does with /dev/uioN. Each message maps
// to one kernel operation:
//
//   kernel /dev/uioN                      endpoint
//   open()                                connect(); Hello -> DeviceReply + fds
//   mmap(fd, index * PAGE_SIZE, size)     mmap(map fd K, MapInfo.mmap_offset, size)
//   read(fd, &u32) / poll(POLLIN)         read(interrupt fd) / poll it
//   write(fd, &s32 v)  (irqcontrol)       IrqControl{v} -> IrqControlResult
//   -EIO after rescind                    Rescinded message, then the socket closes
//   (no kernel equivalent: the SDK's      RegisterMemory{gpa, size} + memfd
//    faster DMA path on hvsim)             -> RegisterMemoryResult
//   (no kernel equivalent: counters a     ShareCounters{slots} + sealed memfd
//    control plane reads)                  (no reply)
//
// Two kinds of server give the same shape. hvsim sends one memfd per map
// (mmap_offset 0) and an interrupt eventfd. vmbusd leasing a kernel device
// passes the kernel's own /dev/uioN file: every map fd is that file with
// mmap_offset = K * PAGE_SIZE (uio_mmap's convention), and the interrupt fd
// is the file too, whose read gives uio's running total (interrupt_kind).
//
// Transport: SOCK_SEQPACKET, one message per datagram. Each message starts
// with a MessageHeader. File descriptors travel as SCM_RIGHTS on the message
// they belong to. Every struct is packed, little-endian and static_asserted.
// Both sides validate every size and count they receive.
//
// Usage (client side, abridged; SocketEndpointBacking does this for you):
//   int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
//   connect(s, "DIR/dev/uio0");
//   send(s, Hello{{hello, sizeof(Hello)}, kMagic, kVersion});
//   recvmsg(s) -> DeviceReply + (map_count + 1) fds: the maps, then the eventfd
#pragma once

#include <cstddef>
#include <cstdint>

namespace vmbus::endpoint {

inline constexpr std::uint32_t kMagic = 0x55424d56;  // "VMBU" in memory order
// 2: MapInfo.mmap_offset, DeviceReply.interrupt_kind, ShareCounters.
inline constexpr std::uint32_t kVersion = 2;
// uio_hv_generic exposes at most five maps: txrx_rings, int_page,
// monitor_page, recv:<gpadl>, send:<gpadl> (MAX_UIO_MAPS is 5).
inline constexpr std::uint32_t kMaxMaps = 5;
inline constexpr std::size_t kMapNameSize = 64;

enum class MessageType : std::uint32_t {
  hello = 1,                   // client -> server: Hello
  device_reply = 2,            // server -> client: DeviceReply + fds
  irqcontrol = 3,              // client -> server: IrqControl
  irqcontrol_result = 4,       // server -> client: IrqControlResult
  rescinded = 5,               // server -> client, unsolicited: MessageHeader only
  register_memory = 6,         // client -> server: RegisterMemory + 1 memfd
  register_memory_result = 7,  // server -> client: RegisterMemoryResult
  error = 8,                   // server -> client: ErrorReply, then the socket closes
  share_counters = 9,          // client -> server: ShareCounters + 1 sealed memfd, no reply
};

struct [[gnu::packed]] MessageHeader {
  std::uint32_t type;  // MessageType
  std::uint32_t size;  // the whole message, header included
};
static_assert(offsetof(MessageHeader, type) == 0);
static_assert(offsetof(MessageHeader, size) == 4);
static_assert(sizeof(MessageHeader) == 8);

struct [[gnu::packed]] Hello {
  MessageHeader header;
  std::uint32_t magic;    // kMagic
  std::uint32_t version;  // kVersion
};
static_assert(offsetof(Hello, magic) == 8);
static_assert(offsetof(Hello, version) == 12);
static_assert(sizeof(Hello) == 16);

// One uio map, as /sys/class/uio/uioN/maps/mapK/{name,size,offset} describe
// it, and where its fd maps it.
struct [[gnu::packed]] MapInfo {
  char name[kMapNameSize];     // NUL-terminated: "txrx_rings", "int_page", "recv:1234", ...
  std::uint64_t size;          // bytes; equals maps/mapK/size (and a memfd's own size)
  std::uint64_t offset;        // maps/mapK/offset (0 for uio_hv_generic's maps)
  std::uint64_t mmap_offset;   // the mmap offset in the map's fd: 0 for a memfd,
                               // K * PAGE_SIZE for a kernel /dev/uioN
};
static_assert(offsetof(MapInfo, name) == 0);
static_assert(offsetof(MapInfo, size) == 64);
static_assert(offsetof(MapInfo, offset) == 72);
static_assert(offsetof(MapInfo, mmap_offset) == 80);
static_assert(sizeof(MapInfo) == 88);

// What reading the interrupt fd gives.
enum class InterruptKind : std::uint32_t {
  eventfd = 0,  // an eventfd: 8 bytes, the interrupts since the last read
  uio = 1,      // a kernel /dev/uioN: 4 bytes, the running total (uio_read)
};

// Carries map_count + 1 fds: one per map (mmap it at its mmap_offset), then
// the interrupt fd. The SDK's backing turns either interrupt kind into
// "interrupts since the last call".
struct [[gnu::packed]] DeviceReply {
  MessageHeader header;
  std::uint32_t map_count;       // 1..kMaxMaps
  std::uint32_t interrupt_kind;  // InterruptKind
  MapInfo maps[kMaxMaps];        // the first map_count are meaningful
};
static_assert(offsetof(DeviceReply, map_count) == 8);
static_assert(offsetof(DeviceReply, interrupt_kind) == 12);
static_assert(offsetof(DeviceReply, maps) == 16);
static_assert(sizeof(DeviceReply) == 16 + 5 * 88);

// hv_uio_irqcontrol: for the primary channel and every subchannel, set the
// inbound ring's interrupt_mask = !value; if value != 0, signal the host on
// each channel that has no monitor id allocated.
struct [[gnu::packed]] IrqControl {
  MessageHeader header;
  std::int32_t value;
  std::uint32_t reserved;
};
static_assert(offsetof(IrqControl, value) == 8);
static_assert(sizeof(IrqControl) == 16);

struct [[gnu::packed]] IrqControlResult {
  MessageHeader header;
  std::int32_t result;  // 0, or a negative errno (-EIO after a rescind)
  std::uint32_t reserved;
};
static_assert(offsetof(IrqControlResult, result) == 8);
static_assert(sizeof(IrqControlResult) == 16);

// Registers guest memory that the host may address by GPA: pages
// [gpa_base, gpa_base + size) are the memfd's bytes [0, size). Both must be
// 4 KiB multiples. Without registration, hvsim reads and writes GPAs as
// addresses in the client's memory (IOVA = VA, as DPDK does with --no-huge).
struct [[gnu::packed]] RegisterMemory {
  MessageHeader header;
  std::uint64_t gpa_base;
  std::uint64_t size;
};
static_assert(offsetof(RegisterMemory, gpa_base) == 8);
static_assert(offsetof(RegisterMemory, size) == 16);
static_assert(sizeof(RegisterMemory) == 24);

struct [[gnu::packed]] RegisterMemoryResult {
  MessageHeader header;
  std::int32_t result;  // 0, or a negative errno
  std::uint32_t reserved;
};
static_assert(sizeof(RegisterMemoryResult) == 16);

// Offers the client's per-channel counters to the server, which may map the
// memfd read-only and read them while the data path runs (vmbusd shows them
// in GetChannel; hvsim ignores them). The memfd holds a CountersTable
// (vmbus/channel/counters_table.h) of `slot_count` slots and carries the
// seals F_SEAL_SHRINK | F_SEAL_GROW, so the server's mapping cannot fault.
// One-way: no reply, so it never holds up the client.
struct [[gnu::packed]] ShareCounters {
  MessageHeader header;
  std::uint32_t slot_count;
  std::uint32_t reserved;
};
static_assert(offsetof(ShareCounters, slot_count) == 8);
static_assert(sizeof(ShareCounters) == 16);

// Sent before the server closes a connection it refuses (bad magic or
// version, the device already open, a malformed message).
struct [[gnu::packed]] ErrorReply {
  MessageHeader header;
  std::int32_t error;  // a positive errno
  char message[116];   // NUL-terminated, for the client's error text
};
static_assert(offsetof(ErrorReply, error) == 8);
static_assert(offsetof(ErrorReply, message) == 12);
static_assert(sizeof(ErrorReply) == 128);

// The largest message either side sends; receive buffers are this big.
inline constexpr std::size_t kMaxMessageSize = sizeof(DeviceReply);

}  // namespace vmbus::endpoint
