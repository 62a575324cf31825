// SysfsRoot and the attribute readers and writers. POSIX calls rather than
// iostreams, so every failure has its errno for the message.
#include "vmbus/device/sysfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "vmbus/backing/device_backing.h"

namespace vmbus {
namespace fs = std::filesystem;

namespace {

fs::path dev_dir_beside(const fs::path& root) {
  fs::path normal = root.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path()) normal = normal.parent_path();  // "DIR/sys/"
  if (normal == normal.root_path()) return normal / "dev";                                // "/"
  return normal.parent_path() / "dev";
}

// What an errno means to the person reading the message.
std::string reason(int error) {
  switch (error) {
    case ENOENT: return "missing";
    case EACCES:
    case EPERM: return "permission denied (run as root)";
    default: return std::generic_category().message(error);
  }
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

[[noreturn]] void fail_read(const fs::path& file, const std::string& why, std::string_view expected) {
  throw DeviceError(file.string() + ": cannot read: " + why + "; expected " + std::string(expected));
}

[[noreturn]] void fail_format(const fs::path& file, std::string_view expected, std::string_view found) {
  throw DeviceError(file.string() + ": expected " + std::string(expected) + ", found " +
                    sysfs::quoted(found));
}

// The attribute's text with one trailing newline removed, or std::nullopt if
// missing and `missing_ok`. O_NONBLOCK so that a FIFO planted in a broken tree
// cannot hang the reader; it is then rejected as not a regular file.
std::optional<std::string> read_attribute(const fs::path& file, bool missing_ok, std::string_view expected) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int error = errno;
    if (error == ENOENT && missing_ok) return std::nullopt;
    fail_read(file, reason(error), expected);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_read(file, reason(errno), expected);
  if (!S_ISREG(st.st_mode)) {
    fail_read(file, S_ISDIR(st.st_mode) ? "a directory, not a file" : "not a regular file", expected);
  }
  // sysfs files report st_size 4096 whatever they hold: read until EOF.
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_read(file, reason(errno), expected);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > sysfs::kMaxAttributeSize) {
      fail_read(file, "larger than " + std::to_string(sysfs::kMaxAttributeSize) + " bytes", expected);
    }
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.find('\0') != std::string::npos) fail_format(file, expected, text);
  return text;
}

constexpr std::string_view kDecimal = "an unsigned decimal number like \"14\"";
constexpr std::string_view kHex = "a hex number like \"0x402000\"";
constexpr std::string_view kText = "a text attribute";
constexpr std::string_view kGuid = "a GUID like \"{f8615163-df3e-46c5-913f-f2d2f965ed0e}\"";

}  // namespace

SysfsRoot::SysfsRoot(fs::path root) : root_(std::move(root)), dev_dir_(dev_dir_beside(root_)) {}

SysfsRoot::SysfsRoot(fs::path root, fs::path dev_dir)
    : root_(std::move(root)), dev_dir_(std::move(dev_dir)) {}

SysfsRoot SysfsRoot::from_environment() {
  const char* value = std::getenv(kEnvironmentVariable);
  return SysfsRoot(value != nullptr && *value != '\0' ? fs::path(value) : fs::path(kDefaultRoot));
}

SysfsRoot SysfsRoot::from_option(const fs::path& option) {
  return option.empty() ? from_environment() : SysfsRoot(option);
}

fs::path SysfsRoot::devices_dir() const { return root_ / "bus" / "vmbus" / "devices"; }
fs::path SysfsRoot::drivers_dir() const { return root_ / "bus" / "vmbus" / "drivers"; }
fs::path SysfsRoot::device_dir(const Guid& instance) const { return devices_dir() / instance.str(); }
fs::path SysfsRoot::driver_dir(std::string_view name) const { return drivers_dir() / name; }
fs::path SysfsRoot::uio_node(std::string_view uio_name) const { return dev_dir_ / uio_name; }

