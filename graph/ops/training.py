"""Optimizer update ops: `Apply*` (dense), `SparseApply*` (IndexedSlices rows) and
`DynamicApply*` (the rows of a dynamic embedding table, by id), plus
ScatterAdd/ScatterSub/ScatterUpdate.

Each optimizer's math is one `rule(var, *slots, *hyper, grad) -> (var, *slots)` on numpy
arrays; the dense op applies it to whole variables, the sparse op to the touched rows only
(duplicate indices summed first, as TF's optimizers do), so untouched rows never change.
Ops are stateful and colocated with their variable: on a cluster the update runs on the
parameter server that owns it, and every write goes through the step's undo journal.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OutOfRangeError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import segment_reduce
from .state import _colocated, _ref_of

_FLOAT = _dt.FLOATS
_INDEX = (_dt.int32, _dt.int64)


# The rules -------------------------------------------------------------------------------
def _gd(var, alpha, delta):
    out = delta * -alpha  # one new array, then in place: the update is memory-bound
    out += var
    return (out,)


def _momentum(var, accum, lr, momentum, grad, *, use_nesterov=False):
    accum = accum * momentum + grad
    if use_nesterov:
        return var - (grad * lr + accum * (momentum * lr)), accum
    return var - accum * lr, accum


def _adagrad(var, accum, lr, grad):
    accum = accum + grad * grad
    return var - lr * grad / np.sqrt(accum), accum


def _adam(
    var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, *, use_nesterov=False
):
    lr_t = lr * np.sqrt(1 - beta2_power) / (1 - beta1_power)
    m = m + (grad - m) * (1 - beta1)
    v = v + (grad * grad - v) * (1 - beta2)
    step = (m * beta1 + grad * (1 - beta1)) if use_nesterov else m
    return var - lr_t * step / (np.sqrt(v) + epsilon), m, v


def _rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad):
    ms = ms + (grad * grad - ms) * (1 - rho)
    mom = mom * momentum + lr * grad / np.sqrt(ms + epsilon)
    return var - mom, ms, mom


def _centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    mg = mg + (grad - mg) * (1 - rho)
    ms = ms + (grad * grad - ms) * (1 - rho)
    mom = mom * momentum + lr * grad / np.sqrt(ms - mg * mg + epsilon)
    return var - mom, mg, ms, mom


def _adadelta(var, accum, accum_update, lr, rho, epsilon, grad):
    accum = accum * rho + grad * grad * (1 - rho)
    update = np.sqrt(accum_update + epsilon) / np.sqrt(accum + epsilon) * grad
    accum_update = accum_update * rho + update * update * (1 - rho)
    return var - update * lr, accum, accum_update


def _ftrl(var, accum, linear, lr, l1, l2, l2_shrinkage, lr_power, grad):
    shrunk = grad + 2 * l2_shrinkage * var
    new_accum = accum + grad * grad
    sigma = (np.power(new_accum, -lr_power) - np.power(accum, -lr_power)) / lr
    linear = linear + shrunk - sigma * var
    quadratic = np.power(new_accum, -lr_power) / lr + 2 * l2
    new_var = np.where(np.abs(linear) > l1, (np.sign(linear) * l1 - linear) / quadratic, 0)
    return new_var.astype(var.dtype, copy=False), new_accum, linear


def _proximal(prox, step, l1, l2):
    """TF's proximal step: shrink by step * l1, scale by 1 / (1 + step * l2)."""
    if np.any(l1 > 0):
        return np.sign(prox) * np.maximum(np.abs(prox) - step * l1, 0) / (1 + l2 * step)
    return prox / (1 + l2 * step)


def _proximal_gd(var, alpha, l1, l2, delta):
    return (_proximal(var - alpha * delta, alpha, l1, l2),)


def _proximal_adagrad(var, accum, lr, l1, l2, grad):
    accum = accum + grad * grad
    step = lr / np.sqrt(accum)
    return _proximal(var - grad * step, step, l1, l2), accum


def _adagrad_da(var, accum, sq_accum, lr, l1, l2, global_step, grad):
    """TF's AdagradDA: the sums of gradients and of their squares, and the variable recomputed
    from them (dual averaging), the L1 threshold and L2 growing with the step."""
    accum = accum + grad
    sq_accum = sq_accum + grad * grad
    denom = l2 * global_step * lr + np.sqrt(sq_accum)
    if np.any(l1 > 0):
        shrunk = np.sign(accum) * np.maximum(np.abs(accum) - l1 * global_step, 0)
        return -lr * shrunk / denom, accum, sq_accum
    return -lr * accum / denom, accum, sq_accum


