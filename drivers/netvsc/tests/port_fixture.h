// Opening a port against the FakeHost: the host runs on its thread for the
// handshake (whose control requests block), then stops so that each test
// drives host and guest in turn, deterministically.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_host.h"
#include "netvsc/port.h"

namespace netvsc::test {

struct OpenPort {
  OpenPort() = default;
  OpenPort(OpenPort&&) = default;
  OpenPort& operator=(OpenPort&&) = default;
  // The port closes with the host answering (or HALT would wait for its timeout).
  ~OpenPort() {
    if (port && host) {
      host->start();
      port.reset();
      host->stop();
    }
  }
  std::unique_ptr<FakeHost> host;
  std::unique_ptr<Port> port;
};

inline OpenPort open_port(HostOptions host_options = {}, PortConfig config = {}) {
  OpenPort o;
  o.host = std::make_unique<FakeHost>(host_options);
  config.control_timeout = std::chrono::milliseconds(5000);
  o.host->start();
  try {
    o.port = Port::open(o.host->resources(), config);
  } catch (...) {
    o.host->stop();
    throw;
  }
  o.host->stop();
  return o;
}

// Closes the port with the host answering, then stops it.
inline void close_port(OpenPort& o) {
  o.host->start();
  o.port->close();
  o.host->stop();
  o.host->poll();  // the revokes, which get no reply
}

struct RxBuffers {
  explicit RxBuffers(std::size_t n, std::size_t size = 2048) : storage(n, std::vector<std::byte>(size)), pkts(n) {
    for (std::size_t i = 0; i < n; ++i) pkts[i].buffer = storage[i];
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<RxPacket> pkts;
};

}  // namespace netvsc::test
