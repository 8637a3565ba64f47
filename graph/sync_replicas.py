"""`tf.train.SyncReplicasOptimizer`: synchronous between-graph training.

Each replica computes gradients at its `local_step` and adds them to accumulators kept on
the task that owns each variable (graph/ops/sync.py); a gradient older than the current
round is dropped. The contribution that completes a round (`replicas_to_aggregate` fresh
gradients) gets the average back, and the wrapped optimizer applies it right there, on
that task, in the same step: one update per round. A round counter beside the global step
advances the global step once per round and puts `max(total_num_replicas,
replicas_to_aggregate)` tokens, carrying the new global step, in the token queue. After
each step a replica takes a token (`make_session_run_hook`) and continues from its step.

Where TF1 blocks (take_grad, dequeue), psflow never blocks a task: the round completes
inside the step of its last contributor, and a replica waiting for a token polls for it,
for at most `TOKEN_TIMEOUT_SECS` (DeadlineExceededError naming how many of the replicas the
round is still waiting for). As in TF1, a replica may contribute several gradients to one
round (tokens, not replicas, are counted), so a round only stalls when its tokens run out.
With backup replicas (`total_num_replicas > replicas_to_aggregate`) a round completes
without the slowest ones, whose late gradients are dropped as stale, so a dead worker does
not stop training.
"""

from __future__ import annotations

import time

import numpy as np

from . import errors
from .framework import GraphKeys, colocate_with, control_dependencies, name_scope
from .hooks import SessionRunHook
from .ops import array as _array, control_flow as _control_flow, state as _state, sync as _sync
from .ops.array import IndexedSlices
from .optimizers import Optimizer
from .variables import Variable, global_variables, report_uninitialized_variables

TOKEN_POLL_SECS = 0.002
TOKEN_TIMEOUT_SECS = 300.0


class SyncReplicasOptimizer(Optimizer):
    """Aggregates `replicas_to_aggregate` gradients per variable before one update."""

    def __init__(
        self,
        opt,
        replicas_to_aggregate,
        total_num_replicas=None,
        variable_averages=None,
        variables_to_average=None,
        use_locking=False,
        name="sync_replicas",
    ):
        if total_num_replicas is None:
            total_num_replicas = replicas_to_aggregate
        super().__init__(use_locking, name)
        if variable_averages is not None:
            raise NotImplementedError("variable_averages are not supported")
        self._opt = opt
        self._replicas_to_aggregate = int(replicas_to_aggregate)
        self._total_num_replicas = int(total_num_replicas)
        self._tokens_per_step = max(self._total_num_replicas, self._replicas_to_aggregate)
        self._gradients_applied = False
        self._train_op = None
        self._global_step = None
        self._local_step = None
        self._queue = ""
        self._round = ""
        self._accumulators: list[tuple[str, object]] = []  # (name, its variable)
        self.local_step_init_op = None
        self.chief_init_op = None
        self.ready_for_local_init_op = None

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's gradients (averaged across replicas when applied)."""
        return self._opt.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The train op of a replica: its gradients into the accumulators, the update (and the
        global step and tokens) when its contribution completes a round."""
        grads_and_vars = [(g, v) for g, v in grads_and_vars]
        if not grads_and_vars:
            raise ValueError("Must supply at least one variable")
        if global_step is None:
            raise ValueError("Global step is required to check staleness")
        self._global_step = global_step
        with control_dependencies(None):
            anchor = _control_flow.no_op(name="sync_rep_local_anchor")  # on this worker
            with colocate_with(anchor):
                self._local_step = Variable(
                    0,
                    trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES],
                    dtype=global_step.dtype,
                    name="sync_rep_local_step",
                )
            # The wrapped optimizer's slots exist before any conditional update uses them.
            self._opt._create_slots([v for g, v in grads_and_vars if g is not None])
        self.local_step_init_op = _state.assign(self._local_step, global_step)
        self.ready_for_local_init_op = report_uninitialized_variables(global_variables())
        n = self._replicas_to_aggregate
        updates = []
        with name_scope(name, self._name):
            local_step = _array.identity(self._local_step)
            for g, v in grads_and_vars:
                if g is None:
                    continue
                accumulator = f"{v.op.name}/grad_accum"
                self._accumulators.append((accumulator, v))
                with colocate_with(v.op):
                    if isinstance(g, IndexedSlices):
                        values, indices, ready = _sync.sync_sparse_accumulate(
                            g.values, g.indices, local_step, accumulator, n
                        )
                        average = IndexedSlices(values, indices, g.dense_shape)
                    else:
                        average, ready = _sync.sync_accumulate(g, local_step, accumulator, n)
                    updates.append(
                        _control_flow.cond(
                            ready,
                            lambda average=average, v=v: self._opt.apply_gradients([(average, v)]),
                            _control_flow.no_op,
                            name="apply_if_round_complete",
                        )
                    )
            self._round = f"{global_step.op.name}/sync_round"
            self._queue = f"{global_step.op.name}/sync_token_q"
            with control_dependencies(updates), colocate_with(global_step.op):
                _, round_ready = _sync.sync_accumulate(
                    _array.zeros([], "float32"), local_step, self._round, n
                )
                train_op = _control_flow.cond(
                    round_ready, self._finish_round, _control_flow.no_op, name="finish_round"
                )
        chief_init = [self.local_step_init_op]
        for accumulator, v in self._accumulators:
            with colocate_with(v.op):
                chief_init.append(_sync.sync_accumulator_set_step(global_step, accumulator))
        with colocate_with(global_step.op):
            chief_init.append(_sync.sync_accumulator_set_step(global_step, self._round))
        self.chief_init_op = _control_flow.group(*chief_init)
        self._gradients_applied = True
        self._train_op = train_op.op if hasattr(train_op, "op") else train_op
        return self._train_op

    def _finish_round(self):
        """Advances the global step once and hands out the next round's tokens."""
        step = self._global_step
        advanced = _state.assign_add(step, 1)
        count = _array.constant(self._tokens_per_step, dtype="int64")
        return _control_flow.group(_sync.sync_enqueue_tokens(advanced, count, self._queue))

    def get_init_tokens_op(self, num_tokens=-1):
        """Tokens to start with (`replicas_to_aggregate` by default): run once by the chief."""
        if not self._gradients_applied:
            raise ValueError("get_init_tokens_op() should be called after apply_gradients().")
        tokens_needed = self._replicas_to_aggregate - self._total_num_replicas
        if num_tokens == -1:
            num_tokens = self._replicas_to_aggregate
        elif num_tokens < tokens_needed:
            raise ValueError(
                f"Too few tokens to finish the first step: {num_tokens} (given) "
                f"vs {tokens_needed} (needed)"
            )
        with colocate_with(self._global_step.op):
            count = _array.constant(max(num_tokens, 0), dtype="int64")
            return _sync.sync_enqueue_tokens(self._global_step, count, self._queue)

    def make_session_run_hook(self, is_chief, num_tokens=-1):
        """The hook every replica needs: local-step and token set-up at session creation,
        and, after each step, a token to continue with."""
        return _SyncReplicasOptimizerHook(self, is_chief, num_tokens)

    # Delegation ---------------------------------------------------------------------------
    def get_slot(self, *args, **kwargs):
        return self._opt.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._opt.get_slot_names(*args, **kwargs)

    def variables(self):
        return self._opt.variables()


