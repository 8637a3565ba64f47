"""Array ops TF1 programs reach for less often: TensorScatter{Update,Add,Sub,Min,Max}
(functional scatters into a copy), UniqueWithCounts, UnravelIndex, LowerBound/UpperBound
(`searchsorted`), ListDiff (`setdiff1d`), ReverseSequence, HistogramFixedWidth, Bitcast,
SpaceToBatchND/BatchToSpaceND; and the composites batch_gather, histogram_fixed_width_bins,
space_to_batch/batch_to_space and required_space_to_batch_paddings."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, manip as _manip, math as _math
from ._common import shape_str

_INDEX = (_dt.int32, _dt.int64)


def _const(spec):
    return None if spec.value is None else np.asarray(spec.value)


# TensorScatter* ----------------------------------------------------------------------------------
def _tensor_scatter_kernel(update):
    def kernel(tensor, indices, updates):
        indices = np.asarray(indices)
        if indices.ndim == 0 or indices.shape[-1] > tensor.ndim:
            raise InvalidArgumentError(
                None,
                None,
                f"Index innermost dimension length must be <= tensor rank; saw: "
                f"{indices.shape[-1] if indices.ndim else 0} vs. {tensor.ndim}",
            )
        where = tuple(np.moveaxis(indices, -1, 0))
        for axis, idx in enumerate(where):
            bad = (idx < 0) | (idx >= tensor.shape[axis])
            if bad.any():
                pos = np.argwhere(bad)[0]
                raise InvalidArgumentError(
                    None,
                    None,
                    f"indices{list(pos)} = {indices[tuple(pos)].tolist()} does not index into "
                    f"shape {list(tensor.shape)}",
                )
        out = np.array(tensor, copy=True)
        want = indices.shape[:-1] + tensor.shape[indices.shape[-1] :]
        update(out, where, np.broadcast_to(updates, want))
        return out

    return kernel


def _set(out, where, updates):
    out[where] = updates


def _tensor_scatter_infer(tensor, indices, updates):
    return TensorSpec(tensor.dtype, tensor.shape)


def _scatter_update_grad(op, grad):
    """d_tensor = grad with the scattered positions zeroed; d_updates = grad there."""
    _, indices, updates = op.inputs
    return [
        tensor_scatter_nd_update(grad, indices, _array.zeros_like(updates)),
        None,
        _manip.gather_nd(grad, indices),
    ]


def _scatter_add_grad(op, grad):
    return [grad, None, _manip.gather_nd(grad, op.inputs[1])]


def _scatter_sub_grad(op, grad):
    return [grad, None, _math.negative(_manip.gather_nd(grad, op.inputs[1]))]


def _scatter_min_max_grad(op, grad):
    """TF's rule: the gradient goes to the entries equal to the result (of the tensor and
    of the updates), shared equally among ties."""
    x, indices, y = op.inputs
    out = op.outputs[0]
    x_ind = _math.cast(_math.equal(x, out), grad.dtype)
    y_ind = _math.cast(_math.equal(y, _manip.gather_nd(out, indices)), grad.dtype)
    ys_ind = _manip.scatter_nd(indices, y_ind, _array.shape(x, out_type=indices.dtype))
    total = _math.add(x_ind, ys_ind)
    return [
        _math.real_div(_math.multiply(grad, x_ind), total),
        None,
        _math.multiply(_manip.gather_nd(_math.real_div(grad, total), indices), y_ind),
    ]


for _type, _update, _grad in (
    ("TensorScatterUpdate", _set, _scatter_update_grad),
    ("TensorScatterAdd", lambda o, w, u: np.add.at(o, w, u), _scatter_add_grad),
    ("TensorScatterSub", lambda o, w, u: np.subtract.at(o, w, u), _scatter_sub_grad),
    ("TensorScatterMin", lambda o, w, u: np.minimum.at(o, w, u), _scatter_min_max_grad),
    ("TensorScatterMax", lambda o, w, u: np.maximum.at(o, w, u), _scatter_min_max_grad),
):
    register_op(
        OpDef(
            _type,
            inputs=["tensor: T", "indices: Tindices", "updates: T"],
            outputs=["output: T"],
            types={"T": (), "Tindices": _INDEX},
            infer=_tensor_scatter_infer,
            kernel=_tensor_scatter_kernel(_update),
            grad=_grad,
        )
    )


def _tensor_scatter(op_type):
    def fn(tensor, indices, updates, name=None) -> Tensor:
        return apply_op(op_type, [tensor, indices, updates], name=name).outputs[0]

    return fn


tensor_scatter_nd_update = _tensor_scatter("TensorScatterUpdate")
tensor_scatter_nd_add = _tensor_scatter("TensorScatterAdd")
tensor_scatter_nd_sub = _tensor_scatter("TensorScatterSub")
tensor_scatter_nd_min = _tensor_scatter("TensorScatterMin")
tensor_scatter_nd_max = _tensor_scatter("TensorScatterMax")
for _fn, _doc in (
    (tensor_scatter_nd_update, "`tensor` with the slices at `indices` replaced by `updates`."),
    (tensor_scatter_nd_add, "`tensor` with `updates` added at `indices` (repeats add up)."),
    (tensor_scatter_nd_sub, "`tensor` with `updates` subtracted at `indices`."),
    (tensor_scatter_nd_min, "`tensor` with the minimum of it and `updates` at `indices`."),
    (tensor_scatter_nd_max, "`tensor` with the maximum of it and `updates` at `indices`."),
):
    _fn.__doc__ = _doc


# UniqueWithCounts, UnravelIndex, LowerBound/UpperBound, ListDiff -------------------------------
def _unique_with_counts_kernel(x, *, out_idx):
    if np.ndim(x) != 1:
        raise InvalidArgumentError(None, None, f"unique expects a 1D vector, got {np.ndim(x)}D")
    values, first, inverse, counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")  # TF orders by first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    dtype = _dt.as_dtype(out_idx).np
    return values[order], rank[inverse.reshape(-1)].astype(dtype), counts[order].astype(dtype)


register_op(
    OpDef(
        "UniqueWithCounts",
        inputs=["x: T"],
        outputs=["y: T", "idx: out_idx", "count: out_idx"],
        types={"T": ()},
        attrs={"out_idx": "int32"},
        infer=lambda x, *, out_idx: [
            TensorSpec(x.dtype, TensorShape([None])),
            TensorSpec(_dt.as_dtype(out_idx), x.shape),
            TensorSpec(_dt.as_dtype(out_idx), TensorShape([None])),
        ],
        kernel=_unique_with_counts_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def unique_with_counts(x, out_idx=_dt.int32, name=None):
    """(y, idx, count): the distinct values of a vector in order of first appearance, each
    element's position in y, and how often each value appears."""
    op = apply_op("UniqueWithCounts", [x], {"out_idx": _dt.as_dtype(out_idx).name}, name=name)
    return UniqueWithCounts(*op.outputs)


UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])
ListDiff = collections.namedtuple("ListDiff", ["out", "idx"])


def _unravel_kernel(indices, dims):
    dims = np.asarray(dims)
    total = int(np.prod(dims))
    flat = np.asarray(indices)
    if flat.size and (flat.min() < 0 or flat.max() >= total):
        raise InvalidArgumentError(
            None, None, f"index out of bounds for shape {dims.tolist()}: {flat.max()}"
        )
    return (
        np.stack(np.unravel_index(flat, tuple(dims)))
        .astype(flat.dtype)
        .reshape((len(dims),) + flat.shape)
    )


register_op(
    OpDef(
        "UnravelIndex",
        inputs=["indices: Tidx", "dims: Tidx"],
        outputs=["output: Tidx"],
        types={"Tidx": _INDEX},
        infer=lambda indices, dims: TensorSpec(
            indices.dtype,
            TensorShape(
                [dims.shape.as_list()[0] if dims.shape.ndims else None]
                + (indices.shape.as_list() if indices.shape.ndims is not None else [])
            )
            if indices.shape.ndims is not None
            else TensorShape(None),
        ),
        kernel=_unravel_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def unravel_index(indices, dims, name=None) -> Tensor:
    """The coordinates in an array of shape `dims` of flat `indices` ([len(dims)] + shape)."""
    return apply_op("UnravelIndex", [indices, dims], name=name).outputs[0]


def _bound_kernel(side):
    def kernel(sorted_inputs, values, *, out_type):
        if sorted_inputs.ndim == 0 or sorted_inputs.shape[:-1] != values.shape[:-1]:
            raise InvalidArgumentError(
                None,
                None,
                "Leading dim_size of both tensors must match: "
                f"{list(sorted_inputs.shape)} vs {list(values.shape)}",
            )
        rows = sorted_inputs.reshape(-1, sorted_inputs.shape[-1])
        wanted = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, wanted)])
        return out.reshape(values.shape).astype(_dt.as_dtype(out_type).np)

    return kernel