namespace sysfs {

std::optional<std::uint32_t> parse_decimal(std::string_view text) noexcept {
  if (text.empty() || text.size() > 10) return std::nullopt;  // UINT32_MAX has 10 digits
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > UINT32_MAX) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::optional<std::uint64_t> parse_hex(std::string_view text) noexcept {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text.substr(2)) {
    unsigned digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (value > (UINT64_MAX >> 4)) return std::nullopt;  // %pa pads with zeros: count value, not digits
    value = value << 4 | digit;
  }
  return value;
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kLimit = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kLimit; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (text.size() > kLimit) out += " (" + std::to_string(text.size()) + " bytes, cut)";
  if (text.empty()) out = "nothing";
  return out;
}

bool exists_no_follow(const fs::path& path) noexcept {
  std::error_code error;
  return fs::symlink_status(path, error).type() != fs::file_type::not_found;
}

std::string read_text(const fs::path& file) { return *read_attribute(file, false, kText); }

std::optional<std::string> read_optional_text(const fs::path& file) {
  return read_attribute(file, true, kText);
}

std::optional<std::uint32_t> read_optional_decimal(const fs::path& file) {
  std::optional<std::string> text = read_attribute(file, true, kDecimal);
  if (!text) return std::nullopt;
  std::optional<std::uint32_t> value = parse_decimal(*text);
  if (!value) fail_format(file, kDecimal, *text);
  return value;
}

std::uint32_t read_decimal(const fs::path& file) {
  const std::string text = *read_attribute(file, false, kDecimal);
  std::optional<std::uint32_t> value = parse_decimal(text);
  if (!value) fail_format(file, kDecimal, text);
  return *value;
}

std::uint64_t read_hex(const fs::path& file) {
  const std::string text = *read_attribute(file, false, kHex);
  std::optional<std::uint64_t> value = parse_hex(text);
  if (!value) fail_format(file, kHex, text);
  return *value;
}

Guid read_guid(const fs::path& file) {
  const std::string text = *read_attribute(file, false, kGuid);
  std::optional<Guid> guid = Guid::parse(text);
  if (!guid) fail_format(file, kGuid, text);
  return *guid;
}

std::optional<std::string> read_link_name(const fs::path& link) {
  // One readlink(2), no stat first: the driver core removes the link while
  // unbinding, and a link gone between two calls means "no driver", not an error.
  std::error_code error;
  fs::path target = fs::read_symlink(link, error);
  if (error == std::errc::no_such_file_or_directory || error == std::errc::not_a_directory) {
    return std::nullopt;
  }
  if (error == std::errc::invalid_argument) fail_read(link, "not a symlink", "a symlink");  // readlink: EINVAL
  if (error) fail_read(link, reason(error.value()), "a symlink");
  target = target.lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "../hv_netvsc/"
  std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw DeviceError(link.string() + ": expected a symlink to a driver's directory, found one to " +
                      sysfs::quoted(target.string()));
  }
  return name;
}

std::error_code try_write_text(const fs::path& file, std::string_view text) noexcept {
  FileDescriptor fd(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return {errno, std::generic_category()};
  // One write: sysfs hands each write(2) to the attribute's store() whole.
  ssize_t n;
  do {
    n = ::write(fd.get(), text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return {errno, std::generic_category()};
  if (static_cast<std::size_t>(n) != text.size()) return std::make_error_code(std::errc::io_error);
  if (::close(fd.release()) != 0) return {errno, std::generic_category()};
  return {};
}

void write_text(const fs::path& file, std::string_view text) {
  const std::error_code error = try_write_text(file, text);
  if (error) throw DeviceError(write_error_message(file, text, error));
}

std::string write_error_message(const fs::path& file, std::string_view text, std::error_code error) {
  std::string why = error.category() == std::generic_category() ? reason(error.value()) : error.message();
  return file.string() + ": cannot write " + sysfs::quoted(text) + ": " + why;
}

}  // namespace sysfs
}  // namespace vmbus
