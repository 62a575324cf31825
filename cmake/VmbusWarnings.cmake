# Warnings every target of the project compiles with: vmbus_warnings(<target>).
#
# -Wnull-dereference is a middle-end warning: it sees the code after
# inlining, so what it reports depends on the optimizer. Under a sanitizer
# gcc's instrumentation adds paths it cannot prove non-null (unity batches of
# nlohmann::json code under TSan), so it is held to the unsanitized builds
# only: the default preset still checks every line with it.
function(vmbus_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wpedantic -Wconversion -Wsign-conversion
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(NOT VMBUS_SANITIZE)
    target_compile_options(${target} PRIVATE -Wnull-dereference)
  endif()
  if(VMBUS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
