"""More of `tf.sparse`: from_dense, reduce_sum (and _sparse), reduce_max, add (sparse +
sparse with a threshold, sparse + dense), retain, transpose, concat, slice, expand_dims,
eye, softmax, maximum/minimum, to_indicator, split.

Most are compositions of tested ops on the three component tensors (their gradients with
respect to `values` come with them); the union of two SparseTensors' entries (add,
maximum, minimum) and the per-row softmax are kernels here, add and softmax with
gradients, as in TF. Values equal TF's outputs (tests/ops/test_sparse_more.py).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from ..sparse_tensor import SparseTensor
from . import array as _array, manip as _manip, math as _math
from .sparse import _reorder, sparse_to_dense, to_dense


def _sp(x) -> SparseTensor:
    return SparseTensor.from_value(x)


def from_dense(tensor, name=None) -> SparseTensor:
    """The non-zero entries of a dense tensor, in row-major order."""
    with name_scope(name, "dense_to_sparse"):
        tensor = convert_to_tensor(tensor)
        indices = _math.where(_math.not_equal(tensor, _array.zeros_like(tensor)))
        values = _manip.gather_nd(tensor, indices)
        shape = _math.cast(_array.shape(tensor), _dt.int64)
        return SparseTensor(indices, values, shape)


def reduce_sum(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None,
               name=None):  # fmt: skip
    """The sum of the values over `axis` (all when None), a dense tensor."""
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "SparseReduceSum"):
        return _math.reduce_sum(to_dense(_sp(sp_input)), axis=axis, keepdims=keep)


def _reduce(sp_input, axis, keepdims, reduction_axes, keep_dims, kind, name):
    """The SparseReduce op of `kind` ("sum" or "max") and whether it keeps dimensions."""
    axis = reduction_axes if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    sp = _sp(sp_input)
    op = apply_op("SparseReduce", [sp.indices, sp.values, sp.dense_shape],
                  {"axes": _axes(axis), "keepdims": keep, "kind": kind}, name=name)  # fmt: skip
    return op, not _axes(axis) and not keep


def reduce_sum_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None,
                      keep_dims=None, name=None):  # fmt: skip
    """reduce_sum as a SparseTensor of the coordinates some value reduced to."""
    op, _ = _reduce(sp_input, axis, keepdims, reduction_axes, keep_dims, "sum",
                    name or "SparseReduceSumSparse")  # fmt: skip
    return SparseTensor(*op.outputs)


def reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None,
               name=None):  # fmt: skip
    """The max of the values (the implicit zeros not counted) over `axis`; 0 where no
    value reduces, as TF gives it. Not differentiable, as in TF."""
    op, scalar = _reduce(sp_input, axis, keepdims, reduction_axes, keep_dims, "max",
                         name or "SparseReduceMax")  # fmt: skip
    if scalar:  # the one value reduced to (0 when none)
        return _math.reduce_sum(op.outputs[1])
    return sparse_to_dense(op.outputs[0], op.outputs[2], op.outputs[1])


def reduce_max_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None,
                      keep_dims=None, name=None):  # fmt: skip
    """reduce_max as a SparseTensor of the coordinates some value reduced to."""
    op, _ = _reduce(sp_input, axis, keepdims, reduction_axes, keep_dims, "max",
                    name or "SparseReduceMaxSparse")  # fmt: skip
    return SparseTensor(*op.outputs)


def _axes(axis) -> list[int]:
    if axis is None:
        return []
    return [int(a) for a in np.atleast_1d(axis)]


def _keys(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    if indices.shape[1] == 0:
        return np.zeros(len(indices), np.int64)
    return np.ravel_multi_index(tuple(indices.T), tuple(int(d) for d in shape))


def _reduce_kernel(indices, values, shape, *, axes, keepdims, kind):
    indices, shape = np.asarray(indices, np.int64), np.asarray(shape, np.int64)
    rank = len(shape)
    axes = sorted({a % rank for a in axes}) if axes else list(range(rank))
    kept = [d for d in range(rank) if d not in axes]
    out_shape = np.array([1 if d in axes else shape[d] for d in range(rank)] if keepdims
                         else [shape[d] for d in kept], np.int64)  # fmt: skip
    cols = [np.zeros(len(indices), np.int64) if d in axes else indices[:, d] for d in range(rank)]
    out_idx = np.stack(cols, 1) if keepdims else indices[:, kept]
    keys = _keys(out_idx, out_shape)
    unique, inverse = np.unique(keys, return_inverse=True)
    values = np.asarray(values)
    if kind == "sum":
        reduced = np.zeros(len(unique), values.dtype)
        np.add.at(reduced, inverse, values)
    else:
        reduced = np.full(len(unique), -np.inf if values.dtype.kind == "f"
                          else np.iinfo(values.dtype).min, values.dtype)  # fmt: skip
        np.maximum.at(reduced, inverse, values)
    coords = (np.stack(np.unravel_index(unique, tuple(out_shape)), 1).astype(np.int64)
              if len(out_shape) else np.zeros((len(unique), 0), np.int64))  # fmt: skip
    return coords, reduced, out_shape


register_op(
    OpDef(
        "SparseReduce",
        inputs=["indices: int64", "values: T", "dense_shape: int64"],
        outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
        types={"T": _dt.NUMERIC},
        attrs={"axes": [], "keepdims": False, "kind": "sum"},
        infer=lambda i, v, s, **_: [
            TensorSpec(_dt.int64, TensorShape([None, None])),
            TensorSpec(v.dtype, TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([None])),
        ],  # fmt: skip
        kernel=_reduce_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# The union of two SparseTensors' entries -------------------------------------------------------
def _union(a_indices, b_indices, shape):
    """(indices of the union in row-major order, where each of a's and b's entries went)."""
    shape = np.asarray(shape, np.int64)
    keys = np.concatenate([_keys(np.asarray(a_indices, np.int64), shape),
                           _keys(np.asarray(b_indices, np.int64), shape)])  # fmt: skip
    unique, inverse = np.unique(keys, return_inverse=True)
    coords = np.stack(np.unravel_index(unique, tuple(shape)), 1).astype(np.int64)
    return coords, inverse[: len(a_indices)], inverse[len(a_indices) :]


def _check_shapes(op, a_shape, b_shape):
    if not np.array_equal(a_shape, b_shape):
        raise InvalidArgumentError(
            None, None, f"{op}: operands do not have the same shape: "
            f"{np.asarray(a_shape).tolist()} vs {np.asarray(b_shape).tolist()}"
        )  # fmt: skip


def _add_kernel(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    _check_shapes("SparseAdd", a_shape, b_shape)
    coords, ia, ib = _union(a_indices, b_indices, a_shape)
    values = np.zeros(len(coords), np.asarray(a_values).dtype)
    np.add.at(values, ia, a_values)
    np.add.at(values, ib, b_values)
    # As TF's kernel: an entry of one input is kept as it is; a sum of two is kept when
    # its magnitude is at least the threshold.
    both = np.zeros(len(coords), bool)
    both[np.intersect1d(ia, ib)] = True
    keep = ~both | (np.abs(values) >= thresh)
    # where each input entry's value went (-1: dropped by the threshold), for the gradient
    position = np.cumsum(keep) - 1
    a_to = np.where(keep[ia], position[ia], -1)
    b_to = np.where(keep[ib], position[ib], -1)
    return coords[keep], values[keep], np.asarray(a_shape, np.int64), a_to, b_to


def _add_grad(op, grad_indices, grad_values, grad_shape, *_):
    a_to, b_to = op.outputs[3], op.outputs[4]
    padded = _array.concat([grad_values, _array.zeros([1], grad_values.dtype)], 0)
    last = _array.shape(grad_values)[0]

    def back(to):  # -1 reads the padding zero
        where = _math.cast(_math.less(to, 0), to.dtype)
        return _array.gather(padded, to + where * (_math.cast(last, to.dtype) + 1))

    return [None, back(a_to), None, None, back(b_to), None, None]


register_op(
    OpDef(
        "SparseAdd",
        inputs=[
            "a_indices: int64",
            "a_values: T",
            "a_shape: int64",
            "b_indices: int64",
            "b_values: T",
            "b_shape: int64",
            "thresh: T",
        ],  # fmt: skip
        outputs=[
            "sum_indices: int64",
            "sum_values: T",
            "sum_shape: int64",
            "a_to: int64",
            "b_to: int64",
        ],  # fmt: skip
        types={"T": ()},
        infer=lambda ai, av, ash, bi, bv, bsh, t: [
            TensorSpec(
                _dt.int64, TensorShape([None, ai.shape.as_list()[1] if ai.shape.ndims else None])
            ),
            TensorSpec(av.dtype, TensorShape([None])),
            TensorSpec(_dt.int64, ash.shape),
            TensorSpec(_dt.int64, TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([None])),
        ],  # fmt: skip
        kernel=_add_kernel,
        grad=_add_grad,
    )
)


def _extreme_kernel(a_indices, a_values, a_shape, b_indices, b_values, b_shape, *, kind):
    _check_shapes(f"SparseSparse{kind.title()}", a_shape, b_shape)
    coords, ia, ib = _union(a_indices, b_indices, a_shape)
    dtype = np.asarray(a_values).dtype
    a_full, b_full = np.zeros(len(coords), dtype), np.zeros(len(coords), dtype)
    a_full[ia], b_full[ib] = a_values, b_values  # the implicit zeros count here
    return coords, (np.maximum if kind == "maximum" else np.minimum)(a_full, b_full)


register_op(
    OpDef(
        "SparseSparseExtreme",
        inputs=[
            "a_indices: int64",
            "a_values: T",
            "a_shape: int64",
            "b_indices: int64",
            "b_values: T",
            "b_shape: int64",
        ],  # fmt: skip
        outputs=["output_indices: int64", "output_values: T"],
        types={"T": ()},
        attrs={"kind": "maximum"},
        infer=lambda ai, av, *_, **__: [
            TensorSpec(_dt.int64, TensorShape([None, None])),
            TensorSpec(av.dtype, TensorShape([None])),
        ],  # fmt: skip
        kernel=_extreme_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def add(a, b, threshold=0, thresh=None, name=None):
    """Sparse + sparse: a SparseTensor of the union of their entries, summed where both
    have one (such a sum dropped when its magnitude is under `threshold`); sparse + dense
    (either way round): dense."""
    threshold = thresh if thresh is not None else threshold
    a_sparse = isinstance(a, (SparseTensor,)) or hasattr(a, "dense_shape")
    b_sparse = isinstance(b, (SparseTensor,)) or hasattr(b, "dense_shape")
    with name_scope(name, "SparseAdd"):
        if a_sparse and b_sparse:
            a, b = _sp(a), _sp(b)
            t = convert_to_tensor(threshold, dtype=a.values.dtype)
            op = apply_op("SparseAdd", [a.indices, a.values, a.dense_shape, b.indices,
                                        b.values, b.dense_shape, t])  # fmt: skip
            return SparseTensor(op.outputs[0], op.outputs[1], op.outputs[2])
        if a_sparse:
            return _math.add(to_dense(_sp(a)), b)
        if b_sparse:
            return _math.add(a, to_dense(_sp(b)))
        return _math.add(a, b)


def _extreme(a, b, kind, name):
    a, b = _sp(a), _sp(b)
    op = apply_op("SparseSparseExtreme", [a.indices, a.values, a.dense_shape, b.indices,
                                          b.values, b.dense_shape], {"kind": kind},
                  name=name or f"SparseSparse{kind.title()}")  # fmt: skip
    return SparseTensor(op.outputs[0], op.outputs[1], a.dense_shape)


def maximum(sp_a, sp_b, name=None):
    """The elementwise max over the union of entries (a missing entry counts as 0)."""
    return _extreme(sp_a, sp_b, "maximum", name)


def minimum(sp_a, sp_b, name=None):
    """The elementwise min over the union of entries (a missing entry counts as 0)."""
    return _extreme(sp_a, sp_b, "minimum", name)


# Structure -------------------------------------------------------------------------------------
def _unit(axis: int, rank: int):
    """The int64 vector of `rank` zeros with a one at `axis`."""
    return convert_to_tensor(np.eye(rank, dtype=np.int64)[axis])


def retain(sp_input, to_retain) -> SparseTensor:
    """The entries where the bool vector `to_retain` is true."""
    sp = _sp(sp_input)
    with name_scope(None, "SparseRetain"):
        keep = _array.reshape(_math.where(convert_to_tensor(to_retain, dtype=_dt.bool_)), [-1])
        return SparseTensor(_array.gather(sp.indices, keep), _array.gather(sp.values, keep),
                            sp.dense_shape)  # fmt: skip


def transpose(sp_input, perm=None, name=None) -> SparseTensor:
    """The SparseTensor with its dimensions permuted (reversed by default), row-major."""
    sp = _sp(sp_input)
    with name_scope(name, "SparseTranspose"):
        if perm is None:
            rank = _array.size(sp.dense_shape)
            perm = _math.range_(_math.subtract(rank, 1), -1, -1)
        perm = convert_to_tensor(perm, dtype=_dt.int32)
        indices = _array.gather(sp.indices, perm, axis=1)
        shape = _array.gather(sp.dense_shape, perm)
        indices, values = _reorder(indices, sp.values, shape)
        return SparseTensor(indices, values, shape)


def concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
           expand_nonconcat_dims=False) -> SparseTensor:  # fmt: skip
    """The SparseTensors joined along `axis` (their other dimensions equal), row-major."""
    axis = concat_dim if concat_dim is not None else axis
    sps = [_sp(s) for s in sp_inputs]
    with name_scope(name, "SparseConcat"):
        rank = sps[0].indices.shape.as_list()[1]
        if rank is None:
            raise ValueError("concat needs SparseTensors of known rank")
        axis = int(axis) % rank
        offset = _array.zeros([], _dt.int64)
        pieces = []
        for sp in sps:
            shift = _unit(axis, rank) * offset
            pieces.append(sp.indices + shift)
            offset = offset + sp.dense_shape[axis]
        indices = _array.concat(pieces, 0)
        values = _array.concat([sp.values for sp in sps], 0)
        shape = sps[0].dense_shape + _unit(axis, rank) * (offset - sps[0].dense_shape[axis])
        indices, values = _reorder(indices, values, shape)
        return SparseTensor(indices, values, shape)


def slice(sp_input, start, size, name=None) -> SparseTensor:  # noqa: A001
    """The entries within [start, start + size), re-based at `start`."""
    sp = _sp(sp_input)
    with name_scope(name, "SparseSlice"):
        start = convert_to_tensor(start, dtype=_dt.int64)
        size = convert_to_tensor(size, dtype=_dt.int64)
        end = _math.minimum(start + size, sp.dense_shape)
        inside = _math.reduce_all(
            _math.logical_and(_math.greater_equal(sp.indices, start), _math.less(sp.indices, end)),
            axis=1,
        )
        kept = retain(sp, inside)
        shape = _math.maximum(end - start, _array.zeros_like(end))
        return SparseTensor(kept.indices - start, kept.values, shape)


def split(keyword_required=None, sp_input=None, num_split=None, axis=None, name=None,
          split_dim=None) -> list[SparseTensor]:  # fmt: skip
    """`num_split` SparseTensors along `axis`, the first ones one longer when it does not
    divide evenly (as TF splits)."""
    axis = split_dim if axis is None else axis
    sp = _sp(sp_input)
    rank = sp.indices.shape.as_list()[1]
    with name_scope(name, "SparseSplit"):
        axis = int(axis) % rank
        length = sp.dense_shape[axis]
        base, extra = length // num_split, length % num_split
        out, begin = [], _array.zeros([], _dt.int64)
        for k in range(num_split):
            piece = base + _math.cast(_math.less(k, extra), _dt.int64)
            start = _unit(axis, rank) * begin
            size = sp.dense_shape + _unit(axis, rank) * (piece - length)
            out.append(slice(sp, start, size))
            begin = begin + piece
        return out


def expand_dims(sp_input, axis=None, name=None) -> SparseTensor:
    """A dimension of size 1 inserted at `axis`."""
    sp = _sp(sp_input)
    with name_scope(name, "SparseExpandDims"):
        rank = sp.indices.shape.as_list()[1]
        axis = int(axis if axis is not None else -1)
        axis = axis % (rank + 1) if rank is not None else axis
        zeros = _array.zeros_like(sp.indices[:, :1])
        indices = _array.concat([sp.indices[:, :axis], zeros, sp.indices[:, axis:]], 1)
        ones = _array.ones([1], _dt.int64)
        shape = _array.concat([sp.dense_shape[:axis], ones, sp.dense_shape[axis:]], 0)
        return SparseTensor(indices, sp.values, shape)


def eye(num_rows, num_columns=None, dtype=_dt.float32, name=None) -> SparseTensor:
    """A sparse identity matrix (`num_rows` x `num_columns`)."""
    with name_scope(name, "eye"):
        rows = convert_to_tensor(num_rows, dtype=_dt.int64)
        cols = rows if num_columns is None else convert_to_tensor(num_columns, dtype=_dt.int64)
        diag = _math.range_(_math.minimum(rows, cols), dtype=_dt.int64)
        indices = _array.stack([diag, diag], 1)
        values = _array.ones_like(diag, dtype=dtype)
        return SparseTensor(indices, values, _array.stack([rows, cols]))


def to_indicator(sp_input, vocab_size, name=None):
    """A dense bool tensor [..., vocab_size]: true at [..., v] when v is a value of that
    row (the ids of a multi-valued feature, say)."""
    sp = _sp(sp_input)
    with name_scope(name, "SparseToIndicator"):
        ids = _math.cast(sp.values, _dt.int64)
        indices = _array.concat([sp.indices[:, :-1], _array.expand_dims(ids, 1)], 1)
        vocab = _array.reshape(_math.cast(vocab_size, _dt.int64), [1])
        shape = _array.concat([sp.dense_shape[:-1], vocab], 0)
        indices, values = _reorder(indices, _array.ones_like(ids, dtype=_dt.bool_), shape)
        return sparse_to_dense(indices, shape, values, default_value=False,
                               validate_indices=False)  # fmt: skip


# Softmax over each row's entries ----------------------------------------------------------------
def _rows(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    return _keys(np.asarray(indices, np.int64)[:, :-1], np.asarray(shape, np.int64)[:-1])


def _softmax_kernel(indices, values, shape):
    rows = _rows(indices, shape)
    values = np.asarray(values)
    top = np.full(rows.max() + 1 if rows.size else 0, -np.inf, values.dtype)
    np.maximum.at(top, rows, values)
    e = np.exp(values - top[rows])
    total = np.zeros_like(top)
    np.add.at(total, rows, e)
    return (e / total[rows]).astype(values.dtype)


def _softmax_grad_kernel(indices, y, grad, shape):
    rows = _rows(indices, shape)
    dot = np.zeros(rows.max() + 1 if rows.size else 0, np.asarray(y).dtype)
    np.add.at(dot, rows, np.asarray(grad) * y)
    return ((grad - dot[rows]) * y).astype(np.asarray(y).dtype)


register_op(
    OpDef(
        "SparseSoftmax",
        inputs=["sp_indices: int64", "sp_values: T", "sp_shape: int64"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        infer=lambda i, v, s: TensorSpec(v.dtype, v.shape),
        kernel=_softmax_kernel,
        grad=lambda op, grad: [
            None,
            apply_op(
                "SparseSoftmaxGrad", [op.inputs[0], op.outputs[0], grad, op.inputs[2]]
            ).outputs[0],
            None,
        ],  # fmt: skip
    )
)
register_op(
    OpDef(
        "SparseSoftmaxGrad",
        inputs=["indices: int64", "y: T", "grad: T", "shape: int64"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        infer=lambda i, y, g, s: TensorSpec(y.dtype, y.shape),
        kernel=_softmax_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def softmax(sp_input, name=None) -> SparseTensor:
    """The softmax of each row's entries (over the last dimension; the implicit zeros are
    not entries). The entries must be in row-major order, as TF asks."""
    sp = _sp(sp_input)
    op = apply_op("SparseSoftmax", [sp.indices, sp.values, sp.dense_shape],
                  name=name or "SparseSoftmax")  # fmt: skip
    return SparseTensor(sp.indices, op.outputs[0], sp.dense_shape)


# sparse.cross / cross_hashed ------------------------------------------------------------------
_M64 = (1 << 64) - 1
_K_MUL = 0xC6A4A7935BD1E995
_DEFAULT_HASH_KEY = 0xDECAFCAFFE


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TF's FingerprintCat64: one 64-bit fingerprint of two."""
    result = fp1 ^ _K_MUL
    result ^= (_shift_mix((fp2 * _K_MUL) & _M64) * _K_MUL) & _M64
    result = (result * _K_MUL) & _M64
    result = (_shift_mix(result) * _K_MUL) & _M64
    return _shift_mix(result)


