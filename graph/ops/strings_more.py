"""More string ops: StringToHashBucket (TF's 64-bit Murmur-style Hash64, as the op has
always used) and StringToHashBucketStrong (SipHash-2-4 under a 128-bit key), both giving
TF's buckets; `ngrams` of dense string tensors and `bytes_split` of a scalar."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math, strings as _strings

_M64 = (1 << 64) - 1


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def hash64(data: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TF's Hash64: MurmurHash64A over little-endian 8-byte words."""
    m, r = 0xC6A4A7935BD1E995, 47
    n = len(data)
    h = (seed ^ (n * m)) & _M64
    end = n - n % 8
    for (k,) in struct.iter_unpack("<Q", data[:end]):
        k = (k * m) & _M64
        k ^= k >> r
        k = (k * m) & _M64
        h = ((h ^ k) * m) & _M64
    if n > end:
        for j in range(n - end - 1, -1, -1):
            h ^= data[end + j] << (8 * j)
        h = (h * m) & _M64
    h ^= h >> r
    h = (h * m) & _M64
    return h ^ (h >> r)


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M64
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _M64
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _M64
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _M64
    v1 = _rotl(v1, 17) ^ v2
    return v0, v1, _rotl(v2, 32), v3


def siphash24(k0: int, k1: int, data: bytes) -> int:
    """SipHash-2-4 of `data` under the key (k0, k1)."""
    v = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]
    n = len(data)
    end = n - n % 8
    last = (n & 0xFF) << 56
    for j, c in enumerate(data[end:]):
        last |= c << (8 * j)
    words = [k for (k,) in struct.iter_unpack("<Q", data[:end])] + [last]
    for word in words:
        v[3] ^= word
        v = list(_sip_round(*_sip_round(*v)))
        v[0] ^= word
    v[2] ^= 0xFF
    for _ in range(4):
        v = list(_sip_round(*v))
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _bucket_kernel(hash_fn):
    def kernel(input, *, num_buckets, key=()):
        flat = [hash_fn(_bytes(s), key) % num_buckets for s in np.asarray(input, object).ravel()]
        return np.asarray(flat, np.int64).reshape(np.shape(input))

    return kernel


def _bucket_infer(input, *, num_buckets, key=()):
    if num_buckets < 1:
        raise ValueError(f"num_buckets must be >= 1, got {num_buckets}")
    return TensorSpec(_dt.int64, input.shape)


register_op(
    OpDef(
        "StringToHashBucket",
        inputs=["string_tensor: string"],
        outputs=["output: int64"],
        attrs={"num_buckets": None},
        infer=_bucket_infer,
        kernel=_bucket_kernel(lambda s, key: hash64(s)),
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "StringToHashBucketStrong",
        inputs=["input: string"],
        outputs=["output: int64"],
        attrs={"num_buckets": None, "key": None},
        infer=_bucket_infer,
        kernel=_bucket_kernel(lambda s, key: siphash24(key[0], key[1], s)),
        grad=NOT_DIFFERENTIABLE,
    )
)


def to_hash_bucket(input, num_buckets, name=None) -> Tensor:  # noqa: A002
    """Hash64(s) % num_buckets for each string (TF's StringToHashBucket)."""
    attrs = {"num_buckets": int(num_buckets)}
    return apply_op(
        "StringToHashBucket", [convert_to_tensor(input, dtype=_dt.string)], attrs, name=name
    ).outputs[0]


def string_to_hash_bucket(string_tensor, num_buckets, name=None, input=None) -> Tensor:  # noqa: A002
    return to_hash_bucket(string_tensor if input is None else input, num_buckets, name)


def to_hash_bucket_strong(input, num_buckets, key, name=None) -> Tensor:  # noqa: A002
    """SipHash-2-4(key, s) % num_buckets for each string: slower, but an adversary who
    does not know `key` (two uint64) cannot make strings collide."""
    key = [int(k) for k in key]
    if len(key) != 2:
        raise InvalidArgumentError(None, None, f"Key must have 2 elements, got {len(key)}")
    attrs = {"num_buckets": int(num_buckets), "key": key}
    return apply_op(
        "StringToHashBucketStrong", [convert_to_tensor(input, dtype=_dt.string)], attrs, name=name
    ).outputs[0]


