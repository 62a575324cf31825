/* File: vmbus_c/vmbus.h
 *
 * The SDK's C ABI (libvmbus_c.so, CMake target vmbus::c), for appliances
 * written in C11 (or C++): a VMBus bus (a sysfs root), devices and their
 * channels, the netvsc NIC as a poll-mode port, and the KVP service. Every
 * handle is opaque and owns the C++ object behind it (vmbus::SysfsRoot,
 * vmbus::Device, netvsc::Port, kvp::Service).
 *
 * Errors: every function returns 0 or a negative errno; the data path
 * returns a count (>= 0) or a negative errno. No C++ exception crosses this
 * ABI. After a failure, vmbus_last_error() gives a readable message for the
 * calling thread (it names the file, device or step, as the C++ SDK does);
 * it is not cleared by later successes, as errno is not.
 *   -EINVAL     a bad argument (NULL handle, struct_size too small, ...)
 *   -ENODEV     no such device, or the host rescinded it
 *   -EAGAIN     flow control: nothing to receive (no message is set: that
 *               is the polling loop's normal answer), or the ring is full
 *   -ENOBUFS    the caller's buffer is too small (the message says how big)
 *   -EMSGSIZE   a packet that can never fit the ring
 *   -EBADMSG    the host broke the protocol (tear the channel down)
 *   -ENOENT     a KVP key that is not there
 *   -ERANGE     a KVP value larger than the caller's buffer
 *   -E2BIG      a KVP key or value over VMBUS_KVP_MAX_*_SIZE
 *   -EIO        a device, claim or open step failed (see the message)
 *   -ENOMEM     out of memory
 *
 * Growing structs: every options or output struct starts with
 * `uint32_t struct_size`, which the caller sets to sizeof(the struct) as its
 * header declares it (VMBUS_C_INIT does). The library reads (options) or
 * writes (outputs) only the fields that size covers, so a program built
 * against an older header keeps working with a newer library; fields added
 * later are appended and take their zero defaults when not covered. A
 * struct_size smaller than the struct's first version is -EINVAL. Options
 * pointers may be NULL: every field then takes its default. Frame arrays
 * (vmbus_netvsc_rx_frame, vmbus_netvsc_tx_frame) are fixed for an ABI major
 * version instead: they are the data path.
 *
 * Threads: handles are not locked. A channel has one sending and one
 * receiving thread (they may be the same); a netvsc queue belongs to one
 * thread at a time; the KVP service's pool calls and stop may come from any
 * thread while run() serves on another (the C++ headers say the same).
 *
 * Usage (error handling shortened; examples/c_echo/main.c is whole):
 *   vmbus_bus* bus;
 *   if (vmbus_bus_open(NULL, &bus) < 0)   // $VMBUS_SYSFS_ROOT, else /sys
 *     fprintf(stderr, "%s\n", vmbus_last_error());
 *   vmbus_device* dev;
 *   vmbus_device_open(bus, "echo", NULL, &dev);  // claims for uio_hv_generic if needed
 *   vmbus_channel* ch;
 *   vmbus_device_channel(dev, 0, &ch);
 *   vmbus_channel_send_inband(ch, "hello", 5, 1, 0);
 *   unsigned char buf[4096];
 *   vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
 *   int n = vmbus_channel_receive(ch, buf, sizeof buf, &info);  // -EAGAIN: nothing yet
 *   vmbus_channel_finish_receive(ch);
 *   vmbus_device_close(dev);   // releases the claim
 *   vmbus_bus_close(bus);
 */
#ifndef VMBUS_C_VMBUS_H
#define VMBUS_C_VMBUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. MAJOR changes when something is removed
 * or changes meaning; MINOR when something is added. */
#define VMBUS_C_ABI_VERSION_MAJOR 1
#define VMBUS_C_ABI_VERSION_MINOR 0
#define VMBUS_C_ABI_VERSION ((VMBUS_C_ABI_VERSION_MAJOR << 16) | VMBUS_C_ABI_VERSION_MINOR)

#if defined(VMBUS_C_BUILDING)
#define VMBUS_C_API __attribute__((visibility("default")))
#else
#define VMBUS_C_API
#endif

