"""`variable_scope`, `get_variable`, partitioned variables and partitioners.

Variables made by `get_variable` are named by the variable scope (not the name scope),
kept in a per-graph store, and shared or refused according to the scope's `reuse`
(True, False/None, or AUTO_REUSE), as in TF1. A `partitioner` splits a variable along one
axis into shards `NAME/part_K`, each a Variable of its own (so placement can put each
shard on a different parameter server); a `PartitionedVariable` stands for the whole.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np

from . import dtypes as _dt, init_ops
from .framework import GraphKeys, colocate_with, get_default_graph, name_scope
from .ops import array as _array
from .shapes import TensorShape
from .variables import Variable

AUTO_REUSE = "AUTO_REUSE"


class VariableScope:
    """The defaults and reuse mode for `get_variable` calls under one scope name."""

    def __init__(
        self,
        reuse,
        name="",
        initializer=None,
        regularizer=None,
        caching_device=None,
        partitioner=None,
        custom_getter=None,
        name_scope="",
        dtype=_dt.float32,
        use_resource=None,
        constraint=None,
    ):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = _dt.as_dtype(dtype)
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    dtype = property(lambda self: self._dtype)
    constraint = property(lambda self: self._constraint)
    use_resource = property(lambda self: False)

    def reuse_variables(self) -> None:
        self._reuse = True

    def set_initializer(self, initializer) -> None:
        self._initializer = initializer

    def set_regularizer(self, regularizer) -> None:
        self._regularizer = regularizer

    def set_partitioner(self, partitioner) -> None:
        self._partitioner = partitioner

    def set_dtype(self, dtype) -> None:
        self._dtype = _dt.as_dtype(dtype)

    def set_caching_device(self, caching_device) -> None:
        self._caching_device = caching_device

    def get_variable(self, var_store, name, *args, **kwargs):
        return get_variable(name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<VariableScope name={self._name!r} reuse={self._reuse!r}>"


class _ScopeState(threading.local):
    pass


@dataclass
class _GraphVars:
    """Per graph: the variables made by get_variable, and the scope-name use counts."""

    variables: dict
    scope_counts: dict
    local: _ScopeState


def _graph_vars(graph=None) -> _GraphVars:
    graph = graph or get_default_graph()
    store = getattr(graph, "_variable_scope_store", None)
    if store is None:
        store = _GraphVars({}, {}, _ScopeState())
        graph._variable_scope_store = store
    return store


def get_variable_scope() -> VariableScope:
    """The current variable scope (the root scope, named '', outside any)."""
    local = _graph_vars().local
    scope = getattr(local, "scope", None)
    if scope is None:
        scope = VariableScope(False)
        local.scope = scope
    return scope


def _set_scope(scope: VariableScope) -> None:
    _graph_vars().local.scope = scope


class _PartitionInfo:
    """Where a shard sits in its full variable (passed to initializers)."""

    def __init__(self, full_shape, var_offset):
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)

    def slices(self, shard_shape):
        return tuple(slice(o, o + s) for o, s in zip(self.var_offset, shard_shape))

    def single_offset(self, shape):
        return self.var_offset[0]


class PartitionedVariable:
    """A variable split into shards along one axis; iterates over its shards."""

    def __init__(self, name, shape, dtype, variable_list, partitions):
        self._name = name
        self._shape = TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)
        self._variable_list = list(variable_list)
        self._partitions = list(partitions)

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)

    def get_shape(self) -> TensorShape:
        return self._shape

    def _get_variable_list(self) -> list:
        return list(self._variable_list)

    def _get_partitions(self) -> list:
        return list(self._partitions)

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self) -> int:
        return len(self._variable_list)

    def as_tensor(self):
        """The whole variable: its shards concatenated."""
        axis = next((i for i, p in enumerate(self._partitions) if p > 1), 0)
        with name_scope(self._name + "/ConcatPartitions/"):
            return _array.concat([v.value() for v in self._variable_list], axis)

    def _as_tensor(self):
        return self.as_tensor()

    def __repr__(self) -> str:
        return (
            f"<PartitionedVariable '{self._name}' shape={self._shape} "
            f"shards={len(self._variable_list)}>"
        )


def fixed_size_partitioner(num_shards, axis=0):
    """A partitioner that splits `axis` into `num_shards` shards."""

    def partitioner(shape, dtype):
        parts = [1] * TensorShape(shape).ndims
        parts[axis] = int(num_shards)
        return parts

    return partitioner


def _shape_and_element_bytes(shape, dtype, bytes_per_string_element):
    dtype = _dt.as_dtype(dtype)
    elem = bytes_per_string_element if dtype is _dt.string else dtype.size
    return TensorShape(shape).as_list(), elem


def min_max_variable_partitioner(
    max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16
):
    """A partitioner giving shards of at least `min_slice_size` bytes, at most
    `max_partitions` of them."""
    if axis < 0:
        raise ValueError(f"axis must be non-negative, got {axis}")

    def partitioner(shape, dtype):
        shape, elem = _shape_and_element_bytes(shape, dtype, bytes_per_string_element)
        total = int(np.prod(shape)) * elem
        slices = max(1, min(max_partitions, shape[axis], total // max(min_slice_size, 1)))
        parts = [1] * len(shape)
        parts[axis] = int(slices)
        return parts

    return partitioner


def variable_axis_size_partitioner(
    max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None
):
    """A partitioner keeping each shard under `max_shard_bytes`."""
    if max_shard_bytes < 1:
        raise ValueError(f"max_shard_bytes must be positive, got: {max_shard_bytes}")

    def partitioner(shape, dtype):
        shape, elem = _shape_and_element_bytes(shape, dtype, bytes_per_string_element)
        slice_bytes = int(np.prod(shape)) // max(shape[axis], 1) * elem
        per_shard = max(1, max_shard_bytes // max(slice_bytes, 1))
        shards = int(np.ceil(shape[axis] / per_shard))
        if max_shards:
            shards = min(shards, max_shards)
        parts = [1] * len(shape)
        parts[axis] = max(1, shards)
        return parts

    return partitioner


def _shard_sizes(dim, n):
    base, extra = divmod(dim, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _check_existing(name, found, shape, dtype):
    if shape is not None and not TensorShape(shape).is_compatible_with(found.shape):
        raise ValueError(
            f"Trying to share variable {name}, but specified shape "
            f"{TensorShape(shape)} and found shape {found.shape}."
        )
    if dtype is not None and _dt.as_dtype(dtype) is not found.dtype:
        raise ValueError(
            f"Trying to share variable {name}, but specified dtype "
            f"{_dt.as_dtype(dtype).name} and found dtype {found.dtype.name}."
        )


def get_variable(
    name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=None,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    use_resource=None,
    custom_getter=None,
    constraint=None,
    synchronization=None,
    aggregation=None,
):
    """Gets the variable `scope/name`, creating it when the scope's reuse mode allows."""
    scope = get_variable_scope()
    full_name = f"{scope.name}/{name}" if scope.name else name
    getter = custom_getter or scope.custom_getter
    kwargs = dict(
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=collections,
        caching_device=caching_device,
        partitioner=partitioner,
        validate_shape=validate_shape,
        constraint=constraint,
    )
    if getter is not None:
        return getter(_true_getter, full_name, **kwargs)
    return _true_getter(full_name, **kwargs)


