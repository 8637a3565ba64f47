"""Files and bytes as tensors: `tf.io.read_file`/`write_file` (local paths and URIs,
graph/storage.py), `matching_files` (glob patterns, sorted), `decode_raw` (a string's bytes
as numbers), `encode_base64`/`decode_base64` (web-safe base64, as TF's). Not
differentiable."""

from __future__ import annotations

import base64
import glob

import numpy as np

from .. import dtypes as _dt, storage
from ..errors import InvalidArgumentError, NotFoundError
from ..framework import apply_op, convert_to_tensor
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _read_file_kernel(state, filename):
    path = _text(np.asarray(filename, dtype=object).item())
    try:
        data = storage.read_bytes(path)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    return np.array(data, dtype=object)


def _write_file_kernel(state, filename, contents):
    path = _text(np.asarray(filename, dtype=object).item())
    data = np.asarray(contents, dtype=object).item()
    with storage.open_write(path) as f:
        f.write(data if isinstance(data, bytes) else str(data).encode())


def _matching_files_kernel(state, pattern):
    found: list[str] = []
    for p in np.asarray(pattern, dtype=object).reshape(-1):
        found += glob.glob(_text(p))
    out = np.empty(len(found), dtype=object)
    out[:] = [f.encode() for f in sorted(found)]
    return out


