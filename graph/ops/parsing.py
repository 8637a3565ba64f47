"""Parsing serialized tf.train.Example protos (graph/example_proto.py): `parse_example` over
a vector of them and `parse_single_example` over one, with `FixedLenFeature` (a dense
tensor of a fixed shape, or its default when absent) and `VarLenFeature` (a SparseTensor
of each example's values). Errors are TF's InvalidArgumentError naming the feature. Not
differentiable (string inputs)."""

from __future__ import annotations

import csv
from typing import NamedTuple

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

_KINDS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_TF_NAMES = {"float32": "float", "int64": "int64", "string": "string"}


class FixedLenFeature(NamedTuple):
    """A feature of `shape` values of `dtype` in every example (`default_value` when absent)."""

    shape: list
    dtype: object
    default_value: object = None


class VarLenFeature(NamedTuple):
    """A feature of any number of values of `dtype`: parsed as a SparseTensor."""

    dtype: object


def _dtype_name(dtype) -> str:
    name = _dt.as_dtype(dtype).name
    if name not in _KINDS:
        raise ValueError(f"Unsupported dtype {name} for a feature: float32, int64 or string")
    return name


def _examples(serialized) -> list:
    from ..example_proto import Example  # (its classes are built on first use)

    out = []
    for k, s in enumerate(np.asarray(serialized, dtype=object).reshape(-1)):
        try:
            out.append(Example.FromString(s if isinstance(s, bytes) else str(s).encode()))
        except Exception:  # noqa: BLE001 -- protobuf's DecodeError and friends
            raise InvalidArgumentError(
                None, None, f"Could not parse example input, value: '{s!r}' (index {k})"
            ) from None
    return out


def _values(example, key: str, dtype: str, index: int):
    """The feature's values in example `index` as a numpy array, or None when absent."""
    features = example.features.feature
    if key not in features:
        return None
    feature = features[key]
    kind = feature.WhichOneof("kind")
    if kind is None:  # present, empty
        return np.zeros(0, dtype=object if dtype == "string" else _dt.as_dtype(dtype).np)
    if kind != _KINDS[dtype]:
        found = {v: k for k, v in _KINDS.items()}[kind]
        raise InvalidArgumentError(
            None,
            None,
            f"Name: <unknown>, Key: {key}, Index: {index}.  Data types don't match. Data type: "
            f"{_TF_NAMES[found]} but expected type: {_TF_NAMES[dtype]}",
        )
    values = getattr(feature, kind).value
    if dtype == "string":
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return np.asarray(values, dtype=_dt.as_dtype(dtype).np)


def _dense_kernel(serialized, *, key, dtype, shape, default, has_default, single):
    count = int(np.prod(shape, dtype=np.int64))
    rows = []
    for index, example in enumerate(_examples(serialized)):
        values = _values(example, key, dtype, index)
        if values is None:
            if not has_default:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Name: <unknown>, Feature: {key} (data type: {_TF_NAMES[dtype]}) is "
                    "required but could not be found.",
                )
            values = np.broadcast_to(
                np.asarray(default, dtype=object if dtype == "string" else None), (count,)
            )
        if values.size != count:
            raise InvalidArgumentError(
                None,
                None,
                f"Name: <unknown>, Key: {key}, Index: {index}.  Number of "
                f"{_TF_NAMES[dtype]} values != expected.  Values size: {values.size} but "
                f"output shape: {list(shape)}",
            )
        rows.append(values)
    np_type = object if dtype == "string" else _dt.as_dtype(dtype).np
    out = np.empty((len(rows), count), dtype=np_type)
    for k, row in enumerate(rows):
        out[k] = row
    out = out.reshape((len(rows), *shape))
    return out[0] if single else out


