"""More array ops: Transpose, Tile, Pad/MirrorPad, Slice, GatherNd/ScatterNd, OneHot,
ReverseV2, LinSpace, Split, DynamicPartition/DynamicStitch; and the composites split,
sequence_mask and reverse."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import normalize_axis, shape_str

_INDEX = (_dt.int32, _dt.int64)


def _const(spec):
    return None if spec.value is None else np.asarray(spec.value)


# Transpose, InvertPermutation ---------------------------------------------------------------------
def _transpose_infer(x, perm):
    p = _const(perm)
    if p is None:
        n = x.shape.ndims
        return TensorSpec(x.dtype, TensorShape(None if n is None else [None] * n))
    if x.shape.ndims is not None and len(p) != x.shape.ndims:
        raise ValueError(
            f"Dimension must be {x.shape.ndims} but is {len(p)} for 'Transpose' "
            f"with input shapes: {shape_str(x.shape)}, [{len(p)}]."
        )
    if sorted(int(i) for i in p) != list(range(len(p))):
        raise ValueError(f"perm {p.tolist()} is not a permutation for 'Transpose'")
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape([None] * len(p)))
    dims = x.shape.as_list()
    return TensorSpec(x.dtype, TensorShape([dims[int(i)] for i in p]))


def _transpose_kernel(x, perm):
    if sorted(perm.tolist()) != list(range(x.ndim)):
        raise InvalidArgumentError(
            None,
            None,
            f"transpose expects a vector of size {x.ndim}. "
            f"But input(1) is a vector of size {len(perm)}",
        )
    return np.transpose(x, perm)


def _transpose_grad(op, grad):
    """d_x = transpose(grad, inverse(perm))."""
    perm = op.inputs[1]
    value = perm.op._const_values[perm.value_index]
    inverse = np.argsort(value).astype(np.int32) if value is not None else invert_permutation(perm)
    return [transpose(grad, inverse), None]


register_op(
    OpDef(
        "Transpose",
        inputs=["x: T", "perm: Tperm"],
        outputs=["y: T"],
        types={"T": (), "Tperm": _INDEX},
        infer=_transpose_infer,
        kernel=_transpose_kernel,
        grad=_transpose_grad,
    )
)


def transpose(a, perm=None, name="transpose", conjugate=False) -> Tensor:
    """`a` with its dimensions permuted (reversed when perm is None)."""
    a = convert_to_tensor(a)
    if perm is None:
        if a.shape.ndims is None:
            r = _array.rank(a)
            perm = _math.subtract(_math.subtract(r, 1), _math.range_(0, r))
        else:
            perm = np.arange(a.shape.ndims - 1, -1, -1, dtype=np.int32)
    return apply_op("Transpose", [a, perm], name=name).outputs[0]


def _invert_permutation_kernel(x):
    out = np.empty_like(x)
    out[x] = np.arange(len(x), dtype=x.dtype)
    return out


register_op(
    OpDef(
        "InvertPermutation",
        inputs=["x: T"],
        outputs=["y: T"],
        types={"T": _INDEX},
        infer=lambda x: TensorSpec(x.dtype, x.shape),
        kernel=_invert_permutation_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def invert_permutation(x, name=None) -> Tensor:
    return apply_op("InvertPermutation", [x], name=name).outputs[0]


# Tile ---------------------------------------------------------------------------------------------
def _tile_infer(x, multiples):
    m = _const(multiples)
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    if m is None:
        return TensorSpec(x.dtype, TensorShape([None] * x.shape.ndims))
    if len(m) != x.shape.ndims:
        raise ValueError(
            f"Shape must be rank {x.shape.ndims} but is rank {len(m)} for 'Tile' "
            f"with input shapes: {shape_str(x.shape)}, [{len(m)}]."
        )
    dims = [None if d is None else d * int(k) for d, k in zip(x.shape.as_list(), m)]
    return TensorSpec(x.dtype, TensorShape(dims))


def _tile_kernel(x, multiples):
    if len(multiples) != x.ndim:
        raise InvalidArgumentError(
            None,
            None,
            f"Expected multiples argument to be a vector "
            f"of length {x.ndim} but got length {len(multiples)}",
        )
    return np.tile(x, multiples)


def _tile_grad(op, grad):
    """d_x = grad reshaped to [m0, d0, m1, d1, ...] and summed over the m axes."""
    x, multiples = op.inputs
    m = multiples.op._const_values[multiples.value_index]
    if m is None or not x.shape.is_fully_defined():
        raise NotImplementedError(f"gradient of {op.name} needs static multiples and shape")
    dims = x.shape.as_list()
    split = [v for pair in zip(np.ravel(m).tolist(), dims) for v in pair]
    summed = _math.reduce_sum(_array.reshape(grad, split), axis=list(range(0, len(split), 2)))
    return [_array.reshape(summed, dims), None]


register_op(
    OpDef(
        "Tile",
        inputs=["input: T", "multiples: Tmultiples"],
        outputs=["output: T"],
        types={"T": (), "Tmultiples": _INDEX},
        infer=_tile_infer,
        kernel=_tile_kernel,
        grad=_tile_grad,
    )
)


def tile(input, multiples, name=None) -> Tensor:
    """`input` repeated `multiples[i]` times along each dimension i."""
    return apply_op("Tile", [input, multiples], name=name).outputs[0]


# PadV2, MirrorPad ---------------------------------------------------------------------------------
def _pad_infer(x, paddings, *rest, **_):
    p = _const(paddings)
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    if paddings.shape.ndims is not None and paddings.shape.as_list() not in (
        [x.shape.ndims, 2],
        [None, 2],
        [x.shape.ndims, None],
        [None, None],
    ):
        raise ValueError(
            f"The first dimension of paddings must be the rank of inputs "
            f"{[x.shape.ndims, 2]}, {shape_str(paddings.shape)} for 'Pad'"
        )
    if p is None:
        return TensorSpec(x.dtype, TensorShape([None] * x.shape.ndims))
    if (p < 0).any():
        raise ValueError(f"Paddings must be non-negative for 'Pad', got {p.tolist()}")
    dims = [None if d is None else d + int(a) + int(b) for d, (a, b) in zip(x.shape.as_list(), p)]
    return TensorSpec(x.dtype, TensorShape(dims))


def _check_paddings(x, paddings):
    if np.shape(paddings) != (x.ndim, 2) or (np.asarray(paddings) < 0).any():
        raise InvalidArgumentError(
            None,
            None,
            f"The first dimension of paddings must be the "
            f"rank of inputs[{x.ndim},2], and paddings non-negative: "
            f"{np.asarray(paddings).tolist()}",
        )


def _pad_kernel(x, paddings, constant_values):
    _check_paddings(x, paddings)
    return np.pad(x, paddings, mode="constant", constant_values=constant_values)


def _pad_slice(grad, x, paddings):
    """grad[paddings[:,0] : paddings[:,0] + shape(x)]."""
    begin = _array.reshape(slice_(paddings, [0, 0], [-1, 1]), [-1])
    return slice_(grad, begin, _array.shape(x))


def _pad_grad(op, grad):
    """d_x = the slice of grad the input occupies."""
    x, paddings, _ = op.inputs
    return [_pad_slice(grad, x, paddings), None, None]


register_op(
    OpDef(
        "PadV2",
        inputs=["input: T", "paddings: Tpaddings", "constant_values: T"],
        outputs=["output: T"],
        types={"T": (), "Tpaddings": _INDEX},
        infer=_pad_infer,
        kernel=_pad_kernel,
        grad=_pad_grad,
    )
)

_MIRROR = {"REFLECT": "reflect", "SYMMETRIC": "symmetric"}


def _mirror_pad_kernel(x, paddings, *, mode):
    _check_paddings(x, paddings)
    for d, (a, b) in enumerate(np.asarray(paddings)):
        limit = x.shape[d] - (1 if mode == "REFLECT" else 0)
        if a > limit or b > limit:
            raise InvalidArgumentError(
                None,
                None,
                f"paddings must be no greater than the "
                f"dimension size: {a}, {b} greater than {limit}",
            )
    return np.pad(x, paddings, mode=_MIRROR[mode])


def _mirror_index(x_shape, paddings, mode):
    n = int(np.prod(x_shape))
    return np.pad(np.arange(n).reshape(x_shape), paddings, mode=_MIRROR[mode]), n


def _mirror_pad_grad(op, grad):
    """d_x = grad folded back onto the input: every padded cell adds to its source."""
    x, paddings = op.inputs
    return [
        apply_op("MirrorPadGrad", [grad, paddings, x], {"mode": op.get_attr("mode")}).outputs[0],
        None,
    ]


register_op(
    OpDef(
        "MirrorPad",
        inputs=["input: T", "paddings: Tpaddings"],
        outputs=["output: T"],
        types={"T": (), "Tpaddings": _INDEX},
        attrs={"mode": "REFLECT"},
        infer=_pad_infer,
        kernel=_mirror_pad_kernel,
        grad=_mirror_pad_grad,
    )
)


def _mirror_pad_grad_infer(grad, paddings, x, *, mode):
    return TensorSpec(grad.dtype, x.shape)


def _mirror_pad_grad_kernel(grad, paddings, x, *, mode):
    index, n = _mirror_index(x.shape, paddings, mode)
    folded = np.bincount(index.ravel(), weights=grad.ravel().astype(np.float64), minlength=n)
    return folded.reshape(x.shape).astype(grad.dtype)


def _mirror_pad_grad_grad(op, grad):
    """MirrorPadGrad is the adjoint of MirrorPad: its gradient is MirrorPad."""
    return [
        apply_op("MirrorPad", [grad, op.inputs[1]], {"mode": op.get_attr("mode")}).outputs[0],
        None,
        None,
    ]


register_op(
    OpDef(
        "MirrorPadGrad",
        inputs=["input: T", "paddings: Tpaddings", "like: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS, "Tpaddings": _INDEX},
        attrs={"mode": "REFLECT"},
        infer=_mirror_pad_grad_infer,
        kernel=_mirror_pad_grad_kernel,
        grad=_mirror_pad_grad_grad,
    )
)


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0) -> Tensor:
    """`tensor` padded by paddings[i] = [before, after] along dimension i."""
    mode = mode.upper()
    tensor = convert_to_tensor(tensor)
    if mode == "CONSTANT":
        value = convert_to_tensor(constant_values, dtype=tensor.dtype)
        return apply_op("PadV2", [tensor, paddings, value], name=name or "Pad").outputs[0]
    if mode not in _MIRROR:
        raise ValueError(f"Unknown padding mode: {mode}")
    return apply_op(
        "MirrorPad", [tensor, paddings], {"mode": mode}, name=name or "MirrorPad"
    ).outputs[0]


# Slice --------------------------------------------------------------------------------------------
def _slice_infer(x, begin, size):
    b, s = _const(begin), _const(size)
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    if b is None or s is None:
        return TensorSpec(x.dtype, TensorShape([None] * x.shape.ndims))
    if len(b) != x.shape.ndims or len(s) != x.shape.ndims:
        raise ValueError(
            f"Shape must be rank {x.shape.ndims} for 'Slice': begin {b.tolist()}, "
            f"size {s.tolist()}, input {shape_str(x.shape)}"
        )
    dims = []
    for d, bb, ss in zip(x.shape.as_list(), b, s):
        if d is not None and (bb < 0 or (ss != -1 and bb + ss > d)):
            raise ValueError(
                f"Slice begin {b.tolist()} size {s.tolist()} out of bounds for "
                f"input {shape_str(x.shape)} in 'Slice'"
            )
        dims.append((None if d is None else d - int(bb)) if ss == -1 else int(ss))
    return TensorSpec(x.dtype, TensorShape(dims))


def _slice_kernel(x, begin, size):
    index = []
    for d, b, s in zip(x.shape, begin, size):
        e = d if s == -1 else b + s
        if b < 0 or e > d or e < b:
            raise InvalidArgumentError(
                None,
                None,
                f"Expected begin[i] in [0, {d}] and "
                f"size[i] in [0, {d - b}], got begin {begin.tolist()}, "
                f"size {size.tolist()}",
            )
        index.append(slice(int(b), int(e)))
    return x[tuple(index)]


def _slice_grad(op, grad):
    """d_x = grad padded back to the input's shape with zeros."""
    x, begin, _ = op.inputs
    in_shape = _array.shape(x, out_type=begin.dtype)
    after = _math.subtract(
        _math.subtract(in_shape, _array.shape(op.outputs[0], out_type=begin.dtype)), begin
    )
    paddings = _array.stack([begin, after], axis=1)
    return [pad(grad, paddings), None, None]


