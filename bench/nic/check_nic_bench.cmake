# The nic_bench smoke tests, as a CMake script:
#   cmake -DNIC_BENCH=<nic_bench> -DJSON_FILE=<out.json> -P check_nic_bench.cmake
#       runs `nic_bench --quick --json JSON_FILE` and checks that it exits 0, that the
#       JSON has the 12 rows (tx, rx, loopback x 64, 1500 bytes x 1, 2 queues) and the
#       references, each with Mpps above zero (speed is never checked), and that no
#       hvsim root is left in /dev/shm;
#   cmake -DNIC_BENCH=<nic_bench> -DMODE=bad_input -P check_nic_bench.cmake
#       checks that a wrong --hvsim and a bad --sizes fail with a message naming them.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED NIC_BENCH)
  message(FATAL_ERROR "usage: cmake -DNIC_BENCH=<path> [-DJSON_FILE=<path> | -DMODE=bad_input] -P ${CMAKE_SCRIPT_MODE_FILE}")
endif()

if(MODE STREQUAL "bad_input")
  execute_process(COMMAND ${NIC_BENCH} --quick --modes tx --sizes 64 --queues 1 --hvsim /nonexistent/hvsim
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
  if(NOT rc EQUAL 1 OR NOT err MATCHES "hvsim binary /nonexistent/hvsim: No such file")
    message(FATAL_ERROR "expected exit status 1 and an error naming /nonexistent/hvsim; got ${rc}:\n${out}\n${err}")
  endif()
  execute_process(COMMAND ${NIC_BENCH} --sizes 64,20000
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "--sizes: '20000' is not a whole number in 60..1514")
    message(FATAL_ERROR "expected exit status 2 and an error naming --sizes 20000; got ${rc}:\n${out}\n${err}")
  endif()
  message(STATUS "bad input fails as it should")
  return()
endif()

file(REMOVE "${JSON_FILE}")
file(GLOB before LIST_DIRECTORIES true /dev/shm/vmbus-nic-bench-*)
execute_process(COMMAND ${NIC_BENCH} --quick --json ${JSON_FILE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 110)
message("${out}")
file(GLOB after LIST_DIRECTORIES true /dev/shm/vmbus-nic-bench-*)
if(after AND NOT after STREQUAL before)
  message(FATAL_ERROR "nic_bench left hvsim roots behind: ${after}")
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nic_bench --quick failed (${rc}):\n${err}")
endif()
file(READ "${JSON_FILE}" json)
string(JSON rows LENGTH "${json}" rows)
if(NOT rows EQUAL 12)
  message(FATAL_ERROR "expected 12 rows in ${JSON_FILE}, found ${rows}")
endif()
math(EXPR last "${rows} - 1")
foreach(i RANGE ${last})
  string(JSON mode GET "${json}" rows ${i} mode)
  string(JSON size GET "${json}" rows ${i} frame_size)
  string(JSON mpps GET "${json}" rows ${i} mpps median)
  string(JSON ratio GET "${json}" rows ${i} ratio_vs_unix_seqpacket)
  if(NOT mpps GREATER 0 OR NOT ratio GREATER 0)
    message(FATAL_ERROR "row ${i} (${mode}, ${size} B): Mpps ${mpps}, ratio ${ratio}: expected both above zero")
  endif()
endforeach()
string(JSON refs LENGTH "${json}" reference)
if(NOT refs EQUAL 2)
  message(FATAL_ERROR "expected 2 reference rows, found ${refs}")
endif()
message(STATUS "nic_bench --quick: ${rows} rows, every figure above zero")