def _sparse_kernel(serialized, *, key, dtype, single):
    per = []
    for index, example in enumerate(_examples(serialized)):
        values = _values(example, key, dtype, index)
        per.append(
            np.zeros(0, object if dtype == "string" else _dt.as_dtype(dtype).np)
            if values is None
            else values
        )
    width = max((len(v) for v in per), default=0)
    if single:
        values = per[0]
        return (
            np.arange(len(values), dtype=np.int64).reshape(-1, 1),
            values,
            np.array([len(values)], np.int64),
        )
    rows = np.repeat(np.arange(len(per), dtype=np.int64), [len(v) for v in per])
    cols = [np.arange(len(v), dtype=np.int64) for v in per]
    cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    values = np.concatenate(per) if per else np.zeros(0)
    if dtype == "string":
        values = np.asarray(values, dtype=object)
    return np.stack([rows, cols], axis=1), values, np.array([len(per), width], np.int64)


register_op(
    OpDef(
        "ParseExampleDense",
        inputs=["serialized: string"],
        outputs=["output: dtype"],
        attrs={
            "key": "",
            "dtype": "float32",
            "shape": [],
            "default": [],
            "has_default": False,
            "single": False,
        },  # fmt: skip
        infer=lambda serialized, *, dtype, shape, single, **_: TensorSpec(
            _dt.as_dtype(dtype),
            TensorShape(list(shape) if single else [serialized.shape.num_elements()] + list(shape)),
        ),
        kernel=_dense_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "ParseExampleSparse",
        inputs=["serialized: string"],
        outputs=["indices: int64", "values: dtype", "dense_shape: int64"],
        attrs={"key": "", "dtype": "float32", "single": False},
        infer=lambda serialized, *, dtype, single, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 1 if single else 2])),
            TensorSpec(_dt.as_dtype(dtype), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([1 if single else 2])),
        ],
        kernel=_sparse_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _parse(serialized, features, single, name, default_name):
    from ..sparse_tensor import SparseTensor

    if not features:
        raise ValueError("Missing: features was empty.")
    with name_scope(name, default_name):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        out = {}
        for key in sorted(features):
            spec = features[key]
            dtype = _dtype_name(spec.dtype)
            if isinstance(spec, VarLenFeature):
                op = apply_op(
                    "ParseExampleSparse",
                    [serialized],
                    {"key": key, "dtype": dtype, "single": single},  # fmt: skip
                )
                out[key] = SparseTensor(*op.outputs)
            elif isinstance(spec, FixedLenFeature):
                shape = [int(d) for d in (spec.shape or [])]
                default = spec.default_value
                if default is not None:
                    default = np.ravel(np.asarray(default)).tolist()
                    default = [d.decode() if isinstance(d, bytes) else d for d in default]
                op = apply_op(
                    "ParseExampleDense",
                    [serialized],
                    {
                        "key": key,
                        "dtype": dtype,
                        "shape": shape,
                        "default": default or [],
                        "has_default": default is not None,
                        "single": single,
                    },  # fmt: skip
                )
                out[key] = op.outputs[0]
            else:
                from .parsing_seq import SparseFeature, parse_sparse_feature

                if not isinstance(spec, SparseFeature):
                    raise ValueError(f"Unsupported feature configuration for {key!r}: {spec!r}")
                out[key] = parse_sparse_feature(serialized, spec, single)
        return out


def parse_example(serialized, features, name=None, example_names=None):
    """A vector of serialized Examples -> {key: a dense batch (FixedLenFeature) or a
    SparseTensor [batch, most values] (VarLenFeature)}."""
    return _parse(serialized, features, False, name, "ParseExample")


def parse_single_example(serialized, features, name=None, example_names=None):
    """One serialized Example -> {key: a dense tensor or a 1-D SparseTensor}."""
    return _parse(serialized, features, True, name, "ParseSingleExample")


# decode_csv ---------------------------------------------------------------------------------
_CSV_NAMES = {"float32": "float", "float64": "double", "int32": "int32", "int64": "int64",
              "string": "string"}  # fmt: skip


