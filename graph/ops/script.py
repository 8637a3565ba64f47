"""Python functions as ops (`tf.py_func`, `tf.numpy_function`, `tf.py_function`), TF 2's
`tf.print` in graph form, and tensors as TensorProto bytes (`tf.io.serialize_tensor`,
`parse_tensor`).

A py_func's function stays in the process that built the graph (it is not shipped to
other processes): it runs with the in-process Session, or in a cluster task whose hosted
client built it (placed there: `tf.device` or the replica_device_setter's worker device).
Elsewhere its run is a FailedPreconditionError saying so. Its Python exceptions come back
as TF1's classes: ValueError and TypeError InvalidArgumentError, StopIteration and
IndexError OutOfRangeError, MemoryError ResourceExhaustedError, NotImplementedError
UnimplementedError, any other UnknownError. Not differentiable, as in TF1.
"""

from __future__ import annotations

import sys
import traceback
import uuid

import numpy as np

from .. import dtypes as _dt, errors as _errors
from ..framework import apply_op, convert_to_tensor
from ..graph_def import make_ndarray, make_tensor_proto
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

_FUNCS: dict = {}  # token -> the Python function of a py_func op built in this process
_ERRORS = [
    ((ValueError, TypeError), _errors.InvalidArgumentError),
    ((StopIteration, IndexError), _errors.OutOfRangeError),
    ((MemoryError,), _errors.ResourceExhaustedError),
    ((NotImplementedError,), _errors.UnimplementedError),
]


def _py_func_kernel(state, *inputs, token, Tout):
    func = _FUNCS.get(token)
    if func is None:
        raise _errors.FailedPreconditionError(
            None, None, "A py_func runs only in the process that built it (the in-process "
            "Session, or a client hosted in the task it is placed on)"
        )  # fmt: skip
    try:
        result = func(*[np.asarray(x) if not np.isscalar(x) else x for x in inputs])
    except Exception as err:  # noqa: BLE001 -- each becomes TF1's error class
        text = "".join(traceback.format_exception_only(type(err), err)).strip()
        kind = next((cls for types, cls in _ERRORS if isinstance(err, types)),
                    _errors.UnknownError)  # fmt: skip
        raise kind(None, None, text) from err
    values = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(values) != len(Tout):
        raise _errors.InvalidArgumentError(
            None, None, f"pyfunc returned {len(values)} values, but expects {len(Tout)}"
        )  # fmt: skip
    out = []
    for value, dtype in zip(values, Tout):
        want = _dt.as_dtype(dtype)
        array = np.asarray(value, dtype=object if want is _dt.string else None)
        if want is not _dt.string and array.dtype != want.np:
            raise _errors.InvalidArgumentError(
                None, None, f"0-th value returned by pyfunc_{token[:8]} is "
                f"{_dt.as_dtype(array.dtype).name}, but expects {want.name}"
            )  # fmt: skip
        out.append(array)
    return tuple(out)


