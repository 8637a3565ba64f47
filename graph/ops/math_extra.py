"""The rest of `tf.math`: batched MatMul, tensordot, ArgMax/ArgMin, Cumsum, `tf.where`,
and the clipping helpers (composites of the elementwise ops)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import broadcast_shape, normalize_axis, reduce_to_shape, shape_str

_NUM = _dt.NUMERIC
_INDEX = (_dt.int32, _dt.int64)


# BatchMatMulV2 ---------------------------------------------------------------------------
def _batch_matmul_infer(x, y, *, adj_x, adj_y):
    if x.shape.ndims is None or y.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    if x.shape.ndims < 2 or y.shape.ndims < 2:
        raise ValueError(f"Shape must be at least rank 2 for 'BatchMatMulV2' with input "
                         f"shapes: {shape_str(x.shape)}, {shape_str(y.shape)}.")
    xd, yd = x.shape.as_list(), y.shape.as_list()
    m, k1 = (xd[-1], xd[-2]) if adj_x else (xd[-2], xd[-1])
    k2, n = (yd[-1], yd[-2]) if adj_y else (yd[-2], yd[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"Dimensions must be equal, but are {k1} and {k2} for 'BatchMatMulV2' "
                         f"with input shapes: {shape_str(x.shape)}, {shape_str(y.shape)}.")
    batch = broadcast_shape(TensorShape(xd[:-2]), TensorShape(yd[:-2]), "BatchMatMulV2")
    return TensorSpec(x.dtype, TensorShape(batch.as_list() + [m, n]))


def _batch_matmul_kernel(x, y, *, adj_x, adj_y):
    if adj_x:
        x = np.swapaxes(x, -1, -2)
    if adj_y:
        y = np.swapaxes(y, -1, -2)
    try:
        return np.matmul(x, y)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"In[0] and In[1] must have compatible batch dimensions and inner "
            f"dimensions: {list(x.shape)} vs. {list(y.shape)}") from None


def _batch_matmul_grad(op, grad):
    """As MatMul's gradient on the last two axes, summed over broadcast batch axes."""
    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not ax and not ay:
        dx, dy = batch_matmul(grad, y, False, True), batch_matmul(x, grad, True, False)
    elif not ax and ay:
        dx, dy = batch_matmul(grad, y), batch_matmul(grad, x, True, False)
    elif ax and not ay:
        dx, dy = batch_matmul(y, grad, False, True), batch_matmul(x, grad)
    else:
        dx, dy = batch_matmul(y, grad, True, True), batch_matmul(grad, x, True, True)
    return [reduce_to_shape(dx, x), reduce_to_shape(dy, y)]


register_op(OpDef("BatchMatMulV2", inputs=["x: T", "y: T"], outputs=["output: T"],
                  types={"T": _NUM}, attrs={"adj_x": False, "adj_y": False},
                  infer=_batch_matmul_infer, kernel=_batch_matmul_kernel,
                  grad=_batch_matmul_grad))


def batch_matmul(x, y, adj_x=False, adj_y=False, name=None) -> Tensor:
    return apply_op("BatchMatMulV2", [x, y], {"adj_x": bool(adj_x), "adj_y": bool(adj_y)},
                    name=name).outputs[0]


