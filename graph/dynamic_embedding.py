"""`psflow.dynamic_embedding`: embedding tables keyed by raw int64 ids, with no vocabulary
fixed in advance (a psflow extension; TF1 has none).

    table = tf.dynamic_embedding.get_variable("user", dim=16,
                                               initializer=tf.random_normal_initializer(0, 0.05),
                                               num_shards=2, capacity=1_000_000)
    rows = tf.dynamic_embedding.embedding_lookup(table, ids)   # or tf.nn.embedding_lookup
    train = tf.train.AdagradOptimizer(0.1).minimize(loss)

A table is `num_shards` hash tables (graph/dynamic_table.py), id `i` in shard `i mod
num_shards`; under `tf.train.replica_device_setter` the shards are placed round-robin on
the parameter servers like any variables, and the default `num_shards` is the number of PS
tasks. A lookup deduplicates the ids, sends each shard only its unique ids, and creates the
missing rows there from the initializer (a row is a function of the seed and the id, so the
same id gets the same row whichever client or shard creates it). The gradient is
`IndexedSlices` by id: the optimizers (SGD, Momentum, Adagrad, Adam in its lazy form,
RMSProp, Adadelta, FTRL) update those rows and their slot rows on the shard that holds them.
With `capacity` (rows per shard), inserting beyond it first evicts the rows least recently
(`"lru"`) or least often (`"lfu"`) updated; `evictions()` counts them.

Shards are saved by `tf.train.Saver` as `NAME/part_K-keys`, `-values`, `-freq` and one
tensor per slot; a restore re-partitions the ids, so a checkpoint restores onto any number of
shards (parameter servers). Tables are in the GLOBAL_VARIABLES (and, if trainable,
TRAINABLE_VARIABLES) collections; they are not written into meta graphs.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt, init_ops
from .framework import (
    GraphKeys,
    colocate_with,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from .ops import array as _array, manip as _manip, math as _math, nn as _nn, sparse as _sparse
from .ops.dynamic import TABLE_ATTRS, dynamic_table, table_find, table_init, table_stats
from .shapes import TensorShape


class TableShard:
    """One shard of a dynamic table: what a variable is to the Saver, the initializers,
    placement and the optimizers (they recognise it by `_dynamic_table`)."""

    def __init__(self, table: DynamicEmbedding, index: int, handle, initializer):
        self._table = table
        self._index = index
        self._handle = handle
        self._initializer_op = initializer
        # (table name, shard index, number of shards, the HashTable's config)
        self._dynamic_table = (table.name, index, table.num_shards, table._config)

    def _ref(self):
        return self._handle

    def _as_graph_element(self):
        return self._handle

    def value(self):
        """The rows this shard holds (ordered by id)."""
        return self._handle

    @property
    def name(self) -> str:
        return self._handle.name

    @property
    def op(self):
        return self._handle.op

    @property
    def dtype(self) -> _dt.DType:
        return self._handle.dtype

    @property
    def shape(self) -> TensorShape:
        return self._handle.shape

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def device(self) -> str:
        return self._handle.device

    @property
    def graph(self):
        return self._handle.graph

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def trainable(self) -> bool:
        return self._table.trainable

    def __repr__(self) -> str:
        return f"<dynamic_embedding shard '{self.op.name}' dim={self._table.dim}>"


class DynamicEmbedding:
    """A dynamic embedding table (see the module docstring); made by `get_variable`."""

    def __init__(self, name, dim, dtype, num_shards, config, trainable, collections):
        self.name = name
        self.dim = dim
        self.dtype = dtype
        self.num_shards = num_shards
        self.trainable = trainable
        self._config = config
        self.shards: list[TableShard] = []
        with control_dependencies(None), name_scope(name) as scope:
            for i in range(num_shards):
                shard_name = f"{scope}part_{i}"
                handle = dynamic_table(shard_name + "/", shard_name, config)
                with colocate_with(handle.op):
                    init = table_init(handle, config, name=f"{shard_name}/Init")
                self.shards.append(TableShard(self, i, handle, init))
        graph = get_default_graph()
        for key in collections:
            for shard in self.shards:
                graph.add_to_collection(key, shard)

    def _get_variable_list(self) -> list[TableShard]:
        return list(self.shards)

    @property
    def initializer(self):
        from .ops.control_flow import group

        return group(*[s.initializer for s in self.shards], name=f"{self.name}/init")

    def lookup(self, ids, name=None, max_norm=None):
        """The rows of `ids` (any shape, int32/int64): shape ids.shape + [dim]."""
        with name_scope(name, "embedding_lookup"):
            ids = _math.cast(convert_to_tensor(ids), _dt.int64)
            flat = _array.reshape(ids, [-1])
            unique, idx = _sparse.unique(flat)
            if self.num_shards == 1:
                with colocate_with(self.shards[0].op):
                    rows = table_find(self.shards[0]._ref(), unique)
            else:
                n = self.num_shards
                assignment = _math.cast(_math.floormod(unique, n), _dt.int32)
                key_parts = _manip.dynamic_partition(unique, assignment, n)
                where = _manip.dynamic_partition(
                    _math.range_(0, _array.size(unique)), assignment, n
                )
                parts = []
                for shard, keys in zip(self.shards, key_parts):
                    with colocate_with(shard.op):
                        parts.append(table_find(shard._ref(), keys))
                rows = _manip.dynamic_stitch(where, parts)
            rows = _array.gather(rows, idx)
            out_shape = _array.concat([_array.shape(ids), [self.dim]], 0)
            result = _array.reshape(rows, out_shape)
            if ids.shape.ndims is not None:
                result.set_shape(ids.shape.concatenate([self.dim]))
            return _nn._clip_rows(result, max_norm)

    # tf.nn.embedding_lookup(table, ids) and embedding_lookup_sparse come here.
    def _embedding_lookup(self, ids, name=None, max_norm=None):
        return self.lookup(ids, name=name, max_norm=max_norm)

    def _stats(self, which: int, name: str):
        with name_scope(None, name):
            parts = []
            for shard in self.shards:
                with colocate_with(shard.op):
                    parts.append(table_stats(shard._ref())[which])
            return _math.add_n(parts) if len(parts) > 1 else _array.identity(parts[0])

    def size(self, name=None):
        """How many ids the table holds (int64 scalar)."""
        return self._stats(0, name or f"{self.name}_size")

    def evictions(self, name=None):
        """How many rows the capacity bound has evicted so far (int64 scalar)."""
        return self._stats(1, name or f"{self.name}_evictions")

    def __repr__(self) -> str:
        return (
            f"<dynamic_embedding '{self.name}' dim={self.dim} shards={self.num_shards} "
            f"capacity={self._config['capacity']} policy={self._config['policy']}>"
        )


def _initializer_spec(initializer) -> dict:
    """The HashTable's initializer attrs for a TF initializer object (or a number)."""
    if isinstance(initializer, (int, float)):
        return {"init": "constant", "init_a": float(initializer)}
    seed = getattr(initializer, "seed", None)
    if seed is None:
        seed = get_default_graph().seed or 0
    spec = {"seed": int(seed)}
    if isinstance(initializer, init_ops.Zeros):
        return {**spec, "init": "zeros"}
    if isinstance(initializer, init_ops.Ones):
        return {**spec, "init": "constant", "init_a": 1.0}
    if isinstance(initializer, init_ops.Constant) and np.ndim(initializer.value) == 0:
        return {**spec, "init": "constant", "init_a": float(initializer.value)}
    if isinstance(initializer, init_ops.TruncatedNormal):
        return {**spec, "init": "truncated_normal", "init_a": float(initializer.mean),
                "init_b": float(initializer.stddev)}  # fmt: skip
    if isinstance(initializer, init_ops.RandomNormal):
        return {**spec, "init": "normal", "init_a": float(initializer.mean),
                "init_b": float(initializer.stddev)}  # fmt: skip
    if isinstance(initializer, init_ops.RandomUniform):
        maxval = 1.0 if initializer.maxval is None else initializer.maxval
        return {**spec, "init": "uniform", "init_a": float(initializer.minval),
                "init_b": float(maxval)}  # fmt: skip
    raise TypeError(
        "a dynamic embedding table's initializer must be a number or one of "
        "zeros/ones/constant(scalar)/random_normal/truncated_normal/random_uniform "
        f"initializers, got {initializer!r}"
    )


