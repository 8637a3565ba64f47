"""Sequence examples and the other feature kinds: `parse_single_sequence_example` and
`parse_sequence_example` (context features as in parse_example; FixedLenSequenceFeature
steps as a dense [steps, ...] tensor, VarLenFeature steps as a SparseTensor), SparseFeature
(a SparseTensor from an index feature and a value feature), and `decode_json_example`
(tf.train.Example JSON to its serialized proto)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from ..sparse_tensor import SparseTensor
from .parsing import _KINDS, _TF_NAMES, VarLenFeature, _dtype_name, _examples


class FixedLenSequenceFeature(NamedTuple):
    """A sequence feature whose every step has `shape` values of `dtype`."""

    shape: list
    dtype: object
    allow_missing: bool = False
    default_value: object = None


class SparseFeature(NamedTuple):
    """A SparseTensor of dense size `size` built from an int64 index feature and a value
    feature of the same length in each example."""

    index_key: object
    value_key: str
    dtype: object
    size: object
    already_sorted: bool = False


def _sequence_examples(serialized) -> list:
    from ..example_proto import SequenceExample

    out = []
    for k, s in enumerate(np.asarray(serialized, dtype=object).reshape(-1)):
        try:
            out.append(SequenceExample.FromString(s if isinstance(s, bytes) else str(s).encode()))
        except Exception:  # noqa: BLE001 -- protobuf's DecodeError and friends
            raise InvalidArgumentError(
                None, None, f"Could not parse example input, value: '{s!r}' (index {k})"
            ) from None
    return out


def _context_kernel(serialized):
    """Each SequenceExample's context as a serialized Example (parsed as one after)."""
    from ..example_proto import Example

    out = np.empty(np.shape(serialized), dtype=object)
    flat = [
        Example(features=seq.context).SerializeToString() for seq in _sequence_examples(serialized)
    ]
    out.reshape(-1)[:] = flat
    return out


register_op(
    OpDef(
        "SequenceExampleContext",
        inputs=["serialized: string"],
        outputs=["context: string"],
        infer=lambda serialized: TensorSpec(_dt.string, serialized.shape),
        kernel=_context_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _steps(seq, key, dtype, index):
    """The list of each step's values (numpy arrays), or None when the list is absent."""
    lists = seq.feature_lists.feature_list
    if key not in lists:
        return None
    steps = []
    for feature in lists[key].feature:
        kind = feature.WhichOneof("kind")
        if kind is None:
            steps.append(np.zeros(0, object if dtype == "string" else _dt.as_dtype(dtype).np))
            continue
        if kind != _KINDS[dtype]:
            found = {v: k for k, v in _KINDS.items()}[kind]
            raise InvalidArgumentError(
                None,
                None,
                f"Name: <unknown>, Feature list: {key}, Index: {index}.  Data types "
                f"don't match. Expected type: {_TF_NAMES[dtype]}, Feature is: {_TF_NAMES[found]}",
            )
        values = list(getattr(feature, kind).value)
        if dtype == "string":
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            steps.append(arr)
        else:
            steps.append(np.asarray(values, _dt.as_dtype(dtype).np))
    return steps


def _seq_dense_kernel(serialized, *, key, dtype, shape, allow_missing, default, single):
    count = int(np.prod(shape, dtype=np.int64))
    np_type = object if dtype == "string" else _dt.as_dtype(dtype).np
    per, lengths = [], []
    for index, seq in enumerate(_sequence_examples(serialized)):
        steps = _steps(seq, key, dtype, index)
        if steps is None:
            if not allow_missing:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Name: <unknown>, Feature list '{key}' is required but could "
                    "not be found.  Did you mean to include it in feature_list_dense_missing_"
                    "assumed_empty or feature_list_dense_defaults?",
                )
            steps = []
        for step in steps:
            if step.size != count:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Name: <unknown>, Key: {key}, Index: {index}.  Number of "
                    f"{_TF_NAMES[dtype]} values != expected.  values size: {step.size} but "
                    f"output shape: {list(shape)}",
                )
        per.append(steps)
        lengths.append(len(steps))
    longest = max(lengths, default=0)
    fill = default[0] if default else (b"" if dtype == "string" else 0)
    out = np.full((len(per), longest, count), fill, dtype=np_type)
    for b, steps in enumerate(per):
        for t, step in enumerate(steps):
            out[b, t] = step
    out = out.reshape((len(per), longest, *shape))
    lengths_arr = np.asarray(lengths, np.int64)
    return (out[0], lengths_arr[0]) if single else (out, lengths_arr)