register_op(
    OpDef(
        "Slice",
        inputs=["input: T", "begin: Index", "size: Index"],
        outputs=["output: T"],
        types={"T": (), "Index": _INDEX},
        infer=_slice_infer,
        kernel=_slice_kernel,
        grad=_slice_grad,
    )
)


def slice_(input_, begin, size, name=None) -> Tensor:
    """The `size`-shaped block of `input_` starting at `begin` (size -1: to the end)."""
    return apply_op("Slice", [input_, begin, size], name=name).outputs[0]


# GatherNd, ScatterNd ------------------------------------------------------------------------------
def _gather_nd_infer(params, indices):
    if params.shape.ndims is None or indices.shape.ndims is None:
        return TensorSpec(params.dtype, TensorShape(None))
    idx = indices.shape.as_list()
    k = idx[-1]
    if k is None:
        return TensorSpec(params.dtype, TensorShape(None))
    if k > params.shape.ndims:
        raise ValueError(
            f"indices.shape[-1] must be <= params.rank, but saw indices shape: "
            f"{shape_str(indices.shape)} vs. params shape: "
            f"{shape_str(params.shape)} for 'GatherNd'"
        )
    return TensorSpec(params.dtype, TensorShape(idx[:-1] + params.shape.as_list()[k:]))