/* A zero-initialised struct with its struct_size set:
 *   vmbus_netvsc_options o = VMBUS_C_INIT(vmbus_netvsc_options); */
#ifdef __cplusplus
#define VMBUS_C_INIT(type) ([] { type v_{}; v_.struct_size = sizeof(type); return v_; }())
#else
#define VMBUS_C_INIT(type) ((type){.struct_size = sizeof(type)})
#endif

/* ---- Version and errors -------------------------------------------------- */

/* The library's ABI version, (major << 16) | minor. A program built against
 * major M runs with any library whose major is M and minor >= its own. */
VMBUS_C_API uint32_t vmbus_c_abi_version(void);
/* "vmbus-sdk 0.1.0 (C ABI 1.0)". */
VMBUS_C_API const char* vmbus_c_version_string(void);
/* The message of this thread's last failure ("" if none yet). Valid until
 * this thread's next failing call. */
VMBUS_C_API const char* vmbus_last_error(void);

/* ---- Handles ----------------------------------------------------------- */

typedef struct vmbus_bus vmbus_bus;                  /* a sysfs root */
typedef struct vmbus_device vmbus_device;            /* an open device (and its claim) */
typedef struct vmbus_channel vmbus_channel;          /* owned by its device */
typedef struct vmbus_netvsc_port vmbus_netvsc_port;  /* a NIC port (and its device, claim) */
typedef struct vmbus_kvp_service vmbus_kvp_service;  /* the KVP service (and its claim) */

/* ---- Bus: discovery ---------------------------------------------------- */

/* `sysfs_root`: a directory holding bus/vmbus (/sys, or DIR/sys under
 * hvsim); NULL or "" means $VMBUS_SYSFS_ROOT, else /sys. Device nodes are
 * beside it (DIR/dev). Nothing is read until a scan or an open. */
VMBUS_C_API int vmbus_bus_open(const char* sysfs_root, vmbus_bus** out);
VMBUS_C_API void vmbus_bus_close(vmbus_bus* bus); /* NULL is fine */
VMBUS_C_API const char* vmbus_bus_root(const vmbus_bus* bus);

#define VMBUS_OWNER_NONE 0
#define VMBUS_OWNER_UIO_HV_GENERIC 1
#define VMBUS_OWNER_KERNEL_DRIVER 2

/* One device as discovery saw it. Version 1 is the whole struct below. */
typedef struct vmbus_device_info {
  uint32_t struct_size;
  uint32_t relid;          /* the primary channel's relid */
  int32_t monitor_id;      /* -1: not monitored */
  uint32_t owner;          /* VMBUS_OWNER_* */
  uint32_t channel_count;  /* channels in sysfs, primary included */
  char instance[40];       /* "f8615163-df3e-46c5-913f-f2d2f965ed0e" */
  char class_id[40];
  char class_name[32];     /* "network", "kvp", "echo", ... ("unknown") */
  char driver[32];         /* "" if none */
} vmbus_device_info;

/* Reads every device under the root again; returns how many could be read
 * (devices that could not are left out). */
VMBUS_C_API int vmbus_bus_scan(vmbus_bus* bus);
/* Device `index` (0 .. count - 1) of the last scan. */
VMBUS_C_API int vmbus_bus_device_info(const vmbus_bus* bus, uint32_t index, vmbus_device_info* info);

/* ---- Device ------------------------------------------------------------ */

/* Do not claim: the device must already be bound to uio_hv_generic. */
#define VMBUS_OPEN_NO_CLAIM 0x1u
/* Keep the device bound to uio_hv_generic after close. */
#define VMBUS_OPEN_KEEP_CLAIM 0x2u

typedef struct vmbus_device_options {
  uint32_t struct_size;
  uint32_t flags;             /* VMBUS_OPEN_*; 0: claim if needed, release on close */
  uint32_t claim_timeout_ms;  /* 0: 5000 */
  uint32_t map_shared_buffers;  /* nonzero: map a NIC's recv/send buffers (47 MiB) */
} vmbus_device_options;

/* Opens the device `selector` names: an instance GUID, or a class name
 * ("echo", "network", "kvp") or class GUID exactly one device has.
 * -ENODEV if none (or several) match; -EIO if the claim or open failed. */
