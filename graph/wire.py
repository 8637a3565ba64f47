"""msgpack for everything that crosses a process or a file: plain data plus numpy arrays
(as dtype, shape, bytes). Never pickle: unpacking builds only plain values and arrays."""

from __future__ import annotations

import msgpack
import numpy as np

_NDARRAY = 1
_OBJECT_ARRAY = 2


def _default(obj):
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            items = [x if isinstance(x, bytes) else str(x).encode() for x in obj.ravel()]
            return msgpack.ExtType(_OBJECT_ARRAY, msgpack.packb([list(obj.shape), items]))
        arr = obj if obj.flags.c_contiguous else obj.copy(order="C")
        header = msgpack.packb([arr.dtype.str, list(arr.shape)])
        return msgpack.ExtType(_NDARRAY, header + arr.tobytes())
    if isinstance(obj, np.generic):
        return _default(np.asarray(obj))
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"Cannot serialize {type(obj).__name__} to msgpack")


def _ext_hook(code, data):
    if code == _NDARRAY:
        unpacker = msgpack.Unpacker()
        unpacker.feed(data)
        dtype, shape = unpacker.unpack()
        offset = unpacker.tell()
        arr = np.frombuffer(data, dtype=np.dtype(dtype), offset=offset).reshape(shape)
        return arr.copy()
    if code == _OBJECT_ARRAY:
        shape, items = msgpack.unpackb(data)
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)
    return msgpack.ExtType(code, data)


def pack(obj) -> bytes:
    return msgpack.packb(obj, default=_default, use_bin_type=True)


def unpack(data: bytes):
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)