def _nd_check(indices, shape):
    k = indices.shape[-1]
    bounds = np.asarray(shape[:k]).reshape((1,) * (indices.ndim - 1) + (k,))
    bad = (indices < 0) | (indices >= bounds)
    if bad.any():
        where = np.argwhere(bad.any(axis=-1))[0].tolist()
        raise InvalidArgumentError(
            None,
            None,
            f"indices{where} = "
            f"{indices[tuple(where)].tolist()} does not index into "
            f"param shape {list(shape)}",
        )


def _gather_nd_kernel(params, indices):
    _nd_check(indices, params.shape)
    k = indices.shape[-1]
    return (
        params[tuple(np.moveaxis(indices, -1, 0))]
        if k
        else np.broadcast_to(params, indices.shape[:-1] + params.shape).copy()
    )


def _gather_nd_grad(op, grad):
    """d_params = scatter_nd(indices, grad, shape(params))."""
    params, indices = op.inputs
    return [scatter_nd(indices, grad, _array.shape(params, out_type=indices.dtype)), None]


register_op(
    OpDef(
        "GatherNd",
        inputs=["params: Tparams", "indices: Tindices"],
        outputs=["output: Tparams"],
        types={"Tparams": (), "Tindices": _INDEX},
        infer=_gather_nd_infer,
        kernel=_gather_nd_kernel,
        grad=_gather_nd_grad,
    )
)


