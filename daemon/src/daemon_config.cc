// vmbusd's configuration file and flags (daemon_config.h).
#include "daemon_config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace vmbusd {
namespace po = boost::program_options;
using nlohmann::json;

mode_t parse_mode(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    throw ConfigError(what + ": '" + text + "' is not an octal file mode such as 0660");
  }
  const unsigned long mode = std::stoul(text, nullptr, 8);
  if (mode > 0777) throw ConfigError(what + ": '" + text + "' has bits above 0777");
  return static_cast<mode_t>(mode);
}

void load_config_file(const std::filesystem::path& file, DaemonConfig& config) {
  std::ifstream in(file);
  if (!in) throw ConfigError("config " + file.string() + ": cannot be read");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw ConfigError("config " + file.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError("config " + file.string() + ": must be a JSON object");
  const std::string where = "config " + file.string() + ": ";
  const std::set<std::string> known = {"sysfs_root",        "dev_dir",           "run_dir",     "claim",
                                       "reader_socket_mode", "admin_socket_mode", "admin_group", "tcp"};
  for (const auto& [key, value] : j.items()) {
    if (!known.contains(key)) throw ConfigError(where + "unknown key \"" + key + "\"");
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (!j.contains(key)) return std::nullopt;
    if (!j[key].is_string()) throw ConfigError(where + "\"" + key + "\" must be a string");
    return j[key].get<std::string>();
  };
  if (auto v = text("sysfs_root")) config.sysfs_root = *v;
  if (auto v = text("dev_dir")) config.dev_dir = *v;
  if (auto v = text("run_dir")) config.run_dir = *v;
  if (auto v = text("reader_socket_mode")) config.reader_socket_mode = parse_mode(*v, where + "reader_socket_mode");
  if (auto v = text("admin_socket_mode")) config.admin_socket_mode = parse_mode(*v, where + "admin_socket_mode");
  if (auto v = text("admin_group")) config.admin_group = *v;
  if (j.contains("tcp")) {
    const json& t = j["tcp"];
    if (!t.is_object()) throw ConfigError(where + "\"tcp\" must be an object");
    const std::set<std::string> tcp_keys = {"listen", "cert", "key", "client_ca", "admin_clients", "insecure"};
    for (const auto& [key, value] : t.items()) {
      if (!tcp_keys.contains(key)) throw ConfigError(where + "unknown key \"tcp." + key + "\"");
    }
    auto tcp_text = [&](const char* key) -> std::string {
      if (!t.contains(key)) return {};
      if (!t[key].is_string()) throw ConfigError(where + "\"tcp." + key + "\" must be a string");
      return t[key].get<std::string>();
    };
    config.tcp.listen = tcp_text("listen");
    config.tcp.cert = tcp_text("cert");
    config.tcp.key = tcp_text("key");
    config.tcp.client_ca = tcp_text("client_ca");
    if (t.contains("insecure")) {
      if (!t["insecure"].is_boolean()) throw ConfigError(where + "\"tcp.insecure\" must be true or false");
      config.tcp.insecure = t["insecure"].get<bool>();
    }
    if (t.contains("admin_clients")) {
      if (!t["admin_clients"].is_array()) throw ConfigError(where + "\"tcp.admin_clients\" must be an array of names");
      for (const auto& n : t["admin_clients"]) {
        if (!n.is_string()) throw ConfigError(where + "\"tcp.admin_clients\" entries are certificate common names");
        config.tcp.admin_clients.push_back(n.get<std::string>());
      }
    }
  }
  if (j.contains("claim")) {
    if (!j["claim"].is_array()) throw ConfigError(where + "\"claim\" must be an array of device selectors");
    config.claim.clear();
    for (const auto& c : j["claim"]) {
      if (!c.is_string() || c.get<std::string>().empty()) {
        throw ConfigError(where + "\"claim\" entries are instance GUIDs or classes (strings), got " + c.dump());
      }
      config.claim.push_back(c.get<std::string>());
    }
  }
}

void check_tcp(const TcpConfig& tcp) {
  auto readable = [](const std::filesystem::path& f, const char* what) {
    if (!std::ifstream(f)) throw ConfigError(std::string(what) + " " + f.string() + " cannot be read");
  };
  if (tcp.listen.empty()) {
    if (!tcp.cert.empty() || !tcp.key.empty() || !tcp.client_ca.empty() || !tcp.admin_clients.empty() || tcp.insecure) {
      throw ConfigError("TCP settings without --tcp-listen: say where to listen (host:port)");
    }
    return;
  }
  if (tcp.listen.find(':') == std::string::npos) {
    throw ConfigError("--tcp-listen '" + tcp.listen + "' is not host:port (e.g. 0.0.0.0:50051)");
  }
  if (tcp.insecure) {
    if (!tcp.cert.empty() || !tcp.key.empty() || !tcp.client_ca.empty() || !tcp.admin_clients.empty()) {
      throw ConfigError("--insecure-tcp with TLS settings: choose plaintext or TLS, not both");
    }
    return;
  }
  if (tcp.cert.empty() || tcp.key.empty()) {
    throw ConfigError("TCP is served with TLS: give --tls-cert and --tls-key (or force plaintext with --insecure-tcp)");
  }
  readable(tcp.cert, "--tls-cert");
  readable(tcp.key, "--tls-key");
  if (!tcp.client_ca.empty()) readable(tcp.client_ca, "--tls-client-ca");
  if (!tcp.admin_clients.empty() && tcp.client_ca.empty()) {
    throw ConfigError("--tcp-admin-client needs --tls-client-ca: admins are known by a verified client certificate");
  }
}

std::optional<int> parse_daemon_options(int argc, char** argv, DaemonConfig& config) {
  std::string config_file, sysfs_root, dev_dir, run_dir, reader_mode, admin_mode, admin_group;
  std::string tcp_listen, tls_cert, tls_key, tls_client_ca;
  std::vector<std::string> claims, tcp_admins;
  po::options_description desc(
      "vmbusd: claims VMBus devices for user space, leases them to driver processes, and serves the\n"
      "gRPC control API (vmbus.control.v1) on a reader and an admin UNIX socket in --run-dir.\n"
      "Options (flags override --config)");
  desc.add_options()("help,h", "print this help");
  desc.add_options()("config", po::value(&config_file)->value_name("FILE"), "JSON config file (docs/vmbusd.md)");
  desc.add_options()("sysfs-root", po::value(&sysfs_root)->value_name("DIR"),
                     "sysfs to serve: /sys, or an hvsim root's <root>/sys (default /sys)");
  desc.add_options()("dev-dir", po::value(&dev_dir)->value_name("DIR"), "uio nodes (default <sysfs-root>/../dev)");
  desc.add_options()("run-dir", po::value(&run_dir)->value_name("DIR"),
                     "sockets, lock file and lease root (default /run/vmbusd)");
  desc.add_options()("claim", po::value(&claims)->value_name("DEVICE")->composing(),
                     "claim at start: an instance GUID or a class (repeatable)");
  desc.add_options()("reader-socket-mode", po::value(&reader_mode)->value_name("MODE"), "reader socket mode (0666)");
  desc.add_options()("admin-socket-mode", po::value(&admin_mode)->value_name("MODE"), "admin socket mode (0660)");
  desc.add_options()("admin-group", po::value(&admin_group)->value_name("GROUP"), "admin socket group");
  desc.add_options()("tcp-listen", po::value(&tcp_listen)->value_name("HOST:PORT"), "also serve TCP (TLS required)");
  desc.add_options()("tls-cert", po::value(&tls_cert)->value_name("FILE"), "TCP: the server certificate (PEM)");
  desc.add_options()("tls-key", po::value(&tls_key)->value_name("FILE"), "TCP: its private key (PEM)");
  desc.add_options()("tls-client-ca", po::value(&tls_client_ca)->value_name("FILE"),
                     "TCP: verify client certificates against this CA (PEM)");
  desc.add_options()("tcp-admin-client", po::value(&tcp_admins)->value_name("CN")->composing(),
                     "TCP: a client certificate common name with the admin role (repeatable)");
  desc.add_options()("insecure-tcp", "TCP without TLS, reader role only (a warning is logged)");

  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("config")) load_config_file(config_file, config);
    if (vm.count("sysfs-root")) config.sysfs_root = sysfs_root;
    if (vm.count("dev-dir")) config.dev_dir = dev_dir;
    if (vm.count("run-dir")) config.run_dir = run_dir;
    if (vm.count("claim")) config.claim.insert(config.claim.end(), claims.begin(), claims.end());
    if (vm.count("reader-socket-mode")) config.reader_socket_mode = parse_mode(reader_mode, "--reader-socket-mode");
    if (vm.count("admin-socket-mode")) config.admin_socket_mode = parse_mode(admin_mode, "--admin-socket-mode");
    if (vm.count("admin-group")) config.admin_group = admin_group;
    if (vm.count("tcp-listen")) config.tcp.listen = tcp_listen;
    if (vm.count("tls-cert")) config.tcp.cert = tls_cert;
    if (vm.count("tls-key")) config.tcp.key = tls_key;
    if (vm.count("tls-client-ca")) config.tcp.client_ca = tls_client_ca;
    if (vm.count("tcp-admin-client")) {
      config.tcp.admin_clients.insert(config.tcp.admin_clients.end(), tcp_admins.begin(), tcp_admins.end());
    }
    if (vm.count("insecure-tcp")) config.tcp.insecure = true;
    check_tcp(config.tcp);
    if (config.run_dir.empty()) throw ConfigError("--run-dir must not be empty");
    if (config.sysfs_root.empty()) throw ConfigError("--sysfs-root must not be empty");
  } catch (const po::error& e) {
    std::cerr << "vmbusd: " << e.what() << " (vmbusd --help)\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << "vmbusd: " << e.what() << "\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace vmbusd