class _SyncReplicasOptimizerHook(SessionRunHook):
    def __init__(self, opt: SyncReplicasOptimizer, is_chief: bool, num_tokens: int):
        self._opt = opt
        self._is_chief = is_chief
        self._num_tokens = num_tokens

    def begin(self) -> None:
        opt = self._opt
        if not opt._gradients_applied:
            raise ValueError(
                "SyncReplicasOptimizer.apply_gradient should be called before using the hook."
            )
        self._local_init_op = opt.chief_init_op if self._is_chief else opt.local_step_init_op
        self._init_tokens_op = opt.get_init_tokens_op(self._num_tokens) if self._is_chief else None
        with colocate_with(opt._global_step.op):
            self._dequeue = _sync.sync_try_dequeue_token(opt._queue)
            self._round_count = _sync.sync_accumulator_count(opt._round)
        self._token = _array.placeholder("int64", [])
        self._set_local_step = _state.assign(opt._local_step, self._token)

    def after_create_session(self, session, coord) -> None:
        not_ready = session.run(self._opt.ready_for_local_init_op)
        if np.asarray(not_ready).size:
            raise RuntimeError(
                "Init operations did not make model ready for "
                "SyncReplicasOptimizer local_init. Init op: "
                f"{self._local_init_op.name}, error: {not_ready}"
            )
        session.run(self._local_init_op)
        if self._init_tokens_op is not None:
            session.run(self._init_tokens_op)

    def before_run(self, run_context):
        self._trained = _fetches_op(run_context.original_args.fetches, self._opt._train_op)
        return None

    def after_run(self, run_context, run_values) -> None:
        if not self._trained:  # a run without the train op (evaluation, a step read)
            return
        session = run_context.session
        timeout = TOKEN_TIMEOUT_SECS
        deadline = time.monotonic() + timeout
        while True:
            ok, value = session.run(self._dequeue)
            if ok:
                session.run(self._set_local_step, {self._token: value})
                return
            if time.monotonic() >= deadline:
                have = int(session.run(self._round_count))
                step = int(session.run(self._opt._global_step))
                raise errors.DeadlineExceededError(
                    None,
                    None,
                    f"SyncReplicasOptimizer: no token within {timeout:g} s; the round at "
                    f"global step {step} has {have} of {self._opt._replicas_to_aggregate} "
                    f"gradients (waiting for {self._opt._replicas_to_aggregate - have} more "
                    f"of the {self._opt._total_num_replicas} replicas)",
                )
            time.sleep(TOKEN_POLL_SECS)


def _fetches_op(fetches, op) -> bool:
    """Whether a fetch structure contains `op` (or one of its outputs)."""
    stack = [fetches]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is op or getattr(item, "op", None) is op:
            return True
    return False
