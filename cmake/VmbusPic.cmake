# vmbus_make_pic(target): builds a static library of the project, and every
# static library of the project it links, position independent, so that it
# can be linked into a shared object (libvmbus_c.so, the Python extension).
#
# Why: the static C++ libraries linked into a shared one must be -fPIC, not
# the compiler's default -fPIE: their code reaches libc's and libstdc++'s
# data through the GOT only when built that way. This changes how those
# libraries build for every program that links them;
# -fno-semantic-interposition keeps the code generation -fPIE had (calls
# within the library may be inlined: nothing interposes them, the shared
# objects make them local (version script, --exclude-libs) and executables
# never export them). Imported targets and non-static ones are left alone;
# each target is visited once however many callers ask.
function(vmbus_make_pic target)
  get_target_property(_aliased ${target} ALIASED_TARGET)
  if(_aliased)
    set(target ${_aliased})
  endif()
  get_target_property(_type ${target} TYPE)
  get_target_property(_imported ${target} IMPORTED)
  if(_imported OR NOT _type STREQUAL "STATIC_LIBRARY" AND NOT _type STREQUAL "OBJECT_LIBRARY")
    return()
  endif()
  get_target_property(_done ${target} _VMBUS_PIC_VISITED)
  if(_done)
    return()
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON _VMBUS_PIC_VISITED ON)
  target_compile_options(${target} PRIVATE -fno-semantic-interposition)
  get_target_property(_deps ${target} LINK_LIBRARIES)
  if(_deps)
    foreach(_dep IN LISTS _deps)
      if(TARGET ${_dep})
        vmbus_make_pic(${_dep})
      endif()
    endforeach()
  endif()
endfunction()