for _type, _side in (("LowerBound", "left"), ("UpperBound", "right")):
    register_op(
        OpDef(
            _type,
            inputs=["sorted_inputs: T", "values: T"],
            outputs=["output: out_type"],
            types={"T": _dt.NUMERIC},
            attrs={"out_type": "int32"},
            infer=lambda sorted_inputs, values, *, out_type: TensorSpec(
                _dt.as_dtype(out_type), values.shape
            ),
            kernel=_bound_kernel(_side),
            grad=NOT_DIFFERENTIABLE,
        )
    )


def searchsorted(sorted_sequence, values, side="left", out_type=_dt.int32, name=None) -> Tensor:
    """For each value, where it goes in the innermost sorted rows (`side` left: the first
    such place, right: the last)."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be either 'right' or 'left'.  Saw: {side}.")
    op_type = "LowerBound" if side == "left" else "UpperBound"
    with name_scope(name, "searchsorted"):
        sorted_sequence = convert_to_tensor(sorted_sequence)
        values = convert_to_tensor(values, dtype=sorted_sequence.dtype)
        scalar_rows = values.shape.ndims == 1 and sorted_sequence.shape.ndims == 1
        if scalar_rows:
            sorted_sequence = _array.expand_dims(sorted_sequence, 0)
            values = _array.expand_dims(values, 0)
        attrs = {"out_type": _dt.as_dtype(out_type).name}
        out = apply_op(op_type, [sorted_sequence, values], attrs).outputs[0]
        return _array.squeeze(out, [0]) if scalar_rows else out


def _list_diff_kernel(x, y, *, out_idx):
    keep = ~np.isin(x, y)
    return x[keep], np.nonzero(keep)[0].astype(_dt.as_dtype(out_idx).np)


register_op(
    OpDef(
        "ListDiff",
        inputs=["x: T", "y: T"],
        outputs=["out: T", "idx: out_idx"],
        types={"T": ()},
        attrs={"out_idx": "int32"},
        infer=lambda x, y, *, out_idx: [
            TensorSpec(x.dtype, TensorShape([None])),
            TensorSpec(_dt.as_dtype(out_idx), TensorShape([None])),
        ],
        kernel=_list_diff_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def setdiff1d(x, y, index_dtype=_dt.int32, name=None):
    """(out, idx): the elements of vector x not in y, in x's order, and their positions."""
    attrs = {"out_idx": _dt.as_dtype(index_dtype).name}
    return ListDiff(*apply_op("ListDiff", [x, y], attrs, name=name).outputs)


# ReverseSequence --------------------------------------------------------------------------------
def _reverse_sequence_kernel(input, seq_lengths, *, seq_dim, batch_dim):
    lengths = np.asarray(seq_lengths)
    if lengths.shape != (input.shape[batch_dim],):
        raise InvalidArgumentError(
            None,
            None,
            f"Length of seq_lengths != input.dims({batch_dim}), "
            f"({lengths.size} vs. {input.shape[batch_dim]})",
        )
    if lengths.size and (lengths.min() < 0 or lengths.max() > input.shape[seq_dim]):
        raise InvalidArgumentError(
            None, None, f"seq_lengths must be in [0, {input.shape[seq_dim]}], got {lengths}"
        )
    out = np.array(input, copy=True)
    moved_in = np.moveaxis(input, (batch_dim, seq_dim), (0, 1))
    moved_out = np.moveaxis(out, (batch_dim, seq_dim), (0, 1))
    for b, n in enumerate(lengths.tolist()):
        moved_out[b, :n] = moved_in[b, :n][::-1]
    return out


