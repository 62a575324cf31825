// File: hvsim/log.h
//
// Where hvsim's log lines go: stderr by default, or a sink the embedder gives
// (tests capture lines to assert on them). Lines are short and rare (state
// changes, errors, a guest breaking the protocol); the data path never logs
// per packet. A sink may be called from several threads at once.
//
// Usage:
//   hvsim::Logger log;                                  // stderr
//   hvsim::Logger quiet([](std::string_view) {});       // discard
//   log.warn("device echo relid 40: guest TX ring corrupt: ...; channel closed");
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace hvsim {

using LogSink = std::function<void(std::string_view line)>;

class Logger {
 public:
  Logger() = default;  // stderr
  explicit Logger(LogSink sink) : sink_(std::move(sink)) {}

  void info(std::string_view message) const { emit("", message); }
  void warn(std::string_view message) const { emit("warning: ", message); }
  void error(std::string_view message) const { emit("error: ", message); }

 private:
  void emit(std::string_view level, std::string_view message) const;
  LogSink sink_;
};

}  // namespace hvsim
