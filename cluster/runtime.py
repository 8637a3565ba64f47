"""The distributed runtime behind `tf.Session(cluster)`.

Compile, once per run signature: prune, partition per task into stages (graph/partition),
register each stage plan with its actor under a plan id (msgpack, shipped once), with its
route (partition.route): a stage returns one object per destination holding the tensors
that destination needs, so a step makes one object per (source, destination) pair, not
one per tensor. Execute, per step: one `run_stage` call per stage, submitted in stage order
(so no actor waits on work submitted after it), with user feeds passed straight to the
consuming stage and upstream groups passed as ObjectRefs (tensors move actor to actor
through Ray's object store); then a single `ray.get` of the fetched groups and of the
completion tokens of stages nobody else waits on (an error upstream reaches them through
the ObjectRefs). Actor errors come back as the same
tf.errors class; a lost actor is an UnavailableError.
"""

from __future__ import annotations

import itertools
import threading
import uuid

import ray
from psflow.graph import errors as tf_errors, wire
from psflow.graph.executor import check_fetched
from psflow.graph.partition import partition, route
from psflow.graph.placement import task_of
from psflow.graph.plan import plan_to_wire, prune_to_fetches
from psflow.graph.session import fill_step_stats
from psflow.graph.stage_runner import slot_call, stage_call

STEP_TIMEOUT_S = 300.0


class _Compiled:
    __slots__ = ("stages", "fetches", "plan_ids", "calls", "waits")

    def __init__(self, stages, fetches, plan_ids, calls, waits):
        self.stages = stages
        self.fetches = fetches  # per fetch: ("feed", i) or ("group", s, g, pos)
        self.plan_ids = plan_ids
        # per stage: (slot method or None, writes, run_stage, traced run_stage, plan id, route)
        self.calls = calls
        self.waits = waits  # (stage, return index) of the tokens the coordinator awaits


class ClusterRuntime:
    def __init__(self, cluster, graph):
        self.cluster = cluster
        self.graph = graph
        self._plans: list[tuple[object, str]] = []
        self._lock = threading.Lock()
        self._finished: dict[str, list[str]] = {}  # task -> steps it may forget
        self._session_id = uuid.uuid4().hex[:12]
        self._steps = itertools.count()

    def devices(self) -> list[str]:
        return [f"{t.replace('/task', '/replica:0/task')}/device:CPU:0" for t in
                self.cluster.tasks]

    def compile(self, signature, fetches, feeds, targets) -> _Compiled:
        fed = {t.name for t in feeds}
        ops = prune_to_fetches([t.op for t in fetches] + list(targets), fed)
        spec = self.cluster.spec
        dplan = partition(ops, fetches, feeds, lambda op: task_of(op.device, spec, op.name))
        routes, fetch_sources = route(dplan)
        plan_ids, registrations, handles = [], [], []
        for stage, r in zip(dplan.stages, routes):
            plan_id = uuid.uuid4().hex
            handle = self.cluster.handle(stage.task)
            registrations.append(handle.register_plan.remote(
                plan_id, wire.pack(plan_to_wire(stage.plan)), r.layout(self._session_id)))
            plan_ids.append(plan_id)
            handles.append(handle)
            with self._lock:
                self._plans.append((handle, plan_id))
        calls = []
        slots = _get(registrations, self.cluster.config.connect_timeout_s)
        for handle, plan_id, r, (slot, writes) in zip(handles, plan_ids, routes, slots):
            # A call slot saves the header argument (see StageRunner.NUM_SLOTS).
            fast = getattr(handle, f"s{slot}").options(num_returns=r.num_returns) \
                if slot >= 0 else None
            calls.append((fast, writes, handle.run_stage.options(num_returns=r.num_returns),
                          handle.run_stage.options(num_returns=r.num_returns + 1), plan_id,
                          r))
        # The coordinator waits on what it fetches and on the tokens nobody else waits on.
        awaited = {a for stage in dplan.stages for a in stage.after}
        waits = [(s, len(r.groups)) for s, r in enumerate(routes)
                 if r.token and s not in awaited]
        return _Compiled(dplan.stages, fetch_sources, plan_ids, calls, waits)

    def execute(self, compiled: _Compiled, feed_values, options=None, run_metadata=None):
        traced = run_metadata is not None and getattr(options, "trace_level", 0) not in (0, None)
        refs: list[list] = []
        step_id = f"{self._session_id}.{next(self._steps)}"
        for (fast, writes, method, traced_method, plan_id, r), stage in zip(compiled.calls,
                                                                          compiled.stages):
            args = []
            for src in r.args:
                if src[0] == "feed":
                    args.append(feed_values[src[1]])
                elif src[0] == "group":
                    args.append(refs[src[1]][src[2]])
                else:
                    args.append(refs[src[1]][len(compiled.calls[src[1]][5].groups)])
            if traced:
                out = traced_method.remote(
                    stage_call(plan_id, True, step_id, self._take_finished(stage.task)), *args)
            elif fast is None:
                out = method.remote(
                    stage_call(plan_id, False, step_id, self._take_finished(stage.task)), *args)
            elif writes:
                out = fast.remote(slot_call(step_id, self._take_finished(stage.task)), *args)
            else:
                out = fast.remote(*args)
            n = r.num_returns + (1 if traced else 0)
            refs.append([out] if n == 1 else list(out))
        groups = sorted({(src[1], src[2]) for src in compiled.fetches if src[0] == "group"})
        wanted = [refs[s][g] for s, g in groups]
        extra = [refs[s][i] for s, i in compiled.waits]
        if traced:
            extra += [r[-1] for r in refs]
        try:
            got = _get(wanted + extra, STEP_TIMEOUT_S)
        except tf_errors.OpError:
            self._rollback(compiled, step_id)
            raise
        with self._lock:  # tasks that journaled this step may now forget it
            for task in {stage.task for stage, call in zip(compiled.stages, compiled.calls)
                         if call[1]}:
                finished = self._finished.setdefault(task, [])
                finished.append(step_id)
                del finished[:-64]
        by_group = dict(zip(groups, got[:len(wanted)]))
        values = [feed_values[src[1]] if src[0] == "feed" else (
            by_group[(src[1], src[2])] if src[3] < 0 else by_group[(src[1], src[2])][src[3]])
            for src in compiled.fetches]
        shared = [i for i, v in enumerate(values) if isinstance(v, ray.ObjectRef)]
        if shared:  # large stored values fetched by reference (see cluster/launch.py)
            for i, value in zip(shared, _get([values[i] for i in shared], STEP_TIMEOUT_S)):
                values[i] = value
        if traced:
            _trace(run_metadata, compiled.stages, got[len(wanted) + len(compiled.waits):])
        return check_fetched(values)

    def _take_finished(self, task: str) -> list[str]:
        """Finished steps to report to a task, on a call that carries a header."""
        with self._lock:
            return self._finished.pop(task, [])

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
                handle.forget_session.remote(self._session_id)
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
