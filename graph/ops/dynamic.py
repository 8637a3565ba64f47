"""Dynamic embedding table ops (graph/dynamic_table.py holds the table itself).

`DynamicTable` names one shard of a table (a `Ref(T)` output, as VariableV2: placement puts
it on a parameter server and every op on it runs there); `DynamicTableInit` creates it empty;
`DynamicTableFind` returns the rows of ids, creating the missing ones (its gradient is
`IndexedSlices` keyed by the ids themselves, which the optimizers' `DynamicApply*` ops in
graph/ops/training.py apply); `DynamicTableStats` reports its size and evictions.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..dynamic_table import HashTable
from ..framework import apply_op
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from .array import IndexedSlices, concat, reshape, shape

# What a table shard is made with: the attrs of DynamicTable and DynamicTableInit.
TABLE_ATTRS = {
    "dim": 0,
    "dtype": "float32",
    "capacity": 0,
    "policy": "lru",
    "init": "zeros",
    "init_a": 0.0,
    "init_b": 1.0,
    "seed": 0,
}
_INDEX = (_dt.int32, _dt.int64)


def table_config(attrs: dict, name: str) -> dict:
    return {**{k: attrs[k] for k in TABLE_ATTRS}, "name": name}


def _table_infer(*, shared_name, dim, dtype, **_):
    return TensorSpec(_dt.as_dtype(dtype), TensorShape([None, dim]))


def _table_kernel(state, *, shared_name, **_):
    table, _undo = state.table(shared_name)
    return table.export()["values"]


register_op(
    OpDef(
        "DynamicTable",
        inputs=[],
        outputs=["table: Ref(dtype)"],
        attrs={"shared_name": "", **TABLE_ATTRS},
        infer=_table_infer,
        kernel=_table_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def dynamic_table(name, shared_name, config) -> object:
    attrs = {"shared_name": shared_name, **config}
    return apply_op("DynamicTable", [], attrs, name=name).outputs[0]


def _init_kernel(state, table, **attrs):
    state.write(table, HashTable(**table_config(attrs, table)))
    return None


register_op(
    OpDef(
        "DynamicTableInit",
        inputs=["table: Ref(T)"],
        outputs=[],
        types={"T": _dt.FLOATS},
        attrs=dict(TABLE_ATTRS),
        infer=lambda *a, **k: [],
        kernel=_init_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def table_init(table, config, name=None):
    return apply_op("DynamicTableInit", [table], dict(config), name=name or "Init")


def _find_infer(table, keys):
    inner = table.shape.as_list()[1:] if table.shape.ndims else [None]
    known = keys.shape.as_list() if keys.shape.ndims is not None else None
    return TensorSpec(table.dtype, TensorShape(None if known is None else known + inner))


def _find_kernel(state, table, keys):
    shard, undo = state.table(table)
    return shard.lookup(keys, undo)


def _find_grad(op, grad):
    table, keys = op.inputs
    dim = table.shape.as_list()[1]
    flat_keys = reshape(keys, [-1])
    values = reshape(grad, concat([shape(flat_keys), np.array([dim], np.int32)], 0))
    return [IndexedSlices(values, flat_keys, None), None]


register_op(
    OpDef(
        "DynamicTableFind",
        inputs=["table: Ref(T)", "keys: Tkeys"],
        outputs=["rows: T"],
        types={"T": _dt.FLOATS, "Tkeys": _INDEX},
        infer=_find_infer,
        kernel=_find_kernel,
        grad=_find_grad,
        stateful=True,
    )
)


def table_find(table, keys, name=None):
    return apply_op("DynamicTableFind", [table, keys], {}, name=name or "Find").outputs[0]


def _stats_kernel(state, table):
    shard, _undo = state.table(table)
    return np.int64(shard.size), np.int64(shard.evictions)


register_op(
    OpDef(
        "DynamicTableStats",
        inputs=["table: Ref(T)"],
        outputs=["size: int64", "evictions: int64"],
        types={"T": _dt.FLOATS},
        infer=lambda *a, **k: [TensorSpec(_dt.int64, TensorShape([]))] * 2,
        kernel=_stats_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def table_stats(table, name=None):
    return apply_op("DynamicTableStats", [table], {}, name=name or "Stats").outputs
