// File: bindings/python/src/buffers.cc
//
// ByteView (buffers.h): the buffer protocol, with errors that say what was
// passed and what is wanted instead of Python's generic "a bytes-like object
// is required".
#include "buffers.h"

#include <string>

#include "errors.h"

namespace vmbus_py {
namespace {

std::string type_name(py::handle object) { return Py_TYPE(object.ptr())->tp_name; }

}  // namespace

std::string ByteView::name(const char* what, std::optional<std::size_t> index) {
  return index ? std::string(what) + "[" + std::to_string(*index) + "]" : std::string(what);
}

ByteView::ByteView(py::handle object, Access access, const char* what) { acquire(object, access, what, std::nullopt); }

ByteView::ByteView(py::handle object, Access access, const char* what, std::size_t index) {
  acquire(object, access, what, index);
}

void ByteView::acquire(py::handle object, Access access, const char* what_text, std::optional<std::size_t> index) {
  const bool want_writable = access == writable;
  // Fast path first: the name is only needed for an error.
  const int flags = want_writable ? PyBUF_SIMPLE | PyBUF_WRITABLE : PyBUF_SIMPLE;
  if (!PyUnicode_Check(object.ptr()) && PyObject_CheckBuffer(object.ptr()) &&
      PyObject_GetBuffer(object.ptr(), &view_, flags) == 0) {
    return;
  }
  PyErr_Clear();
  const std::string what = name(what_text, index);
  if (PyUnicode_Check(object.ptr())) {
    raise_type_error(what + " must be a bytes-like object, not 'str' (encode it first, e.g. s.encode())");
  }
  if (!PyObject_CheckBuffer(object.ptr())) {
    raise_type_error(what + " must be a " +
                     (want_writable ? "writable bytes-like object (bytearray, memoryview of one, array.array)"
                                    : "bytes-like object (bytes, bytearray, memoryview)") +
                     ", not '" + type_name(object) + "'");
  }
  // PyBUF_SIMPLE failed: say why (read-only, or not contiguous). The
  // exporter's own error is replaced by one naming the argument.
  Py_buffer probe{};
  if (PyObject_GetBuffer(object.ptr(), &probe, PyBUF_FULL_RO) == 0) {
    const bool readonly = probe.readonly != 0;
    const bool contiguous = PyBuffer_IsContiguous(&probe, 'C') != 0;
    PyBuffer_Release(&probe);
    if (want_writable && readonly) {
      raise_type_error(what + " must be writable, and this '" + type_name(object) +
                       "' is read-only (pass a bytearray or a memoryview of one)");
    }
    if (!contiguous) {
      PyErr_SetString(PyExc_ValueError,
                      (what + " must be C-contiguous (a strided memoryview slice is not; copy it "
                                           "with bytes(view) first)")
                          .c_str());
      throw py::error_already_set();
    }
  }
  PyErr_Clear();
  raise_type_error(what + ": cannot get a buffer from '" + type_name(object) + "'");
}

ByteView::~ByteView() {
  if (view_.obj != nullptr) PyBuffer_Release(&view_);  // not if moved from
}

}  // namespace vmbus_py