# Kernels -------------------------------------------------------------------------------------
def _dense_kernel(rule, n_refs):
    def kernel(state, *args, use_locking=False, **attrs):
        names, rest = args[:n_refs], args[n_refs:]
        current = [state.read(n) for n in names]
        grad = rest[-1]
        if grad.shape != current[0].shape:
            raise InvalidArgumentError(
                None,
                None,
                f"var and grad do not have the same shape"
                f"{list(current[0].shape)} {list(grad.shape)}",
            )
        new = rule(*current, *rest, **attrs)
        for name, old, value in zip(names, current, new):
            state.write(name, np.asarray(value, dtype=old.dtype))
        return state.read(names[0])

    return kernel


def _dedupe(grad, indices, first_dim, var_name):
    indices = _in_range(indices, first_dim, var_name)
    return _sum_duplicates(grad, indices)


def _in_range(indices, first_dim, var_name):
    indices = np.asarray(indices).ravel()
    if indices.size and (indices.min() < 0 or indices.max() >= first_dim):
        bad = indices[(indices < 0) | (indices >= first_dim)][0]
        raise InvalidArgumentError(
            None,
            None,
            f"Index {int(bad)} at offset "
            f"{int(np.argmax(indices == bad))} in indices is out of "
            f"range [0, {first_dim}) updating {var_name}",
        )
    return indices


def _sum_duplicates(grad, indices):
    """(unique indices, the gradient rows summed per unique index)."""
    unique, inverse = np.unique(indices, return_inverse=True)
    rows = grad.reshape((indices.size,) + grad.shape[1:])
    if unique.size == indices.size:
        order = np.empty_like(inverse)
        order[inverse] = np.arange(indices.size)
        return unique, rows[order]
    summed = segment_reduce(np.add, rows, inverse.reshape(-1), unique.size, 0)
    return unique, summed


def _sparse_kernel(rule, n_refs):
    def kernel(state, *args, use_locking=False, unique_indices=False, **attrs):
        names, rest = args[:n_refs], args[n_refs:]
        *hyper, grad, indices = rest
        current = [state.read(n) for n in names]
        if grad.shape[1:] != current[0].shape[1:]:
            raise InvalidArgumentError(
                None,
                None,
                f"var and grad must match in dimension 1 "
                f"and up: {list(current[0].shape)} vs "
                f"{list(grad.shape)} updating {names[0]}",
            )
        if unique_indices:  # known distinct (a Unique op's output): only the range check
            rows, summed = _in_range(indices, current[0].shape[0], names[0]), grad
        else:
            rows, summed = _dedupe(grad, indices, current[0].shape[0], names[0])
        before = [np.take(c, rows, axis=0) for c in current]
        new_rows = rule(*before, *hyper, summed, **attrs)
        for name, old, was, value in zip(names, current, before, new_rows):
            state.write_rows(name, rows, np.asarray(value, dtype=old.dtype), was)
        return state.read(names[0])

    return kernel


def _table_kernel(rule):
    """The update of a dynamic table's rows at the gradient's ids (graph/dynamic_table.py):
    rows missing (created by another client, or evicted since the lookup) are created, and
    the slots the optimizer names are created beside them with their initial values."""

    def kernel(state, table, *rest, slots, slot_init, use_locking=False, **attrs):
        *hyper, grad, keys = rest
        shard, undo = state.table(table)
        if grad.shape[1:] != (shard.dim,):
            raise InvalidArgumentError(
                None,
                None,
                f"rows of dimension {shard.dim} updated with a gradient of shape "
                f"{list(grad.shape)} in {table}",
            )
        ids, summed = _sum_duplicates(grad, np.asarray(keys, np.int64).ravel())
        with shard.lock:
            pos = shard.find(ids, undo)
            arrays = [shard.slot(s, init) for s, init in zip(slots, slot_init)]
            new = rule(shard.values[pos], *(a[pos] for a in arrays), *hyper, summed, **attrs)
            new = [np.asarray(v, shard.dtype) for v in new]
            shard.write(pos, new[0], dict(zip(slots, new[1:])), undo)
        return new[0]

    return kernel


