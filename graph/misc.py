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