VMBUS_C_API int vmbus_device_open(vmbus_bus* bus, const char* selector, const vmbus_device_options* options,
                                  vmbus_device** out);
/* Closes the channels, unmaps, and releases the claim (unless
 * VMBUS_OPEN_KEEP_CLAIM). NULL is fine. */
VMBUS_C_API void vmbus_device_close(vmbus_device* device);
VMBUS_C_API const char* vmbus_device_instance(const vmbus_device* device);
/* "endpoint /dev/shm/vm/dev/uio0" or "uio /dev/uio0". */
VMBUS_C_API const char* vmbus_device_describe(const vmbus_device* device);
VMBUS_C_API int vmbus_device_channel_count(const vmbus_device* device);
/* Channel `index` (0: the primary), owned by the device. */
VMBUS_C_API int vmbus_device_channel(vmbus_device* device, uint32_t index, vmbus_channel** out);
/* Maps subchannel `subchannel_id` (1..63), waiting up to timeout_ms for the
 * host to offer it. */
VMBUS_C_API int vmbus_device_open_subchannel(vmbus_device* device, uint32_t subchannel_id, uint32_t timeout_ms,
                                             vmbus_channel** out);
/* Pollable fd: readable when interrupts are pending or the device is gone. */
VMBUS_C_API int vmbus_device_event_fd(const vmbus_device* device);
/* After event_fd polled readable: interrupts since the last call (>= 0). */
VMBUS_C_API int vmbus_device_take_interrupts(vmbus_device* device);
/* Blocks up to timeout_ms; interrupts seen (0: timeout), -ENODEV rescinded. */
VMBUS_C_API int vmbus_device_wait(vmbus_device* device, uint32_t timeout_ms);
/* 1 once the host rescinded the device (checks sysfs), else 0. */
VMBUS_C_API int vmbus_device_rescinded(vmbus_device* device);

/* ---- Channel ----------------------------------------------------------- */

/* Ask the host for a completion (VMBUS_DATA_PACKET_FLAG_COMPLETION_REQUESTED). */
#define VMBUS_SEND_COMPLETION_REQUESTED 0x1u
/* Stage only: published by the next send without it, or vmbus_channel_flush. */
#define VMBUS_SEND_NO_FLUSH 0x2u

/* An inband packet (type 6) with `len` payload bytes. -EAGAIN: ring full
 * (nothing sent; retry later), -EMSGSIZE: can never fit, -ENODEV: rescinded. */
VMBUS_C_API int vmbus_channel_send_inband(vmbus_channel* channel, const void* data, size_t len, uint64_t trans_id,
                                          uint32_t flags);
/* Publishes the staged packets, at most one signal. */
VMBUS_C_API int vmbus_channel_flush(vmbus_channel* channel);

typedef struct vmbus_packet_info {
  uint32_t struct_size;
  uint16_t type;   /* VMBus packet type: 6 inband, 7 transfer pages, 9 GPA direct, 11 completion */
  uint16_t flags;  /* 1: completion requested */
  uint64_t trans_id;
  uint32_t header_length;  /* typed header bytes before the payload (0 for inband) */
} vmbus_packet_info;

/* Copies the next packet's payload to the start of `buffer` and returns its
 * length. The packet is first copied whole (16-byte descriptor, typed
 * header, payload), so `buffer` needs room for all of it; the typed header
 * is dropped (its size is in header_length). -EAGAIN: nothing yet;
 * -ENOBUFS: `buffer` too small (the message says how big; the packet stays);
 * -ENODEV: drained and rescinded; -EBADMSG: corruption. `info` may be NULL. */
VMBUS_C_API int vmbus_channel_receive(vmbus_channel* channel, void* buffer, size_t capacity,
                                      vmbus_packet_info* info);
/* Commits the reads once after a receive batch (signals a waiting host). */
VMBUS_C_API int vmbus_channel_finish_receive(vmbus_channel* channel);
/* Before sleeping in vmbus_device_wait: 1 if data raced in (poll again),
 * 0 if interrupts are armed. */