def string_to_hash_bucket_strong(input, num_buckets, key, name=None) -> Tensor:  # noqa: A002
    return to_hash_bucket_strong(input, num_buckets, key, name)


def ngrams(
    data,
    ngram_width,
    separator=" ",
    pad_values=None,
    padding_width=None,
    preserve_short_sequences=False,
    name=None,
) -> Tensor:
    """The n-grams (joined by `separator`) of each row of a dense string tensor: [...,
    n - width + 1] (after `padding_width` pads on each side when `pad_values` is given)."""
    if isinstance(ngram_width, (list, tuple)):
        if len(ngram_width) != 1:
            raise NotImplementedError("ngrams of several widths give a ragged result")
        ngram_width = ngram_width[0]
    with name_scope(name, "StringNGrams"):
        data = convert_to_tensor(data, dtype=_dt.string)
        if pad_values is not None:
            both = isinstance(pad_values, (str, bytes))
            left, right = (pad_values, pad_values) if both else pad_values
            width = ngram_width - 1 if padding_width is None else padding_width
            rank = data.shape.ndims
            dims: Any = _array.shape(data)
            lead = dims[:-1]
            pads = [_array.fill(_array.concat([lead, [width]], 0), side) for side in (left, right)]
            data = _array.concat([pads[0], data, pads[1]], rank - 1)
        n = data.shape.as_list()[-1]
        if n is None:
            raise ValueError("ngrams needs the last dimension known")
        count = n - ngram_width + 1
        if count < 1:
            if preserve_short_sequences and n > 0:
                return _strings.reduce_join(data, axis=-1, keepdims=True, separator=separator)
            all_dims: Any = _array.shape(data)
            return _array.zeros(_array.concat([all_dims[:-1], [0]], 0), _dt.string)
        rows: Any = data
        grams = [
            _strings.reduce_join(rows[..., i : i + ngram_width], axis=-1, separator=separator)
            for i in range(count)
        ]
        return _array.stack(grams, axis=-1)


def bytes_split(input, name=None) -> Tensor:  # noqa: A002
    """The bytes of a scalar string, each as a one-byte string (a vector)."""
    with name_scope(name, "BytesSplit"):
        input = convert_to_tensor(input, dtype=_dt.string)
        if input.shape.ndims != 0:
            raise NotImplementedError("bytes_split of a non-scalar gives a ragged result")
        positions = _math.range_(_strings.length(input))
        copies = _array.fill(_array.shape(positions), input)
        return _strings.substr(copies, positions, _array.ones_like(positions))


# Fingerprint -----------------------------------------------------------------------------------
def _fingerprint_kernel(data, method):
    import farmhash

    if method != b"farmhash64" and method != "farmhash64":
        raise InvalidArgumentError(None, None, f"Unsupported fingerprint method: {method!r}")
    rows = np.asarray(data)
    n = rows.shape[0] if rows.ndim else 1
    rows = rows.reshape(n, -1)
    out = np.empty((n, 8), np.uint8)
    for i, row in enumerate(rows):
        if row.dtype == object:  # strings: each one's fingerprint, then of those
            if len(row) == 1:
                value = farmhash.fingerprint64(_bytes(row[0]))
            else:
                parts = b"".join(struct.pack("<Q", farmhash.fingerprint64(_bytes(s))) for s in row)
                value = farmhash.fingerprint64(parts)
        else:
            value = farmhash.fingerprint64(np.ascontiguousarray(row).tobytes())
        out[i] = np.frombuffer(struct.pack("<Q", value), np.uint8)
    return out