register_op(
    OpDef(
        "ReverseSequence",
        inputs=["input: T", "seq_lengths: Tlen"],
        outputs=["output: T"],
        types={"T": (), "Tlen": _INDEX},
        attrs={"seq_dim": None, "batch_dim": 0},
        infer=lambda input, seq_lengths, **_: TensorSpec(input.dtype, input.shape),
        kernel=_reverse_sequence_kernel,
        grad=lambda op, grad: [
            apply_op(
                "ReverseSequence",
                [grad, op.inputs[1]],
                {k: op.get_attr(k) for k in ("seq_dim", "batch_dim")},
            ).outputs[0],
            None,
        ],
    )
)


def reverse_sequence(
    input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None, batch_dim=None
) -> Tensor:
    """Reverses the first seq_lengths[b] entries along `seq_axis` of each batch entry b."""
    seq = seq_axis if seq_axis is not None else seq_dim
    batch = batch_axis if batch_axis is not None else (batch_dim or 0)
    if seq is None:
        raise ValueError("reverse_sequence needs seq_axis")
    input = convert_to_tensor(input)
    rank = input.shape.ndims
    attrs = {
        "seq_dim": int(seq) % rank if rank else int(seq),
        "batch_dim": int(batch) % rank if rank else int(batch),
    }
    return apply_op("ReverseSequence", [input, seq_lengths], attrs, name=name).outputs[0]


# HistogramFixedWidth, Bitcast --------------------------------------------------------------------
def _bins(values, value_range, nbins):
    lo, hi = (float(v) for v in np.asarray(value_range))
    if nbins <= 0:
        raise InvalidArgumentError(
            None, None, f"nbins should be a positive number, but got '{nbins}'"
        )
    if lo >= hi:
        raise InvalidArgumentError(
            None,
            None,
            f"value_range should satisfy value_range[0] < value_range[1], but got '[{lo}, {hi}]'",
        )
    scaled = (np.asarray(values, np.float64) - lo) / (hi - lo)
    return np.clip(np.floor(scaled * nbins), 0, nbins - 1).astype(np.int64)


def _histogram_kernel(values, value_range, nbins, *, dtype):
    n = int(nbins)
    counts = np.bincount(_bins(values, value_range, n).ravel(), minlength=n)
    return counts.astype(_dt.as_dtype(dtype).np)