VMBUS_C_API int vmbus_channel_arm_interrupts(vmbus_channel* channel);
/* Back to poll mode after a wake-up. */
VMBUS_C_API int vmbus_channel_set_poll_mode(vmbus_channel* channel);
VMBUS_C_API int vmbus_channel_relid(const vmbus_channel* channel);

typedef struct vmbus_channel_counters {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t packets_sent;
  uint64_t bytes_sent;
  uint64_t ring_full_events;
  uint64_t signals_sent;
  uint64_t packets_received;
  uint64_t bytes_received;
  uint64_t corrupt_packets;
  uint64_t interrupts_seen;
} vmbus_channel_counters;
VMBUS_C_API int vmbus_channel_counters_get(const vmbus_channel* channel, vmbus_channel_counters* counters);

/* ---- netvsc port ------------------------------------------------------- */

typedef struct vmbus_netvsc_options {
  uint32_t struct_size;
  uint32_t flags;                  /* VMBUS_OPEN_NO_CLAIM / _KEEP_CLAIM */
  uint32_t queues;                 /* 0: 1 */
  uint32_t mtu;                    /* 0: 1500 */
  uint32_t packet_filter;          /* 0: directed | multicast | broadcast (NDIS_PACKET_TYPE_*) */
  uint32_t control_timeout_ms;     /* 0: 60000 */
  uint32_t subchannel_timeout_ms;  /* 0: 10000 */
} vmbus_netvsc_options;

/* Claims (if needed) and opens the NIC `selector` names (NULL: "network",
 * the only NIC), then negotiates NVSP/RNDIS. -ENODEV: no such NIC; -EIO: a
 * step failed (the message names it). */
VMBUS_C_API int vmbus_netvsc_port_open(vmbus_bus* bus, const char* selector, const vmbus_netvsc_options* options,
                                       vmbus_netvsc_port** out);
/* RNDIS HALT, buffers revoked, device closed, claim released. NULL is fine. */
VMBUS_C_API void vmbus_netvsc_port_close(vmbus_netvsc_port* port);

#define VMBUS_NETVSC_RX_VLAN 0x1u      /* vlan_tci is valid */
#define VMBUS_NETVSC_RX_RSS_HASH 0x2u  /* rss_hash is valid */

/* One received frame: the caller sets data/capacity (mtu + 18 bytes or
 * more); rx_burst sets the rest. Fixed layout for ABI major 1. */
typedef struct vmbus_netvsc_rx_frame {
  void* data;
  uint32_t capacity;
  uint32_t length;
  uint32_t flags;  /* VMBUS_NETVSC_RX_* */
  uint32_t rss_hash;
  uint16_t vlan_tci;
  uint16_t reserved[3];
} vmbus_netvsc_rx_frame;

/* One frame to send (copied into the host's send buffer before tx_burst
 * returns). Fixed layout for ABI major 1. */
typedef struct vmbus_netvsc_tx_frame {
  const void* data;
  uint32_t length;
  uint32_t reserved;
} vmbus_netvsc_tx_frame;

/* Up to n frames from `queue` into `frames`; returns how many (>= 0). */
VMBUS_C_API int vmbus_netvsc_rx_burst(vmbus_netvsc_port* port, uint16_t queue, vmbus_netvsc_rx_frame* frames,
                                      uint16_t n);
/* Sends up to n frames on `queue`; returns how many were taken (>= 0;
 * fewer when the ring or send buffer is full: retry the rest). */
VMBUS_C_API int vmbus_netvsc_tx_burst(vmbus_netvsc_port* port, uint16_t queue, const vmbus_netvsc_tx_frame* frames,
                                      uint16_t n);
VMBUS_C_API int vmbus_netvsc_port_mac(const vmbus_netvsc_port* port, uint8_t mac[6]);
VMBUS_C_API int vmbus_netvsc_port_queue_count(const vmbus_netvsc_port* port);
VMBUS_C_API int vmbus_netvsc_port_mtu(const vmbus_netvsc_port* port);
/* 1 once the host rescinded the NIC (bursts then return 0), else 0. */
VMBUS_C_API int vmbus_netvsc_port_rescinded(const vmbus_netvsc_port* port);

