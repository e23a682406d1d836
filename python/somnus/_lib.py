"""Loading libsomnus.so, errors, JSON documents and zero-copy views (internal)."""

import json
import os

import cffi
import numpy as np

from ._cdef import CDEF

ffi = cffi.FFI()
ffi.cdef(CDEF)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    """Where libsomnus.so is looked for, first match wins (docs/python.md)."""
    env = os.environ.get("SOMNUS_LIBRARY")
    if env:
        yield env
        return
    yield os.path.join(_HERE, "libsomnus.so")  # installed beside the package
    root = os.path.dirname(os.path.dirname(_HERE))  # the source tree (python/somnus/..)
    for build in ("build/release", "build/rel", "build"):
        yield os.path.join(root, build, "libsomnus.so")


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            return ffi.dlopen(path), path
        tried.append(path)
    raise ImportError(
        "somnus: libsomnus.so not found (looked in: %s); build it with `make` or set "
        "SOMNUS_LIBRARY to its path" % ", ".join(tried))


lib, LIBRARY_PATH = _load()
libc = ffi.dlopen(None)

# Resolve every declared name now. cffi resolves lib attributes lazily under a
# non-reentrant lock that it also holds while parsing a type (ffi.callback, ffi.new of a
# new type); a garbage collection inside that section can run a destructor here
# (Sim.__del__ -> lib.sm_sim_destroy), which would wait for the lock forever.
for _name in dir(lib):
    getattr(lib, _name)
libc.free


class SomnusError(Exception):
    """An error reported by libsomnus. `str(e)` is somnus's own message (it names the
    parameter, file or value at fault); `code` is the sm_status number and `status` its
    name ("invalid argument", "I/O error", ...)."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = int(code)
        self.status = ffi.string(lib.sm_status_name(code)).decode()


class Cancelled(SomnusError, KeyboardInterrupt):
    """A run stopped by Ctrl-C (SIGINT) or by a callback asking to stop."""


def new_error():
    return ffi.new("sm_error *")


def check(status, err, what=None):
    """Raises SomnusError with err's message when status is not SM_OK."""
    if status != lib.SM_OK:
        msg = ffi.string(err.msg).decode("utf-8", "replace") if err is not None else ""
        if not msg:
            msg = "%s failed" % (what or "somnus")
        if status == lib.SM_ECANCELED:
            raise Cancelled(msg, status)
        raise SomnusError(msg, status)


def text(s):
    """bytes for C from str or os.PathLike."""
    if isinstance(s, bytes):
        return s
    return os.fspath(s).encode()


def take_json(ptr):
    """Converts a new json_t * into Python objects and releases it (json_decref)."""
    if ptr == ffi.NULL:
        return None
    try:
        s = lib.json_dumps(ptr, 0x200)  # JSON_ENCODE_ANY; reals with 17 digits
        if s == ffi.NULL:
            raise SomnusError("cannot serialize a results document", lib.SM_ENOMEM)
        try:
            return json.loads(ffi.string(s).decode())
        finally:
            libc.free(s)
    finally:
        ptr.refcount -= 1
        if ptr.refcount == 0:
            lib.json_delete(ptr)


_NP = {"float": np.float32, "double": np.float64, "int32_t": np.int32, "int": np.intc,
       "uint32_t": np.uint32, "int64_t": np.int64, "uint8_t": np.uint8}


def view(keeper, ptr, ctype, count, shape=None, writeable=True):
    """A numpy array over `count` elements of C type `ctype` at `ptr`, without a copy.

    `keeper` is any Python object that owns the memory (a Sim, a Dataset, ...): the array
    holds a reference to it (array -> buffer -> pointer -> destructor closure -> keeper),
    so the memory cannot be freed while the array or any slice of it exists. The keeper
    is told when the last view is gone through keeper._view_released()."""
    dtype = np.dtype(_NP[ctype])
    count = int(count)
    if count == 0 or ptr == ffi.NULL:
        a = np.zeros(shape if shape is not None else 0, dtype)
        a.flags.writeable = writeable
        return a
    keeper._views += 1
    owned = ffi.gc(ffi.cast(ctype + " *", ptr), lambda _p, k=keeper: k._view_released())
    buf = ffi.buffer(owned, count * dtype.itemsize)
    a = np.frombuffer(buf, dtype=dtype, count=count)
    if shape is not None:
        a = a.reshape(shape)
    if writeable:
        a.flags.writeable = True  # frombuffer over a writable cffi buffer
    else:
        a.flags.writeable = False
    return a


def copy_array(ptr, ctype, count, shape=None):
    """A numpy copy of `count` elements at `ptr`."""
    dtype = np.dtype(_NP[ctype])
    count = int(count)
    if count == 0 or ptr == ffi.NULL:
        return np.zeros(shape if shape is not None else 0, dtype)
    a = np.frombuffer(ffi.buffer(ffi.cast(ctype + " *", ptr), count * dtype.itemsize),
                      dtype=dtype, count=count).copy()
    return a.reshape(shape) if shape is not None else a


def as_c_array(a, ctype):
    """A C-contiguous numpy array of C type `ctype` (copied only if needed) and a cdata
    pointer into it; keep the array alive while C uses the pointer."""
    a = np.ascontiguousarray(a, dtype=_NP[ctype])
    return a, ffi.from_buffer(ctype + "[]", a)


def version():
    return ffi.string(lib.sm_version()).decode()