register_op(
    OpDef(
        "HistogramFixedWidth",
        inputs=["values: T", "value_range: T", "nbins: int32"],
        outputs=["out: dtype"],
        types={"T": _dt.NUMERIC},
        attrs={"dtype": "int32"},
        infer=lambda values, value_range, nbins, *, dtype: TensorSpec(
            _dt.as_dtype(dtype),
            TensorShape([None if _const(nbins) is None else int(_const(nbins))]),
        ),
        kernel=_histogram_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def histogram_fixed_width(values, value_range, nbins=100, dtype=_dt.int32, name=None) -> Tensor:
    """Counts of `values` in `nbins` equal bins over `value_range` (values outside go to the
    first or last bin)."""
    with name_scope(name, "histogram_fixed_width"):
        values = convert_to_tensor(values)
        value_range = convert_to_tensor(value_range, dtype=values.dtype)
        nbins = convert_to_tensor(nbins, dtype=_dt.int32)
        attrs = {"dtype": _dt.as_dtype(dtype).name}
        return apply_op("HistogramFixedWidth", [values, value_range, nbins], attrs).outputs[0]


def histogram_fixed_width_bins(
    values, value_range, nbins=100, dtype=_dt.int32, name=None
) -> Tensor:
    """The bin (of `nbins` equal bins over `value_range`) each of `values` falls in."""
    with name_scope(name, "histogram_fixed_width_bins"):
        values = convert_to_tensor(values)
        lo, hi = _array.unstack(convert_to_tensor(value_range, dtype=values.dtype), num=2)
        nbins_f = _math.cast(nbins, values.dtype)
        width = _math.subtract(hi, lo)
        scaled = _math.floor(
            _math.multiply(_math.real_div(_math.subtract(values, lo), width), nbins_f)
        )
        last = _math.subtract(nbins_f, _math.cast(1, values.dtype))
        clipped = _math.minimum(_math.maximum(scaled, _array.zeros_like(scaled)), last)
        return _math.cast(clipped, dtype)


def _bitcast_kernel(input, *, type):
    out = np.dtype(_dt.as_dtype(type).np)
    src = np.ascontiguousarray(input)
    if out.itemsize == src.itemsize:
        return src.view(out)
    if out.itemsize < src.itemsize:
        return src.view(out).reshape(src.shape + (src.itemsize // out.itemsize,))
    if src.shape[-1:] != (out.itemsize // src.itemsize,):
        raise InvalidArgumentError(
            None, None, f"Cannot bitcast from {src.dtype} to {out}: shape {list(src.shape)}"
        )
    return src.view(out).reshape(src.shape[:-1])


def _bitcast_infer(input, *, type):
    out = _dt.as_dtype(type)
    if input.shape.ndims is None:
        return TensorSpec(out, TensorShape(None))
    dims = input.shape.as_list()
    a, b = input.dtype.size, out.size
    if a == b:
        return TensorSpec(out, TensorShape(dims))
    if b < a:
        return TensorSpec(out, TensorShape(dims + [a // b]))
    if dims[-1:] not in ([b // a], [None]):
        raise ValueError(
            f"Cannot bitcast from {input.dtype.name} to {out.name}: shape {shape_str(input.shape)}"
        )
    return TensorSpec(out, TensorShape(dims[:-1]))


register_op(
    OpDef(
        "Bitcast",
        inputs=["input: T"],
        outputs=["output: type"],
        types={"T": _dt.NUMERIC},
        attrs={"type": None},
        infer=_bitcast_infer,
        kernel=_bitcast_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def bitcast(input, type, name=None) -> Tensor:  # noqa: A002
    """The same bytes read as `type` (a trailing axis appears or goes when sizes differ)."""
    return apply_op("Bitcast", [input], {"type": _dt.as_dtype(type).name}, name=name).outputs[0]


# batch_gather, SpaceToBatchND / BatchToSpaceND -------------------------------------------------
def batch_gather(params, indices, name=None) -> Tensor:
    """params[b..., indices[b..., i]]: a gather per batch entry (the leading dimensions of
    `indices` are those of `params`)."""
    with name_scope(name, "BatchGather"):
        params = convert_to_tensor(params)
        indices = convert_to_tensor(indices)
        rank = indices.shape.ndims
        if rank is None:
            raise ValueError("batch_gather needs indices of known rank")
        shape = _array.shape(indices, out_type=indices.dtype)
        coords = []
        for axis in range(rank - 1):
            n = _array.strided_slice(shape, [axis], [axis + 1], shrink_axis_mask=1)
            r = _math.range_(n, dtype=indices.dtype)
            view = [1] * rank
            view[axis] = -1
            coords.append(_math.add(_array.reshape(r, view), _array.zeros_like(indices)))
        coords.append(indices)
        return _manip.gather_nd(params, _array.stack(coords, axis=-1))


def _space_to_batch_kernel(input, block_shape, paddings):
    block = [int(b) for b in np.asarray(block_shape)]
    pads = np.asarray(paddings).reshape(-1, 2)
    m = len(block)
    widths = [(0, 0)] + [tuple(int(v) for v in p) for p in pads] + [(0, 0)] * (input.ndim - 1 - m)
    x = np.pad(input, widths)
    n = x.shape[0]
    spatial = x.shape[1 : 1 + m]
    if any(s % b for s, b in zip(spatial, block)):
        raise InvalidArgumentError(
            None, None, f"padded shape {list(spatial)} must be divisible by block_shape {block}"
        )
    split = [n]
    for s, b in zip(spatial, block):
        split += [s // b, b]
    x = x.reshape(split + list(x.shape[1 + m :]))
    order = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    order += list(range(1 + 2 * m, x.ndim))
    x = x.transpose(order)
    return x.reshape(
        [n * int(np.prod(block))]
        + [s // b for s, b in zip(spatial, block)]
        + list(input.shape[1 + m :])
    )


def _batch_to_space_kernel(input, block_shape, crops):
    block = [int(b) for b in np.asarray(block_shape)]
    crop = np.asarray(crops).reshape(-1, 2)
    m = len(block)
    prod = int(np.prod(block))
    if input.shape[0] % prod:
        raise InvalidArgumentError(
            None,
            None,
            f"Input batch dimension ({input.shape[0]}) is not divisible by the "
            f"product of block sizes ({prod})",
        )
    n = input.shape[0] // prod
    spatial = input.shape[1 : 1 + m]
    x = input.reshape(block + [n] + list(input.shape[1:]))
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(2 * m + 1, x.ndim))
    x = x.transpose(order).reshape(
        [n] + [s * b for s, b in zip(spatial, block)] + list(input.shape[1 + m :])
    )
    index = [slice(None)] + [
        slice(int(c[0]), x.shape[1 + i] - int(c[1])) for i, c in enumerate(crop)
    ]
    return np.ascontiguousarray(x[tuple(index)])


def _s2b_infer(to_batch):
    """The static output shape when the block shape and paddings (crops) are known."""

    def infer(input, block_shape, amounts):
        if input.shape.ndims is None:
            return TensorSpec(input.dtype, TensorShape(None))
        dims = input.shape.as_list()
        block, pads = _const(block_shape), _const(amounts)
        if block is None or pads is None:
            return TensorSpec(input.dtype, TensorShape([None] * len(dims)))
        block, pads = [int(b) for b in block], pads.reshape(-1, 2)
        prod = int(np.prod(block))
        out = [None if dims[0] is None else (dims[0] * prod if to_batch else dims[0] // prod)]
        for i, (b, (lo, hi)) in enumerate(zip(block, pads.tolist())):
            d = dims[1 + i]
            out.append(None if d is None else ((d + lo + hi) // b if to_batch else d * b - lo - hi))
        return TensorSpec(input.dtype, TensorShape(out + dims[1 + len(block) :]))

    return infer


register_op(
    OpDef(
        "SpaceToBatchND",
        inputs=["input: T", "block_shape: Tblock_shape", "paddings: Tpaddings"],
        outputs=["output: T"],
        types={"T": (), "Tblock_shape": _INDEX, "Tpaddings": _INDEX},
        infer=_s2b_infer(True),
        kernel=_space_to_batch_kernel,
        grad=lambda op, grad: [
            apply_op("BatchToSpaceND", [grad, op.inputs[1], op.inputs[2]]).outputs[0],
            None,
            None,
        ],
    )
)
register_op(
    OpDef(
        "BatchToSpaceND",
        inputs=["input: T", "block_shape: Tblock_shape", "crops: Tcrops"],
        outputs=["output: T"],
        types={"T": (), "Tblock_shape": _INDEX, "Tcrops": _INDEX},
        infer=_s2b_infer(False),
        kernel=_batch_to_space_kernel,
        grad=lambda op, grad: [
            apply_op("SpaceToBatchND", [grad, op.inputs[1], op.inputs[2]]).outputs[0],
            None,
            None,
        ],
    )
)


def space_to_batch_nd(input, block_shape, paddings, name=None) -> Tensor:
    """Zero-pads the M spatial dimensions after the batch, then moves each block_shape
    block of them into the batch dimension."""
    return apply_op("SpaceToBatchND", [input, block_shape, paddings], name=name).outputs[0]


def batch_to_space_nd(input, block_shape, crops, name=None) -> Tensor:
    """The inverse of space_to_batch_nd: batch blocks back into space, then `crops` cut."""
    return apply_op("BatchToSpaceND", [input, block_shape, crops], name=name).outputs[0]


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None) -> Tensor:
    """space_to_batch_nd of a 4-D tensor with a square block of `block_size`."""
    size = block_size if block_size is not None else block_shape
    return space_to_batch_nd(input, [int(size)] * 2, paddings, name=name)


def batch_to_space(input, crops, block_size, name=None, block_shape=None) -> Tensor:
    """batch_to_space_nd of a 4-D tensor with a square block of `block_size`."""
    size = block_size if block_size is not None else block_shape
    return batch_to_space_nd(input, [int(size)] * 2, crops, name=name)


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """(paddings, crops) making `input_shape` (plus `base_paddings`) divisible by
    `block_shape`, as space_to_batch_nd and batch_to_space_nd take them."""
    with name_scope(name, "required_space_to_batch_paddings"):
        input_shape = convert_to_tensor(input_shape, dtype=_dt.int32)
        block_shape = convert_to_tensor(block_shape, dtype=_dt.int32)
        m = block_shape.shape.as_list()[0]
        if base_paddings is None:
            base_paddings = _array.zeros([m, 2], _dt.int32)
        base = convert_to_tensor(base_paddings, dtype=_dt.int32)
        start, end = base[:, 0], base[:, 1]
        full = input_shape + start + end
        extra = _math.floormod(block_shape - _math.floormod(full, block_shape), block_shape)
        paddings = _array.stack([start, end + extra], axis=1)
        crops = _array.stack([_array.zeros_like(start), extra], axis=1)
        return paddings, crops


# IdentityN (what custom_gradient builds on) ---------------------------------------------------
register_op(
    OpDef(
        "IdentityN",
        inputs=["input: N*any"],
        outputs=["output: N*any"],
        infer=lambda inputs: [TensorSpec(x.dtype, x.shape) for x in inputs],
        kernel=lambda *inputs: tuple(inputs),
        grad=lambda op, *grads: list(grads),
    )
)


def identity_n_op(values, name=None) -> list:
    """The tensors `values` through one IdentityN op (one gradient rule for all of them)."""
    return list(apply_op("IdentityN", [[convert_to_tensor(v) for v in values]], name=name).outputs)


# EditDistance ---------------------------------------------------------------------------------
def _sequences(indices, values, shape):
    rows: dict = {}
    for idx, value in zip(np.asarray(indices).tolist(), np.asarray(values, object).tolist()):
        rows.setdefault(tuple(idx[:-1]), []).append((idx[-1], value))
    return {k: [v for _, v in sorted(items)] for k, items in rows.items()}


def _levenshtein(a: list, b: list) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _edit_distance_kernel(
    hyp_indices, hyp_values, hyp_shape, truth_indices, truth_values, truth_shape, *, normalize
):
    hyp_shape, truth_shape = np.asarray(hyp_shape), np.asarray(truth_shape)
    if len(hyp_shape) != len(truth_shape):
        raise InvalidArgumentError(
            None,
            None,
            f"hypothesis and truth must have the same rank: {hyp_shape.tolist()} "
            f"vs {truth_shape.tolist()}",
        )
    out_shape = tuple(np.maximum(hyp_shape[:-1], truth_shape[:-1]).tolist())
    hyp = _sequences(hyp_indices, hyp_values, hyp_shape)
    truth = _sequences(truth_indices, truth_values, truth_shape)
    out = np.zeros(out_shape, np.float32)
    for key in np.ndindex(*out_shape):
        h, t = hyp.get(key, []), truth.get(key, [])
        distance = float(_levenshtein(h, t))
        if normalize:
            distance = distance / len(t) if t else (np.inf if h else 0.0)
        out[key] = distance
    return out


register_op(
    OpDef(
        "EditDistance",
        inputs=[
            "hypothesis_indices: int64",
            "hypothesis_values: T",
            "hypothesis_shape: int64",
            "truth_indices: int64",
            "truth_values: T",
            "truth_shape: int64",
        ],
        outputs=["output: float"],
        types={"T": ()},
        attrs={"normalize": True},
        infer=lambda *inputs, normalize: TensorSpec(_dt.float32, TensorShape(None)),
        kernel=_edit_distance_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance") -> Tensor:
    """The Levenshtein distance between the sequences (the last dimension) of two
    SparseTensors, position by position of their other dimensions; with `normalize`,
    divided by the truth's length (inf for an empty truth and a nonempty hypothesis)."""
    from ..sparse_tensor import SparseTensor

    if not isinstance(hypothesis, SparseTensor) or not isinstance(truth, SparseTensor):
        raise TypeError("Hypothesis and truth must be SparseTensors.")
    inputs = [
        hypothesis.indices,
        hypothesis.values,
        hypothesis.dense_shape,
        truth.indices,
        truth.values,
        truth.dense_shape,
    ]
    return apply_op("EditDistance", inputs, {"normalize": bool(normalize)}, name=name).outputs[0]
