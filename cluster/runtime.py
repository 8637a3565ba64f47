"""The distributed runtime behind `tf.Session(cluster)`.

Compile, once per run signature: prune, partition per task into stages (graph/partition),
register each stage plan with its actor under a plan id (msgpack, shipped once). Execute,
per step: one `run_stage` call per stage, submitted in stage order (so no actor waits on
work submitted after it), with user feeds passed straight to the consuming stage and
upstream outputs passed as ObjectRefs (tensors move actor to actor through Ray's object
store); then a single `ray.get` of the fetched refs. Actor errors come back as the same
tf.errors class; a lost actor is an UnavailableError.
"""

from __future__ import annotations

import threading
import uuid

import ray

from psflow.graph import errors as tf_errors
from psflow.graph import wire
from psflow.graph.executor import check_fetched
from psflow.graph.partition import partition
from psflow.graph.placement import task_of
from psflow.graph.plan import plan_to_wire, prune_to_fetches
from psflow.graph.session import fill_step_stats

STEP_TIMEOUT_S = 300.0


class _Compiled:
    __slots__ = ("stages", "fetches", "plan_ids", "calls")

    def __init__(self, stages, fetches, plan_ids, calls):
        self.stages = stages
        self.fetches = fetches
        self.plan_ids = plan_ids
        self.calls = calls  # per stage: (handle method, plan id, input sources, after, n_out)


class ClusterRuntime:
    def __init__(self, cluster, graph):
        self.cluster = cluster
        self.graph = graph
        self._plans: list[tuple[object, str]] = []
        self._lock = threading.Lock()

    def devices(self) -> list[str]:
        return [f"{t.replace('/task', '/replica:0/task')}/device:CPU:0" for t in
                self.cluster.tasks]

    def compile(self, signature, fetches, feeds, targets) -> _Compiled:
        fed = {t.name for t in feeds}
        ops = prune_to_fetches([t.op for t in fetches] + list(targets), fed)
        spec = self.cluster.spec
        dplan = partition(ops, fetches, feeds, lambda op: task_of(op.device, spec, op.name))
        plan_ids, calls, registrations = [], [], []
        for stage in dplan.stages:
            plan_id = uuid.uuid4().hex
            handle = self.cluster.handle(stage.task)
            registrations.append(handle.register_plan.remote(plan_id,
                                                             wire.pack(plan_to_wire(stage.plan))))
            plan_ids.append(plan_id)
            calls.append((handle.run_stage, plan_id, stage.inputs, stage.after,
                          len(stage.outputs)))
            with self._lock:
                self._plans.append((handle, plan_id))
        _get(registrations, self.cluster.config.connect_timeout_s)
        return _Compiled(dplan.stages, dplan.fetches, plan_ids, calls)

    def execute(self, compiled: _Compiled, feed_values, options=None, run_metadata=None):
        traced = run_metadata is not None and getattr(options, "trace_level", 0) not in (0, None)
        refs: list[list] = []
        step_id = uuid.uuid4().hex
        for method, plan_id, inputs, after, n_out in compiled.calls:
            args = [feed_values[src[1]] if src[0] == "feed" else refs[src[1]][src[2]]
                    for src in inputs]
            args += [refs[a][-1] for a in after]
            out = method.options(num_returns=n_out + 1).remote(plan_id, traced, step_id, *args)
            refs.append([out] if n_out == 0 else list(out))
        wanted = [refs[src[1]][src[2]] for src in compiled.fetches if src[0] == "stage"]
        tokens = [r[-1] for r in refs]
        try:
            got = _get(wanted + tokens, STEP_TIMEOUT_S)
        except tf_errors.OpError:
            self._rollback(compiled, step_id)
            raise
        values, it = [], iter(got[:len(wanted)])
        for src in compiled.fetches:
            values.append(feed_values[src[1]] if src[0] == "feed" else next(it))
        if traced:
            _trace(run_metadata, compiled.stages, got[len(wanted):])
        return check_fetched(values)

    def _rollback(self, compiled: _Compiled, step_id: str) -> None:
        """A failed step leaves variables as they were: undo its writes on every task."""
        handles = {stage.task: self.cluster.handle(stage.task) for stage in compiled.stages}
        try:
            ray.get([h.rollback.remote(step_id) for h in handles.values()],
                    timeout=self.cluster.config.connect_timeout_s)
        except Exception:  # noqa: BLE001, S110 - a dead task has nothing left to undo
            pass

    def close(self) -> None:
        with self._lock:
            plans, self._plans = self._plans, []
        by_handle: dict = {}
        for handle, plan_id in plans:
            by_handle.setdefault(handle, []).append(plan_id)
        try:
            for handle, ids in by_handle.items():
                handle.forget_plans.remote(ids)
        except Exception:  # noqa: BLE001, S110 - the cluster may already be gone
            pass

    def reset(self, containers=None) -> None:
        self.cluster.reset(containers)


def _get(refs, timeout):
    """One batched ray.get, with actor failures mapped to tf.errors classes."""
    try:
        return ray.get(refs, timeout=timeout)
    except ray.exceptions.RayTaskError as err:
        cause = getattr(err, "cause", None)
        if isinstance(cause, tf_errors.OpError):
            raise type(cause)(cause.node_def, None, cause.message) from None
        raise tf_errors.InternalError(None, None, f"{type(cause).__name__}: {cause}") from None
    except ray.exceptions.GetTimeoutError:
        raise tf_errors.DeadlineExceededError(
            None, None, f"The step did not finish within {timeout} s") from None
    except ray.exceptions.RayActorError as err:
        raise tf_errors.UnavailableError(None, None, f"A psflow task died: {err}") from None


def _trace(run_metadata, stages, traces) -> None:
    by_device: dict[str, list] = {}
    for stage, trace in zip(stages, traces):
        device = f"{stage.task.replace('/task', '/replica:0/task')}/device:CPU:0"
        by_device.setdefault(device, []).extend(tuple(t) for t in trace or [])
    fill_step_stats(run_metadata, by_device)
