# Makes the generated grpc.health.v1 stubs in DIR a subpackage of vmbus:
# grpc_python_plugin writes `import health_pb2 as health__pb2`, which needs
# DIR on sys.path; made relative, it needs nothing. Fails if the plugin's
# output changed (so the stubs are never silently left broken).
#   cmake -DDIR=<build>/python/vmbus/_health -P fix_health_import.cmake
set(_file ${DIR}/health_pb2_grpc.py)
file(READ ${_file} _text)
string(FIND "${_text}" "\nimport health_pb2 as health__pb2\n" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "${_file}: no 'import health_pb2 as health__pb2' line to make relative")
endif()
string(REPLACE "\nimport health_pb2 as health__pb2\n" "\nfrom . import health_pb2 as health__pb2\n" _text "${_text}")
file(WRITE ${_file} "${_text}")
file(WRITE ${DIR}/__init__.py "\"\"\"grpc.health.v1 stubs, generated from Debian's grpc-proto (health.proto).\"\"\"\n")
