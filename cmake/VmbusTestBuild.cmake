# Build settings for the test executables: vmbus_test_build(<target>).
#
# Test TUs are small, but each one instantiates GoogleTest's assertion
# templates and nlohmann::json's parser and serializer (through the hvsim
# harnesses) again: that code generation, not parsing, was most of
# scripts/test's time (four presets on two cores; measured with
# -ftime-report: "phase opt and generate" 63% of a test TU). A unity build
# of a few test files at a time generates that code once per batch.
# Test files keep their helpers in their own namespaces so batches compile.
function(vmbus_test_build target)
  if(NOT VMBUS_UNITY)
    return()
  endif()
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
endfunction()