def gather_nd(params, indices, name=None) -> Tensor:
    """Slices of `params` at the index tuples in the last dimension of `indices`."""
    return apply_op("GatherNd", [params, indices], name=name).outputs[0]


def _scatter_nd_infer(indices, updates, shape):
    s = _const(shape)
    return TensorSpec(updates.dtype, TensorShape(None if s is None else s.tolist()))


def _scatter_nd_kernel(indices, updates, shape):
    _nd_check(indices, shape)
    out = np.zeros(tuple(shape), dtype=updates.dtype)
    np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), updates)
    return out


def _scatter_nd_grad(op, grad):
    """d_updates = gather_nd(grad, indices)."""
    indices = op.inputs[0]
    return [None, gather_nd(grad, indices), None]


register_op(
    OpDef(
        "ScatterNd",
        inputs=["indices: Tindices", "updates: T", "shape: Tindices"],
        outputs=["output: T"],
        types={"T": (), "Tindices": _INDEX},
        infer=_scatter_nd_infer,
        kernel=_scatter_nd_kernel,
        grad=_scatter_nd_grad,
    )
)


def scatter_nd(indices, updates, shape, name=None) -> Tensor:
    """Zeros of `shape` with `updates` summed in at `indices`."""
    return apply_op("ScatterNd", [indices, updates, shape], name=name).outputs[0]