def _seq_sparse_kernel(serialized, *, key, dtype, single):
    np_type = object if dtype == "string" else _dt.as_dtype(dtype).np
    indices, values = [], []
    steps_most, width = 0, 0
    sequences = _sequence_examples(serialized)
    for b, seq in enumerate(sequences):
        steps = _steps(seq, key, dtype, b) or []
        steps_most = max(steps_most, len(steps))
        for t, step in enumerate(steps):
            width = max(width, len(step))
            for j, v in enumerate(step.tolist()):
                indices.append([t, j] if single else [b, t, j])
                values.append(v)
    vals = np.empty(len(values), dtype=np_type)
    vals[:] = values
    rank = 2 if single else 3
    shape = [steps_most, width] if single else [len(sequences), steps_most, width]
    return (np.asarray(indices, np.int64).reshape(-1, rank), vals, np.asarray(shape, np.int64))


register_op(
    OpDef(
        "ParseSequenceFeatureDense",
        inputs=["serialized: string"],
        outputs=["values: dtype", "lengths: int64"],
        attrs={
            "key": "",
            "dtype": "float32",
            "shape": [],
            "allow_missing": False,
            "default": [],
            "single": False,
        },
        infer=lambda serialized, *, dtype, shape, single, **_: [
            TensorSpec(
                _dt.as_dtype(dtype),
                TensorShape(
                    ([None] if single else [serialized.shape.num_elements(), None]) + list(shape)
                ),
            ),
            TensorSpec(_dt.int64, TensorShape([] if single else [serialized.shape.num_elements()])),
        ],
        kernel=_seq_dense_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "ParseSequenceFeatureSparse",
        inputs=["serialized: string"],
        outputs=["indices: int64", "values: dtype", "dense_shape: int64"],
        attrs={"key": "", "dtype": "float32", "single": False},
        infer=lambda serialized, *, dtype, single, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 2 if single else 3])),
            TensorSpec(_dt.as_dtype(dtype), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([2 if single else 3])),
        ],
        kernel=_seq_sparse_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _sequence_features(serialized, sequence_features, single):
    values, lengths = {}, {}
    for key in sorted(sequence_features or {}):
        spec = sequence_features[key]
        dtype = _dtype_name(spec.dtype)
        if isinstance(spec, VarLenFeature):
            op = apply_op(
                "ParseSequenceFeatureSparse",
                [serialized],
                {"key": key, "dtype": dtype, "single": single},
            )
            values[key] = SparseTensor(*op.outputs)
        elif isinstance(spec, FixedLenSequenceFeature):
            default = spec.default_value
            if default is not None:
                default = [
                    d.decode() if isinstance(d, bytes) else d
                    for d in np.ravel(np.asarray(default)).tolist()
                ]
            op = apply_op(
                "ParseSequenceFeatureDense",
                [serialized],
                {
                    "key": key,
                    "dtype": dtype,
                    "shape": [int(d) for d in spec.shape],
                    "allow_missing": bool(spec.allow_missing),
                    "default": default or [],
                    "single": single,
                },
            )
            values[key], lengths[key] = op.outputs
        else:
            raise ValueError(f"Unsupported sequence feature for {key!r}: {spec!r}")
    return values, lengths


def _context(serialized, context_features, single):
    from .parsing import _parse

    if not context_features:
        return {}
    examples = apply_op("SequenceExampleContext", [serialized]).outputs[0]
    return _parse(examples, context_features, single, None, "context")


def parse_single_sequence_example(
    serialized, context_features=None, sequence_features=None, example_name=None, name=None
):
    """One serialized SequenceExample -> (context dict, sequence dict): context features
    as parse_single_example gives them; FixedLenSequenceFeature lists as dense [steps, ...]
    tensors, VarLenFeature lists as [steps, most values] SparseTensors."""
    with name_scope(name, "ParseSingleSequenceExample"):
        serialized = convert_to_tensor(serialized, dtype=_dt.string)
        context = _context(serialized, context_features, True)
        sequences, _ = _sequence_features(serialized, sequence_features, True)
        return context, sequences