def _true_getter(
    full_name,
    shape=None,
    dtype=None,
    initializer=None,
    regularizer=None,
    trainable=None,
    collections=None,
    caching_device=None,
    partitioner=None,
    validate_shape=True,
    constraint=None,
    **_,
):
    scope = get_variable_scope()
    store = _graph_vars()
    reuse = scope.reuse
    found = store.variables.get(full_name)
    if found is not None:
        if reuse is False or reuse is None:
            raise ValueError(
                f"Variable {full_name} already exists, disallowed. Did you mean "
                f"to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"
            )
        _check_existing(full_name, found, shape, dtype)
        return found
    if reuse is True:
        raise ValueError(
            f"Variable {full_name} does not exist, or was not created with "
            f"tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
            f"VarScope?"
        )
    dtype = _dt.as_dtype(dtype or scope.dtype)
    initializer = initializer if initializer is not None else scope.initializer
    if initializer is None:
        initializer = init_ops.default_initializer(dtype)
    regularizer = regularizer if regularizer is not None else scope.regularizer
    partitioner = partitioner if partitioner is not None else scope.partitioner
    trainable = True if trainable is None else trainable
    if shape is None and callable(initializer):
        raise ValueError(
            f"Shape of a new variable ({full_name}) must be fully defined, but "
            f"instead was {TensorShape(None)}."
        )
    if shape is not None:
        shape = TensorShape(shape)
        if not shape.is_fully_defined() and callable(initializer):
            raise ValueError(
                f"Shape of a new variable ({full_name}) must be fully defined, "
                f"but instead was {shape}."
            )
        shape = shape.as_list()
    if partitioner is not None and shape is not None:
        var = _partitioned(
            full_name,
            shape,
            dtype,
            initializer,
            trainable,
            collections,
            partitioner,
            validate_shape,
            constraint,
        )
    else:
        var = _single(
            full_name,
            shape,
            dtype,
            initializer,
            trainable,
            collections,
            validate_shape,
            constraint,
            None,
        )
    store.variables[full_name] = var
    if regularizer is not None:
        shards = var._get_variable_list() if isinstance(var, PartitionedVariable) else [var]
        for v in shards:
            with colocate_with(v.op), name_scope(f"{v.op.name}/Regularizer/"):
                loss = regularizer(v)
            if loss is not None:
                get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return var


