// File: bindings/python/src/buffers.h
//
// Any Python object with the buffer protocol (bytes, bytearray, memoryview
// and slices of one, array.array, mmap...) as a span of bytes, without
// copying it: the data is read or written where the object keeps it. The
// view holds the buffer (PyObject_GetBuffer) for its lifetime, so the memory
// stays put (a bytearray cannot be resized while it is exported), also while
// the GIL is released.
//
// Only C-contiguous buffers are taken (a strided memoryview slice is
// refused with a ValueError saying so): the SDK copies one run of bytes.
//
// Usage:
//   vmbus_py::ByteView data(obj, vmbus_py::ByteView::read_only, "Channel.send: data");
//   channel.send_inband(data.bytes(), trans_id);
//   views.emplace_back(frames[i], ByteView::read_only, "Port.tx_burst: frames", i);  // "...frames[i]" in errors
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "common.h"

namespace vmbus_py {

class ByteView {
 public:
  enum Access { read_only, writable };

  // Raises TypeError if `object` has no buffer protocol (a str is told to
  // encode), or if `access` is writable and the buffer is read-only (bytes);
  // ValueError if it is not contiguous. `what` names the call and argument
  // ("Channel.send: data"); with `index`, an element of it ("...frames[3]"),
  // the text formatted only for an error: bursts build no string per frame.
  ByteView(py::handle object, Access access, const char* what);
  ByteView(py::handle object, Access access, const char* what, std::size_t index);
  ~ByteView();
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;
  // Movable, so a burst keeps its views in one reserved vector.
  ByteView(ByteView&& other) noexcept : view_(other.view_) { other.view_ = Py_buffer{}; }
  ByteView& operator=(ByteView&&) = delete;

  std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }
  // Only for a view made writable.
  std::span<std::byte> writable_bytes() const noexcept {
    return {static_cast<std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }
  std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

  // "what" or "what[index]", for an error about this buffer.
  static std::string name(const char* what, std::optional<std::size_t> index);

 private:
  void acquire(py::handle object, Access access, const char* what, std::optional<std::size_t> index);

  Py_buffer view_{};
};

}  // namespace vmbus_py