def _cross_kernel(*inputs, layout, hashed_output, num_buckets, hash_key, separator, out_type):
    """The crosses of each row's features, sparse inputs first then dense ones (TF's
    order), the first feature varying slowest."""
    import itertools

    import farmhash

    columns, k = [], 0
    for kind in layout:
        if kind == "sparse":
            indices, values, shape = inputs[k : k + 3]
            k += 3
            rows: dict = {}
            for idx, value in zip(np.asarray(indices).tolist(), np.asarray(values).tolist()):
                rows.setdefault(idx[0], []).append(value)
            columns.append((rows, int(np.asarray(shape)[0])))
        else:
            dense = np.asarray(inputs[k])
            k += 1
            columns.append(({r: list(row) for r, row in enumerate(dense.tolist())}, len(dense)))
    batch = max((n for _, n in columns), default=0)

    def text(v):
        return v if isinstance(v, bytes) else str(v).encode()

    def feature_hash(v):
        return int(v) & _M64 if isinstance(v, int) else farmhash.fingerprint64(text(v))

    out_indices, out_values = [], []
    width = 0
    for row in range(batch):
        features = [rows.get(row, []) for rows, _ in columns]
        crosses = list(itertools.product(*features)) if all(features) else []
        width = max(width, len(crosses))
        for j, combo in enumerate(crosses):
            out_indices.append([row, j])
            if hashed_output:
                h = hash_key
                for v in combo:
                    h = _fingerprint_cat64(h, feature_hash(v))
                out_values.append(h % num_buckets if num_buckets > 0 else h % ((1 << 63) - 1))
            else:
                out_values.append(separator.encode().join(text(v) for v in combo))
    indices = np.asarray(out_indices, np.int64).reshape(-1, 2)
    if hashed_output:
        values = np.asarray(out_values, np.int64)
    else:
        values = np.empty(len(out_values), dtype=object)
        values[:] = out_values
    return indices, values, np.asarray([batch, width], np.int64)


