/* vmbus_c_echo: the C ABI (libvmbus_c.so, vmbus_c/vmbus.h) in one C11 file.
 * Lists the VMBus devices under a sysfs root, claims and opens the echo
 * device and sends it a few packets, then opens the netvsc NIC as a port and
 * sends frames that hvsim's loopback backend returns. Exits non-zero on any
 * failure, printing vmbus_last_error().
 *
 *   vmbus_c_echo --root /dev/shm/vm1/sys   # against hvsim (examples/c_echo/run does it all)
 *   vmbus_c_echo                           # $VMBUS_SYSFS_ROOT, or /sys
 *
 * Against an installed libvmbus_c (docs/install.md; ctest -R install does it):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L main.c $(pkg-config --cflags --libs vmbus-c) -o vmbus_c_echo
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmbus_c/vmbus.h"

#define PACKETS 8
#define FRAMES 8

static int failed(const char* what, int rc) {
  fprintf(stderr, "vmbus_c_echo: %s: %s (%s)\n", what, vmbus_last_error(), strerror(-rc));
  return 1;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int list_devices(vmbus_bus* bus) {
  int n = vmbus_bus_scan(bus);
  if (n < 0) return failed("scan", n);
  printf("VMBus devices under %s:\n", vmbus_bus_root(bus));
  for (int i = 0; i < n; ++i) {
    vmbus_device_info d = VMBUS_C_INIT(vmbus_device_info);
    int rc = vmbus_bus_device_info(bus, (uint32_t)i, &d);
    if (rc < 0) return failed("device info", rc);
    printf("  %s %-10s relid %u %s\n", d.instance, d.class_name, d.relid, d.driver[0] ? d.driver : "-");
  }
  return 0;
}

/* Sends PACKETS inband packets to the echo device and checks each echo. */
static int echo(vmbus_bus* bus) {
  vmbus_device* dev = NULL;
  int rc = vmbus_device_open(bus, "echo", NULL, &dev);
  if (rc < 0) return failed("open the echo device", rc);
  printf("opened echo device %s (%s)\n", vmbus_device_instance(dev), vmbus_device_describe(dev));
  vmbus_channel* ch = NULL;
  rc = vmbus_device_channel(dev, 0, &ch);
  if (rc < 0) {
    vmbus_device_close(dev);
    return failed("channel 0", rc);
  }
  int status = 0;
  unsigned char payload[64], reply[4096];
  for (uint64_t id = 1; id <= PACKETS && status == 0; ++id) {
    memset(payload, (int)id, sizeof payload);
    rc = vmbus_channel_send_inband(ch, payload, sizeof payload, id, 0);
    if (rc < 0) {
      status = failed("send", rc);
      break;
    }
    vmbus_packet_info info = VMBUS_C_INIT(vmbus_packet_info);
    const double deadline = seconds_now() + 5.0;
    do {
      rc = vmbus_channel_receive(ch, reply, sizeof reply, &info);
    } while (rc == -EAGAIN && seconds_now() < deadline);
    if (rc < 0) {
      status = rc == -EAGAIN ? (fprintf(stderr, "vmbus_c_echo: no echo within 5 s\n"), 1) : failed("receive", rc);
    } else if (rc != (int)sizeof payload || info.trans_id != id || memcmp(reply, payload, sizeof payload) != 0) {
      fprintf(stderr, "vmbus_c_echo: echo %llu came back different (%d bytes, id %llu)\n", (unsigned long long)id,
              rc, (unsigned long long)info.trans_id);
      status = 1;
    } else if ((rc = vmbus_channel_finish_receive(ch)) < 0) {
      status = failed("finish_receive", rc);
    }
  }
  if (status == 0) {
    vmbus_channel_counters c = VMBUS_C_INIT(vmbus_channel_counters);
    if ((rc = vmbus_channel_counters_get(ch, &c)) < 0) return failed("counters", rc);
    printf("echo: %d packets echoed; channel counters: %llu sent, %llu received\n", PACKETS,
           (unsigned long long)c.packets_sent, (unsigned long long)c.packets_received);
  }
  vmbus_device_close(dev); /* releases the claim */
  return status;
}