# OneHot -------------------------------------------------------------------------------------------
def _one_hot_infer(indices, depth, on_value, off_value, *, axis):
    d = _const(depth)
    if indices.shape.ndims is None:
        return TensorSpec(on_value.dtype, TensorShape(None))
    dims = indices.shape.as_list()
    a = len(dims) if axis == -1 else axis
    if not 0 <= a <= len(dims):
        raise ValueError(
            f"Expected axis to be -1 or between [0, {len(dims)}).  But received: {axis}"
        )
    dims.insert(a, None if d is None else int(d))
    return TensorSpec(on_value.dtype, TensorShape(dims))


def _one_hot_kernel(indices, depth, on_value, off_value, *, axis):
    depth = int(depth)
    if depth < 0:
        raise InvalidArgumentError(None, None, f"depth must be non-negative, got: {depth}")
    hot = np.asarray(indices)[..., None] == np.arange(depth)
    out = np.where(hot, on_value, off_value).astype(np.asarray(on_value).dtype)
    return out if axis == -1 else np.moveaxis(out, -1, axis)


register_op(
    OpDef(
        "OneHot",
        inputs=["indices: TI", "depth: int32", "on_value: T", "off_value: T"],
        outputs=["output: T"],
        types={"T": (), "TI": (_dt.uint8, _dt.int32, _dt.int64)},
        attrs={"axis": -1},
        infer=_one_hot_infer,
        kernel=_one_hot_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def one_hot(
    indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None
) -> Tensor:
    """Rows of `depth` values, `on_value` at each index and `off_value` elsewhere."""
    with name_scope(name, "one_hot"):
        if dtype is None:
            for v in (on_value, off_value):
                if v is not None:
                    dtype = convert_to_tensor(v).dtype
                    break
        dtype = _dt.as_dtype(dtype or _dt.float32)
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype)
        off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype)
        if on.dtype is not off.dtype:
            raise TypeError(
                f"dtype of on_value {on.dtype!r} is different from that of off_value {off.dtype!r}"
            )
        return apply_op(
            "OneHot", [indices, depth, on, off], {"axis": -1 if axis is None else int(axis)}
        ).outputs[0]


# ReverseV2 ----------------------------------------------------------------------------------------
def _reverse_infer(x, axis):
    a = _const(axis)
    if a is not None and x.shape.ndims is not None:
        for i in np.ravel(a):
            normalize_axis(int(i), x.shape.ndims, "ReverseV2")
    return TensorSpec(x.dtype, x.shape)


def _reverse_kernel(x, axis):
    return np.flip(x, tuple(int(a) for a in np.ravel(axis))) if np.size(axis) else x


def _reverse_grad(op, grad):
    """d_x = reverse(grad, axis)."""
    return [reverse(grad, op.inputs[1]), None]


register_op(
    OpDef(
        "ReverseV2",
        inputs=["tensor: T", "axis: Tidx"],
        outputs=["output: T"],
        types={"T": (), "Tidx": _INDEX},
        infer=_reverse_infer,
        kernel=_reverse_kernel,
        grad=_reverse_grad,
    )
)


def reverse(tensor, axis, name=None) -> Tensor:
    """`tensor` with the dimensions in `axis` reversed."""
    return apply_op("ReverseV2", [tensor, axis], name=name).outputs[0]


# LinSpace -----------------------------------------------------------------------------------------
def _linspace_infer(start, stop, num):
    n = _const(num)
    return TensorSpec(start.dtype, TensorShape([None if n is None else int(n)]))