def _default_shards() -> int:
    """The number of PS tasks of the innermost replica_device_setter in scope, else 1."""
    for entry in reversed(get_default_graph()._state.device_stack):
        chooser = getattr(entry, "__self__", None)
        tasks = getattr(chooser, "_ps_tasks", 0)
        if tasks:
            return int(tasks)
    return 1


def get_variable(
    name,
    dim,
    initializer=None,
    dtype=_dt.float32,
    key_dtype=_dt.int64,
    num_shards=None,
    capacity=0,
    eviction_policy="lru",
    trainable=True,
    collections=None,
):
    """A dynamic embedding table of `dim`-wide rows keyed by int64 ids (see the module
    docstring). `initializer` makes a new row (default: truncated normal with stddev
    1/sqrt(dim)); `capacity` bounds the rows of each shard (0: no bound) and
    `eviction_policy` ("lru" or "lfu") chooses what goes past it."""
    dim = int(dim)
    if dim <= 0:
        raise ValueError(f"dim of dynamic embedding table {name} must be positive, got {dim}")
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dynamic embedding table {name} must be of a floating type, got {dtype}")
    if _dt.as_dtype(key_dtype) not in (_dt.int64, _dt.int32):
        raise ValueError(f"key_dtype of dynamic embedding table {name} must be int64 or int32")
    if eviction_policy not in ("lru", "lfu"):
        raise ValueError(f"eviction_policy must be 'lru' or 'lfu', got {eviction_policy!r}")
    if capacity < 0:
        raise ValueError(f"capacity must be >= 0 (0: unbounded), got {capacity}")
    num_shards = _default_shards() if num_shards is None else int(num_shards)
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    if initializer is None:
        initializer = init_ops.TruncatedNormal(0.0, 1.0 / dim**0.5)
    config = {
        **TABLE_ATTRS,
        "dim": dim,
        "dtype": dtype.name,
        "capacity": int(capacity),
        "policy": eviction_policy,
        **_initializer_spec(initializer),
    }
    if collections is None:
        collections = [GraphKeys.GLOBAL_VARIABLES]
    collections = list(collections)
    if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
        collections.append(GraphKeys.TRAINABLE_VARIABLES)
    return DynamicEmbedding(name, dim, dtype, num_shards, config, trainable, collections)


def embedding_lookup(params, ids, name=None, max_norm=None):
    """The rows of `ids` in the dynamic table `params`."""
    if not isinstance(params, DynamicEmbedding):
        raise TypeError(f"params must be a dynamic embedding table, got {params!r}")
    return params.lookup(ids, name=name, max_norm=max_norm)


def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner="mean", name=None, max_norm=None):
    """tf.nn.embedding_lookup_sparse over a dynamic table (raw ids, no partition strategy)."""
    return _nn.embedding_lookup_sparse(
        params, sp_ids, sp_weights, name=name, combiner=combiner, max_norm=max_norm
    )