def _table_infer(table, *specs, **_):
    return TensorSpec(table.dtype, TensorShape([None] + table.shape.as_list()[1:]))


def _update_infer(*specs, **_):
    return TensorSpec(specs[0].dtype, specs[0].shape)


def _register(op_type, rule, refs, hyper, attrs=None, sparse=True):
    ref_args = [f"{r}: Ref(T)" for r in refs]
    hyper_args = [f"{h}: T" for h in hyper]
    attrs = {"use_locking": False, **(attrs or {})}
    register_op(
        OpDef(
            f"Apply{op_type}",
            inputs=ref_args + hyper_args + ["grad: T"],
            outputs=["out: T"],
            types={"T": _FLOAT},
            attrs=dict(attrs),
            infer=_update_infer,
            kernel=_dense_kernel(rule, len(refs)),
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )
    register_op(
        OpDef(
            f"DynamicApply{op_type}",
            inputs=["table: Ref(T)"] + hyper_args + ["grad: T", "keys: Tindices"],
            outputs=["out: T"],
            types={"T": _FLOAT, "Tindices": _INDEX},
            attrs={**attrs, "slots": [], "slot_init": []},
            infer=_table_infer,
            kernel=_table_kernel(rule),
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )
    if sparse:
        register_op(
            OpDef(
                f"SparseApply{op_type}",
                inputs=ref_args + hyper_args + ["grad: T", "indices: Tindices"],
                outputs=["out: T"],
                types={"T": _FLOAT, "Tindices": _INDEX},
                attrs={**attrs, "unique_indices": False},
                infer=_update_infer,
                kernel=_sparse_kernel(rule, len(refs)),
                grad=NOT_DIFFERENTIABLE,
                stateful=True,
            )
        )


_register("GradientDescent", _gd, ["var"], ["alpha"], sparse=False)
_register("Momentum", _momentum, ["var", "accum"], ["lr", "momentum"], {"use_nesterov": False})
_register("Adagrad", _adagrad, ["var", "accum"], ["lr"])
_register(
    "Adam",
    _adam,
    ["var", "m", "v"],
    ["beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon"],
    {"use_nesterov": False},
    sparse=False,
)
_register("RMSProp", _rms_prop, ["var", "ms", "mom"], ["lr", "rho", "momentum", "epsilon"])
_register(
    "CenteredRMSProp",
    _centered_rms_prop,
    ["var", "mg", "ms", "mom"],
    ["lr", "rho", "momentum", "epsilon"],
)
_register("Adadelta", _adadelta, ["var", "accum", "accum_update"], ["lr", "rho", "epsilon"])
_register("ProximalGradientDescent", _proximal_gd, ["var"], ["alpha", "l1", "l2"])
_register("ProximalAdagrad", _proximal_adagrad, ["var", "accum"], ["lr", "l1", "l2"])
_register("AdagradDA", _adagrad_da, ["var", "gradient_accumulator",
          "gradient_squared_accumulator"], ["lr", "l1", "l2", "global_step"])  # fmt: skip
_register("Ftrl", _ftrl, ["var", "accum", "linear"], ["lr", "l1", "l2", "l2_shrinkage", "lr_power"])


def _sparse_adam_kernel(
    state,
    var,
    m,
    v,
    beta1_power,
    beta2_power,
    lr,
    beta1,
    beta2,
    epsilon,
    grad,
    indices,
    *,
    use_locking=False,
    use_nesterov=False,
):
    """TF1's Adam on IndexedSlices: the moments decay everywhere, the gradient rows are added
    at their indices, and every row of the variable moves by its moments."""
    cur_var, cur_m, cur_v = state.read(var), state.read(m), state.read(v)
    rows, summed = _dedupe(grad, indices, cur_var.shape[0], var)
    new_m = cur_m * beta1
    new_m[rows] += summed * (1 - beta1)
    new_v = cur_v * beta2
    new_v[rows] += summed * summed * (1 - beta2)
    lr_t = lr * np.sqrt(1 - beta2_power) / (1 - beta1_power)
    new_var = cur_var - lr_t * new_m / (np.sqrt(new_v) + epsilon)
    for name, old, value in ((m, cur_m, new_m), (v, cur_v, new_v), (var, cur_var, new_var)):
        state.write(name, np.asarray(value, dtype=old.dtype))
    return state.read(var)


register_op(
    OpDef(
        "SparseApplyAdam",
        inputs=[
            "var: Ref(T)",
            "m: Ref(T)",
            "v: Ref(T)",
            "beta1_power: T",
            "beta2_power: T",
            "lr: T",
            "beta1: T",
            "beta2: T",
            "epsilon: T",
            "grad: T",
            "indices: Tindices",
        ],
        outputs=["out: T"],
        types={"T": _FLOAT, "Tindices": _INDEX},
        attrs={"use_locking": False, "use_nesterov": False},
        infer=_update_infer,
        kernel=_sparse_adam_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def apply_update(op_type, refs, inputs, attrs=None, name=None):
    """Builds one update op (`ApplyMomentum`, `SparseApplyAdagrad`, ...) on variable refs."""
    return apply_op(op_type, list(refs) + list(inputs), attrs or {}, name=name).outputs[0]


# Scatter updates --------------------------------------------------------------------------------
def _scatter_kernel(np_update):
    def kernel(state, ref, indices, updates, *, use_locking=False):
        old = state.read(ref)
        idx = np.asarray(indices)
        if idx.size and (idx.min() < 0 or idx.max() >= old.shape[0]):
            bad = idx[(idx < 0) | (idx >= old.shape[0])].ravel()[0]
            raise InvalidArgumentError(
                None,
                None,
                f"indices[{int(np.argmax(idx.ravel() == bad))}]"
                f" = {int(bad)} is not in [0, {old.shape[0]})",
            )
        rows = np.asarray(updates).reshape(idx.shape + old.shape[1:])
        # Only the rows named change: updated as a block, then written in place.
        unique, inverse = np.unique(idx.ravel(), return_inverse=True)
        block = old[unique]
        np_update(block, inverse.reshape(idx.shape), rows)
        return state.write_rows(ref, unique, block)

    return kernel


def _scatter_set(new, idx, rows):
    new[idx] = rows


def _scatter_add(new, idx, rows):
    np.add.at(new, idx, rows)


def _scatter_sub(new, idx, rows):
    np.subtract.at(new, idx, rows)


def _scatter_infer(ref, indices, updates, **_):
    return TensorSpec(ref.dtype, ref.shape)


for _type, _update in (
    ("ScatterUpdate", _scatter_set),
    ("ScatterAdd", _scatter_add),
    ("ScatterSub", _scatter_sub),
    ("ScatterMul", lambda new, idx, rows: np.multiply.at(new, idx, rows)),
    ("ScatterDiv", lambda new, idx, rows: np.divide.at(new, idx, rows)),
    ("ScatterMin", lambda new, idx, rows: np.minimum.at(new, idx, rows)),
    ("ScatterMax", lambda new, idx, rows: np.maximum.at(new, idx, rows)),
):
    register_op(
        OpDef(
            _type,
            inputs=["ref: Ref(T)", "indices: Tindices", "updates: T"],
            outputs=["output_ref: T"],
            types={"T": _dt.NUMERIC, "Tindices": _INDEX},
            attrs={"use_locking": True},
            infer=_scatter_infer,
            kernel=_scatter_kernel(_update),
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )


def _scatter(op_type, ref, indices, updates, use_locking, name):
    ref = _ref_of(ref)
    with _colocated(ref):
        return apply_op(
            op_type, [ref, indices, updates], {"use_locking": bool(use_locking)}, name=name
        ).outputs[0]


def scatter_update(ref, indices, updates, use_locking=True, name=None):
    """Sets rows `indices` of the variable to `updates`."""
    return _scatter("ScatterUpdate", ref, indices, updates, use_locking, name)


def scatter_add(ref, indices, updates, use_locking=False, name=None):
    """Adds `updates` to rows `indices` of the variable (duplicates add up)."""
    return _scatter("ScatterAdd", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None):
    """Subtracts `updates` from rows `indices` of the variable (duplicates add up)."""
    return _scatter("ScatterSub", ref, indices, updates, use_locking, name)


def scatter_mul(ref, indices, updates, use_locking=False, name=None):
    """Multiplies rows `indices` of the variable by `updates` (duplicates multiply)."""
    return _scatter("ScatterMul", ref, indices, updates, use_locking, name)


def scatter_div(ref, indices, updates, use_locking=False, name=None):
    """Divides rows `indices` of the variable by `updates` (duplicates divide in turn)."""
    return _scatter("ScatterDiv", ref, indices, updates, use_locking, name)


def scatter_min(ref, indices, updates, use_locking=False, name=None):
    """Rows `indices` of the variable become their minimum with `updates`."""
    return _scatter("ScatterMin", ref, indices, updates, use_locking, name)


def scatter_max(ref, indices, updates, use_locking=False, name=None):
    """Rows `indices` of the variable become their maximum with `updates`."""
    return _scatter("ScatterMax", ref, indices, updates, use_locking, name)


# ScatterNd updates: slices of the variable at index tuples ---------------------------------------
def _scatter_nd_kernel(np_update):
    def kernel(state, ref, indices, updates, *, use_locking=False):
        old = state.read(ref)
        idx = np.asarray(indices)
        k = idx.shape[-1] if idx.ndim else 0
        if idx.ndim == 0 or k > old.ndim:
            raise InvalidArgumentError(
                None, None, f"Index innermost dimension length must be <= tensor rank; saw: "
                f"{k} vs. {old.ndim}"
            )  # fmt: skip
        flat = idx.reshape(-1, k)
        bad = ((flat < 0) | (flat >= np.asarray(old.shape[:k]))).any(axis=1)
        if bad.any():
            at = int(np.argmax(bad))
            raise InvalidArgumentError(
                None, None, f"indices[{at}] = {flat[at].tolist()} does not index into shape "
                f"{list(old.shape)}"
            )  # fmt: skip
        where = tuple(np.moveaxis(idx, -1, 0))
        new = np.array(old, copy=True)
        np_update(new, where, np.broadcast_to(updates, idx.shape[:-1] + old.shape[k:]))
        return state.assign(ref, new)

    return kernel


for _type, _update in (
    ("ScatterNdUpdate", _scatter_set),
    ("ScatterNdAdd", _scatter_add),
    ("ScatterNdSub", _scatter_sub),
):
    register_op(
        OpDef(
            _type,
            inputs=["ref: Ref(T)", "indices: Tindices", "updates: T"],
            outputs=["output_ref: T"],
            types={"T": _dt.NUMERIC, "Tindices": _INDEX},
            attrs={"use_locking": True},
            infer=_scatter_infer,
            kernel=_scatter_nd_kernel(_update),
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """Sets the slices of the variable at the index tuples `indices` to `updates`."""
    return _scatter("ScatterNdUpdate", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """Adds `updates` to the slices of the variable at `indices` (repeats add up)."""
    return _scatter("ScatterNdAdd", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """Subtracts `updates` from the slices of the variable at `indices`."""
    return _scatter("ScatterNdSub", ref, indices, updates, use_locking, name)


def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """ref[b..., indices[b..., i]] = updates[b..., i]: a scatter_update per batch entry."""
    with name_scope(name, "BatchScatterUpdate"):
        indices = convert_to_tensor(indices)
        rank = indices.shape.ndims
        shape = _array.shape(indices, out_type=indices.dtype)
        coords = []
        for axis in range(rank - 1):
            n = _array.strided_slice(shape, [axis], [axis + 1], shrink_axis_mask=1)
            view = [1] * rank
            view[axis] = -1
            row = _array.reshape(_math.range_(n, dtype=indices.dtype), view)
            coords.append(_math.add(row, _array.zeros_like(indices)))
        coords.append(indices)
        return scatter_nd_update(ref, _array.stack(coords, axis=-1), updates, use_locking)


# CountUpTo ------------------------------------------------------------------------------------
def _count_up_to_kernel(state, ref, *, limit):
    old = state.read(ref)
    if old >= limit:
        raise OutOfRangeError(None, None, f"Reached limit of {limit}")
    state.assign(ref, old + 1)
    return np.array(old, copy=True)


register_op(
    OpDef(
        "CountUpTo",
        inputs=["ref: Ref(T)"],
        outputs=["output: T"],
        types={"T": (_dt.int32, _dt.int64)},
        attrs={"limit": None},
        infer=lambda ref, *, limit: TensorSpec(ref.dtype, TensorShape([])),
        kernel=_count_up_to_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def count_up_to(ref, limit, name=None):
    """Increments the integer variable until it reaches `limit` (then OutOfRangeError);
    returns its value before the increment."""
    ref = _ref_of(ref)
    with _colocated(ref):
        return apply_op("CountUpTo", [ref], {"limit": int(limit)}, name=name).outputs[0]