def _csv_fields(record: str, delim: str, quoted: bool, index: int) -> list[str]:
    if not quoted:
        return record.split(delim)
    try:
        rows = list(csv.reader([record], delimiter=delim, quotechar='"', doublequote=True,
                               strict=True))  # fmt: skip
    except csv.Error as err:
        raise InvalidArgumentError(
            None, None, f"Quote error in record {index}: {err}"
        ) from None  # fmt: skip
    return rows[0] if rows else [""]


def _decode_csv_kernel(records, *defaults, field_delim, use_quote_delim, na_value, select_cols):
    shape = np.shape(records)
    flat = np.asarray(records, dtype=object).reshape(-1)
    columns: list[list] = [[] for _ in defaults]
    wanted = list(select_cols) if select_cols else None
    for index, raw in enumerate(flat):
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        fields = _csv_fields(text, field_delim, use_quote_delim, index)
        if wanted is not None:
            if len(fields) <= wanted[-1]:
                raise InvalidArgumentError(
                    None, None, f"Expect {len(defaults)} fields but have {len(fields)} in "
                    f"record {index}"
                )  # fmt: skip
            fields = [fields[c] for c in wanted]
        if len(fields) != len(defaults):
            raise InvalidArgumentError(
                None, None, f"Expect {len(defaults)} fields but have {len(fields)} in record "
                f"{index}"
            )  # fmt: skip
        for col, (field, default) in enumerate(zip(fields, defaults)):
            default = np.asarray(default)
            kind = "string" if default.dtype == object else default.dtype.name
            if field == "" or (na_value and field == na_value):
                if default.size == 0:
                    raise InvalidArgumentError(
                        None, None, f"Field {col} is required but missing in record {index}!"
                    )  # fmt: skip
                columns[col].append(default.reshape(-1)[0])
                continue
            try:
                if kind == "string":
                    columns[col].append(field.encode())
                elif kind.startswith("int"):
                    columns[col].append(int(field))
                else:
                    columns[col].append(float(field))
            except ValueError:
                raise InvalidArgumentError(
                    None, None, f"Field {col} in record {index} is not a valid "
                    f"{_CSV_NAMES.get(kind, kind)}: {field}"
                ) from None  # fmt: skip
    out = []
    for values, default in zip(columns, defaults):
        default = np.asarray(default)
        dtype = object if default.dtype == object else default.dtype
        column = np.empty(len(values), dtype=dtype)
        column[:] = values
        out.append(column.reshape(shape))
    return tuple(out)


def _decode_csv_infer(records, defaults, **_):
    return [TensorSpec(d.dtype, records.shape) for d in defaults]


register_op(
    OpDef(
        "DecodeCSV",
        inputs=["records: string", "record_defaults: N*any"],
        outputs=["output: N*any"],
        attrs={"field_delim": ",", "use_quote_delim": True, "na_value": "", "select_cols": []},
        infer=_decode_csv_infer,
        kernel=_decode_csv_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):  # fmt: skip
    """Each CSV record split into its columns: one tensor per column of `records`' shape,
    of its default's dtype; an empty field (or `na_value`) takes the column's default, and
    is an error where the default is empty (a required column)."""
    if len(field_delim) != 1:
        raise ValueError("field_delim should be only 1 char")
    if select_cols is not None and list(select_cols) != sorted(set(select_cols)):
        raise ValueError("select_cols is not strictly increasing.")
    if select_cols is not None and len(select_cols) != len(record_defaults):
        raise ValueError("Length of select_cols and record_defaults do not match.")
    defaults = []
    for d in record_defaults:
        t = convert_to_tensor(d)
        if t.dtype.name not in _CSV_NAMES:
            raise TypeError(f"Unsupported dtype {t.dtype.name} in record_defaults")
        defaults.append(t)
    op = apply_op(
        "DecodeCSV",
        [convert_to_tensor(records, dtype=_dt.string), defaults],
        {
            "field_delim": field_delim,
            "use_quote_delim": bool(use_quote_delim),
            "na_value": na_value,
            "select_cols": list(select_cols or []),
        },  # fmt: skip
        name=name or "DecodeCSV",
    )
    return list(op.outputs)
