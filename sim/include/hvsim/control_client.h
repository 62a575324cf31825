// File: hvsim/control_client.h
//
// The client side of hvsim's control socket (DIR/hvsim.ctl): send one
// request, get one response. `hvsim ctl` is built on it; tests and scripts in
// C++ can use it directly. The protocol is in docs/hvsim.md.
//
// Usage:
//   nlohmann::json r = hvsim::control_request(dir / "hvsim.ctl", {{"command", "list"}});
//   if (!r["ok"]) std::cerr << r["error"].get<std::string>() << "\n";
//   for (const auto& d : r["result"]["devices"]) ...
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hvsim {

// The socket is missing, refuses, times out, or answers something else than JSON.
class ControlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json control_request(const std::filesystem::path& socket, const nlohmann::json& request,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace hvsim
