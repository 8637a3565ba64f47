"""`TaskRunner`: what every task process of a cluster (parameter server or worker) does with
stage plans. A client registers each stage plan once (`register_plan`: a msgpack plan and
its StageRoute, graph/route.py); the runner binds it to kernels with an Executor over this
task's VariableStore, and then runs it step after step with the call's arguments.

Three ways in, one core (`_run`): `run_stage(header, *args)` names the plan in its header;
a call slot (`run_slot`) names it by the method the cluster calls (`run_slot_<K>`,
generated in cluster/actors.py: each argument of an actor call costs, so a slot saves the
header for plans that only read); `run_dag_node` is a node of a Ray compiled graph
(cluster/fast.py). Each step that writes variables keeps an undo journal here until the
client reports the step finished everywhere, so a step that fails on another task can be
rolled back. Plain Python, no ray: tests drive it directly, cluster/ makes it an actor.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict, deque

import numpy as np
from psflow.graph import wire
from psflow.graph.errors import AbortedError
from psflow.graph.executor import Executor
from psflow.graph.plan import plan_from_wire
from psflow.graph.registry import get_op_def
from psflow.graph.route import CallHeader, FromFeed, FromGroup, StageRoute, StepInput
from psflow.graph.variable_store import VariableStore

MAX_JOURNALS = 64  # undo journals kept at most, whatever the client reports
RATE_WINDOW = 512  # stage runs the reported rate is measured over (at most RATE_SECS back)
RATE_SECS = 10.0


class _Registered:
    """A registered plan: its executor, its route (None: arguments are the plan's feeds and
    outputs come back one by one), and whether it can write variables."""

    __slots__ = ("executor", "route", "writes")

    def __init__(self, executor: Executor, route: StageRoute | None, writes: bool):
        self.executor = executor
        self.route = route
        self.writes = writes


class TaskRunner:
    # Call slots per task: a registered plan takes the first free one (see the module
    # docstring); plans registered when all are taken go through `run_stage`.
    NUM_SLOTS = 256
    task = ""  # this task's name, when it has one (cluster/actors.py)

    def __init__(self):
        self.store = VariableStore()
        self._plans: dict[str, _Registered] = {}
        # step id -> old values of the variables that step wrote here. Dropped when a later
        # call says the step finished everywhere; bounded regardless (MAX_JOURNALS), since
        # old values held longer than needed keep memory from being reused step after step.
        self._journals: OrderedDict[str, dict] = OrderedDict()
        self.bytes_out = 0  # bytes of tensors this task has sent to other tasks or clients
        self._slots: list[str | None] = [None] * self.NUM_SLOTS
        self.stages_run = 0
        self._recent: deque[float] = deque(maxlen=RATE_WINDOW)  # when the last stages ran
        self._started = time.monotonic()

    def ping(self) -> bool:
        return True

    # Plans ------------------------------------------------------------------------------
    def register_plan(self, plan_id: str, blob: bytes, route: dict | None = None):
        """Caches a stage plan (`blob`: msgpack of a PlanSpec) with its route (StageRoute
        as plain data). Returns (call slot or -1, whether calls through the slot take the
        header argument: plans that can write variables journal their step)."""
        stage_route = StageRoute.from_wire(route) if route is not None else None
        scope = f"{stage_route.scope}/" if stage_route is not None and stage_route.scope else ""
        executor = Executor(plan_from_wire(wire.unpack(blob)), self.store, scope)
        writes = any(get_op_def(step.type).may_write_variables for step in executor.plan.steps)
        self._plans[plan_id] = _Registered(executor, stage_route, writes)
        slots = self._slots
        slot = slots.index(None) if None in slots else -1
        if slot >= 0:
            slots[slot] = plan_id
        return slot, writes

    def forget_plans(self, plan_ids: list[str]) -> int:
        slots = self._slots
        for plan_id in plan_ids:
            self._plans.pop(plan_id, None)
            if plan_id in slots:
                slots[slots.index(plan_id)] = None
        return len(self._plans)

    def forget_session(self, scope: str) -> bool:
        """Drops what a closed session left here: its ops' state (random generators) and
        the undo journals of its steps (old values of variables, kept until the client
        reports a step finished, which a closing client no longer does)."""
        self.store.drop_generators(f"{scope}/")
        for step_id in [s for s in self._journals if s.startswith(f"{scope}.")]:
            del self._journals[step_id]
        return True

    # Running ----------------------------------------------------------------------------
    def run_stage(self, header: str, *args):
        """Runs a registered stage. `header` is an encoded CallHeader naming the plan. `args`
        are the stage's arguments (feeds and upstream groups; trailing completion tokens only
        make Ray wait). Returns its output groups, then a token if the route asks for one,
        then the op trace when traced -- a bare value when that is a single object."""
        call = CallHeader.decode(header)
        return self._run(call.plan_id, call.step_id, call.done, args, call.traced)

    def run_slot(self, slot: int, *args):
        """`run_stage` for the plan in a call slot: its arguments only, behind an encoded
        CallHeader when the plan can write variables."""
        plan_id = self._slots[slot]
        if plan_id is None or plan_id not in self._plans:
            raise self._unregistered(f"call slot {slot}")
        if self._plans[plan_id].writes:
            call = CallHeader.decode(args[0])
            return self._run(plan_id, call.step_id, call.done, args[1:])
        return self._run(plan_id, "", (), args)

    def run_dag_node(self, plan_id: str, deps: tuple, step: StepInput, *upstream):
        """A stage as a node of a compiled step graph: `step` is this step's input, and
        `upstream` the whole returns of the stages in `deps`, in that order. Returns all of
        the stage's returns as one tuple (a graph node has one output)."""
        route = self._plans[plan_id].route
        step_id, feeds, done = step
        by_stage = dict(zip(deps, upstream))
        args = [
            feeds[src.feed_index]
            if isinstance(src, FromFeed)
            else by_stage[src.stage][src.group]
            if isinstance(src, FromGroup)
            else None
            for src in route.args
        ]
        out = self._run(plan_id, step_id, (done,) if done else (), args)
        return (out,) if route.num_returns == 1 else out

    def _run(self, plan_id: str, step_id: str, done, args, traced: bool = False):
        self.stages_run += 1
        self._recent.append(time.monotonic())
        for finished in done:
            self._journals.pop(finished, None)
        entry = self._plans.get(plan_id)
        if entry is None:
            raise self._unregistered(f"plan {plan_id}")
        executor, route = entry.executor, entry.route
        receive = self.receive
        if route is None:
            feeds = [receive(v) for v in args[: len(executor.plan.feeds)]]
        else:
            feeds = [receive(args[a] if pos < 0 else args[a][pos]) for a, pos in route.arg_map]
        trace = None
        if traced:
            values, trace = executor.run_traced(feeds)
            trace = [list(t) for t in trace]
        else:
            values = executor.run(feeds, self._journal(step_id) if entry.writes else None)
        if route is None:
            plain = tuple(values) + (trace,)
            return plain[0] if len(plain) == 1 else plain
        send, out, sent = self.send, [], 0
        for g, group in enumerate(route.groups):
            out.append(
                send(values[group[0]]) if len(group) == 1 else tuple(send(values[k]) for k in group)
            )
            if g not in route.local:  # what leaves this task
                sent += sum(values[k].nbytes for k in group if isinstance(values[k], np.ndarray))
        self.bytes_out += sent
        if route.token:
            out.append(None)
        if traced:
            out.append(trace)
        return out[0] if len(out) == 1 else tuple(out)

    def _unregistered(self, what: str) -> AbortedError:
        """A call for a plan this task does not hold: the task was restarted since the
        session registered it (or the session was closed)."""
        return AbortedError(
            None,
            None,
            f"Task {self.task or '(unnamed)'} has no {what}: it was restarted since the session "
            "registered its plans, and the variables it held are gone. The session registers "
            "its plans again on its next step; restore or initialize the variables (a "
            "MonitoredTrainingSession does it by itself).",
        )

    def _journal(self, step_id: str) -> dict:
        journal = self._journals.get(step_id)
        if journal is None:
            journal = self._journals[step_id] = {}
            while len(self._journals) > MAX_JOURNALS:
                self._journals.popitem(last=False)
        return journal

    # Transport hooks: how an output leaves this task and an input arrives. The cluster
    # hands large stored values over by reference (cluster/actors.py); here, as they are.
    def send(self, value):
        return value

    def receive(self, value):
        return value

    # State --------------------------------------------------------------------------------
    def rollback(self, step_id: str) -> bool:
        """Undoes the variable writes a step made on this task (it failed elsewhere)."""
        journal = self._journals.pop(step_id, None)
        for name, old in (journal or {}).items():
            self.store.restore(name, old)
        return journal is not None

    def reset(self) -> bool:
        """Clears every variable this task owns and every undo journal (`tf.Session.reset`)."""
        self.store.clear()
        self._journals.clear()
        return True

    def journal_report(self) -> int:
        """How many steps' undo journals this task holds."""
        return len(self._journals)

    def transfer_report(self) -> int:
        """Bytes of tensors this task has sent out since it started."""
        return self.bytes_out

    def status(self) -> dict:
        """What `psflow status` shows of this task (plain data): its process, the stages it
        ran (a training step runs one on a worker, usually two -- read, apply -- on a PS)
        and their recent rate, bytes sent, the variables it holds, the global step if it
        holds it, and its resident memory."""
        now = time.monotonic()
        recent = [t for t in list(self._recent) if now - t <= RATE_SECS]
        if len(recent) == RATE_WINDOW:  # more than the window holds: over its span
            rate = (len(recent) - 1) / max(now - recent[0], 1e-9)
        else:  # over the last RATE_SECS (or since this task started)
            rate = len(recent) / max(min(RATE_SECS, now - self._started), 1e-9)
        held = self.store.items()
        step = dict(held).get("global_step")
        return {
            "pid": os.getpid(),
            "stages": self.stages_run,
            "stages_per_s": round(rate, 2),
            "bytes_sent": self.bytes_out,
            "variables": len(held),
            "variable_bytes": int(sum(v.nbytes for _, v in held if hasattr(v, "nbytes"))),
            "global_step": int(step) if step is not None and np.ndim(step) == 0 else None,
            "memory_bytes": _resident_bytes(),
        }


def _resident_bytes() -> int | None:
    """This process's resident memory (Linux's /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
