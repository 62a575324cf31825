// File: daemon/src/daemon_config.h
//
// vmbusd's configuration: a JSON file (--config) and command-line flags, the
// flags winning. Everything has a default, so `vmbusd` alone serves the real
// /sys with its sockets in /run/vmbusd and claims nothing.
//
// The file (every key optional; unknown keys are an error naming them):
//   {
//     "sysfs_root": "/sys",                 // or an hvsim root's "<root>/sys"
//     "dev_dir": "/dev",                    // uio nodes (default: <sysfs_root>/../dev)
//     "run_dir": "/run/vmbusd",             // sockets, lock file, lease root
//     "claim": ["network", "242ff919-07db-4180-9c2e-b86cb68c8c55"],
//     "reader_socket_mode": "0666",         // who may read (file permissions)
//     "admin_socket_mode": "0660",          // who may change
//     "admin_group": "vmbus-admin",         // the admin socket's group (optional)
//     "tcp": {                              // optional: also serve TCP, with TLS
//       "listen": "0.0.0.0:50051",
//       "cert": "/etc/vmbusd/server.pem", "key": "/etc/vmbusd/server.key",
//       "client_ca": "/etc/vmbusd/clients-ca.pem",   // verify client certificates
//       "admin_clients": ["ops-laptop"],              // their CNs get the admin role
//       "insecure": false                             // plaintext: only when forced
//     }
//   }
// "claim" names devices by instance GUID, or by class (a name such as
// "network" or a class GUID) that exactly one device has.
//
// Usage:
//   DaemonConfig config;
//   if (auto exit_code = parse_daemon_options(argc, argv, config)) return *exit_code;
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vmbusd {

// TCP is off unless `listen` is set. With TLS (cert and key), a client whose
// certificate the client CA verifies and whose common name is in
// admin_clients has the admin role; every other client the reader role.
// Plaintext TCP (insecure) is reader-only and logged as a warning.
struct TcpConfig {
  std::string listen;  // host:port
  std::filesystem::path cert, key, client_ca;
  std::vector<std::string> admin_clients;
  bool insecure = false;
};

struct DaemonConfig {
  std::filesystem::path sysfs_root = "/sys";
  std::filesystem::path dev_dir;  // empty: <sysfs_root>/../dev
  std::filesystem::path run_dir = "/run/vmbusd";
  std::vector<std::string> claim;  // selectors, claimed at start
  mode_t reader_socket_mode = 0666;
  mode_t admin_socket_mode = 0660;
  std::string admin_group;  // empty: the daemon's own group
  TcpConfig tcp;
};

// Throws ConfigError if the TCP settings do not make sense together
// (listen without a certificate and not insecure, a key without a
// certificate, admin clients without a client CA, unreadable files).
void check_tcp(const TcpConfig& tcp);

// Thrown for a bad file or value: the message names the key or flag and what
// was wrong.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads a config file into `config` (keys absent keep their values).
void load_config_file(const std::filesystem::path& file, DaemonConfig& config);

// "0660" -> 0660. Throws ConfigError naming `what` unless it is an octal
// mode of at most 0777.
mode_t parse_mode(const std::string& text, const std::string& what);

// Fills `config` from --config and the flags. Returns an exit status when
// the program should stop here: 0 after --help/--version, 2 after a bad
// argument or config (the reason is on stderr).
std::optional<int> parse_daemon_options(int argc, char** argv, DaemonConfig& config);

}  // namespace vmbusd
