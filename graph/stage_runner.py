"""`StageRunner`: what a PS or worker process does with stage plans. Plans arrive once as
msgpack blobs (`register_plan`), are bound to kernels by an Executor over this process's
VariableStore, and then run step after step (`run_stage`) with their inputs as arguments.
Plain Python, no ray: tests drive it directly, cluster/ wraps it as an actor."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from . import wire
from .errors import NotFoundError
from .executor import Executor
from .plan import plan_from_wire
from .registry import get_op_def
from .variable_store import VariableStore


def slot_call(step_id: str, done=()) -> str:
    """The leading argument of a slot call to a plan that writes variables."""
    return f"{step_id}:{','.join(done)}"


def stage_call(plan_id: str, traced: bool, step_id: str, done=()) -> str:
    """The first argument of `run_stage`; `done` lists earlier steps that finished
    everywhere, whose undo journals the task can drop."""
    return f"{plan_id}:{'T' if traced else 'F'}:{step_id}:{','.join(done)}"


class StageRunner:
    def __init__(self):
        self.store = VariableStore()
        self._plans: dict[str, Executor] = {}
        # step id -> old values of the variables that step wrote here, so the coordinator
        # can undo a step that failed on another task. Dropped when a later call says the
        # step finished everywhere (bounded regardless: recent steps only). Holding old
        # values longer than needed would keep memory from being reused step after step.
        self._journals: OrderedDict[str, dict] = OrderedDict()
        # Bytes of tensors this task has sent out (stage outputs, to actors or fetches).
        self.bytes_out = 0
        self._slots: list[str | None] = [None] * self.NUM_SLOTS  # see NUM_SLOTS

    def ping(self) -> bool:
        return True

    # Call slots: every argument of an actor call costs (~60 us a call measured with Ray
    # 2.x), so a registered plan also gets a slot, and the cluster calls method `s<K>` with
    # the plan's own arguments only. A plan that writes variables takes one leading
    # argument, `slot_call(step_id, done)`, for its undo journal; traced runs and plans
    # registered when every slot is taken go through `run_stage` with the full header.
    NUM_SLOTS = 256

    def register_plan(self, plan_id: str, blob: bytes, layout: dict | None = None):
        """Caches a stage plan. `layout` (see partition.StageRoute) says how the call's
        arguments map to plan feeds and how outputs are grouped into returned objects;
        without it, arguments are the feeds and the outputs come back one by one. Returns
        (call slot or -1, whether calls through the slot take the journal argument)."""
        scope = f"{layout['scope']}/" if layout and layout.get("scope") else ""
        executor = Executor(plan_from_wire(wire.unpack(blob)), self.store, scope)
        # Only plans with stateful kernels write variables and need an undo journal.
        writes = any(get_op_def(step.type).stateful for step in executor.plan.steps)
        self._plans[plan_id] = (executor, layout, writes)
        slots = self._slots
        slot = slots.index(None) if None in slots else -1
        if slot >= 0:
            slots[slot] = plan_id
        return slot, writes

    def forget_session(self, scope: str) -> bool:
        """Drops the per-op state (random generators) of a closed session."""
        self.store.drop_generators(f"{scope}/")
        return True

    def forget_plans(self, plan_ids: list[str]) -> int:
        slots = self._slots
        for plan_id in plan_ids:
            self._plans.pop(plan_id, None)
            if plan_id in slots:
                slots[slots.index(plan_id)] = None
        return len(self._plans)

    def run_graph_stage(self, plan_id: str, deps: tuple, inp: tuple, *upstream):
        """A stage as a node of a compiled step graph: `inp` is (step id, feed values, the
        previous step's id, whose undo journal can go), and
        `upstream` the whole outputs of the stages in `deps`, in that order. Returns all of
        the stage's returns as one tuple (a graph node has one output)."""
        executor, layout, _ = self._plans[plan_id]
        step_id, feeds, done = inp
        by_stage = dict(zip(deps, upstream))
        args = [feeds[src[1]] if src[0] == "feed" else
                by_stage[src[1]][src[2]] if src[0] == "group" else None
                for src in layout["args"]]
        out = self._run(plan_id, False, step_id, done, args)
        n_returns = len(layout["groups"]) + (1 if layout["token"] else 0)
        return (out,) if n_returns == 1 else out

    def run_slot(self, slot: int, *args):
        """`run_stage` for the plan in a call slot (see NUM_SLOTS)."""
        plan_id = self._slots[slot]
        if plan_id is None or plan_id not in self._plans:
            raise NotFoundError(None, None, f"No plan in call slot {slot} on this task")
        if self._plans[plan_id][2]:
            step_id, _, done = args[0].partition(":")
            return self._run(plan_id, False, step_id, done, args[1:])
        return self._run(plan_id, False, "", "", args)

    def run_stage(self, call: str, *args):
        """Runs a registered stage. `call` is `stage_call(plan_id, traced, step_id)` (one
        argument: every argument of an actor call costs). `args` are the stage's arguments
        (feeds and upstream groups; trailing completion tokens only make Ray wait). Returns
        its output groups, then a token if the layout asks for one, then the op trace when
        traced -- a bare value when that is a single object."""
        plan_id, mode, step_id, done = call.split(":", 3)
        return self._run(plan_id, mode == "T", step_id, done, args)

    def _run(self, plan_id: str, traced: bool, step_id: str, done: str, args):
        if done:
            for finished in done.split(","):
                self._journals.pop(finished, None)
        entry = self._plans.get(plan_id)
        if entry is None:
            raise NotFoundError(None, None, f"Plan {plan_id} is not registered on this task")
        executor, layout, writes = entry
        receive = self.receive
        if layout is None:
            feeds = [receive(v) for v in args[:len(executor.plan.feeds)]]
        else:
            feeds = [receive(args[a] if pos < 0 else args[a][pos])
                     for a, pos in layout["arg_map"]]
        trace = None
        if traced:
            values, raw = executor.run_traced(feeds)
            trace = [list(t) for t in raw]
        else:
            journal = None
            if writes:
                journal = self._journals.get(step_id)
                if journal is None:
                    journal = self._journals[step_id] = {}
                    while len(self._journals) > 64:
                        self._journals.popitem(last=False)
            values = executor.run(feeds, journal)
        if layout is None:
            plain = tuple(values) + (trace,)
            return plain[0] if len(plain) == 1 else plain
        send, out, sent = self.send, [], 0
        for group in layout["groups"]:
            out.append(send(values[group[0]]) if len(group) == 1
                       else tuple(send(values[k]) for k in group))
            sent += sum(values[k].nbytes for k in group if isinstance(values[k], np.ndarray))
        self.bytes_out += sent
        if layout["token"]:
            out.append(None)
        if traced:
            out.append(trace)
        return out[0] if len(out) == 1 else tuple(out)

    def send(self, value):
        """How an output leaves this task (the cluster may hand large values over by
        reference); here, as it is."""
        return value

    def receive(self, value):
        """The inverse of `send` for an input that arrived from another task."""
        return value

    def rollback(self, step_id: str) -> bool:
        """Undoes the variable writes a step made on this task (it failed elsewhere)."""
        journal = self._journals.pop(step_id, None)
        for name, old in (journal or {}).items():
            if old is None:
                self.store.delete(name)
            else:
                self.store.set(name, old)
        return journal is not None

    def reset(self) -> bool:
        """Clears every variable this task owns (`tf.Session.reset`)."""
        self.store.clear()
        return True

    def transfer_report(self) -> int:
        """Bytes of tensors this task has sent out since it started."""
        return self.bytes_out

    def variable_report(self) -> dict:
        """Name -> bytes of the variables this task holds."""
        return {name: int(value.nbytes) for name, value in self.store.items()}
