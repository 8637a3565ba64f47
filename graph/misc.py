"""Small top-level names TF1 programs use, built on the rest: static-shape helpers,
conversions, ensure_shape/identity_n/guarantee_const, monotonicity checks,
clip_by_average_norm, the table and local-variable helpers, init_scope/container, and the
enums AggregationMethod and UnconnectedGradients."""

from __future__ import annotations

import contextlib
import enum

import numpy as np

from . import dtypes as _dt
from .framework import (
    GraphKeys,
    Tensor,
    constant_value,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from .ops import array as _array, control_flow as _control_flow, debug as _debug, math as _math
from .ops._common import broadcast_shape
from .shapes import Dimension, TensorShape
from .sparse_tensor import SparseTensor, SparseTensorValue


class AggregationMethod:
    """How tf.gradients adds the gradients of a tensor used several times (psflow sums
    them with AddN whatever is asked, which all three methods compute)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(enum.Enum):
    """What tf.gradients returns for an unconnected input: None or zeros."""

    NONE = "none"
    ZERO = "zero"


def dimension_value(dimension):
    """The int of a Dimension (None when unknown); ints pass through."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


def dimension_at_index(shape, index):
    """Dimension `index` of `shape` (unknown when the rank is)."""
    shape = TensorShape(shape)
    if shape.ndims is None:
        return Dimension(None)
    return shape.dims[index]


def get_static_value(tensor, partial=False):
    """The value of `tensor` when known at graph-construction time, else None."""
    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    return constant_value(tensor)


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """IndexedSlices as they are, anything else through convert_to_tensor."""
    if isinstance(value, _array.IndexedSlices):
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """SparseTensor(Value)s as SparseTensors, anything else through convert_to_tensor."""
    if isinstance(value, SparseTensorValue):
        return SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def is_numeric_tensor(tensor) -> bool:
    return isinstance(tensor, Tensor) and tensor.dtype in _dt.NUMERIC


def broadcast_static_shape(shape_x, shape_y) -> TensorShape:
    """The static shape two shapes broadcast to (ValueError when incompatible)."""
    return broadcast_shape(TensorShape(shape_x), TensorShape(shape_y), "broadcast_static_shape")


def broadcast_dynamic_shape(shape_x, shape_y, name=None):
    """The shape (a 1-D tensor) two shape tensors broadcast to."""
    with name_scope(name, "broadcast_dynamic_shape"):
        x = convert_to_tensor(shape_x)
        y = convert_to_tensor(shape_y, dtype=x.dtype)
        zeros_x = _array.zeros(x, _dt.int8)
        zeros_y = _array.zeros(y, _dt.int8)
        return _array.shape(_math.add(zeros_x, zeros_y), out_type=x.dtype)


def identity_n(input, name=None):
    """Each of `input` through identity."""
    with name_scope(name, "IdentityN"):
        return [_array.identity(t) for t in input]


def guarantee_const(input, name=None):
    """`input` (a promise that it is constant; nothing is cached on it here)."""
    return _array.identity(input, name=name or "GuaranteeConst")


def ensure_shape(x, shape, name=None):
    """`x`, with its static shape merged with `shape` and checked when the step runs
    (InvalidArgumentError naming both shapes)."""
    with name_scope(name, "EnsureShape"):
        x = convert_to_tensor(x)
        shape = TensorShape(shape)
        if not x.shape.is_compatible_with(shape):
            raise ValueError(f"Shape {x.shape} is not compatible with expected shape {shape}")
        if shape.ndims is None:
            return _array.identity(x)
        actual = _array.shape(x)
        wanted = shape.as_list()
        known = [i for i, d in enumerate(wanted) if d is not None]
        checks = [_debug.assert_rank(x, shape.ndims)]
        if known:
            got = _array.gather(actual, known)
            checks.append(
                _debug.Assert(
                    _math.reduce_all(_math.equal(got, np.array([wanted[i] for i in known]))),
                    [f"Shape of tensor {x.name} is not compatible with expected shape {shape}:",
                     actual],
                )
            )  # fmt: skip
        with control_dependencies(checks):
            out = _array.identity(x)
        out.set_shape(x.shape.merge_with(shape))
        return out


def _monotone(x, strict, name, default_name):
    with name_scope(name, default_name):
        flat = _array.reshape(convert_to_tensor(x), [-1])
        diff = _math.subtract(flat[1:], flat[:-1])
        zero = _array.zeros_like(diff)
        ok = _math.greater(diff, zero) if strict else _math.greater_equal(diff, zero)
        return _math.reduce_all(ok)


def is_non_decreasing(x, name=None):
    """Whether the elements of `x`, in row-major order, never decrease."""
    return _monotone(x, False, name, "is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """Whether the elements of `x`, in row-major order, always increase."""
    return _monotone(x, True, name, "is_strictly_increasing")


def clip_by_average_norm(t, clip_norm, name=None):
    """`t` scaled so its L2 norm divided by its number of elements is at most clip_norm."""
    with name_scope(name, "clip_by_average_norm"):
        t = convert_to_tensor(t)
        n = _math.cast(_array.size(t), t.dtype)
        l2 = _math.sqrt(_math.reduce_sum(_math.square(t)))
        clip = convert_to_tensor(clip_norm, dtype=t.dtype)
        scale = _math.minimum(_math.real_div(_math.multiply(clip, n), l2),
                              _array.ones_like(l2))  # fmt: skip
        return _math.multiply(t, scale)


def tables_initializer(name="init_all_tables"):
    """An op running the initializers in TABLE_INITIALIZERS (a no-op when there are none)."""
    inits = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    if inits:
        return _control_flow.group(*inits, name=name)
    return _control_flow.no_op(name=name)


def get_local_variable(name, shape=None, dtype=None, initializer=None, **kwargs):
    """get_variable into LOCAL_VARIABLES, not trainable (as tf.get_local_variable)."""
    from .variable_scope import get_variable

    collections = list(kwargs.pop("collections", None) or []) + [GraphKeys.LOCAL_VARIABLES]
    kwargs.pop("trainable", None)
    return get_variable(name, shape, dtype, initializer, trainable=False,
                        collections=collections, **kwargs)  # fmt: skip


@contextlib.contextmanager
def init_scope():
    """Lifts what is built inside out of control dependencies (as TF1's init_scope in a
    graph: there is no function to lift out of)."""
    with control_dependencies(None):
        yield


@contextlib.contextmanager
def container(container_name):
    """Resource containers are not separated here: the block runs as it is."""
    yield container_name


# Old scope and stacking names, tensor predicates ----------------------------------------------
def op_scope(values, name, default_name=None):
    """TF 0.x's name scope: `name_scope(name, default_name, values)`."""
    return name_scope(name, default_name, values)


def parallel_stack(values, name="parallel_stack"):
    """`stack` of tensors of one shape along a new first axis."""
    return _array.stack(values, axis=0, name=name)


def is_symbolic_tensor(tensor) -> bool:
    """Whether `tensor` is a graph tensor (every psflow Tensor is)."""
    return isinstance(tensor, Tensor)


def add_check_numerics_ops():
    """One op running check_numerics on every floating tensor of the default graph (built
    so far): run it to fail a step that produces an Inf or NaN, naming the tensor."""
    graph = get_default_graph()
    checks = []
    for op in list(graph.get_operations()):
        for out in op.outputs:
            if out.dtype.is_floating:
                with control_dependencies(checks[-1:]):
                    checks.append(
                        _math.check_numerics(
                            out, f"{op.name}:{out.value_index} : Tensor had NaN or Inf values"
                        )  # fmt: skip
                    )
    return _control_flow.group(*checks)


# Flags of TF2 behaviour: psflow is TF1's graph model --------------------------------------------
def control_flow_v2_enabled() -> bool:
    return False


def resource_variables_enabled() -> bool:
    return False


def executing_eagerly_outside_functions() -> bool:
    return False


class VariableSynchronization(enum.Enum):
    """When a distributed variable's replicas are aggregated (accepted by get_variable)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How a distributed variable's updates combine (accepted by get_variable)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3


def NotDifferentiable(op_type):  # noqa: N802 - TF's name
    """Declares ops of `op_type` not differentiable (tf.gradients gives None through them);
    KeyError when the type already has a gradient, as TF."""
    from .registry import NOT_DIFFERENTIABLE, get_op_def

    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    opdef = get_op_def(op_type)
    if opdef.grad not in (None, NOT_DIFFERENTIABLE):
        raise KeyError(f"Registering two gradient with name '{op_type}'!")
    opdef.grad = NOT_DIFFERENTIABLE


NoGradient = NotDifferentiable
no_gradient = NotDifferentiable


# Sparse helpers of TF1's top level ----------------------------------------------------------------
def sparse_reset_shape(sp_input, new_shape=None):
    """`sp_input` with dense shape `new_shape` (each no smaller than the old one), or the
    tightest shape holding its indices when None."""
    with name_scope(None, "SparseResetShape"):
        indices = sp_input.indices
        if new_shape is None:
            bound = _math.add(_math.reduce_max(indices, axis=0), _math.cast(1, _dt.int64))
            # An empty tensor keeps a zero shape.
            empty = _math.equal(_array.size(indices, out_type=_dt.int64), 0)
            shape = _math.where(empty, _array.zeros_like(bound), bound)
            return SparseTensor(indices, sp_input.values, shape)
        new_shape = convert_to_tensor(new_shape, dtype=_dt.int64)
        check = _debug.assert_less_equal(
            sp_input.dense_shape, new_shape,
            message="new_shape must be at least the old one in every dimension",
        )  # fmt: skip
        with control_dependencies([check]):
            new_shape = _array.identity(new_shape)
        return SparseTensor(indices, sp_input.values, new_shape)


def sparse_mask(a, mask_indices, name=None):
    """The IndexedSlices `a` without the slices at `mask_indices`."""
    from .ops import array_ext as _ext

    with name_scope(name, "sparse_mask", [a, mask_indices]):
        kept, positions = _ext.setdiff1d(a.indices, mask_indices)
        return _array.IndexedSlices(_array.gather(a.values, positions), kept, a.dense_shape)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """One SparseTensor from ids and their values: entry [r..., id] = value, for each entry
    [r..., k] of `sp_ids` (of last dimension `vocab_size`)."""
    from .ops import manip as _manip, sparse as _sparse

    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        ids = _math.cast(sp_ids.values, _dt.int64)
        rank = _array.size(sp_ids.dense_shape)
        last = _math.subtract(rank, 1)
        leading = _manip.slice_(sp_ids.indices, [0, 0], _array.stack([-1, last]))
        indices = _array.concat([leading, _array.expand_dims(ids, 1)], 1)
        outer = _manip.slice_(sp_ids.dense_shape, [0], _array.expand_dims(last, 0))
        shape = _array.concat([outer, convert_to_tensor([vocab_size], dtype=_dt.int64)], 0)
        result = SparseTensor(indices, sp_values.values, shape)
        return result if already_sorted else _sparse.reorder(result)


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False,
                  b_is_sparse=False, name=None):  # fmt: skip
    """matmul of dense matrices (the sparsity hints only chose TF's kernel)."""
    return _math.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, name=name)


# make_template ---------------------------------------------------------------------------------
class Template:
    """`func` wrapped so that every call shares the variables the first call created (in one
    variable scope); what `make_template` returns."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None,
                 custom_getter=None):  # fmt: skip
        from .variable_scope import variable_scope

        self._name, self._func = name, func
        self._unique_name, self._custom_getter = unique_name, custom_getter
        self._scope = None
        self._variables_created = False
        if create_scope_now:
            with variable_scope(unique_name, name, custom_getter=custom_getter) as scope:
                self._scope = scope

    def __call__(self, *args, **kwargs):
        from .variable_scope import variable_scope

        if self._scope is None:
            scope = variable_scope(self._unique_name, self._name,
                                   custom_getter=self._custom_getter)  # fmt: skip
        else:
            scope = variable_scope(self._scope, reuse=True if self._variables_created else None)
        with scope as entered:
            self._scope = entered
            result = self._func(*args, **kwargs)
        self._variables_created = True
        return result

    @property
    def name(self) -> str:
        return self._name

    @property
    def variable_scope(self):
        return self._scope

    @property
    def variable_scope_name(self) -> str:
        return self._scope.name if self._scope is not None else ""

    @property
    def variables(self) -> list:
        from .variables import global_variables

        prefix = self.variable_scope_name + "/"
        return [v for v in global_variables() if v.name.startswith(prefix)]

    @property
    def trainable_variables(self) -> list:
        from .variables import trainable_variables

        prefix = self.variable_scope_name + "/"
        return [v for v in trainable_variables() if v.name.startswith(prefix)]


def make_template(name_, func_, create_scope_now_=False, unique_name_=None, custom_getter_=None,
                  **kwargs):  # fmt: skip
    """A Template calling `func_(*args, **kwargs)` in variable scope `name_`, the variables
    of its first call reused by every later call."""
    import functools

    func = functools.partial(func_, **kwargs) if kwargs else func_
    return Template(name_, func, create_scope_now_, unique_name_, custom_getter_)
