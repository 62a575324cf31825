// File: bindings/python/src/errors.cc
//
// vmbus.Error and vmbus.Rescinded, raised from C++ (errors.h), and the
// translators that turn the C++ SDK's start-up exceptions (DeviceError,
// PortError, bad_alloc...) into them, so no C++ exception reaches Python
// untranslated. The exception classes are defined in Python
// (vmbus/_errors.py, with their docstrings) and looked up once here.
#include "errors.h"

#include <cerrno>
#include <new>
#include <stdexcept>
#include <system_error>

#include "netvsc/port.h"
#include "vmbus/backing/device_backing.h"

namespace vmbus_py {
namespace {

// The classes, looked up at import and kept for the interpreter's life (a
// strong reference that is never dropped: module state that is torn down
// after the interpreter would crash at exit).
PyObject* g_error = nullptr;
PyObject* g_rescinded = nullptr;

[[noreturn]] void raise_os_error(PyObject* type, int errno_value, const std::string& message) {
  // OSError(errno, strerror): sets .errno and .strerror, and str(e) shows both.
  py::tuple args = py::make_tuple(errno_value, message);
  PyErr_SetObject(type, args.ptr());
  throw py::error_already_set();
}

// The C ABI's table (vmbus_c/vmbus.h).
int errno_of(const vmbus::Error& error) noexcept {
  switch (error.code) {
    case vmbus::Errc::empty:
    case vmbus::Errc::full: return EAGAIN;
    case vmbus::Errc::buffer_too_small: return ENOBUFS;
    case vmbus::Errc::corrupt_index:
    case vmbus::Errc::corrupt_length:
    case vmbus::Errc::unknown_packet_type:
    case vmbus::Errc::unknown_packet_flags:
    case vmbus::Errc::malformed_packet: return EBADMSG;
    case vmbus::Errc::invalid_argument:
    case vmbus::Errc::too_many_pages: return EINVAL;
    case vmbus::Errc::packet_too_large: return EMSGSIZE;
    case vmbus::Errc::rescinded: return ENODEV;
    case vmbus::Errc::io_error:
      return error.detail > 0 && error.detail < 4096 ? static_cast<int>(error.detail) : EIO;
  }
  return EIO;
}

}  // namespace

void raise_error(int errno_value, const std::string& message) { raise_os_error(g_error, errno_value, message); }

void raise_rescinded(const std::string& message) { raise_os_error(g_rescinded, ENODEV, message); }

void raise_timeout(const std::string& message) { raise_os_error(PyExc_TimeoutError, ETIMEDOUT, message); }

void raise_type_error(const std::string& message) {
  PyErr_SetString(PyExc_TypeError, message.c_str());
  throw py::error_already_set();
}

void raise_sdk_error(const vmbus::Error& error, const std::string& what) {
  const std::string message = what + ": " + error.message();
  if (error.code == vmbus::Errc::rescinded) raise_rescinded(message);
  raise_error(errno_of(error), message);
}

void raise_pool_error(const kvp::pool::PoolError& error, const std::string& what) {
  int code = EIO;
  switch (error.code) {
    case kvp::pool::PoolErrc::pool_out_of_range:
    case kvp::pool::PoolErrc::key_contains_nul:
    case kvp::pool::PoolErrc::value_contains_nul: code = EINVAL; break;
    case kvp::pool::PoolErrc::key_too_long:
    case kvp::pool::PoolErrc::value_too_long: code = E2BIG; break;
    case kvp::pool::PoolErrc::corrupt_record: code = EBADMSG; break;
    case kvp::pool::PoolErrc::io_error: code = error.sys_errno > 0 ? error.sys_errno : EIO; break;
  }
  raise_error(code, what + ": " + error.message());
}

void raise_closed(const char* what, const char* thing) {
  raise_error(EBADF, std::string(what) + ": the " + thing + " is closed");
}

void register_errors(py::module_& m) {
  py::module_ errors = py::module_::import("vmbus._errors");
  g_error = py::object(errors.attr("Error")).release().ptr();
  g_rescinded = py::object(errors.attr("Rescinded")).release().ptr();
  m.attr("Error") = py::handle(g_error);
  m.attr("Rescinded") = py::handle(g_rescinded);

  // Start-up exceptions of the C++ API, when a binding lets one through
  // (bad_alloc, invalid_argument and out_of_range keep pybind11's own
  // MemoryError, ValueError and IndexError).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const netvsc::PortError& e) {
      PyErr_SetObject(g_error, py::make_tuple(EIO, std::string(e.what())).ptr());
    } catch (const vmbus::DeviceError& e) {
      PyErr_SetObject(g_error, py::make_tuple(EIO, std::string(e.what())).ptr());
    } catch (const std::system_error& e) {  // std::filesystem too: the errno it carries
      const int code = e.code().category() == std::generic_category() || e.code().category() == std::system_category()
                           ? e.code().value()
                           : EIO;
      PyErr_SetObject(g_error, py::make_tuple(code, std::string(e.what())).ptr());
    }
  });
}

}  // namespace vmbus_py