def _linspace_kernel(start, stop, num):
    if num <= 0:
        raise InvalidArgumentError(None, None, f"Requires num > 0: {int(num)}")
    return np.linspace(start, stop, int(num), dtype=np.asarray(start).dtype)


register_op(
    OpDef(
        "LinSpace",
        inputs=["start: T", "stop: T", "num: Tidx"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS, "Tidx": _INDEX},
        infer=_linspace_infer,
        kernel=_linspace_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def linspace(start, stop, num, name=None) -> Tensor:
    """`num` evenly spaced values from start to stop inclusive."""
    start, stop = _math._pair(start, stop)
    return apply_op("LinSpace", [start, stop, num], name=name or "LinSpace").outputs[0]


# Split --------------------------------------------------------------------------------------------
def _split_infer(axis, value, *, num_split):
    a = _const(axis)
    if value.shape.ndims is None or a is None:
        return [TensorSpec(value.dtype, TensorShape(None))] * num_split
    a = normalize_axis(int(a), value.shape.ndims, "Split")
    dims = value.shape.as_list()
    if dims[a] is not None:
        if dims[a] % num_split:
            raise ValueError(
                f"Dimension size must be evenly divisible by {num_split} but is "
                f"{dims[a]} for 'Split' with input shapes: [], "
                f"{shape_str(value.shape)}."
            )
        dims[a] //= num_split
    return [TensorSpec(value.dtype, TensorShape(dims))] * num_split


def _split_kernel(axis, value, *, num_split):
    a = int(axis)
    if value.shape[a] % num_split:
        raise InvalidArgumentError(
            None,
            None,
            f"Number of ways to split should evenly divide "
            f"the split dimension, but got split_dim {a} (size = "
            f"{value.shape[a]}) and num_split {num_split}",
        )
    return tuple(np.split(value, num_split, axis=a))


def _split_grad(op, *grads):
    """d_value = concat(grads, axis) (zeros for unused outputs)."""
    filled = [g if g is not None else _array.zeros_like(op.outputs[i]) for i, g in enumerate(grads)]
    return [None, _array.concat(filled, op.inputs[0])]


register_op(
    OpDef(
        "Split",
        inputs=["split_dim: int32", "value: T"],
        outputs=["output: num_split*T"],
        types={"T": ()},
        attrs={"num_split": None},
        infer=_split_infer,
        kernel=_split_kernel,
        grad=_split_grad,
    )
)


def split(value, num_or_size_splits, axis=0, num=None, name="split") -> list[Tensor]:
    """Splits `value` along `axis` into num_or_size_splits equal parts, or parts of the
    listed sizes (one may be -1)."""
    if isinstance(num_or_size_splits, (int, np.integer)):
        n = int(num_or_size_splits)
        return apply_op("Split", [axis, value], {"num_split": n}, name=name).outputs
    sizes = convert_to_tensor(num_or_size_splits)
    if num is None:
        if sizes.shape.ndims != 1 or sizes.shape.as_list()[0] is None:
            raise ValueError(f"Cannot infer num from shape {sizes.shape}")
        num = sizes.shape.as_list()[0]
    return apply_op("SplitV", [value, sizes, axis], {"num_split": int(num)}, name=name).outputs


# DynamicPartition, DynamicStitch ------------------------------------------------------------------
def _dynamic_partition_infer(data, partitions, *, num_partitions):
    if data.shape.ndims is None or partitions.shape.ndims is None:
        return [TensorSpec(data.dtype, TensorShape(None))] * num_partitions
    rest = data.shape.as_list()[partitions.shape.ndims :]
    return [TensorSpec(data.dtype, TensorShape([None] + rest))] * num_partitions


def _dynamic_partition_kernel(data, partitions, *, num_partitions):
    p = np.asarray(partitions)
    if p.size and (p.min() < 0 or p.max() >= num_partitions):
        bad = p[(p < 0) | (p >= num_partitions)].ravel()[0]
        raise InvalidArgumentError(
            None, None, f"partitions = {int(bad)} is not in [0, {num_partitions})"
        )
    rows = np.asarray(data).reshape((p.size,) + np.shape(data)[p.ndim :])
    flat = p.ravel()
    return tuple(rows[flat == i] for i in range(num_partitions))


def _dynamic_partition_grad(op, *grads):
    """d_data = stitch the partitions' gradients back into the original order."""
    data, partitions = op.inputs
    n = op.get_attr("num_partitions")
    count = _array.size(partitions)
    original = _array.reshape(_math.range_(0, count), _array.shape(partitions))
    index_parts = dynamic_partition(original, partitions, n)
    filled = [g if g is not None else _array.zeros_like(op.outputs[i]) for i, g in enumerate(grads)]
    stitched = dynamic_stitch(index_parts, filled)
    return [_array.reshape(stitched, _array.shape(data)), None]


register_op(
    OpDef(
        "DynamicPartition",
        inputs=["data: T", "partitions: int32"],
        outputs=["outputs: num_partitions*T"],
        types={"T": ()},
        attrs={"num_partitions": None},
        infer=_dynamic_partition_infer,
        kernel=_dynamic_partition_kernel,
        grad=_dynamic_partition_grad,
    )
)


def dynamic_partition(data, partitions, num_partitions, name=None) -> list[Tensor]:
    """Splits `data` into `num_partitions` tensors by the partition index of each row."""
    return apply_op(
        "DynamicPartition", [data, partitions], {"num_partitions": int(num_partitions)}, name=name
    ).outputs


def _dynamic_stitch_infer(indices, data):
    if data[0].shape.ndims is None or indices[0].shape.ndims is None:
        return TensorSpec(data[0].dtype, TensorShape(None))
    rest = data[0].shape.as_list()[indices[0].shape.ndims :]
    return TensorSpec(data[0].dtype, TensorShape([None] + rest))


def _dynamic_stitch_kernel(*args):
    n = len(args) // 2
    indices, data = args[:n], args[n:]
    flat_idx = [np.asarray(i).ravel() for i in indices]
    size = 1 + max((int(i.max()) for i in flat_idx if i.size), default=-1)
    inner = np.shape(data[0])[np.ndim(indices[0]) :]
    out = np.zeros((size,) + inner, dtype=np.asarray(data[0]).dtype)
    for idx, d in zip(flat_idx, data):
        rows = np.asarray(d).reshape((idx.size,) + inner)
        if idx.size:
            if idx.min() < 0:
                raise InvalidArgumentError(None, None, f"DynamicStitch index {idx.min()} < 0")
            out[idx] = rows
    return out


def _dynamic_stitch_grad(op, grad):
    """d_data[i] = gather(grad, indices[i]); the indices get none."""
    n = len(op.inputs) // 2
    indices = op.inputs[:n]
    return [None] * n + [_array.gather(grad, i) for i in indices]


register_op(
    OpDef(
        "DynamicStitch",
        inputs=["indices: N*int32", "data: N*T"],
        outputs=["merged: T"],
        types={"T": ()},
        infer=_dynamic_stitch_infer,
        kernel=_dynamic_stitch_kernel,
        grad=_dynamic_stitch_grad,
    )
)


def dynamic_stitch(indices, data, name=None) -> Tensor:
    """Interleaves `data` rows into one tensor: merged[indices[i][j]] = data[i][j]."""
    return apply_op("DynamicStitch", [list(indices), list(data)], name=name).outputs[0]


# sequence_mask ------------------------------------------------------------------------------------
def sequence_mask(lengths, maxlen=None, dtype=_dt.bool_, name=None) -> Tensor:
    """mask[i, j] = j < lengths[i], over j in [0, maxlen) (maxlen defaults to max(lengths))."""
    with name_scope(name, "SequenceMask"):
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = _math.reduce_max(lengths)
        maxlen = _math.cast(convert_to_tensor(maxlen), lengths.dtype)
        positions = _math.range_(0, maxlen, 1, dtype=lengths.dtype)
        mask = _math.less(positions, _array.expand_dims(lengths, -1))
        return mask if _dt.as_dtype(dtype) is _dt.bool_ else _math.cast(mask, dtype)
