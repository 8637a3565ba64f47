"""Synchronous-replica ops (what `SyncReplicasOptimizer` is built from): gradient
accumulators kept on the task that owns their variable, and a token queue beside the global
step. TF1's versions block (`take_grad` waits for N gradients, `dequeue` for a token); here
no kernel ever waits, since a parameter server serves every client one call at a time:

- `SyncAccumulate` adds a gradient unless it is stale (computed at a step older than the
  accumulator's), and the call that brings the count to `num_required` gets the average
  back with `ready` true, resets the sum and advances the accumulator's step, all in one
  step of the owning task (so rounds are atomic on it);
- `SyncTryDequeueToken` takes a token when there is one and says whether it did; clients
  poll it with a bound (graph/sync_replicas.py).

State lives in the task's VariableStore under `<accumulator>/...` names and goes through
the step's undo journal, so a failed step leaves accumulators and tokens as they were.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import apply_op
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

_INT = np.int64


def _scalar(state, name: str, default: int) -> int:
    value = state.store.get(name)
    return default if value is None else int(value)


# SyncAccumulate (dense) ---------------------------------------------------------------------
def _accumulate_infer(grad, local_step, *, accumulator, num_required):
    return [TensorSpec(grad.dtype, grad.shape), TensorSpec(_dt.bool_, TensorShape([]))]


def _accumulate_kernel(state, grad, local_step, *, accumulator, num_required):
    grad = np.asarray(grad)
    zeros = np.zeros_like(grad)
    time = _scalar(state, f"{accumulator}/time", 0)
    if int(local_step) < time:  # stale: computed before the last round completed
        return zeros, np.asarray(False)
    count = _scalar(state, f"{accumulator}/count", 0) + 1
    total = state.store.get(f"{accumulator}/sum")
    total = grad.copy() if total is None or count == 1 else total + grad
    if count < num_required:
        state.write(f"{accumulator}/sum", total)
        state.write(f"{accumulator}/count", np.asarray(count, _INT))
        return zeros, np.asarray(False)
    state.write(f"{accumulator}/sum", zeros)
    state.write(f"{accumulator}/count", np.asarray(0, _INT))
    state.write(f"{accumulator}/time", np.asarray(time + 1, _INT))
    return (total / count).astype(grad.dtype, copy=False), np.asarray(True)


register_op(
    OpDef(
        "SyncAccumulate",
        inputs=["grad: T", "local_step: int64"],
        outputs=["average: T", "ready: bool"],
        types={"T": _dt.FLOATS},
        attrs={"accumulator": "", "num_required": 1},
        infer=_accumulate_infer,
        kernel=_accumulate_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_accumulate(grad, local_step, accumulator: str, num_required: int, name=None):
    """(average gradient, ready): the average once `num_required` fresh gradients arrived."""
    attrs = {"accumulator": accumulator, "num_required": int(num_required)}
    op = apply_op("SyncAccumulate", [grad, local_step], attrs, name=name)
    return op.outputs[0], op.outputs[1]


# SyncSparseAccumulate -----------------------------------------------------------------------
def _sparse_accumulate_infer(values, indices, local_step, *, accumulator, num_required):
    return [
        TensorSpec(values.dtype, TensorShape([None]).concatenate(values.shape[1:])),
        TensorSpec(indices.dtype, TensorShape([None])),
        TensorSpec(_dt.bool_, TensorShape([])),
    ]


def _sparse_accumulate_kernel(state, values, indices, local_step, *, accumulator, num_required):
    """Sparse gradients aggregate as IndexedSlices: the rows of every fresh gradient are
    kept (duplicates are summed by the sparse update), scaled by 1/count when taken."""
    values, indices = np.asarray(values), np.asarray(indices).ravel()
    none = (values[:0], indices[:0], np.asarray(False))
    time = _scalar(state, f"{accumulator}/time", 0)
    if int(local_step) < time:
        return none
    count = _scalar(state, f"{accumulator}/count", 0) + 1
    if count == 1:
        all_values, all_indices = values, indices
    else:
        all_values = np.concatenate([state.store.get(f"{accumulator}/values"), values])
        all_indices = np.concatenate([state.store.get(f"{accumulator}/indices"), indices])
    if count < num_required:
        state.write(f"{accumulator}/values", np.array(all_values))
        state.write(f"{accumulator}/indices", np.array(all_indices))
        state.write(f"{accumulator}/count", np.asarray(count, _INT))
        return none
    state.write(f"{accumulator}/values", values[:0].copy())
    state.write(f"{accumulator}/indices", indices[:0].copy())
    state.write(f"{accumulator}/count", np.asarray(0, _INT))
    state.write(f"{accumulator}/time", np.asarray(time + 1, _INT))
    average = (all_values / count).astype(values.dtype, copy=False)
    return average, all_indices, np.asarray(True)


register_op(
    OpDef(
        "SyncSparseAccumulate",
        inputs=["values: T", "indices: Tindices", "local_step: int64"],
        outputs=["average: T", "indices_out: Tindices", "ready: bool"],
        types={"T": _dt.FLOATS, "Tindices": (_dt.int32, _dt.int64)},
        attrs={"accumulator": "", "num_required": 1},
        infer=_sparse_accumulate_infer,
        kernel=_sparse_accumulate_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_sparse_accumulate(
    values, indices, local_step, accumulator: str, num_required: int, name=None
):
    """(average rows, their indices, ready) for IndexedSlices gradients."""
    attrs = {"accumulator": accumulator, "num_required": int(num_required)}
    op = apply_op("SyncSparseAccumulate", [values, indices, local_step], attrs, name=name)
    return op.outputs[0], op.outputs[1], op.outputs[2]


# SyncAccumulatorSetStep, SyncAccumulatorCount ----------------------------------------------
def _set_step_infer(step, *, accumulator):
    return []


def _set_step_kernel(state, step, *, accumulator):
    """Starts the accumulator at `step` (the chief, at session creation: a restored model
    resumes its rounds at its global step). Gradients already given to the round at that
    very step stay (another replica may have given its gradient before the chief got
    here, as TF1's SetGlobalStep keeps them); a round at another step is dropped."""
    if _scalar(state, f"{accumulator}/time", 0) == int(step):
        return None
    state.write(f"{accumulator}/time", np.asarray(int(step), _INT))
    state.write(f"{accumulator}/count", np.asarray(0, _INT))
    return None


register_op(
    OpDef(
        "SyncAccumulatorSetStep",
        inputs=["step: int64"],
        outputs=[],
        attrs={"accumulator": ""},
        infer=_set_step_infer,
        kernel=_set_step_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_accumulator_set_step(step, accumulator: str, name=None):
    return apply_op("SyncAccumulatorSetStep", [step], {"accumulator": accumulator}, name=name)


def _count_infer(*, accumulator):
    return TensorSpec(_dt.int64, TensorShape([]))


def _count_kernel(state, *, accumulator):
    return np.asarray(_scalar(state, f"{accumulator}/count", 0), _INT)


register_op(
    OpDef(
        "SyncAccumulatorCount",
        inputs=[],
        outputs=["count: int64"],
        attrs={"accumulator": ""},
        infer=_count_infer,
        kernel=_count_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_accumulator_count(accumulator: str, name=None):
    """How many fresh gradients the accumulator holds for its current round."""
    return apply_op("SyncAccumulatorCount", [], {"accumulator": accumulator}, name=name).outputs[0]


# Token queue ---------------------------------------------------------------------------------
def _enqueue_infer(value, count, *, queue):
    return []


def _enqueue_kernel(state, value, count, *, queue):
    """Appends `count` tokens carrying `value` (a global step) to the queue."""
    old = state.store.get(f"{queue}/tokens")
    old = np.zeros(0, _INT) if old is None else old
    add = np.full(int(count), int(value), _INT)
    state.write(f"{queue}/tokens", np.concatenate([old, add]))
    return None


register_op(
    OpDef(
        "SyncEnqueueTokens",
        inputs=["value: int64", "count: int64"],
        outputs=[],
        attrs={"queue": ""},
        infer=_enqueue_infer,
        kernel=_enqueue_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_enqueue_tokens(value, count, queue: str, name=None):
    return apply_op("SyncEnqueueTokens", [value, count], {"queue": queue}, name=name)


def _dequeue_infer(*, queue):
    return [TensorSpec(_dt.bool_, TensorShape([])), TensorSpec(_dt.int64, TensorShape([]))]


def _dequeue_kernel(state, *, queue):
    """(True, the first token's value) after taking it, or (False, -1) when empty."""
    tokens = state.store.get(f"{queue}/tokens")
    if tokens is None or tokens.size == 0:
        return np.asarray(False), np.asarray(-1, _INT)
    state.write(f"{queue}/tokens", tokens[1:].copy())
    return np.asarray(True), np.asarray(tokens[0], _INT)


register_op(
    OpDef(
        "SyncTryDequeueToken",
        inputs=[],
        outputs=["ok: bool", "value: int64"],
        attrs={"queue": ""},
        infer=_dequeue_infer,
        kernel=_dequeue_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def sync_try_dequeue_token(queue: str, name=None):
    op = apply_op("SyncTryDequeueToken", [], {"queue": queue}, name=name)
    return op.outputs[0], op.outputs[1]
