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
from .variable_store import VariableStore


class StageRunner:
    def __init__(self):
        self.store = VariableStore()
        self._plans: dict[str, Executor] = {}
        # step id -> old values of the variables that step wrote here, so the coordinator
        # can undo a step that failed on another task (bounded: recent steps only).
        self._journals: OrderedDict[str, dict] = OrderedDict()
        # Bytes of tensors this task has sent out (stage outputs, to actors or fetches).
        self.bytes_out = 0

    def ping(self) -> bool:
        return True

    def register_plan(self, plan_id: str, blob: bytes) -> bool:
        self._plans[plan_id] = Executor(plan_from_wire(wire.unpack(blob)), self.store)
        return True

    def forget_plans(self, plan_ids: list[str]) -> int:
        for plan_id in plan_ids:
            self._plans.pop(plan_id, None)
        return len(self._plans)

    def run_stage(self, plan_id: str, traced: bool, step_id: str, *args):
        """Runs a registered stage. `args` are the plan's feeds followed by completion
        tokens of stages it must wait for (ignored here: Ray resolved them already).
        Returns the plan's outputs and, last, a token (the op trace when `traced`)."""
        executor = self._plans.get(plan_id)
        if executor is None:
            raise NotFoundError(None, None, f"Plan {plan_id} is not registered on this task")
        feeds = args[:len(executor.plan.feeds)]
        if traced:
            values, trace = executor.run_traced(feeds)
            token = [list(t) for t in trace]
        else:
            journal = self._journals.get(step_id)
            if journal is None and executor.plan.stateful:
                journal = self._journals[step_id] = {}
                while len(self._journals) > 64:
                    self._journals.popitem(last=False)
            values = executor.run(feeds, journal)
            token = None
        if not values:
            return token
        self.bytes_out += sum(v.nbytes for v in values if isinstance(v, np.ndarray))
        return (*values, token)

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