/* Sends FRAMES frames through the NIC; hvsim's loopback returns them. */
static int netvsc(vmbus_bus* bus) {
  vmbus_netvsc_options options = VMBUS_C_INIT(vmbus_netvsc_options);
  options.queues = 1;
  vmbus_netvsc_port* port = NULL;
  int rc = vmbus_netvsc_port_open(bus, NULL, &options, &port);
  if (rc < 0) return failed("open the netvsc port", rc);
  uint8_t mac[6];
  vmbus_netvsc_link link = VMBUS_C_INIT(vmbus_netvsc_link);
  if ((rc = vmbus_netvsc_port_mac(port, mac)) < 0 || (rc = vmbus_netvsc_port_link(port, &link)) < 0) {
    vmbus_netvsc_port_close(port);
    return failed("port info", rc);
  }
  printf("netvsc port: mac %02x:%02x:%02x:%02x:%02x:%02x, %d queue(s), mtu %d, link %s\n", mac[0], mac[1], mac[2],
         mac[3], mac[4], mac[5], vmbus_netvsc_port_queue_count(port), vmbus_netvsc_port_mtu(port),
         link.up ? "up" : "down");

  static unsigned char frames[FRAMES][128];
  vmbus_netvsc_tx_frame tx[FRAMES];
  for (int i = 0; i < FRAMES; ++i) {
    memset(frames[i], 0x30 + i, sizeof frames[i]);
    memcpy(frames[i], mac, 6);
    memcpy(frames[i] + 6, mac, 6);
    frames[i][12] = 0x88; /* local experimental ethertype 0x88b5 */
    frames[i][13] = 0xb5;
    tx[i].data = frames[i];
    tx[i].length = sizeof frames[i];
    tx[i].reserved = 0;
  }
  int status = 0;
  rc = vmbus_netvsc_tx_burst(port, 0, tx, FRAMES);
  if (rc != FRAMES) {
    status = rc < 0 ? failed("tx_burst", rc) : (fprintf(stderr, "vmbus_c_echo: tx_burst took %d of %d\n", rc, FRAMES), 1);
  }
  static unsigned char buffers[FRAMES][2048];
  int received = 0;
  const double deadline = seconds_now() + 10.0;
  while (status == 0 && received < FRAMES && seconds_now() < deadline) {
    vmbus_netvsc_rx_frame rx[FRAMES];
    memset(rx, 0, sizeof rx);
    for (int i = 0; i < FRAMES; ++i) {
      rx[i].data = buffers[i];
      rx[i].capacity = sizeof buffers[i];
    }
    rc = vmbus_netvsc_rx_burst(port, 0, rx, (uint16_t)(FRAMES - received));
    if (rc < 0) {
      status = failed("rx_burst", rc);
      break;
    }
    for (int i = 0; i < rc; ++i) {
      if (rx[i].length != sizeof frames[received] || memcmp(buffers[i], frames[received], rx[i].length) != 0) {
        fprintf(stderr, "vmbus_c_echo: frame %d came back different (%u bytes)\n", received, rx[i].length);
        status = 1;
      }
      ++received;
    }
  }
  if (status == 0 && received != FRAMES) {
    fprintf(stderr, "vmbus_c_echo: %d of %d frames came back within 10 s\n", received, FRAMES);
    status = 1;
  }
  if (status == 0) {
    vmbus_netvsc_stats stats = VMBUS_C_INIT(vmbus_netvsc_stats);
    if ((rc = vmbus_netvsc_port_stats(port, &stats)) < 0) {
      status = failed("stats", rc);
    } else {
      printf("netvsc: %d frames looped back; port stats: %llu tx, %llu rx, %llu malformed\n", FRAMES,
             (unsigned long long)stats.tx_packets, (unsigned long long)stats.rx_packets,
             (unsigned long long)stats.malformed);
    }
  }
  vmbus_netvsc_port_close(port);
  return status;
}

int main(int argc, char** argv) {
  const char* root = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
      root = argv[++i];
    } else {
      fprintf(stderr,
              "usage: vmbus_c_echo [--root SYSFS_ROOT]\n"
              "  lists VMBus devices, echoes packets through the echo device and frames through the NIC\n");
      return 2;
    }
  }
  if (vmbus_c_abi_version() >> 16 != VMBUS_C_ABI_VERSION_MAJOR) {
    fprintf(stderr, "vmbus_c_echo: built for C ABI %d, the library is %s\n", VMBUS_C_ABI_VERSION_MAJOR,
            vmbus_c_version_string());
    return 1;
  }
  printf("%s\n", vmbus_c_version_string());
  vmbus_bus* bus = NULL;
  int rc = vmbus_bus_open(root, &bus);
  if (rc < 0) return failed("open the bus", rc);
  int status = list_devices(bus);
  if (status == 0) status = echo(bus);
  if (status == 0) status = netvsc(bus);
  vmbus_bus_close(bus);
  if (status == 0) printf("vmbus_c_echo: done\n");
  return status;
}
