"""`tf.strings` basics on string tensors (numpy object arrays of bytes, fetched as bytes as
TF returns them): lower/upper/strip/length, substr, regex_replace/regex_full_match, join and
reduce_join, split (a SparseTensor, as tf.compat.v1 gives it), to_number, as_string and
unsorted_segment_join. None is differentiable."""

from __future__ import annotations

import re

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _map(fn, x, dtype=object):
    flat = np.asarray(x, dtype=object).reshape(-1)
    out = np.empty(flat.size, dtype=dtype)
    for i, v in enumerate(flat):
        out[i] = fn(_bytes(v))
    return out.reshape(np.shape(x))


def _string(x):
    return convert_to_tensor(x, dtype=_dt.string)


def _unary(op_type, fn, out_dtype=_dt.string, attrs=None):
    def kernel(input, **kw):
        return _map(
            lambda b: fn(b, **kw), input, object if out_dtype == _dt.string else out_dtype.np
        )

    register_op(
        OpDef(
            op_type,
            inputs=["input: string"],
            outputs=[f"output: {out_dtype.name}"],
            attrs=dict(attrs or {}),
            infer=lambda input, **_: TensorSpec(out_dtype, input.shape),
            kernel=kernel,
            grad=NOT_DIFFERENTIABLE,
        )
    )

    def op(input, name=None, **kw):
        return apply_op(op_type, [_string(input)], kw, name=name or op_type).outputs[0]

    return op


def _encoding(encoding):
    if encoding not in ("", "utf-8", "UTF-8"):
        raise ValueError(f"encoding must be '' or 'utf-8', got {encoding!r}")


_lower = _unary("StringLower", lambda b, encoding="": b.lower(), attrs={"encoding": ""})
_upper = _unary("StringUpper", lambda b, encoding="": b.upper(), attrs={"encoding": ""})
strip = _unary("StringStrip", lambda b: b.strip())
_length = _unary(
    "StringLength",
    lambda b, unit="BYTE": len(b) if unit == "BYTE" else len(b.decode("utf-8")),
    _dt.int32,
    {"unit": "BYTE"},
)


def lower(input, encoding="", name=None):
    _encoding(encoding)
    return _lower(input, name=name, encoding=encoding)


def upper(input, encoding="", name=None):
    _encoding(encoding)
    return _upper(input, name=name, encoding=encoding)


def length(input, name=None, unit="BYTE"):
    """Bytes (or UTF-8 characters with unit='UTF8_CHAR') of each string."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"unit must be BYTE or UTF8_CHAR, got {unit!r}")
    return _length(input, name=name, unit=unit)


def _regex(pattern, what):
    try:
        return re.compile(_bytes(pattern))
    except re.error as err:
        raise InvalidArgumentError(None, None, f"Invalid pattern in {what}: {err}") from None


def _regex_replace_kernel(input, pattern, rewrite, *, replace_global):
    rx = _regex(np.asarray(pattern).item(), "regex_replace")
    # RE2's \1 backreferences are Python's too.
    new = _bytes(np.asarray(rewrite).item())
    return _map(lambda b: rx.sub(new, b, count=0 if replace_global else 1), input)


register_op(
    OpDef(
        "RegexReplace",
        inputs=["input: string", "pattern: string", "rewrite: string"],
        outputs=["output: string"],
        attrs={"replace_global": True},
        infer=lambda input, *_, **__: TensorSpec(_dt.string, input.shape),
        kernel=_regex_replace_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Each match of the RE2 `pattern` replaced by `rewrite` (\\1 refers to groups)."""
    return apply_op(
        "RegexReplace",
        [_string(input), _string(pattern), _string(rewrite)],
        {"replace_global": bool(replace_global)},
        name=name or "RegexReplace",
    ).outputs[0]


def _full_match_kernel(input, pattern):
    rx = _regex(np.asarray(pattern).item(), "regex_full_match")
    return _map(lambda b: rx.fullmatch(b) is not None, input, np.bool_)


