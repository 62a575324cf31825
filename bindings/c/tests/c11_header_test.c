/* c_api.c11_header: vmbus_c/vmbus.h from C11 (-std=c11 -pedantic -Werror),
 * linked against libvmbus_c.so: the version, VMBUS_C_INIT, the struct_size
 * rule and the last-error text, without any device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmbus_c/vmbus.h"

static int failures = 0;

static void check(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "c11_header_test: FAILED: %s (last error: %s)\n", what, vmbus_last_error());
    ++failures;
  }
}

int main(void) {
  check(vmbus_c_abi_version() >> 16 == VMBUS_C_ABI_VERSION_MAJOR, "runtime ABI major matches the header");
  check(vmbus_c_abi_version() >= (uint32_t)VMBUS_C_ABI_VERSION, "runtime ABI >= the header's");
  check(strstr(vmbus_c_version_string(), "C ABI 1.") != NULL, "version string names the C ABI");

  vmbus_netvsc_options options = VMBUS_C_INIT(vmbus_netvsc_options);
  check(options.struct_size == sizeof(vmbus_netvsc_options), "VMBUS_C_INIT sets struct_size");
  check(options.queues == 0 && options.mtu == 0, "VMBUS_C_INIT zeroes the rest");

  check(vmbus_bus_open(NULL, NULL) == -EINVAL, "NULL out is -EINVAL");
  check(strstr(vmbus_last_error(), "vmbus_bus_open") != NULL, "the message names the function");

  vmbus_bus* bus = NULL;
  check(vmbus_bus_open("/nonexistent-vmbus-c-root/sys", &bus) == 0 && bus != NULL, "bus_open reads nothing yet");
  check(strcmp(vmbus_bus_root(bus), "/nonexistent-vmbus-c-root/sys") == 0, "bus_root");
  check(vmbus_bus_scan(bus) < 0, "scanning a missing root fails");
  check(strstr(vmbus_last_error(), "/nonexistent-vmbus-c-root") != NULL, "the message names the root");

  vmbus_device* device = NULL;
  vmbus_device_options too_small = VMBUS_C_INIT(vmbus_device_options);
  too_small.struct_size = 2;
  check(vmbus_device_open(bus, "echo", &too_small, &device) == -EINVAL && device == NULL,
        "struct_size below version 1 is -EINVAL");
  check(vmbus_device_open(bus, "echo", NULL, &device) == -ENODEV, "no device under a missing root is -ENODEV");

  vmbus_device_info info = VMBUS_C_INIT(vmbus_device_info);
  check(vmbus_bus_device_info(bus, 0, &info) == -EINVAL, "device_info past the scan is -EINVAL");
  vmbus_bus_close(bus);
  vmbus_device_close(NULL);
  vmbus_netvsc_port_close(NULL);
  vmbus_kvp_service_close(NULL);

  if (failures != 0) return 1;
  printf("c11_header_test: the header compiles as C11 and the library answers\n");
  return 0;
}