register_op(
    OpDef(
        "PyFunc",
        inputs=["input: N*any"],
        outputs=["output: N*any"],
        attrs={"token": "", "Tout": []},
        infer=lambda inputs, *, Tout, **_: [
            TensorSpec(_dt.as_dtype(t), TensorShape(None)) for t in Tout
        ],  # fmt: skip
        kernel=_py_func_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803
    """Runs the Python function `func` on the numpy values of `inp` as an op; its results
    are converted to `Tout` (a dtype, or a list of them: then a list of tensors)."""
    single = not isinstance(Tout, (list, tuple))
    types = [_dt.as_dtype(t).name for t in ([Tout] if single else Tout)]
    token = uuid.uuid4().hex
    _FUNCS[token] = func
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    op = apply_op("PyFunc", [inputs], {"token": token, "Tout": types}, name=name or "PyFunc")
    if single:
        return op.outputs[0]
    return list(op.outputs)


def numpy_function(func, inp, Tout, name=None):  # noqa: N803
    """`tf.numpy_function`: py_func."""
    return py_func(func, inp, Tout, name=name)


def py_function(func, inp, Tout, name=None):  # noqa: N803
    """`tf.py_function`: here the function gets numpy values (there are no eager tensors)."""
    return py_func(func, inp, Tout, name=name)


# tf.print -----------------------------------------------------------------------------------------
def _scalar(value, quote: bool = True) -> str:
    """One element as TF prints it: floats in the fewest of 6 (or 9; 15 or 17 for doubles)
    significant digits that read back the same, strings in double quotes."""
    if isinstance(value, bytes):
        text = value.decode(errors="replace")
        return f'"{text}"' if quote else text
    if isinstance(value, (np.floating, float)):
        short, full = (6, 9) if np.asarray(value).dtype.itemsize <= 4 else (15, 17)
        text = f"{value:.{short}g}"
        return text if type(value)(text) == value else f"{value:.{full}g}"
    return str(value)


def _format(value, summarize: int, depth: int = 0) -> str:
    """A tensor as `tf.print` shows it: `[1 2 ... 5 6]`, rows of a matrix on lines of their
    own, `summarize` elements kept at each end of every dimension (all when negative)."""
    value = np.asarray(value)
    if value.ndim == 0:
        return _scalar(value.item() if value.dtype == object else value[()], True)
    n = value.shape[0]
    shown: list[int | None] = list(range(n))
    if 0 <= summarize < n and n > 2 * summarize:
        shown = list(range(summarize)) + [None] + list(range(n - summarize, n))
    parts = ["..." if k is None else _format(value[k], summarize, depth + 1) for k in shown]
    sep = " " if value.ndim == 1 else "\n" + " " * (depth + 1)
    return "[" + sep.join(parts) + "]"


def _print_v2_kernel(state, *values, template, sep, end, summarize, stream):
    texts = iter(_format(v, summarize) for v in values)
    text = sep.join(next(texts) if part is None else part for part in template) + end
    (sys.stdout if stream == "stdout" else sys.stderr).write(text)
    return None


register_op(
    OpDef(
        "PrintV2",
        inputs=["inputs: N*any"],
        outputs=[],
        attrs={"template": [], "sep": " ", "end": "\n", "summarize": 3, "stream": "stderr"},
        infer=lambda *_, **__: [],
        kernel=_print_v2_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def print_v2(*inputs, output_stream=sys.stderr, sep=" ", end="\n", summarize=3, name=None):
    """`tf.print`: an op that prints its inputs (tensors formatted, other values as text)
    each time it runs; run it, or make other ops depend on it."""
    streams = {id(sys.stdout): "stdout", id(sys.stderr): "stderr", "stdout": "stdout",
               "stderr": "stderr"}  # fmt: skip
    stream = streams.get(output_stream if isinstance(output_stream, str) else id(output_stream))
    if stream is None:
        raise ValueError(f"Unsupported output stream for tf.print: {output_stream!r}")
    template, tensors = [], []
    for x in inputs:
        if isinstance(x, (str, int, float, bool)) and not hasattr(x, "dtype"):
            template.append(str(x))
        else:
            tensors.append(convert_to_tensor(x))
            template.append(None)
    attrs = {"template": template, "sep": sep, "end": end, "summarize": int(summarize),
             "stream": stream}  # fmt: skip
    return apply_op("PrintV2", [tensors], attrs, name=name or "PrintV2")


# serialize_tensor / parse_tensor ------------------------------------------------------------------
def _serialize_kernel(tensor):
    return np.array(make_tensor_proto(np.asarray(tensor)).SerializeToString(), dtype=object)


def _parse_kernel(serialized, *, out_type):
    from tensorboard.compat.proto import tensor_pb2

    data = np.asarray(serialized, dtype=object).item()
    try:
        proto = tensor_pb2.TensorProto.FromString(data)
    except Exception:  # noqa: BLE001 -- protobuf's DecodeError
        raise _errors.InvalidArgumentError(
            None, None, "Could not parse `serialized` as TensorProto"
        ) from None
    value = make_ndarray(proto)
    if _dt.as_dtype(proto.dtype).name != _dt.as_dtype(out_type).name:
        raise _errors.InvalidArgumentError(
            None, None, f"Type mismatch between parsed tensor ({_dt.as_dtype(proto.dtype).name})"
            f" and dtype ({_dt.as_dtype(out_type).name})"
        )  # fmt: skip
    return value


register_op(
    OpDef(
        "SerializeTensor",
        inputs=["tensor: T"],
        outputs=["serialized: string"],
        types={"T": ()},
        infer=lambda tensor: TensorSpec(_dt.string, TensorShape([])),
        kernel=_serialize_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "ParseTensor",
        inputs=["serialized: string"],
        outputs=["output: out_type"],
        attrs={"out_type": "float32"},
        infer=lambda serialized, *, out_type: TensorSpec(_dt.as_dtype(out_type), TensorShape(None)),
        kernel=_parse_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def serialize_tensor(tensor, name=None):
    """A tensor as the bytes of its TensorProto (what TF's serialize_tensor gives)."""
    return apply_op("SerializeTensor", [convert_to_tensor(tensor)], {},
                    name=name or "SerializeTensor").outputs[0]  # fmt: skip


def parse_tensor(serialized, out_type, name=None):
    """The tensor a serialized TensorProto holds (its dtype must be `out_type`)."""
    return apply_op("ParseTensor", [convert_to_tensor(serialized, dtype=_dt.string)],
                    {"out_type": _dt.as_dtype(out_type).name},
                    name=name or "ParseTensor").outputs[0]  # fmt: skip


# tf.strings.format -----------------------------------------------------------------------------
def _string_format_kernel(*inputs, template, placeholder, summarize):
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise _errors.InvalidArgumentError(
            None, None, f"num placeholders in template and num inputs must match: "
            f"{len(pieces) - 1} vs. {len(inputs)}"
        )  # fmt: skip
    out = pieces[0]
    for value, rest in zip(inputs, pieces[1:]):
        out += _format(value, summarize) + rest
    return np.array(out.encode(), dtype=object)


register_op(
    OpDef(
        "StringFormat",
        inputs=["inputs: N*any"],
        outputs=["output: string"],
        attrs={"template": "%s", "placeholder": "%s", "summarize": 3},
        infer=lambda *_, **__: TensorSpec(_dt.string, TensorShape([])),
        kernel=_string_format_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """`tf.strings.format`: `template` with each `placeholder` replaced by the next input,
    formatted as tf.print shows tensors; a scalar string."""
    tensors = [
        convert_to_tensor(x) for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])
    ]
    if template.count(placeholder) != len(tensors):
        raise ValueError(f"num placeholders in template and num inputs must match: "
                         f"{template.count(placeholder)} vs. {len(tensors)}")  # fmt: skip
    attrs = {"template": template, "placeholder": placeholder, "summarize": int(summarize)}
    return apply_op("StringFormat", [tensors], attrs, name=name or "StringFormat").outputs[0]


# serialize_sparse / serialize_many_sparse / deserialize_many_sparse ------------------------------
def _serialize_many_kernel(indices, values, dense_shape):
    """[N, 3]: for each entry of the first dimension, its SparseTensor (the first index
    column and dimension dropped) serialized as TF does."""
    indices, values, shape = np.asarray(indices), np.asarray(values), np.asarray(dense_shape)
    if shape.size < 2:
        raise _errors.InvalidArgumentError(
            None, None, "SparseTensor must have rank at least 2 to be serialized as a batch"
        )
    out = np.empty((int(shape[0]), 3), dtype=object)
    for row in range(int(shape[0])):
        keep = indices[:, 0] == row
        parts = (indices[keep][:, 1:].astype(np.int64), values[keep], shape[1:].astype(np.int64))
        for k, part in enumerate(parts):
            out[row, k] = _serialize_kernel(part).item()
    return out


def _deserialize_many_kernel(serialized, *, dtype):
    rows = np.asarray(serialized, dtype=object).reshape(-1, 3)
    all_indices, all_values, shapes = [], [], []
    for row, (i, v, s) in enumerate(rows):
        idx = _parse_kernel(np.array(i, dtype=object), out_type="int64")
        all_values.append(_parse_kernel(np.array(v, dtype=object), out_type=dtype))
        shapes.append(_parse_kernel(np.array(s, dtype=object), out_type="int64"))
        idx = idx.reshape(len(idx), len(shapes[-1]))
        all_indices.append(np.concatenate([np.full((len(idx), 1), row, np.int64), idx], 1))
    if not rows.size:
        return (
            np.zeros((0, 1), np.int64),
            np.zeros(0, _dt.as_dtype(dtype).np),
            np.zeros(1, np.int64),
        )
    if len({len(s) for s in shapes}) != 1:
        raise _errors.InvalidArgumentError(None, None, "Inconsistent rank across SparseTensors")
    shape = np.max(np.stack(shapes), axis=0)
    indices = np.concatenate(all_indices)
    values = np.concatenate(all_values)
    order = np.lexsort(indices.T[::-1])
    return indices[order], values[order], np.concatenate([[len(rows)], shape]).astype(np.int64)


register_op(
    OpDef(
        "SerializeManySparse",
        inputs=["sparse_indices: int64", "sparse_values: T", "sparse_shape: int64"],
        outputs=["serialized_sparse: string"],
        types={"T": ()},
        infer=lambda i, v, s: TensorSpec(_dt.string, TensorShape([None, 3])),
        kernel=_serialize_many_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "DeserializeManySparse",
        inputs=["serialized_sparse: string"],
        outputs=["sparse_indices: int64", "sparse_values: dtype", "sparse_shape: int64"],
        attrs={"dtype": None},
        infer=lambda s, *, dtype: [
            TensorSpec(_dt.int64, TensorShape([None, None])),
            TensorSpec(_dt.as_dtype(dtype), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([None])),
        ],
        kernel=_deserialize_many_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def serialize_sparse(sp_input, name=None, out_type=_dt.string):
    """A SparseTensor as a string vector of its 3 serialized parts (TF's bytes)."""
    from ..framework import name_scope
    from . import array as _array

    with name_scope(name, "SerializeSparse"):
        parts = [sp_input.indices, sp_input.values, sp_input.dense_shape]
        return _array.stack([serialize_tensor(p) for p in parts])


def serialize_many_sparse(sp_input, name=None, out_type=_dt.string):
    """A rank >= 2 SparseTensor as [N, 3] strings: each entry of its first dimension
    serialized (the form deserialize_many_sparse and the queues' batching take)."""
    return apply_op(
        "SerializeManySparse",
        [sp_input.indices, sp_input.values, sp_input.dense_shape],
        name=name or "SerializeManySparse",
    ).outputs[0]


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The SparseTensors of an [N, 3] string tensor as one, with the batch dimension first
    (the dense shape is the largest of each dimension)."""
    from ..sparse_tensor import SparseTensor

    op = apply_op(
        "DeserializeManySparse",
        [convert_to_tensor(serialized_sparse, dtype=_dt.string)],
        {"dtype": _dt.as_dtype(dtype).name},
        name=name or "DeserializeManySparse",
    )
    return SparseTensor(*op.outputs)
