"""The distributed runtime behind `tf.Session(cluster)`.

Compile, once per run signature: prune, partition per task into stages (graph/partition),
register each stage plan with its task under a plan id (msgpack, shipped once) with its
StageRoute (graph/route.py): a stage returns one object per destination holding the tensors
that destination needs, so a step makes one object per (source, destination) pair, not
one per tensor. Execute, per step: one call per stage, submitted in stage order (so no
actor waits on work submitted after it), with user feeds passed straight to the consuming
stage and upstream groups passed as ObjectRefs (tensors move actor to actor through Ray's
object store); then a single `ray.get` of the fetched groups and of the completion tokens
of stages nobody else waits on (an error upstream reaches them through the ObjectRefs).
Actor errors come back as the same tf.errors class; a lost actor is an UnavailableError.
A repeated signature may instead run as one Ray compiled graph (cluster/fast.py).

A session created inside a task's own process (a between-graph client hosted by a worker
task, cluster/actors.py) runs that task's stages in-process on the task's runner: no
actor call, no copy. It calls the other tasks on its node directly over a Unix socket
(cluster/direct.py, ~8x cheaper than an actor call for a 1 MB round trip), the rest
through Ray. It never compiles a graph (the PS tasks it shares with other clients must
stay callable by all of them), so its step is one call per remote stage.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import uuid
from typing import NamedTuple

import ray
from psflow.graph import errors as tf_errors, wire
from psflow.graph.executor import check_fetched
from psflow.graph.partition import partition, route_stages
from psflow.graph.placement import task_of
from psflow.graph.plan import plan_to_wire, prune_to_fetches
from psflow.graph.route import (
    CallHeader,
    FromFeed,
    FromGroup,
    Source,
    StageRoute,
    fetched_groups,
    resolve_fetches,
)
from psflow.graph.session import fill_step_stats
from psflow.workers import client as client_host

from . import actors, direct, fast as fast_module
from .actors import slot_method_name

STEP_TIMEOUT_S = 300.0
# A step still waiting after this many seconds checks, every as many, that the tasks it waits
# on are alive (a dead or hung one fails it within the config's task_timeout_s).
LIVENESS_SECS = 5.0
GRAPH_RETRY_SECS = 2.0  # a session denied the compiled graph asks again after this


class StageCall(NamedTuple):
    """How the client calls one stage each step."""

    task: str
    plan_id: str
    route: StageRoute
    slot_method: object  # the plan's call-slot method (None: no slot was free)
    writes: bool  # the plan can write variables: its calls carry the header (undo journal)
    method: object  # run_stage, for calls without a slot
    traced_method: object  # run_stage with the trace as an extra return
    local: object = None  # the TaskRunner of this process, when the stage runs here
    direct: object = None  # a DirectChannel to the task (cluster/direct.py), if on this node


class _InFlight(NamedTuple):
    """A stage's direct call, sent, its answer not yet taken."""

    channel: object
    ticket: tuple
    returns: int


class CompiledStep:
    """A run signature compiled for the cluster: its stage calls and where fetches come from."""

    __slots__ = ("calls", "fetches", "fetch_groups", "waits", "runs", "signature", "epoch", "tasks")

    def __init__(self, calls: list[StageCall], fetches: list[Source], waits, signature, epoch):
        self.calls = calls
        self.fetches = fetches  # per fetch: a FromFeed or a FromGroup
        self.fetch_groups = fetched_groups(fetches)  # the (stage, group) objects to get
        self.waits = waits  # (stage, return index) of the tokens the client awaits
        self.runs = 0  # plain-path executions (the fast path compiles a hot signature)
        self.signature = signature  # (fetches, feeds, targets): to register it again
        self.epoch = epoch  # the runtime's epoch it was registered in
        self.tasks = {call.task for call in calls}  # whose liveness a slow step checks