register_op(
    OpDef(
        "RegexFullMatch",
        inputs=["input: string", "pattern: string"],
        outputs=["output: bool"],
        infer=lambda input, pattern: TensorSpec(_dt.bool_, input.shape),
        kernel=_full_match_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def regex_full_match(input, pattern, name=None):
    return apply_op(
        "RegexFullMatch", [_string(input), _string(pattern)], {}, name=name or "RegexFullMatch"
    ).outputs[0]


def _substr_kernel(input, pos, size, *, unit):
    flat = np.asarray(input, dtype=object)
    pos_b, len_b = np.broadcast_to(pos, flat.shape), np.broadcast_to(size, flat.shape)
    out = np.empty(flat.shape, dtype=object)
    for idx in np.ndindex(flat.shape):
        s = _bytes(flat[idx])
        p, n = int(pos_b[idx]), int(len_b[idx])
        text = s.decode("utf-8") if unit == "UTF8_CHAR" else s
        if p > len(text) or p < -len(text):
            raise InvalidArgumentError(
                None,
                None,
                f"pos {p} out of range for string b'{s.decode(errors='replace')}' "
                f"at index {list(idx)}",
            )
        piece = text[p : p + n] if p >= 0 else text[len(text) + p : len(text) + p + n]
        out[idx] = piece.encode("utf-8") if unit == "UTF8_CHAR" else piece
    return out


register_op(
    OpDef(
        "Substr",
        inputs=["input: string", "pos: T", "len: T"],
        outputs=["output: string"],
        types={"T": (_dt.int32, _dt.int64)},
        attrs={"unit": "BYTE"},
        infer=lambda input, pos, len, **_: TensorSpec(_dt.string, input.shape),
        kernel=_substr_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def substr(input, pos, len, name=None, unit="BYTE"):
    """`len` bytes (or UTF-8 characters) of each string from `pos` (negative: from the end)."""
    pos = convert_to_tensor(pos)
    return apply_op(
        "Substr",
        [_string(input), pos, convert_to_tensor(len, dtype=pos.dtype)],
        {"unit": unit},
        name=name or "Substr",
    ).outputs[0]


def _join_kernel(*inputs, separator):
    arrays = np.broadcast_arrays(*[np.asarray(x, dtype=object) for x in inputs])
    sep = _bytes(separator)
    out = np.empty(arrays[0].shape, dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = sep.join(_bytes(a[idx]) for a in arrays)
    return out


def _join_infer(inputs, *, separator):
    shapes = [t.shape for t in inputs]
    shape = next((s for s in shapes if s.ndims and s.ndims > 0), TensorShape([]))
    return TensorSpec(_dt.string, shape)


register_op(
    OpDef(
        "StringJoin",
        inputs=["inputs: N*string"],
        outputs=["output: string"],
        attrs={"separator": ""},
        infer=_join_infer,
        kernel=_join_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def join(inputs, separator="", name=None):
    """The strings of `inputs` (broadcast against each other) joined element-wise."""
    return apply_op(
        "StringJoin",
        [[_string(x) for x in inputs]],
        {"separator": separator},
        name=name or "StringJoin",
    ).outputs[0]


def _reduce_join_kernel(inputs, *, axis, keep_dims, separator):
    x = np.asarray(inputs, dtype=object)
    sep = _bytes(separator)
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in axis)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    rest = moved.shape[: x.ndim - len(axes)]
    flat = moved.reshape(rest + (-1,))
    out = np.empty(rest, dtype=object)
    for idx in np.ndindex(rest):
        out[idx] = sep.join(_bytes(v) for v in flat[idx])
    if keep_dims:
        out = np.expand_dims(out, axes) if axes else out
    return out


def _reduce_join_infer(inputs, *, axis, keep_dims, separator):
    if inputs.shape.ndims is None:
        return TensorSpec(_dt.string, TensorShape(None))
    n = inputs.shape.ndims
    axes = set(range(n)) if axis is None else {a % n for a in axis}
    dims = inputs.shape.as_list()
    out = (
        [1 if i in axes else d for i, d in enumerate(dims)]
        if keep_dims
        else [d for i, d in enumerate(dims) if i not in axes]
    )
    return TensorSpec(_dt.string, TensorShape(out))


register_op(
    OpDef(
        "ReduceJoin",
        inputs=["inputs: string"],
        outputs=["output: string"],
        attrs={"axis": None, "keep_dims": False, "separator": ""},
        infer=_reduce_join_infer,
        kernel=_reduce_join_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def reduce_join(
    inputs,
    axis=None,
    keep_dims=None,
    separator="",
    name=None,
    keepdims=None,
    reduction_indices=None,
):
    """The strings joined along `axis` (all axes when None)."""
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = None if axis is None else [int(a) for a in np.atleast_1d(axis)]
    return apply_op(
        "ReduceJoin",
        [_string(inputs)],
        {"axis": axes, "keep_dims": keep, "separator": separator},
        name=name or "ReduceJoin",
    ).outputs[0]


def _split_kernel(input, *, sep, maxsplit, skip_empty):
    strings = np.asarray(input, dtype=object).reshape(-1)
    indices, values, width = [], [], 0
    for row, s in enumerate(strings):
        b = _bytes(s)
        parts = b.split(None if not sep else _bytes(sep), maxsplit)
        if skip_empty:
            parts = [p for p in parts if p]
        for col, p in enumerate(parts):
            indices.append((row, col))
            values.append(p)
        width = max(width, len(parts))
    idx = np.array(indices, np.int64).reshape(-1, 2)
    vals = np.empty(len(values), dtype=object)
    vals[:] = values
    return idx, vals, np.array([strings.size, width], np.int64)


register_op(
    OpDef(
        "StringSplitV2",
        inputs=["input: string"],
        outputs=["indices: int64", "values: string", "shape: int64"],
        attrs={"sep": "", "maxsplit": -1, "skip_empty": False},
        infer=lambda input, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 2])),
            TensorSpec(_dt.string, TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([2])),
        ],
        kernel=_split_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def split(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None):
    """Each string of the vector `input` split on `sep` (whitespace runs when None), as a
    SparseTensor [len(input), most parts] (tf.compat.v1's default result)."""
    from ..sparse_tensor import SparseTensor

    input = source if input is None else input
    if result_type != "SparseTensor":
        raise NotImplementedError("tf.strings.split: RaggedTensor results")
    x = _string(input)
    if x.shape.ndims not in (None, 1):
        raise ValueError(f"input must be a vector, got shape {x.shape}")
    op = apply_op(
        "StringSplitV2",
        [x],
        {"sep": sep or "", "maxsplit": int(maxsplit), "skip_empty": False},
        name=name or "StringSplit",
    )
    return SparseTensor(*op.outputs)


def string_split(
    source,
    delimiter=" ",
    skip_empty=True,
    delimiter_type=None,
    sep=None,
    result_type="SparseTensor",
):
    """tf.string_split: split on any of the characters of `delimiter`, empty tokens dropped."""
    from ..sparse_tensor import SparseTensor

    delimiter = sep if sep is not None else delimiter
    x = _string(source)
    if len(_bytes(delimiter)) > 1:
        # any of several single-character delimiters: replace them all by the first
        chars = re.escape(_bytes(delimiter).decode())
        x = regex_replace(x, f"[{chars}]", _bytes(delimiter)[:1])
        delimiter = _bytes(delimiter)[:1].decode()
    op = apply_op(
        "StringSplitV2", [x], {"sep": delimiter, "maxsplit": -1, "skip_empty": bool(skip_empty)}
    )
    return SparseTensor(*op.outputs)


def _to_number_kernel(string_tensor, *, out_type):
    dtype = _dt.as_dtype(out_type).np

    def parse(b):
        try:
            return dtype.type(float(b) if np.issubdtype(dtype, np.floating) else int(b))
        except ValueError:
            raise InvalidArgumentError(
                None, None, f"StringToNumberOp could not correctly convert string: {b.decode()}"
            ) from None

    return _map(parse, string_tensor, dtype)


register_op(
    OpDef(
        "StringToNumber",
        inputs=["string_tensor: string"],
        outputs=["output: out_type"],
        attrs={"out_type": "float32"},
        infer=lambda s, *, out_type: TensorSpec(_dt.as_dtype(out_type), s.shape),
        kernel=_to_number_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def to_number(string_tensor, out_type=_dt.float32, name=None):
    return apply_op(
        "StringToNumber",
        [_string(string_tensor)],
        {"out_type": _dt.as_dtype(out_type).name},
        name=name or "StringToNumber",
    ).outputs[0]


def _as_string_kernel(input, *, precision, scientific, shortest, width, fill):
    x = np.asarray(input)

    def fmt(v):
        if x.dtype == np.bool_:
            text = "true" if v else "false"
        elif np.issubdtype(x.dtype, np.floating):
            spec = "e" if scientific else ("g" if shortest else "f")
            text = (
                f"{v:.{precision}{spec}}"
                if precision >= 0
                else (f"{v:{spec}}" if spec != "g" else repr(float(v)))
            )
        else:
            text = str(int(v))
        if width > 0:
            text = text.rjust(width, fill or " ")
        return text.encode()

    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = fmt(x[idx])
    return out


register_op(
    OpDef(
        "AsString",
        inputs=["input: T"],
        outputs=["output: string"],
        types={"T": _dt.NUMERIC + (_dt.bool_,)},
        attrs={"precision": -1, "scientific": False, "shortest": False, "width": -1, "fill": ""},
        infer=lambda input, **_: TensorSpec(_dt.string, input.shape),
        kernel=_as_string_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):
    """Each number as a string (floats: %f with `precision` digits, %e, or shortest)."""
    x = convert_to_tensor(input)
    if x.dtype.is_floating and precision < 0 and not scientific and not shortest:
        precision = 6  # TF's %f default
    attrs = {
        "precision": int(precision),
        "scientific": bool(scientific),
        "shortest": bool(shortest),
        "width": int(width),
        "fill": fill,
    }
    return apply_op("AsString", [x], attrs, name=name or "AsString").outputs[0]


def _segment_join_kernel(inputs, segment_ids, num_segments, *, separator):
    x = np.asarray(inputs, dtype=object).reshape(-1)
    ids = np.asarray(segment_ids).reshape(-1)
    n = int(num_segments)
    parts: list[list[bytes]] = [[] for _ in range(n)]
    for value, s in zip(x, ids):
        if 0 <= s < n:
            parts[int(s)].append(_bytes(value))
        elif s >= n:
            raise InvalidArgumentError(None, None, f"segment_ids[{s}] >= num_segments {n}")
    sep = _bytes(separator)
    out = np.empty(n, dtype=object)
    out[:] = [sep.join(p) for p in parts]
    return out


register_op(
    OpDef(
        "UnsortedSegmentJoin",
        inputs=["inputs: string", "segment_ids: Tindices", "num_segments: Tnumsegments"],
        outputs=["output: string"],
        types={"Tindices": (_dt.int32, _dt.int64), "Tnumsegments": (_dt.int32, _dt.int64)},
        attrs={"separator": ""},
        infer=lambda *a, **k: TensorSpec(_dt.string, TensorShape([None])),
        kernel=_segment_join_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """The strings of each segment joined (1-D inputs and segment ids)."""
    return apply_op(
        "UnsortedSegmentJoin",
        [_string(inputs), convert_to_tensor(segment_ids), convert_to_tensor(num_segments)],
        {"separator": separator},
        name=name or "UnsortedSegmentJoin",
    ).outputs[0]