def tensordot(a, b, axes, name=None) -> Tensor:
    """Contracts `a` and `b` over `axes` (an int N: last N of a with first N of b; or a
    pair of axis lists). Built from transpose, reshape and MatMul, as TF does."""
    with name_scope(name, "Tensordot"):
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        if not (a.shape.is_fully_defined() and b.shape.is_fully_defined()):
            raise ValueError("tensordot needs the static shapes of both operands")
        ad, bd = a.shape.as_list(), b.shape.as_list()
        if isinstance(axes, int):
            if axes < 0:
                raise ValueError("'axes' must be at least 0.")
            a_axes, b_axes = list(range(len(ad) - axes, len(ad))), list(range(axes))
        else:
            a_axes, b_axes = axes
            a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
            b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
        a_axes = [normalize_axis(i, len(ad), "Tensordot") for i in a_axes]
        b_axes = [normalize_axis(i, len(bd), "Tensordot") for i in b_axes]
        if [ad[i] for i in a_axes] != [bd[i] for i in b_axes]:
            raise ValueError(f"Dimensions of contracted axes do not match: {ad} axes {a_axes} "
                             f"vs {bd} axes {b_axes}")
        a_free = [i for i in range(len(ad)) if i not in a_axes]
        b_free = [i for i in range(len(bd)) if i not in b_axes]
        k = int(np.prod([ad[i] for i in a_axes]))
        a2 = _array.reshape(transpose_if_needed(a, a_free + a_axes), [-1, k])
        b2 = _array.reshape(transpose_if_needed(b, b_axes + b_free), [k, -1])
        out = _math.matmul(a2, b2)
        return _array.reshape(out, [ad[i] for i in a_free] + [bd[i] for i in b_free])


def transpose_if_needed(x, perm):
    from .array_extra import transpose

    return x if perm == sorted(perm) else transpose(x, perm)


# ArgMax, ArgMin ------------------------------------------------------------------------------
def _arg_infer(op_type):
    def infer(x, dimension, *, output_type):
        if x.shape.ndims is None or dimension.value is None:
            return TensorSpec(_dt.as_dtype(output_type), TensorShape(None))
        a = normalize_axis(int(dimension.value), x.shape.ndims, op_type)
        dims = [d for i, d in enumerate(x.shape.as_list()) if i != a]
        return TensorSpec(_dt.as_dtype(output_type), TensorShape(dims))

    return infer


def _arg_kernel(np_fn):
    def kernel(x, dimension, *, output_type):
        a = int(dimension)
        if x.shape[a] == 0:
            raise InvalidArgumentError(None, None, "Reduction axis is empty")
        return np_fn(x, axis=a).astype(output_type)

    return kernel


for _type, _fn in (("ArgMax", np.argmax), ("ArgMin", np.argmin)):
    register_op(OpDef(_type, inputs=["input: T", "dimension: Tidx"],
                      outputs=["output: output_type"],
                      types={"T": _NUM + (_dt.bool_,), "Tidx": _INDEX},
                      attrs={"output_type": "int64"}, infer=_arg_infer(_type),
                      kernel=_arg_kernel(_fn), grad=NOT_DIFFERENTIABLE,
                      prepare=lambda kw: {"output_type": np.dtype(kw["output_type"])}))


def _arg(op_type, input, axis, name, dimension, output_type):
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'")
    axis = dimension if axis is None else axis
    axis = 0 if axis is None else axis
    return apply_op(op_type, [input, axis], {"output_type": _dt.as_dtype(output_type).name},
                    name=name).outputs[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dt.int64) -> Tensor:
    """The index of the largest value along `axis` (the first one on ties)."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dt.int64) -> Tensor:
    """The index of the smallest value along `axis` (the first one on ties)."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)


# Cumsum -------------------------------------------------------------------------------------
def _cumsum_infer(x, axis, *, exclusive, reverse):
    if x.shape.ndims is not None and axis.value is not None:
        normalize_axis(int(axis.value), x.shape.ndims, "Cumsum")
    return TensorSpec(x.dtype, x.shape)


def _cumsum_kernel(x, axis, *, exclusive, reverse):
    a = int(axis)
    if reverse:
        x = np.flip(x, a)
    out = np.cumsum(x, axis=a, dtype=x.dtype)
    if exclusive:
        out = np.roll(out, 1, axis=a)
        index = [slice(None)] * out.ndim
        index[a] = 0
        out[tuple(index)] = 0
    return np.flip(out, a) if reverse else out


def _cumsum_grad(op, grad):
    """d_x = cumsum of grad in the opposite direction."""
    return [cumsum(grad, op.inputs[1], exclusive=op.get_attr("exclusive"),
                   reverse=not op.get_attr("reverse")), None]


