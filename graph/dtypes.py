"""TF1 data types: `tf.float32`, `tf.int32`, ... as `DType` objects over numpy dtypes.

Attrs inside graphs and plans carry the dtype's name (plain data, msgpack-safe);
`as_dtype` maps names, numpy dtypes and Python types back to the `DType`.
"""

from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type: TF's name, the numpy dtype, and TF's enum number."""

    __slots__ = ("name", "as_numpy_dtype", "_np", "enum")

    def __init__(self, name: str, np_type, enum: int):
        self.name = name
        self.as_numpy_dtype = np_type
        self._np = np.dtype(np_type)
        self.enum = enum

    @property
    def np(self) -> np.dtype:
        return self._np

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_complex(self) -> bool:
        return self._np.kind == "c"

    @property
    def real_dtype(self) -> DType:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def is_numeric(self) -> bool:
        return self._np.kind in "fiu"

    @property
    def size(self) -> int:
        return self._np.itemsize

    @property
    def min(self):
        return np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min

    @property
    def max(self):
        return np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max

    def is_compatible_with(self, other) -> bool:
        return self is as_dtype(other)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


float16 = DType("float16", np.float16, 19)
float32 = DType("float32", np.float32, 1)
float64 = DType("float64", np.float64, 2)
int8 = DType("int8", np.int8, 6)
int16 = DType("int16", np.int16, 5)
int32 = DType("int32", np.int32, 3)
int64 = DType("int64", np.int64, 9)
uint8 = DType("uint8", np.uint8, 4)
uint16 = DType("uint16", np.uint16, 17)
uint32 = DType("uint32", np.uint32, 22)
uint64 = DType("uint64", np.uint64, 23)
complex64 = DType("complex64", np.complex64, 8)
complex128 = DType("complex128", np.complex128, 18)
bool_ = DType("bool", np.bool_, 10)
string = DType("string", np.object_, 7)
half = float16
double = float64

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
       complex64, complex128, bool_, string)  # fmt: skip
FLOATS = (float16, float32, float64)
INTEGERS = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)
COMPLEX = (complex64, complex128)
NUMERIC = FLOATS + INTEGERS
REAL_AND_BOOL = NUMERIC + (bool_,)

_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"half": float16, "double": float64, "float": float32})  # TF1 names
_BY_NP = {d.np: d for d in ALL}
_BY_ENUM = {d.enum: d for d in ALL}


def as_dtype(value) -> DType:
    """Converts a DType, name, enum, numpy dtype or Python type to a `DType`."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str):
        found = _BY_NAME.get(value)
        if found is None:
            raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.")
        return found
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _BY_ENUM:
            return _BY_ENUM[value]
        raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.")
    if value is float:
        return float32
    if value is int:
        return int32
    if value is bool:
        return bool_
    if value in (str, bytes):
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.") from None
    if npd.kind in "SUO":
        return string
    found = _BY_NP.get(npd)
    if found is None:
        raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.")
    return found


def infer_dtype(value) -> DType:
    """The dtype TF gives a Python or numpy value: Python float -> float32, int -> int32."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.float64 or value.dtype == np.int64:
            return as_dtype(value.dtype)
        return as_dtype(value.dtype)
    if isinstance(value, np.generic):
        return as_dtype(value.dtype)
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int32 if -(2**31) <= value < 2**31 else int64
    if isinstance(value, float):
        return float32
    if isinstance(value, (str, bytes)):
        return string
    if isinstance(value, (list, tuple)):
        leaves = _leaves(value)
        if not leaves:
            return float32
        if any(isinstance(x, (str, bytes)) for x in leaves):
            return string
        if any(isinstance(x, (float, np.floating)) for x in leaves):
            floats = [x for x in leaves if isinstance(x, np.floating)]
            if floats and all(isinstance(x, np.floating) for x in leaves):
                return as_dtype(np.result_type(*floats))
            return float32
        if all(isinstance(x, (bool, np.bool_)) for x in leaves):
            return bool_
        ints = [int(x) for x in leaves]
        if all(-(2**31) <= x < 2**31 for x in ints):
            return int32
        return int64
    raise TypeError(f"Cannot infer a dtype for {value!r} of type {type(value).__name__}.")


def _leaves(value) -> list:
    out = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, np.ndarray):
            out.extend(item.ravel().tolist() if item.dtype.kind != "f" else [item.dtype.type(0)])
        else:
            out.append(item)
    return out


_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def tf_type_name(dtype_name: str) -> str:
    """The DataType name TF prints in error messages ('float' for float32)."""
    return _TF_TYPE_NAMES.get(dtype_name, dtype_name)


# tf.compat's bytes and text helpers ------------------------------------------------------------
def as_bytes(bytes_or_text, encoding="utf-8") -> bytes:
    """`bytes_or_text` as bytes (text encoded); TypeError for anything else, as TF."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8") -> str:
    """`bytes_or_text` as str (bytes decoded); TypeError for anything else, as TF."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value, encoding="utf-8") -> str:
    """str of anything (bytes decoded)."""
    return as_str(value, encoding) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    """A path-like object as str (anything else as it is)."""
    return path.__fspath__() if hasattr(path, "__fspath__") else path
