# Applies VMBUS_SANITIZE ("address;undefined" or "thread") to everything built after it.
if(VMBUS_SANITIZE)
  list(JOIN VMBUS_SANITIZE "," _vmbus_san)
  add_compile_options(-fsanitize=${_vmbus_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_vmbus_san})
endif()

# A C program linking libvmbus_c.so (C++ inside): under sanitizers it is
# linked by the C++ driver, which brings the sanitizers' C++ runtime parts
# (clang's UBSan vptr checks) and libstdc++ that a C link leaves out. It is
# still compiled as C; unsanitized, it is linked as C (install.consumer).
function(vmbus_c_program_with_cxx_library target)
  if(VMBUS_SANITIZE)
    set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  endif()
endfunction()
