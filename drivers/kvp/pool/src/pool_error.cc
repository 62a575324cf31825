// Text for pool errors and file problems, for logs and tools.
#include "kvp/pool/pool_error.h"

#include <cstring>

#include "kvp/pool/record.h"

namespace kvp::pool {

std::string PoolError::message() const {
  const std::string where = path.empty() ? std::string() : path + ": ";
  switch (code) {
    case PoolErrc::pool_out_of_range:
      return "pool " + std::to_string(static_cast<std::int64_t>(detail)) + " out of range (0.." +
             std::to_string(kPoolCount - 1) + ")";
    case PoolErrc::key_too_long:
      return "key too long: " + std::to_string(detail) + " bytes with its NUL, a pool record holds " +
             std::to_string(kKeyBytes);
    case PoolErrc::value_too_long:
      return "value too long: " + std::to_string(detail) + " bytes with its NUL, a pool record holds " +
             std::to_string(kValueBytes);
    case PoolErrc::key_contains_nul:
      return "key contains a NUL at byte " + std::to_string(detail) + "; pool records are C strings";
    case PoolErrc::value_contains_nul:
      return "value contains a NUL at byte " + std::to_string(detail) + "; pool records are C strings";
    case PoolErrc::corrupt_record:
      return where + "record " + std::to_string(detail) + " has the key but its value has no NUL in " +
             std::to_string(kValueBytes) + " bytes";
    case PoolErrc::io_error:
      return where + operation + ": " + std::strerror(sys_errno) + " (errno " + std::to_string(sys_errno) + ")";
  }
  return where + "unknown pool error";
}

std::string FileProblem::message() const {
  const std::string at = path + ": record " + std::to_string(record) + " (offset " + std::to_string(offset) + ")";
  switch (kind) {
    case Kind::partial_record:
      return path + ": the file ends " + std::to_string(bytes) + " bytes into record " + std::to_string(record) +
             " (offset " + std::to_string(offset) + "; records are " + std::to_string(kRecordSize) + " bytes); " +
             (dropped ? "those bytes were dropped when the file was rewritten" : "those bytes are ignored");
    case Kind::key_not_terminated:
      return at + ": the key has no NUL in its " + std::to_string(kKeyBytes) +
             " bytes; the record is skipped and kept as it is";
    case Kind::value_not_terminated:
      return at + ": the value has no NUL in its " + std::to_string(kValueBytes) +
             " bytes; the record is skipped and kept as it is";
  }
  return at + ": unknown problem";
}

}  // namespace kvp::pool