register_op(
    OpDef(
        "Fingerprint",
        inputs=["data: T", "method: string"],
        outputs=["fingerprint: uint8"],
        types={"T": ()},
        infer=lambda data, method: TensorSpec(
            _dt.uint8,
            TensorShape([data.shape.as_list()[0] if data.shape.ndims else None, 8]),
        ),
        kernel=_fingerprint_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def fingerprint(data, method="farmhash64", name=None) -> Tensor:
    """An 8-byte FarmHash fingerprint of each row (the first dimension) of `data`, as TF
    computes it: [rows, 8] uint8, little-endian."""
    method = convert_to_tensor(method, dtype=_dt.string)
    return apply_op("Fingerprint", [convert_to_tensor(data), method], name=name).outputs[0]


# Unicode transcoding and encoding --------------------------------------------------------------
_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _codec(name: str) -> str:
    codec = _ENCODINGS.get(str(name).upper())
    if codec is None:
        raise ValueError(f"Unsupported encoding {name!r}: one of {sorted(_ENCODINGS)}")
    return codec


def _transcode_kernel(
    input, *, input_encoding, output_encoding, errors, replacement_char, replace_control_characters
):
    src, dst = _codec(input_encoding), _codec(output_encoding)
    replacement = chr(replacement_char)

    def one(raw):
        raw = _bytes(raw)
        if errors == "strict":
            try:
                text = raw.decode(src)
            except UnicodeDecodeError as err:
                raise InvalidArgumentError(
                    None, None, f"Invalid formatting on input string: {err}"
                ) from None
        else:
            text = raw.decode(src, errors="replace")
            if errors == "ignore":
                text = text.replace("\ufffd", "")
            elif replacement != "\ufffd":
                text = text.replace("\ufffd", replacement)
        if replace_control_characters:
            text = "".join(replacement if ord(c) < 32 else c for c in text)
        return text.encode(dst)

    values = np.asarray(input, dtype=object)
    out = np.empty(values.shape, dtype=object)
    out.reshape(-1)[:] = [one(v) for v in values.reshape(-1)]
    return out


register_op(
    OpDef(
        "UnicodeTranscode",
        inputs=["input: string"],
        outputs=["output: string"],
        attrs={
            "input_encoding": None,
            "output_encoding": None,
            "errors": "replace",
            "replacement_char": 65533,
            "replace_control_characters": False,
        },
        infer=lambda input, **_: TensorSpec(_dt.string, input.shape),
        kernel=_transcode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def unicode_transcode(
    input,
    input_encoding,
    output_encoding,
    errors="replace",  # noqa: A002
    replacement_char=65533,
    replace_control_characters=False,
    name=None,
):
    """Each string re-encoded from `input_encoding` to `output_encoding` (UTF-8,
    UTF-16-BE, UTF-32-BE); invalid input is replaced, ignored, or an error ("strict")."""
    if errors not in ("replace", "ignore", "strict"):
        raise ValueError(f"errors must be replace, ignore or strict, got {errors!r}")
    _codec(input_encoding), _codec(output_encoding)
    attrs = {
        "input_encoding": input_encoding,
        "output_encoding": output_encoding,
        "errors": errors,
        "replacement_char": int(replacement_char),
        "replace_control_characters": bool(replace_control_characters),
    }
    return apply_op(
        "UnicodeTranscode", [convert_to_tensor(input, dtype=_dt.string)], attrs, name=name
    ).outputs[0]


def _encode_kernel(input, *, output_encoding, errors, replacement_char):
    codec = _codec(output_encoding)
    points = np.asarray(input)
    rows = points.reshape(-1, points.shape[-1]) if points.ndim else points.reshape(1, 1)

    def char(c):
        if 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF:
            return chr(c)
        if errors == "strict":
            raise InvalidArgumentError(None, None, f"Invalid code point: {c}")
        return "" if errors == "ignore" else chr(replacement_char)

    texts = ["".join(char(int(c)) for c in row).encode(codec) for row in rows]
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return out.reshape(points.shape[:-1])


register_op(
    OpDef(
        "UnicodeEncode",
        inputs=["input: Tsplits"],
        outputs=["output: string"],
        types={"Tsplits": (_dt.int32, _dt.int64)},
        attrs={"output_encoding": None, "errors": "replace", "replacement_char": 65533},
        infer=lambda input, **_: TensorSpec(
            _dt.string,
            TensorShape(None if input.shape.ndims is None else input.shape.as_list()[:-1]),
        ),
        kernel=_encode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def unicode_encode(
    input,
    output_encoding,
    errors="replace",
    replacement_char=65533,  # noqa: A002
    name=None,
):
    """Rows of code points (the last dimension of a dense int tensor) as strings."""
    _codec(output_encoding)
    attrs = {
        "output_encoding": output_encoding,
        "errors": errors,
        "replacement_char": int(replacement_char),
    }
    return apply_op("UnicodeEncode", [convert_to_tensor(input)], attrs, name=name).outputs[0]