class ClusterRuntime:
    def __init__(self, cluster, graph):
        self.cluster = cluster
        self.graph = graph
        self._plans: list[tuple[object, str]] = []
        self._lock = threading.Lock()
        self._finished: dict[str, list[str]] = {}  # task -> steps it may forget
        self._session_id = uuid.uuid4().hex[:12]
        self._steps = itertools.count()
        self.fast_path = None  # the session's compiled step graph (cluster/fast.py), if any
        self._fast_failed = False
        self._next_graph_request = 0.0  # when to ask the registry for the graph again
        self._yield = threading.Event()  # another client showed up: give the graph up
        # The task whose process this session lives in (a hosted client), if any.
        here = actors.LOCAL_TASK
        self._local = here if here is not None and here[0] == cluster.config.namespace else None
        self.local_stage_runs = 0  # stages this session ran in its own task's process
        self._channels: dict = {}  # task -> DirectChannel (hosted clients, same node)
        # Bumped when a step fails because a task was lost or restarted: compiled steps of an
        # older epoch register their plans again before their next run.
        self._epoch = 0
        self.direct_stage_runs = 0  # stages this session ran by direct calls

    def devices(self) -> list[str]:
        return [f"{t.replace('/task', '/replica:0/task')}/device:CPU:0" for t in self.cluster.tasks]

    def device_of(self, op) -> str:
        """The device an op runs on here, as TF1 names it."""
        task = task_of(op.device, self.cluster.spec, op.name)
        return f"{task.replace('/task', '/replica:0/task')}/device:CPU:0"

    def compile(self, fetches, feeds, targets) -> CompiledStep:
        fed = {t.name for t in feeds}
        ops = prune_to_fetches([t.op for t in fetches] + list(targets), fed)
        spec = self.cluster.spec
        # A hosted client runs its own stages between its calls to the others: it pipelines
        # a step's updates with its compute (graph/partition.py). Others submit every call
        # at once, each extra stage an extra actor call.
        dplan = partition(
            ops,
            fetches,
            feeds,
            lambda op: task_of(op.device, spec, op.name),
            pipeline=None if self._local is None else self._local[1],
        )
        routes, fetch_sources = route_stages(dplan, self._session_id)
        plan_ids, registrations, handles = [], [], []
        for stage, route in zip(dplan.stages, routes):
            plan_id = uuid.uuid4().hex
            blob = wire.pack(plan_to_wire(stage.plan))
            if self._local is not None and stage.task == self._local[1]:
                handle = self._local[2]
                registrations.append(handle.register_plan(plan_id, blob, route.to_wire()))
            else:
                handle = self.cluster.handle(stage.task)
                registrations.append(handle.register_plan.remote(plan_id, blob, route.to_wire()))
            plan_ids.append(plan_id)
            handles.append(handle)
            with self._lock:
                self._plans.append((handle, plan_id))
        calls = []
        slots = self._get(
            registrations,
            self.cluster.config.connect_timeout_s,
            {stage.task for stage in dplan.stages},
        )
        for stage, handle, plan_id, route, (slot, writes) in zip(
            dplan.stages, handles, plan_ids, routes, slots
        ):
            n = route.num_returns
            if self._local is not None and handle is self._local[2]:
                calls.append(
                    StageCall(stage.task, plan_id, route, None, writes, None, None, local=handle)
                )
                continue
            # A call slot saves the header argument (see workers/task.py).
            slot_method = (
                getattr(handle, slot_method_name(slot)).options(num_returns=n)
                if slot >= 0
                else None
            )
            calls.append(
                StageCall(
                    stage.task,
                    plan_id,
                    route,
                    slot_method,
                    writes,
                    handle.run_stage.options(num_returns=n),
                    handle.run_stage.options(num_returns=n + 1),
                    direct=self._channel(stage.task, handle),
                )
            )
        # The client waits on what it fetches and on the tokens nobody else waits on.
        awaited = {a for stage in dplan.stages for a in stage.after}
        waits = [(s, len(r.groups)) for s, r in enumerate(routes) if r.token and s not in awaited]
        return CompiledStep(calls, fetch_sources, waits, (fetches, feeds, targets), self._epoch)

    def _register_again(self, compiled: CompiledStep) -> None:
        """Registers a compiled step's plans anew (a task it uses was lost or restarted since:
        a restarted task holds no plans), in place, and lets the old ones go."""
        old = [(call.task, call.plan_id) for call in compiled.calls if call.local is None]
        fresh = self.compile(*compiled.signature)
        for name in ("calls", "fetches", "fetch_groups", "waits", "epoch", "tasks"):
            setattr(compiled, name, getattr(fresh, name))
        compiled.runs = 0
        by_task: dict = {}
        for task, plan_id in old:
            by_task.setdefault(task, []).append(plan_id)
        with self._lock:
            gone = {plan_id for _, plan_id in old}
            self._plans = [(h, p) for h, p in self._plans if p not in gone]
        for task, ids in by_task.items():
            with contextlib.suppress(Exception):  # a lost task has nothing to forget
                self.cluster.handle(task).forget_plans.remote(ids)

    def _lost_task(self) -> None:
        """A step failed because a task was lost or restarted: its compiled graph, direct
        channels and registered plans may all be stale."""
        self._epoch += 1
        self._close_channels()
        if self.fast_path is not None:
            self._drop_fast(retry=True)

    def _channel(self, task: str, handle):
        """A direct channel to `task` for a hosted client on the task's node, else None."""
        if self._local is None or not self.cluster.config.direct_calls:
            return None
        if task not in self._channels:
            node, address = self._get(
                [handle.direct_address.remote()], self.cluster.config.connect_timeout_s, [task]
            )[0]
            here = ray.get_runtime_context().get_node_id()
            self._channels[task] = (
                direct.DirectChannel(
                    task,
                    address,
                    STEP_TIMEOUT_S,
                    alive=lambda: self.cluster.check_alive([task]),
                    check_every=LIVENESS_SECS,
                )
                if node == here
                else None
            )
        return self._channels[task]

    def execute(self, compiled: CompiledStep, feed_values, options=None, run_metadata=None):
        try:
            return self._execute(compiled, feed_values, options, run_metadata)
        except (tf_errors.AbortedError, tf_errors.UnavailableError):
            self._lost_task()
            raise

    def _execute(self, compiled: CompiledStep, feed_values, options, run_metadata):
        traced = run_metadata is not None and getattr(options, "trace_level", 0) not in (0, None)
        if compiled.epoch != self._epoch:
            self._register_again(compiled)
        if self._yield.is_set():  # asked by the presence reporter: this thread holds no lock
            self._yield.clear()
            self.give_up_fast(retry=True)
        if self._local is not None:
            client_host.check_stop()
            return self._execute_plain(compiled, feed_values, traced, run_metadata)
        if not traced and self.cluster.config.fast_path:
            current = self.fast_path
            if (
                current is not None
                and current.compiled is not compiled
                and fast_module.EVERY_SIGNATURE
            ):
                self.give_up_fast(retry=True)
            if self.fast_path is None:
                self._maybe_compile(compiled)
        fast = self.fast_path
        if fast is not None:
            # While the session has a compiled graph its steps run one at a time: a plain
            # call to an actor while a graph execution is in flight can stall both.
            if not fast.lock.acquire(timeout=STEP_TIMEOUT_S):
                raise tf_errors.DeadlineExceededError(
                    None, None, f"No step slot within {STEP_TIMEOUT_S} s"
                )
            try:
                if fast.compiled is compiled and not traced and self.fast_path is fast:
                    return self._execute_fast(fast, compiled, feed_values)
                return self._execute_plain(compiled, feed_values, traced, run_metadata)
            finally:
                fast.lock.release()
        owner = self.cluster.fast_owner
        if owner is not None and owner is not self:
            owner.give_up_fast()  # plain calls from another session would stall its graph
        return self._execute_plain(compiled, feed_values, traced, run_metadata)

    def _execute_plain(self, compiled: CompiledStep, feed_values, traced, run_metadata):
        returns: list = []  # per stage: the ObjectRefs of its returns, or its direct call
        in_flight: dict = {}  # channel -> the stage whose direct call awaits its answer
        step_id = f"{self._session_id}.{next(self._steps)}"

        def answered(s: int) -> list:
            """Stage s's returns, its direct call's answer taken first if it is out."""
            pending = returns[s]
            if isinstance(pending, _InFlight):
                del in_flight[pending.channel]
                out = pending.channel.result(pending.ticket)
                returns[s] = [out] if pending.returns == 1 else list(out)
            return returns[s]

        try:
            for call in compiled.calls:
                args = []
                for src in call.route.args:
                    if isinstance(src, FromFeed):
                        args.append(feed_values[src.feed_index])
                    elif isinstance(src, FromGroup):
                        args.append(answered(src.stage)[src.group])
                    else:  # FromToken: the token follows the stage's groups
                        group = len(compiled.calls[src.stage].route.groups)
                        args.append(answered(src.stage)[group])
                n = call.route.num_returns + (1 if traced else 0)
                if call.direct is not None:
                    # Sent, not waited for: this process runs its own next stage meanwhile
                    # (a pipelined step's updates, graph/partition.py). One call at a time
                    # per channel, so neither side blocks writing to the other.
                    if call.direct in in_flight:
                        answered(in_flight[call.direct])
                    returns.append(self._submit(call, step_id, args, traced, compiled.tasks, n))
                    in_flight[call.direct] = len(returns) - 1
                    continue
                if call.local is not None:
                    out = self._run_here(call, step_id, args, traced, compiled.tasks)
                elif traced:
                    header = CallHeader(step_id, self._take_finished(call.task), call.plan_id, True)
                    out = call.traced_method.remote(header.encode(), *args)
                elif call.slot_method is None:
                    header = CallHeader(step_id, self._take_finished(call.task), call.plan_id)
                    out = call.method.remote(header.encode(), *args)
                elif call.writes:
                    header = CallHeader(step_id, self._take_finished(call.task))
                    out = call.slot_method.remote(header.encode(), *args)
                else:
                    out = call.slot_method.remote(*args)
                returns.append([out] if n == 1 else list(out))
            for s in list(in_flight.values()):
                answered(s)
        except tf_errors.OpError:
            for s in list(in_flight.values()):  # the task's answers, before its rollback
                with contextlib.suppress(tf_errors.OpError):
                    answered(s)
            self._rollback(compiled, step_id)
            raise
        wanted = [returns[s][g] for s, g in compiled.fetch_groups]
        extra = [returns[s][i] for s, i in compiled.waits]
        if traced:
            extra += [r[-1] for r in returns]
        try:
            got = self._get(wanted + extra, STEP_TIMEOUT_S, compiled.tasks)
        except tf_errors.OpError:
            self._rollback(compiled, step_id)
            raise
        with self._lock:  # tasks that journaled this step may now forget it
            for task in {call.task for call in compiled.calls if call.writes}:
                finished = self._finished.setdefault(task, [])
                finished.append(step_id)
                del finished[:-64]
        groups = dict(zip(compiled.fetch_groups, got[: len(wanted)]))
        values = self._fetch_shared(
            resolve_fetches(compiled.fetches, feed_values, groups), compiled.tasks
        )
        if traced:
            _trace(run_metadata, compiled.calls, got[len(wanted) + len(compiled.waits) :])
        return check_fetched(values)

    def _resolved(self, args: list, tasks) -> list:
        """`args` with the ObjectRefs among them replaced by their values."""
        remote = [i for i, a in enumerate(args) if isinstance(a, ray.ObjectRef)]
        if remote:
            got = self._get([args[i] for i in remote], STEP_TIMEOUT_S, tasks)
            for i, value in zip(remote, got):
                args[i] = value
        return args

    def _submit(self, call: StageCall, step_id: str, args: list, traced: bool, tasks, n: int):
        """Sends a stage's direct call, once its upstream objects arrived."""
        args = self._resolved(args, tasks)
        header = CallHeader(step_id, self._take_finished(call.task), call.plan_id, traced)
        self.direct_stage_runs += 1
        return _InFlight(call.direct, call.direct.submit(header.encode(), args), n)

    def _run_here(self, call: StageCall, step_id: str, args: list, traced: bool, tasks):
        """Runs a stage, after its upstream objects arrived, on this process's own task
        (its runner)."""
        args = self._resolved(args, tasks)
        header = CallHeader(step_id, self._take_finished(call.task), call.plan_id, traced)
        self.local_stage_runs += 1
        return call.local.run_stage(header.encode(), *args)

    def _maybe_compile(self, compiled: CompiledStep) -> None:
        """Compiles the first signature run COMPILE_AFTER times, if this session can own the
        cluster's compiled graph (see cluster/fast.py)."""
        compiled.runs += 1
        if compiled.runs < fast_module.COMPILE_AFTER or self._fast_failed:
            return
        if time.monotonic() < self._next_graph_request:
            return
        cluster = self.cluster
        with cluster.fast_lock:
            if cluster.fast_owner is not None:
                return
            cluster.fast_owner = self
        if not cluster.acquire_graph():  # another client uses the cluster: stay plain
            self._next_graph_request = time.monotonic() + GRAPH_RETRY_SECS
            with cluster.fast_lock:
                cluster.fast_owner = None
            return
        try:
            self.fast_path = fast_module.FastPath(self.cluster, compiled)
        except Exception as err:  # an optimization: stay on plain calls
            logging.getLogger("psflow").warning(
                "compiling the fast path failed, staying on plain calls: %s: %s",
                type(err).__name__,
                err,
            )
            self._fast_failed = True
            self._release_fast()

    def _execute_fast(self, fast, compiled: CompiledStep, feed_values) -> list:
        step_id = f"{self._session_id}.{next(self._steps)}"
        try:
            values = fast.execute(step_id, feed_values, STEP_TIMEOUT_S)
        except ray.exceptions.RayTaskError as err:
            # The undo goes through plain calls, which must not meet a live graph: drop it,
            # roll back, and compile again once the signature repeats.
            self._drop_fast(retry=True)
            compiled.runs = 0
            self._rollback(compiled, step_id)
            raise _task_error(err, self.cluster) from None
        except (ray.exceptions.GetTimeoutError, ray.exceptions.RayChannelTimeoutError):
            self._rollback(compiled, step_id)
            self._drop_fast()
            raise tf_errors.DeadlineExceededError(
                None, None, f"The step did not finish within {STEP_TIMEOUT_S} s"
            ) from None
        except ray.exceptions.RayActorError as err:
            # A failed step changes nothing on any path: undo what the live tasks wrote.
            self._drop_fast(retry=True)
            compiled.runs = 0
            self._rollback(compiled, step_id)
            raise self.cluster.unavailable(err) from None
        return check_fetched(self._fetch_shared(values, compiled.tasks))

    def request_give_up(self) -> None:
        """Asks the stepping thread to give the graph up before its next step (a thread
        that steps back to back would otherwise win its lock again every time)."""
        self._yield.set()

    def give_up_fast(self, retry: bool = False) -> None:
        """Another session is using the cluster (or, with `retry`, another signature takes
        the graph): tear this session's graph down after the step in flight."""
        fast = self.fast_path
        if fast is None:
            return
        if fast.lock.acquire(timeout=STEP_TIMEOUT_S):
            try:
                if self.fast_path is fast:
                    self._drop_fast(retry=retry)
            finally:
                fast.lock.release()

    def _drop_fast(self, retry: bool = False) -> None:
        fast, self.fast_path = self.fast_path, None
        self._fast_failed = not retry
        if fast is not None:
            fast.teardown()
        self._release_fast()

    def _release_fast(self) -> None:
        with self.cluster.fast_lock:
            if self.cluster.fast_owner is self:
                self.cluster.fast_owner = None
                self.cluster.release_graph()

    def _take_finished(self, task: str) -> list[str]:
        """Finished steps to report to a task, on a call that carries a header."""
        with self._lock:
            return self._finished.pop(task, [])

    def _rollback(self, compiled: CompiledStep, step_id: str) -> None:
        """A failed step leaves variables as they were: undo its writes on every task."""
        handles = {
            call.task: self.cluster.handle(call.task)
            for call in compiled.calls
            if call.local is None
        }
        for call in compiled.calls:
            if call.local is not None:
                call.local.rollback(step_id)
        with contextlib.suppress(Exception):  # a dead task has nothing left to undo
            ray.get(
                [h.rollback.remote(step_id) for h in handles.values()],
                timeout=self.cluster.config.connect_timeout_s,
            )

    def _close_channels(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            if channel is not None:
                channel.close()

    def close(self) -> None:
        self._close_channels()
        fast, self.fast_path = self.fast_path, None
        if fast is not None:
            with fast.lock:
                fast.teardown()
            self._release_fast()
        with self._lock:
            plans, self._plans = self._plans, []
        by_handle: dict = {}
        for handle, plan_id in plans:
            by_handle.setdefault(handle, []).append(plan_id)
        with contextlib.suppress(Exception):  # the cluster may already be gone
            for handle, ids in by_handle.items():
                if self._local is not None and handle is self._local[2]:
                    handle.forget_plans(ids)
                    handle.forget_session(self._session_id)
                else:
                    handle.forget_plans.remote(ids)
                    handle.forget_session.remote(self._session_id)

    def reset(self, containers=None) -> None:
        self.cluster.reset(containers)

    def _fetch_shared(self, values: list, tasks) -> list:
        """Fetched values that arrived as object-store references (large stored values a
        task shares, see cluster/actors.py), read in one batched get."""
        shared = [i for i, v in enumerate(values) if isinstance(v, ray.ObjectRef)]
        if shared:
            got = self._get([values[i] for i in shared], STEP_TIMEOUT_S, tasks)
            for i, value in zip(shared, got):
                values[i] = value
        return values

    def _get(self, refs, timeout, tasks):
        """One batched ray.get, with failures mapped to tf.errors classes (a lost task is
        UnavailableError naming it); past LIVENESS_SECS it checks that `tasks` (those the
        objects come from) are alive. Values that are not ObjectRefs (outputs of stages run
        in this process or by direct calls) pass through."""
        if not all(isinstance(r, ray.ObjectRef) for r in refs):
            values = list(refs)
            remote = [i for i, r in enumerate(refs) if isinstance(r, ray.ObjectRef)]
            got = self._get([refs[i] for i in remote], timeout, tasks) if remote else []
            for i, value in zip(remote, got):
                values[i] = value
            return values
        try:
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=min(LIVENESS_SECS, left))
                if len(ready) == len(refs) or left <= LIVENESS_SECS:
                    return ray.get(refs, timeout=max(0.0, deadline - time.monotonic()))
                self.cluster.check_alive(tasks)
        except ray.exceptions.RayTaskError as err:
            raise _task_error(err, self.cluster) from None
        except ray.exceptions.GetTimeoutError:
            raise tf_errors.DeadlineExceededError(
                None, None, f"The step did not finish within {timeout} s"
            ) from None
        except ray.exceptions.RayActorError as err:
            raise self.cluster.unavailable(err) from None


def _task_error(err, cluster) -> Exception:
    """The tf.errors exception an actor raised, as the driver re-raises it (a task that
    failed because an upstream task was lost: UnavailableError naming the lost one)."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, ray.exceptions.RayActorError):
        return cluster.unavailable(cause)
    if isinstance(cause, tf_errors.OpError):
        return type(cause)(cause.node_def, None, cause.message)
    return tf_errors.InternalError(None, None, f"{type(cause).__name__}: {cause}")


def _trace(run_metadata, calls: list[StageCall], traces) -> None:
    by_device: dict[str, list] = {}
    for call, trace in zip(calls, traces):
        device = f"{call.task.replace('/task', '/replica:0/task')}/device:CPU:0"
        by_device.setdefault(device, []).extend(tuple(t) for t in trace or [])
    fill_step_stats(run_metadata, by_device)