def _decode_raw_kernel(bytes_, *, out_type, little_endian=True, fixed_length=-1):
    dtype = np.dtype(_dt.as_dtype(out_type).np).newbyteorder("<" if little_endian else ">")
    flat = [b if isinstance(b, bytes) else str(b).encode()
            for b in np.asarray(bytes_, dtype=object).reshape(-1)]  # fmt: skip
    if fixed_length > 0:
        flat = [b[:fixed_length].ljust(fixed_length, b"\0") for b in flat]
    sizes = {len(b) for b in flat}
    if len(sizes) > 1:
        raise InvalidArgumentError(
            None, None, "DecodeRaw requires input strings to all be the same size, but "
            f"element 0 has size {len(flat[0])} != {sorted(sizes - {len(flat[0])})[0]}"
        )  # fmt: skip
    size = sizes.pop() if sizes else 0
    if size % dtype.itemsize:
        raise InvalidArgumentError(
            None, None, f"Input to DecodeRaw has length {size} that is not a multiple of "
            f"{dtype.itemsize}, the size of {_dt.as_dtype(out_type).name}"
        )  # fmt: skip
    values = np.frombuffer(b"".join(flat), dtype=dtype).astype(dtype.newbyteorder("="))
    return values.reshape(np.shape(bytes_) + (size // dtype.itemsize,))


def _encode_base64_kernel(input, *, pad=False):
    flat = np.asarray(input, dtype=object).reshape(-1)
    out = np.empty(flat.size, dtype=object)
    for i, b in enumerate(flat):
        text = base64.urlsafe_b64encode(b if isinstance(b, bytes) else str(b).encode())
        out[i] = text if pad else text.rstrip(b"=")
    return out.reshape(np.shape(input))


def _decode_base64_kernel(input):
    flat = np.asarray(input, dtype=object).reshape(-1)
    out = np.empty(flat.size, dtype=object)
    for i, b in enumerate(flat):
        text = b if isinstance(b, bytes) else str(b).encode()
        try:
            out[i] = base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
        except ValueError:
            raise InvalidArgumentError(
                None, None, f"Invalid character found in base64: {text!r}"
            ) from None
    return out.reshape(np.shape(input))


def _same(input, **_):
    return TensorSpec(_dt.string, input.shape)


_SIMPLE: list[tuple] = [
    ("ReadFile", ["filename: string"], ["contents: string"], {},
     lambda filename: TensorSpec(_dt.string, TensorShape([])), _read_file_kernel, True),
    ("WriteFile", ["filename: string", "contents: string"], [], {},
     lambda *_: [], _write_file_kernel, True),
    ("MatchingFiles", ["pattern: string"], ["filenames: string"], {},
     lambda pattern: TensorSpec(_dt.string, TensorShape([None])), _matching_files_kernel, True),
    ("EncodeBase64", ["input: string"], ["output: string"], {"pad": False}, _same,
     _encode_base64_kernel, False),
    ("DecodeBase64", ["input: string"], ["output: string"], {}, _same, _decode_base64_kernel,
     False),
]  # fmt: skip
for _type, _inputs, _outputs, _attrs, _infer, _kernel, _stateful in _SIMPLE:
    register_op(
        OpDef(
            _type,
            inputs=_inputs,
            outputs=_outputs,
            attrs=_attrs,
            infer=_infer,
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
            stateful=_stateful,
        )  # fmt: skip
    )
register_op(
    OpDef(
        "DecodeRaw",
        inputs=["bytes: string"],
        outputs=["output: out_type"],
        attrs={"out_type": "uint8", "little_endian": True, "fixed_length": -1},
        infer=lambda bytes, *, out_type, **_: TensorSpec(
            _dt.as_dtype(out_type),
            TensorShape(None if bytes.shape.ndims is None else bytes.shape.as_list() + [None]),
        ),
        kernel=_decode_raw_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _s(x):
    return convert_to_tensor(x, dtype=_dt.string)


def read_file(filename, name=None):
    """The whole contents of a file (a local path or URI) as a scalar string."""
    return apply_op("ReadFile", [_s(filename)], {}, name=name or "ReadFile").outputs[0]


def write_file(filename, contents, name=None):
    """Writes the scalar string `contents` to the file (created, or replaced)."""
    return apply_op("WriteFile", [_s(filename), _s(contents)], {}, name=name or "WriteFile")


def matching_files(pattern, name=None):
    """The files matching a glob pattern (or a vector of them), sorted."""
    return apply_op("MatchingFiles", [_s(pattern)], {}, name=name or "MatchingFiles").outputs[0]


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None,
               fixed_length=None):  # fmt: skip
    """Each string's bytes read as numbers of `out_type` (a new last dimension)."""
    value = input_bytes if input_bytes is not None else bytes
    attrs = {"out_type": _dt.as_dtype(out_type).name, "little_endian": bool(little_endian),
             "fixed_length": -1 if fixed_length is None else int(fixed_length)}  # fmt: skip
    return apply_op("DecodeRaw", [_s(value)], attrs, name=name or "DecodeRaw").outputs[0]


def encode_base64(input, pad=False, name=None):
    """Web-safe base64 of each string (`-` and `_`), unpadded unless `pad`."""
    return apply_op("EncodeBase64", [_s(input)], {"pad": bool(pad)},
                    name=name or "EncodeBase64").outputs[0]  # fmt: skip


def decode_base64(input, name=None):
    """The bytes each web-safe base64 string encodes."""
    return apply_op("DecodeBase64", [_s(input)], {}, name=name or "DecodeBase64").outputs[0]


def _decode_compressed_kernel(strings, *, compression_type):
    import gzip
    import zlib

    def one(data):
        data = data if isinstance(data, (bytes, bytearray)) else str(data).encode()
        try:
            if compression_type == "ZLIB":
                return zlib.decompress(data)
            if compression_type == "GZIP":
                return gzip.decompress(data)
        except (OSError, zlib.error, EOFError) as err:
            raise InvalidArgumentError(None, None, f"DecodeCompressed: {err}") from None
        return data

    values = np.asarray(strings, dtype=object)
    out = np.empty(values.shape, dtype=object)
    out.reshape(-1)[:] = [one(v) for v in values.reshape(-1)]
    return out


register_op(
    OpDef(
        "DecodeCompressed",
        inputs=["bytes: string"],
        outputs=["output: string"],
        attrs={"compression_type": ""},
        infer=lambda b, **_: TensorSpec(_dt.string, b.shape),
        kernel=_decode_compressed_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002
    """Each string decompressed ("ZLIB" or "GZIP"; "" leaves it as it is)."""
    kind = str(compression_type or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"Unsupported compression type: {compression_type}")
    return apply_op("DecodeCompressed", [convert_to_tensor(bytes, dtype=_dt.string)],
                    {"compression_type": kind}, name=name).outputs[0]  # fmt: skip
