// The rows of ring_bench and the statistics over their repetitions.
#include "ring/measurement.h"

#include <utility>

namespace bench {

const char* kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::vmbus_ring:
      return "vmbus_ring";
    case Kind::spsc_queue:
      return "spsc_queue";
    case Kind::spsc_queue_bulk:
      return "spsc_queue_bulk";
    case Kind::memcpy_copy:
      return "memcpy";
  }
  return "?";
}

const char* kind_label(Kind kind) noexcept {
  switch (kind) {
    case Kind::vmbus_ring:
      return "ring";
    case Kind::spsc_queue:
      return "spsc";
    case Kind::spsc_queue_bulk:
      return "spsc bulk";
    case Kind::memcpy_copy:
      return "memcpy";
  }
  return "?";
}

Summary Measurement::mpps() const {
  std::vector<double> v;
  for (const Sample& s : samples) v.push_back(s.mpps());
  return summarize(std::move(v));
}

Summary Measurement::gbps() const {
  std::vector<double> v;
  for (const Sample& s : samples) v.push_back(s.gbps());
  return summarize(std::move(v));
}

Sample Measurement::totals() const {
  Sample t;
  for (const Sample& s : samples) {
    t.seconds += s.seconds;
    t.packets += s.packets;
    t.payload_bytes += s.payload_bytes;
    t.writer_commits += s.writer_commits;
    t.writer_signals += s.writer_signals;
    t.reader_commits += s.reader_commits;
    t.reader_signals += s.reader_signals;
    t.writer_waits += s.writer_waits;
    t.reader_waits += s.reader_waits;
    t.order_errors += s.order_errors;
  }
  t.error = error();
  return t;
}

std::string Measurement::error() const {
  for (const Sample& s : samples) {
    if (!s.error.empty()) return s.error;
  }
  return {};
}

}  // namespace bench
