# Applies VMBUS_SANITIZE ("address;undefined" or "thread") to everything built after it.
if(VMBUS_SANITIZE)
  list(JOIN VMBUS_SANITIZE "," _vmbus_san)
  add_compile_options(-fsanitize=${_vmbus_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_vmbus_san})
endif()