def _single(
    name,
    shape,
    dtype,
    initializer,
    trainable,
    collections,
    validate_shape,
    constraint,
    partition_info,
):
    def initial_value():
        return init_ops.as_initial_value(initializer, shape, dtype, partition_info)

    return Variable(
        initial_value,
        trainable=trainable,
        collections=collections,
        validate_shape=validate_shape,
        name=name + "/",
        dtype=dtype,
        constraint=constraint,
    )


def _partitioned(
    name, shape, dtype, initializer, trainable, collections, partitioner, validate_shape, constraint
):
    parts = list(partitioner(shape=TensorShape(shape), dtype=dtype))
    if len(parts) != len(shape) or any(p < 1 for p in parts):
        raise ValueError(
            f"Partitioner returned an invalid partition list {parts} for the "
            f"shape {shape} of {name}"
        )
    split_axes = [i for i, p in enumerate(parts) if p > 1]
    if len(split_axes) > 1:
        raise ValueError(
            f"Can only slice a variable along one dimension: shape: {shape}, partitioning: {parts}"
        )
    if not split_axes:
        return _single(
            name,
            shape,
            dtype,
            initializer,
            trainable,
            collections,
            validate_shape,
            constraint,
            None,
        )
    axis = split_axes[0]
    n = min(parts[axis], shape[axis])
    shards, offset = [], 0
    for k, size in enumerate(_shard_sizes(shape[axis], n)):
        shard_shape = list(shape)
        shard_shape[axis] = size
        offsets = [0] * len(shape)
        offsets[axis] = offset
        info = _PartitionInfo(shape, offsets)
        shard = _single(
            f"{name}/part_{k}",
            shard_shape,
            dtype,
            initializer,
            trainable,
            collections,
            validate_shape,
            constraint,
            info,
        )
        shard._save_slice_info = (name, list(shape), offsets, shard_shape)
        shards.append(shard)
        offset += size
    actual = [1] * len(shape)
    actual[axis] = n
    return PartitionedVariable(name, shape, dtype, shards, actual)