register_op(
    OpDef(
        "SparseCross",
        inputs=["inputs: N*any"],
        outputs=["output_indices: int64", "output_values: out_type", "output_shape: int64"],
        attrs={
            "layout": [],
            "hashed_output": False,
            "num_buckets": 0,
            "hash_key": 0,
            "separator": "_X_",
            "out_type": "string",
        },
        infer=lambda inputs, *, out_type, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 2])),
            TensorSpec(_dt.as_dtype(out_type), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([2])),
        ],
        kernel=_cross_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _cross(inputs, hashed_output, num_buckets, hash_key, separator, name):
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    sparse = [x for x in inputs if isinstance(x, SparseTensor)]
    dense = [convert_to_tensor(x) for x in inputs if not isinstance(x, SparseTensor)]
    flat, layout = [], []
    for sp in sparse:
        flat += [sp.indices, sp.values, sp.dense_shape]
        layout.append("sparse")
    for d in dense:
        flat.append(d)
        layout.append("dense")
    attrs = {
        "layout": layout,
        "hashed_output": bool(hashed_output),
        "num_buckets": int(num_buckets),
        "hash_key": int(hash_key),
        "separator": separator,
        "out_type": "int64" if hashed_output else "string",
    }
    op = apply_op("SparseCross", [flat], attrs, name=name or "SparseCross")
    return SparseTensor(*op.outputs)