def parse_sequence_example(
    serialized, context_features=None, sequence_features=None, example_names=None, name=None
):
    """A vector of serialized SequenceExamples -> (context dict, sequence dict, lengths
    dict): dense sequences padded to the longest ([batch, steps, ...]) with each one's
    number of steps in `lengths`; VarLenFeature lists as [batch, steps, values] sparse."""
    with name_scope(name, "ParseSequenceExample"):
        serialized = convert_to_tensor(serialized, dtype=_dt.string)
        context = _context(serialized, context_features, False)
        sequences, lengths = _sequence_features(serialized, sequence_features, False)
        return context, sequences, lengths


# SparseFeature ----------------------------------------------------------------------------------
def _sparse_feature_kernel(
    serialized, *, index_key, value_key, dtype, size, already_sorted, single
):
    from .parsing import _values

    indices, values = [], []
    examples = _examples(serialized)
    for b, example in enumerate(examples):
        idx = _values(example, index_key, "int64", b)
        val = _values(example, value_key, dtype, b)
        idx = np.zeros(0, np.int64) if idx is None else idx
        val = (
            np.zeros(0, object if dtype == "string" else _dt.as_dtype(dtype).np)
            if val is None
            else val
        )
        if len(idx) != len(val):
            raise InvalidArgumentError(
                None,
                None,
                f"Name: <unknown>, Key: {value_key}, Index: {b}.  Number of "
                f"{_TF_NAMES[dtype]} values ({len(val)}) != number of indices ({len(idx)})",
            )
        if idx.size and (idx.min() < 0 or idx.max() >= size):
            raise InvalidArgumentError(
                None,
                None,
                f"Name: <unknown>, Key: {index_key}, Index: {b}.  Index out of range [0, {size})",
            )
        order = np.arange(len(idx)) if already_sorted else np.argsort(idx, kind="stable")
        for k in order:
            indices.append([int(idx[k])] if single else [b, int(idx[k])])
            values.append(val[k])
    vals = np.empty(len(values), dtype=object if dtype == "string" else _dt.as_dtype(dtype).np)
    vals[:] = values
    shape = [size] if single else [len(examples), size]
    return (
        np.asarray(indices, np.int64).reshape(-1, 1 if single else 2),
        vals,
        np.asarray(shape, np.int64),
    )


register_op(
    OpDef(
        "ParseExampleSparseFeature",
        inputs=["serialized: string"],
        outputs=["indices: int64", "values: dtype", "dense_shape: int64"],
        attrs={
            "index_key": "",
            "value_key": "",
            "dtype": "float32",
            "size": 0,
            "already_sorted": False,
            "single": False,
        },
        infer=lambda serialized, *, dtype, single, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 1 if single else 2])),
            TensorSpec(_dt.as_dtype(dtype), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([1 if single else 2])),
        ],
        kernel=_sparse_feature_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def parse_sparse_feature(serialized, spec, single):
    """The SparseTensor a SparseFeature describes (parse_example's helper)."""
    if not isinstance(spec.index_key, str):
        raise NotImplementedError("SparseFeature with several index keys")
    attrs = {
        "index_key": spec.index_key,
        "value_key": spec.value_key,
        "dtype": _dtype_name(spec.dtype),
        "size": int(spec.size),
        "already_sorted": bool(spec.already_sorted),
        "single": single,
    }
    return SparseTensor(*apply_op("ParseExampleSparseFeature", [serialized], attrs).outputs)


# decode_json_example --------------------------------------------------------------------------
def _json_kernel(json_examples):
    from google.protobuf import json_format

    from ..example_proto import Example

    out = np.empty(np.shape(json_examples), dtype=object)
    flat = []
    for text in np.asarray(json_examples, dtype=object).reshape(-1):
        text = text.decode() if isinstance(text, bytes) else str(text)
        try:
            flat.append(json_format.Parse(text, Example()).SerializeToString())
        except json_format.ParseError as err:
            raise InvalidArgumentError(None, None, f"Error while parsing JSON: {err}") from None
    out.reshape(-1)[:] = flat
    return out


register_op(
    OpDef(
        "DecodeJSONExample",
        inputs=["json_examples: string"],
        outputs=["binary_examples: string"],
        infer=lambda json_examples: TensorSpec(_dt.string, json_examples.shape),
        kernel=_json_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def decode_json_example(json_examples, name=None):
    """tf.train.Example protos written as JSON -> their serialized (binary) form."""
    return apply_op(
        "DecodeJSONExample", [convert_to_tensor(json_examples, dtype=_dt.string)], name=name
    ).outputs[0]
