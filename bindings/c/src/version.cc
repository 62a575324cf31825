// vmbus_c_abi_version and vmbus_c_version_string: what the loaded library
// is, for programs that check it against the header they were built with.
#include "c_api.h"

#ifndef VMBUS_C_PROJECT_VERSION
#define VMBUS_C_PROJECT_VERSION "unknown"
#endif

#define VMBUS_C_STR2(x) #x
#define VMBUS_C_STR(x) VMBUS_C_STR2(x)

extern "C" uint32_t vmbus_c_abi_version(void) { return VMBUS_C_ABI_VERSION; }

extern "C" const char* vmbus_c_version_string(void) {
  return "vmbus-sdk " VMBUS_C_PROJECT_VERSION " (C ABI " VMBUS_C_STR(VMBUS_C_ABI_VERSION_MAJOR) "." VMBUS_C_STR(
      VMBUS_C_ABI_VERSION_MINOR) ")";
}
