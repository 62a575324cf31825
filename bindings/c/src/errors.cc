// The C ABI's errors: the thread's last message, and how the C++ SDK's
// errors and exceptions become negative errno values (vmbus_c/vmbus.h).
#include <cerrno>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "c_api.h"

namespace {

// Thread-local, as errno is: one thread's failure never overwrites another's.
thread_local std::string t_last_error;

int errno_of(const vmbus::Error& error) noexcept {
  switch (error.code) {
    case vmbus::Errc::empty:
    case vmbus::Errc::full: return -EAGAIN;
    case vmbus::Errc::buffer_too_small: return -ENOBUFS;
    case vmbus::Errc::corrupt_index:
    case vmbus::Errc::corrupt_length:
    case vmbus::Errc::unknown_packet_type:
    case vmbus::Errc::unknown_packet_flags:
    case vmbus::Errc::malformed_packet: return -EBADMSG;
    case vmbus::Errc::invalid_argument:
    case vmbus::Errc::too_many_pages: return -EINVAL;
    case vmbus::Errc::packet_too_large: return -EMSGSIZE;
    case vmbus::Errc::rescinded: return -ENODEV;
    case vmbus::Errc::io_error:
      // detail is the errno of the system call that failed.
      return error.detail > 0 && error.detail < 4096 ? -static_cast<int>(error.detail) : -EIO;
  }
  return -EIO;
}

}  // namespace

namespace vmbus_c {

int fail(int code, const std::string& message) noexcept {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();  // no memory for the text: the code still says what happened
  }
  return code;
}

int from_error(const vmbus::Error& error, const char* what) noexcept {
  const int code = errno_of(error);
  try {
    return fail(code, std::string(what) + ": " + error.message());
  } catch (...) {
    return fail(code, what);
  }
}

int from_pool_error(const kvp::pool::PoolError& error, const char* what) noexcept {
  int code = -EIO;
  switch (error.code) {
    case kvp::pool::PoolErrc::pool_out_of_range:
    case kvp::pool::PoolErrc::key_contains_nul:
    case kvp::pool::PoolErrc::value_contains_nul: code = -EINVAL; break;
    case kvp::pool::PoolErrc::key_too_long:
    case kvp::pool::PoolErrc::value_too_long: code = -E2BIG; break;
    case kvp::pool::PoolErrc::corrupt_record: code = -EBADMSG; break;
    case kvp::pool::PoolErrc::io_error: code = error.sys_errno > 0 ? -error.sys_errno : -EIO; break;
  }
  try {
    return fail(code, std::string(what) + ": " + error.message());
  } catch (...) {
    return fail(code, what);
  }
}

int from_current_exception(const char* what) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return fail(-ENOMEM, std::string(what) + ": out of memory");
  } catch (const netvsc::PortError& e) {
    return fail(-EIO, std::string(what) + ": " + e.what());
  } catch (const vmbus::DeviceError& e) {
    return fail(-EIO, std::string(what) + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    return fail(-EINVAL, std::string(what) + ": " + e.what());
  } catch (const std::out_of_range& e) {
    return fail(-EINVAL, std::string(what) + ": " + e.what());
  } catch (const std::exception& e) {
    return fail(-EIO, std::string(what) + ": " + e.what());
  } catch (...) {
    return fail(-EIO, std::string(what) + ": an unknown C++ exception");
  }
}

}  // namespace vmbus_c

extern "C" const char* vmbus_last_error(void) { return t_last_error.c_str(); }