typedef struct vmbus_netvsc_link {
  uint32_t struct_size;
  uint32_t up;
  uint64_t speed_bps;
} vmbus_netvsc_link;
VMBUS_C_API int vmbus_netvsc_port_link(const vmbus_netvsc_port* port, vmbus_netvsc_link* link);

/* The port's counters, summed over its queues. */
typedef struct vmbus_netvsc_stats {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t rx_packets;
  uint64_t rx_bytes;
  uint64_t rx_errors;
  uint64_t rx_dropped_too_small;
  uint64_t tx_packets;
  uint64_t tx_bytes;
  uint64_t tx_errors;
  uint64_t tx_ring_full;
  uint64_t tx_no_resources;
  uint64_t tx_completions;
  uint64_t link_events;
  uint64_t malformed;
} vmbus_netvsc_stats;
VMBUS_C_API int vmbus_netvsc_port_stats(const vmbus_netvsc_port* port, vmbus_netvsc_stats* stats);

/* ---- KVP service ------------------------------------------------------- */

/* The pools, as hv_kvp_daemon numbers them (KVP_POOL_*). */
#define VMBUS_KVP_POOL_EXTERNAL 0      /* written by the host */
#define VMBUS_KVP_POOL_GUEST 1         /* written by the guest (set/remove) */
#define VMBUS_KVP_POOL_AUTO 2
#define VMBUS_KVP_POOL_AUTO_EXTERNAL 3
#define VMBUS_KVP_POOL_AUTO_INTERNAL 4
/* Limits with the NUL (HV_KVP_EXCHANGE_MAX_KEY_SIZE / _VALUE_SIZE). */
#define VMBUS_KVP_MAX_KEY_SIZE 512
#define VMBUS_KVP_MAX_VALUE_SIZE 2048

typedef struct vmbus_kvp_options {
  uint32_t struct_size;
  uint32_t flags;               /* VMBUS_OPEN_NO_CLAIM / _KEEP_CLAIM */
  const char* pool_directory;   /* NULL: /var/lib/hyperv (hv_kvp_daemon's) */
  uint32_t poll_mode;           /* nonzero: spin instead of sleeping on interrupts */
  uint32_t reserved;
} vmbus_kvp_options;

/* Claims (if needed) and opens the KVP device `selector` names (NULL:
 * "kvp"), creating missing pool files. */
VMBUS_C_API int vmbus_kvp_service_open(vmbus_bus* bus, const char* selector, const vmbus_kvp_options* options,
                                       vmbus_kvp_service** out);
/* Stop and join run() first. NULL is fine. */
VMBUS_C_API void vmbus_kvp_service_close(vmbus_kvp_service* service);
/* Answers what the host sent within timeout_ms; returns the packets answered. */
VMBUS_C_API int vmbus_kvp_service_poll(vmbus_kvp_service* service, uint32_t timeout_ms);
/* Serves until vmbus_kvp_service_stop (0) or an error (-ENODEV: rescinded). */
VMBUS_C_API int vmbus_kvp_service_run(vmbus_kvp_service* service);
VMBUS_C_API int vmbus_kvp_service_stop(vmbus_kvp_service* service);

/* The guest pool: what the appliance publishes to the host. */
VMBUS_C_API int vmbus_kvp_set(vmbus_kvp_service* service, const char* key, const char* value);
/* 0 if removed, -ENOENT if there was no such key. */
VMBUS_C_API int vmbus_kvp_remove(vmbus_kvp_service* service, const char* key);
/* Any pool (VMBUS_KVP_POOL_*): copies the value and its NUL into `value`
 * and returns its length. -ENOENT: no such key; -ERANGE: capacity too small. */
VMBUS_C_API int vmbus_kvp_get(const vmbus_kvp_service* service, int pool, const char* key, char* value,
                              size_t capacity);
/* Called once per record in file order; a nonzero return stops the listing. */
typedef int (*vmbus_kvp_entry_fn)(void* context, const char* key, const char* value);
/* Lists `pool`; returns the records visited. */
VMBUS_C_API int vmbus_kvp_list(const vmbus_kvp_service* service, int pool, vmbus_kvp_entry_fn fn, void* context);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* VMBUS_C_VMBUS_H */
