// Small file-system helpers for building the simulated sysfs tree. Set-up
// errors throw std::runtime_error naming the path and the errno text.
//
// Files that readers may open at any time (attributes rewritten while hvsim
// runs) are replaced atomically: written under a temporary name in hvsim's
// private staging directory (same file system) and renamed over the old one,
// so a reader sees the old or the new content, never half of it, as sysfs
// reads give a whole snapshot.
//
// Usage:
//   hvsim::fs::write_new(dir / "id", "40\n", 0444);
//   hvsim::fs::replace(dir / "interrupts", "7\n", 0444, staging);
//   auto text = hvsim::fs::read_small(dir / "bind", 4096);  // nullopt if unreadable
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace hvsim::fs {

namespace stdfs = std::filesystem;

std::string errno_text(int error);
[[noreturn]] void throw_errno(std::string_view what, const stdfs::path& path, int error);

// Creates `path` (which must not exist) holding `content`, with `mode`.
void write_new(const stdfs::path& path, std::string_view content, mode_t mode);
// Atomically replaces (or creates) `path`: temporary file in `staging`, then rename.
void replace(const stdfs::path& path, std::string_view content, mode_t mode, const stdfs::path& staging);
// Replaces (or creates) a symbolic link atomically, the same way.
void replace_symlink(const stdfs::path& path, const stdfs::path& target, const stdfs::path& staging);
void make_dir(const stdfs::path& path, mode_t mode = 0755);
// Up to `max` bytes of a regular file; nullopt if it cannot be read.
std::optional<std::string> read_small(const stdfs::path& path, std::size_t max);
// Removes a tree without throwing; first renames it into `staging` (when
// given) so readers never see it half removed.
void remove_tree(const stdfs::path& path, const stdfs::path& staging = {}) noexcept;
// A name in `staging` no other call of this process uses.
stdfs::path unique_temp(const stdfs::path& staging, std::string_view hint);

}  // namespace hvsim::fs