register_op(OpDef("Cumsum", inputs=["x: T", "axis: Tidx"], outputs=["out: T"],
                  types={"T": _NUM, "Tidx": _INDEX},
                  attrs={"exclusive": False, "reverse": False},
                  infer=_cumsum_infer, kernel=_cumsum_kernel, grad=_cumsum_grad))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative sum along `axis`."""
    return apply_op("Cumsum", [x, axis], {"exclusive": bool(exclusive), "reverse": bool(reverse)},
                    name=name).outputs[0]


# where (TF 1.x semantics) ---------------------------------------------------------------------
def where(condition, x=None, y=None, name=None) -> Tensor:
    """With only `condition`: the coordinates of its true elements ([N, rank] int64). With
    `x` and `y`: elements of x where condition, else of y; `condition` has x's shape or is
    a vector selecting rows."""
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    if x is None:
        return apply_op("Where", [condition], name=name).outputs[0]
    x, y = _math._pair(x, y)
    cond = convert_to_tensor(condition)
    if cond.shape.ndims is not None and x.shape.ndims is not None and \
            cond.shape.ndims not in (1, x.shape.ndims) and cond.shape.ndims != 0:
        raise ValueError(f"Shapes must be equal rank, but are {cond.shape.ndims} and "
                         f"{x.shape.ndims} for 'Select'")
    return apply_op("Select", [cond, x, y], name=name).outputs[0]


# Clipping ----------------------------------------------------------------------------------------
def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """`t` with values below min set to min and above max set to max."""
    with name_scope(name, "clip_by_value"):
        t = convert_to_tensor(t)
        lo = convert_to_tensor(clip_value_min, dtype=t.dtype)
        hi = convert_to_tensor(clip_value_max, dtype=t.dtype)
        return _math.maximum(_math.minimum(t, hi), lo)


def _norm(t):
    return _math.sqrt(_math.reduce_sum(_math.square(t)))


def clip_by_norm(t, clip_norm, axes=None, name=None) -> Tensor:
    """`t * clip_norm / max(l2norm(t), clip_norm)` (norm over `axes`, all by default)."""
    with name_scope(name, "clip_by_norm"):
        t = convert_to_tensor(t)
        clip = convert_to_tensor(clip_norm, dtype=t.dtype)
        l2sum = _math.reduce_sum(_math.square(t), axis=axes, keepdims=True)
        positive = _math.greater(l2sum, _array.zeros_like(l2sum))
        safe = _math._select(positive, l2sum, _array.ones_like(l2sum))
        norm = _math._select(positive, _math.sqrt(safe), l2sum)
        scaled = _math.multiply(t, clip)
        return _math.real_div(scaled, _math.maximum(norm, clip))


def global_norm(t_list, name=None) -> Tensor:
    """sqrt(sum of squared l2 norms) of the (non-None) tensors in `t_list`."""
    with name_scope(name, "global_norm"):
        parts = [_math.reduce_sum(_math.square(convert_to_tensor(t))) for t in t_list
                 if t is not None]
        if not parts:
            raise ValueError("global_norm needs at least one tensor")
        return _math.sqrt(_math.add_n(parts))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns
    (clipped list, global norm)."""
    from ..autodiff import IndexedSlices

    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    with name_scope(name, "clip_by_global_norm"):
        values = [t.values if isinstance(t, IndexedSlices) else t for t in t_list]
        norm = global_norm(values) if use_norm is None else convert_to_tensor(use_norm)
        clip = convert_to_tensor(clip_norm, dtype=norm.dtype)
        scale = _math.real_div(clip, _math.maximum(norm, clip))
        out = []
        for t in t_list:
            if t is None:
                out.append(None)
            elif isinstance(t, IndexedSlices):
                out.append(IndexedSlices(_math.multiply(t.values, _math.cast(scale, t.dtype)),
                                         t.indices, t.dense_shape))
            else:
                t = convert_to_tensor(t)
                out.append(_math.multiply(t, _math.cast(scale, t.dtype)))
        return out, norm