def cross(inputs, name=None, separator=None) -> SparseTensor:
    """The feature crosses of sparse and dense string/int features, row by row: each
    combination of one value per feature joined by `separator` ("_X_")."""
    return _cross(inputs, False, 0, 0, "_X_" if separator is None else separator, name)


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None) -> SparseTensor:
    """The feature crosses hashed (FarmHash fingerprints combined as TF does) into
    `num_buckets` buckets (0: any int64)."""
    key = _DEFAULT_HASH_KEY if hash_key is None else hash_key
    return _cross(inputs, True, num_buckets, key, "", name)


# sparse.bincount ----------------------------------------------------------------------------------
def _bincount_kernel(
    *inputs, per_row, sparse_input, has_weights, minlength, maxlength, binary_output
):
    k = 0
    if sparse_input:
        indices, values = np.asarray(inputs[0]), np.asarray(inputs[1])
        rows = indices[:, 0] if per_row else np.zeros(len(values), np.int64)
        n_rows = int(np.asarray(inputs[2])[0]) if per_row else 1
        k = 3
    else:
        dense = np.asarray(inputs[0])
        values = dense.reshape(-1)
        n_rows = dense.shape[0] if per_row else 1
        rows = np.repeat(np.arange(n_rows), values.size // max(n_rows, 1)) if per_row else \
            np.zeros(values.size, np.int64)  # fmt: skip
        k = 1
    weights = np.asarray(inputs[k]).reshape(-1) if has_weights else None
    keep = values >= 0
    if maxlength >= 0:
        keep &= values < maxlength
    counts: dict = {}
    for i in np.nonzero(keep)[0]:
        key = (int(rows[i]), int(values[i]))
        add = 1 if weights is None else weights[i]
        counts[key] = add if binary_output else counts.get(key, 0) + add
    size = max([v + 1 for _, v in counts] + [max(minlength, 0)])
    if maxlength >= 0:
        size = min(size, maxlength)
    keys = sorted(counts)
    dtype = np.asarray(weights).dtype if weights is not None else np.asarray(values).dtype
    out_values = np.asarray([counts[key] for key in keys], dtype)
    if per_row:
        return (np.asarray(keys, np.int64).reshape(-1, 2), out_values,
                np.asarray([n_rows, size], np.int64))  # fmt: skip
    return (np.asarray([[v] for _, v in keys], np.int64).reshape(-1, 1), out_values,
            np.asarray([size], np.int64))  # fmt: skip


register_op(
    OpDef(
        "SparseBincount",
        inputs=["inputs: N*any"],
        outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
        attrs={
            "per_row": False,
            "sparse_input": False,
            "has_weights": False,
            "minlength": -1,
            "maxlength": -1,
            "binary_output": False,
            "T": "int32",
        },
        infer=lambda inputs, *, per_row, T, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 2 if per_row else 1])),
            TensorSpec(_dt.as_dtype(T), TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([2 if per_row else 1])),
        ],
        kernel=lambda *inputs, T, **kw: _bincount_kernel(*inputs, **kw),
        grad=NOT_DIFFERENTIABLE,
    )
)