@contextlib.contextmanager
def variable_scope(
    name_or_scope=None,
    default_name=None,
    values=None,
    initializer=None,
    regularizer=None,
    caching_device=None,
    partitioner=None,
    custom_getter=None,
    reuse=None,
    dtype=None,
    use_resource=None,
    constraint=None,
    auxiliary_name_scope=True,
):
    """Opens a variable scope (and the matching name scope). `reuse=True` inherits into
    nested scopes; re-entering a scope object reuses its original name scope."""
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if reuse not in (None, True, False, AUTO_REUSE):
        raise ValueError(f"The reuse parameter must be True or False or None, got {reuse!r}")
    parent = get_variable_scope()
    store = _graph_vars()
    if isinstance(name_or_scope, VariableScope):
        new_name = name_or_scope.name
        base = name_or_scope
        scope_for_names = name_or_scope.original_name_scope
    else:
        if name_or_scope is not None:
            short = str(name_or_scope)
        else:
            candidate = default_name
            prefix = f"{parent.name}/" if parent.name else ""
            short, index = candidate, 0  # the first unused of NAME, NAME_1, NAME_2, ... (TF's)
            while store.scope_counts.get(prefix + short, 0):
                index += 1
                short = f"{candidate}_{index}"
        new_name = f"{parent.name}/{short}" if parent.name else short
        base = parent
        scope_for_names = None
    store.scope_counts[new_name] = store.scope_counts.get(new_name, 0) + 1
    if parent.reuse is True and reuse is not False:
        new_reuse = True
    elif reuse is not None:
        new_reuse = reuse
    elif isinstance(name_or_scope, VariableScope):
        new_reuse = name_or_scope.reuse if name_or_scope.reuse is not None else parent.reuse
    else:
        new_reuse = parent.reuse
    short_name = new_name.rsplit("/", 1)[-1]
    # As TF 1.x: entering a scope (by name, or again by its object) opens a name scope of
    # its short name under the current one, made unique ("enc_1" at the top level,
    # "outer/enc" inside "outer"); the object keeps its original_name_scope.
    ns_cm = (
        name_scope(short_name)
        if auxiliary_name_scope
        else contextlib.nullcontext(scope_for_names or "")
    )
    with ns_cm as ns:
        scope = VariableScope(
            new_reuse,
            name=new_name,
            initializer=initializer if initializer is not None else base.initializer,
            regularizer=regularizer if regularizer is not None else base.regularizer,
            caching_device=caching_device or base.caching_device,
            partitioner=partitioner if partitioner is not None else base.partitioner,
            custom_getter=custom_getter or base.custom_getter,
            name_scope=scope_for_names or ns or "",
            dtype=dtype if dtype is not None else base.dtype,
            constraint=constraint or base.constraint,
        )
        _set_scope(scope)
        try:
            yield scope
        finally:
            _set_scope(parent)


def variable_op_scope(values, name_or_scope, default_name=None, **kwargs):
    """The old argument order of variable_scope."""
    return variable_scope(name_or_scope, default_name=default_name, values=values, **kwargs)


def no_regularizer(_):
    """Use as a regularizer to turn off the scope's regularizer for one variable."""
    return None


def create_partitioned_variables(shape, slicing, initializer, dtype=_dt.float32, trainable=True,
                                 collections=None, name=None, reuse=None):  # fmt: skip
    """TF 0.x's partitioned variables: a variable of `shape` split as `slicing` says (the
    number of parts per dimension, one dimension above 1), returned as its parts."""
    from .framework import get_default_graph

    shape, slicing = list(shape), list(slicing)
    if len(shape) != len(slicing):
        raise ValueError(
            f"The 'shape' and 'slicing' of a partitioned Variable must have the length: "
            f"shape: {shape}, slicing: {slicing}"
        )
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    name = name or "PartitionedVariable"
    if not reuse:
        name = get_default_graph().unique_name(name).rsplit("/", 1)[-1]
    variable = get_variable(name, shape, dtype=dtype, initializer=initializer,
                            trainable=trainable, collections=collections,
                            partitioner=lambda *args, **kwargs: slicing)  # fmt: skip
    return list(variable) if isinstance(variable, PartitionedVariable) else [variable]
