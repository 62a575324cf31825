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
//   vmbus_py::ByteView data(obj, vmbus_py::ByteView::read_only, "Channel.send");
//   channel.send_inband(data.bytes(), trans_id);
#pragma once

#include <cstddef>
#include <span>

#include "common.h"

namespace vmbus_py {

class ByteView {
 public:
  enum Access { read_only, writable };

  // Raises TypeError if `object` has no buffer protocol (a str is told to
  // encode), or if `access` is writable and the buffer is read-only (bytes);
  // ValueError if it is not contiguous. `what` names the call and argument
  // ("Channel.send: data").
  ByteView(py::handle object, Access access, const char* what);
  ~ByteView();
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;

  std::span<const std::byte> bytes() const noexcept {
    return {static_cast<const std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }
  // Only for a view made writable.
  std::span<std::byte> writable_bytes() const noexcept {
    return {static_cast<std::byte*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }
  std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

}  // namespace vmbus_py