def bincount(
    values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False, name=None
) -> SparseTensor:
    """Counts (or summed weights, or 1 with binary_output) of each non-negative value, as a
    SparseTensor: over everything (axis 0 or None) or per row of a 2-D input (axis -1)."""
    if axis not in (0, -1, None):
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently supported.")
    per_row = axis == -1
    flat, sparse_input = [], isinstance(values, SparseTensor)
    if sparse_input:
        flat += [values.indices, values.values, values.dense_shape]
        dtype = values.values.dtype
    else:
        values = convert_to_tensor(values)
        if per_row and values.shape.ndims != 2:
            raise ValueError("bincount with axis=-1 needs a 2-D input")
        flat.append(values)
        dtype = values.dtype
    if weights is not None:
        weights = (
            weights.values if isinstance(weights, SparseTensor) else convert_to_tensor(weights)
        )
        flat.append(weights)
        dtype = weights.dtype
    attrs = {
        "per_row": per_row,
        "sparse_input": sparse_input,
        "has_weights": weights is not None,
        "minlength": -1 if minlength is None else int(minlength),
        "maxlength": -1 if maxlength is None else int(maxlength),
        "binary_output": bool(binary_output),
        "T": dtype.name,
    }
    op = apply_op("SparseBincount", [flat], attrs, name=name or "bincount")
    return SparseTensor(*op.outputs)
