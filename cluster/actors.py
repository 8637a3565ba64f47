"""The task processes as Ray actors: the PS and worker classes (ps/, workers/) with Ray's
transport mixed in, and the call-slot methods the client calls per step.

Transport: stored values of 1 MB or more leave a task as ObjectRefs kept in the object
store. A variable's value is an immutable array, replaced on every write, so the object
made from it can be reused for as long as the array is the stored value: a PS hands a large
variable that did not change since the last step to the next worker without copying it
again, and the worker maps it zero-copy. Values that are not stored state, or are small,
travel inline as usual.
"""

from __future__ import annotations

import numpy as np
import ray
from psflow.ps.server import ParameterServer
from psflow.workers.task import TaskRunner
from psflow.workers.worker import Worker

SHARE_BYTES = 1 << 20


class _RayTransport:
    """Mixed into a TaskRunner subclass: `send`/`receive` by object-store reference for
    large stored values, and what only a Ray actor can tell (its node)."""

    def _shared(self) -> dict:
        cache = getattr(self, "_share_cache", None)
        if cache is None:
            cache = self._share_cache = {}
        return cache

    def send(self, value):
        if not isinstance(value, np.ndarray) or value.nbytes < SHARE_BYTES or value.flags.writeable:
            return value
        cache = self._shared()
        hit = cache.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        live = {id(v) for _, v in self.store.items()}
        if id(value) not in live:
            return value
        for key in [k for k in cache if k not in live]:
            del cache[key]
        ref = ray.put(value)
        cache[id(value)] = (value, ref)
        return ref

    def receive(self, value):
        return ray.get(value) if isinstance(value, ray.ObjectRef) else value

    def reset(self) -> bool:
        self._shared().clear()
        return super().reset()

    def node_id(self) -> str:
        """The Ray node this actor runs on."""
        return ray.get_runtime_context().get_node_id()


def slot_method_name(slot: int) -> str:
    """The actor method that runs the plan in call slot `slot` (TaskRunner.run_slot)."""
    return f"run_slot_{slot}"


def _slot_method(slot: int):
    def call(self, *args):
        return self.run_slot(slot, *args)

    call.__name__ = slot_method_name(slot)
    return call


# One method per call slot, run_slot_0 .. run_slot_255: a Ray call names its method for
# free, while every argument (such as a slot number) costs.
for _slot in range(TaskRunner.NUM_SLOTS):
    setattr(_RayTransport, slot_method_name(_slot), _slot_method(_slot))


class PSActor(_RayTransport, ParameterServer):
    pass


class WorkerActor(_RayTransport, Worker):
    pass


ROLES = {"ps": PSActor, "worker": WorkerActor}


def actor_name(job: str, task: int) -> str:
    """The Ray actor name of a task, in the cluster's namespace."""
    return f"psflow-{job}-{task}"
