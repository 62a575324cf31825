# Warnings every target of the project compiles with: vmbus_warnings(<target>).
function(vmbus_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wpedantic -Wconversion -Wsign-conversion
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(VMBUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
