"""The task processes as Ray actors: the PS and worker classes (ps/, workers/) with Ray's
transport mixed in, the call-slot methods a client calls per step, and the client host of
worker tasks (`run_client`, in a concurrency group of its own so that the task keeps
serving stage calls while its client trains).

A task knows its own name and its cluster's config. A session created in a task's process
(a between-graph client) finds its own task in `LOCAL_TASK` and runs that task's stages
in-process, on this very runner, without an actor call.

Transport: stored values of 1 MB or more leave a task as ObjectRefs kept in the object
store. A variable's value is an immutable array, replaced on every write, so the object
made from it can be reused for as long as the array is the stored value: a PS hands a large
variable that did not change since the last step to the next worker without copying it
again, and the worker maps it zero-copy. Values that are not stored state, or are small,
travel inline as usual. A client on the task's node may instead call its stages directly
over a Unix socket (cluster/direct.py, `direct_address`); every stage run, whatever its
origin, holds the task's `run_lock`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

import numpy as np
import ray
from psflow.ps.server import ParameterServer
from psflow.workers import client
from psflow.workers.task import TaskRunner
from psflow.workers.worker import Worker

from .direct import DirectServer

SHARE_BYTES = 1 << 20
# Ray concurrency groups of a task actor: stage calls keep the default group (one at a
# time); a worker's client and the stop request each get their own thread.
CONCURRENCY_GROUPS = {"client": 1, "control": 1}
# (namespace, task name, runner) of the task actor living in this process, if any.
LOCAL_TASK: tuple[str, str, TaskRunner] | None = None


class _RayTransport:
    """Mixed into a TaskRunner subclass: `send`/`receive` by object-store reference for
    large stored values, what only a Ray actor can tell (its node), and the client host."""

    def __init__(self, task: str = "", config: dict | None = None):
        global LOCAL_TASK
        super().__init__()
        self.task = task
        self._config = dict(config or {})
        # Stage runs of every origin (Ray calls, direct calls, this process's own client)
        # take this lock: a task runs one stage at a time, as Ray's default group alone did.
        self.run_lock = threading.Lock()
        self._direct: DirectServer | None = None
        self._inline = threading.local()  # set on a thread serving a direct call
        # An array whose rows change in place is not what its object-store copy holds.
        self.store.on_mutate(lambda array: self._shared().pop(id(array), None))
        LOCAL_TASK = (self._config.get("namespace", ""), task, self)

    def cluster_config(self) -> dict:
        """The config of the cluster this task belongs to (plain data)."""
        return self._config

    @ray.method(concurrency_group="client")
    def run_client(self, blob: bytes, tf_config: str):
        """Runs a pickled (fn, args, kwargs) as this task's client (workers/client.py)."""
        fn, args, kwargs = ray.cloudpickle.loads(blob)
        return client.run_client(fn, args, kwargs, tf_config)

    @ray.method(concurrency_group="control")
    def stop_client(self) -> bool:
        return client.request_stop()

    @ray.method(concurrency_group="control")
    def client_output(self) -> str:
        """The lines this task's client printed since the last call."""
        return client.drain_output()

    # Stage runs, serialized ----------------------------------------------------------------
    def run_stage(self, header: str, *args):
        with self.run_lock:
            return super().run_stage(header, *args)

    def run_slot(self, slot: int, *args):
        with self.run_lock:
            return super().run_slot(slot, *args)

    def run_dag_node(self, plan_id, deps, step, *upstream):
        with self.run_lock:
            return super().run_dag_node(plan_id, deps, step, *upstream)

    def rollback(self, step_id: str) -> bool:
        with self.run_lock:
            return super().rollback(step_id)

    def direct_address(self) -> tuple[str, str]:
        """(node id, socket address) of this task's direct-call server (cluster/direct.py),
        started on the first request."""
        with self.run_lock:
            if self._direct is None:
                self._direct = DirectServer(self._run_direct)
        return self.node_id(), self._direct.address

    def _run_direct(self, header: str, args: list):
        with self.run_lock:
            self._inline.on = True  # outputs travel in the reply, never as ObjectRefs
            try:
                return super().run_stage(header, *args)
            finally:
                self._inline.on = False

    # Transport hooks -------------------------------------------------------------------
    def _shared(self) -> dict:
        cache = getattr(self, "_share_cache", None)
        if cache is None:
            cache = self._share_cache = {}
        return cache

    def send(self, value):
        if getattr(self._inline, "on", False):
            return value
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
        with self.run_lock:
            self._shared().clear()
            return super().reset()

    def node_id(self) -> str:
        """The Ray node this actor runs on."""
        return ray.get_runtime_context().get_node_id()

    @ray.method(concurrency_group="control")
    def status(self) -> dict:
        """TaskRunner.status plus this task's name and node (answered beside a long stage)."""
        return {**super().status(), "task": self.task, "node": self.node_id()}

    @ray.method(concurrency_group="control")
    def log_files(self) -> list[str]:
        """The files Ray writes this task's stdout and stderr to (on its node)."""
        paths = []
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [p for p in paths if os.path.isfile(p)]

    @ray.method(concurrency_group="control")
    def read_log(self, path: str, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes of one of this task's log files from `offset`."""
        if path not in self.log_files():
            raise ValueError(f"{path} is not a log file of {self.task}")
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(limit)

    @ray.method(concurrency_group="control")
    def pid(self) -> int:
        """This task's process id (a restarted task has a new one)."""
        return os.getpid()


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

# A client process counts as active while it was heard from within this many seconds.
ACTIVE_SECS = 2.0


class ClientRegistry:
    """Which client processes use a cluster, and which one holds its compiled step graph.

    A Ray compiled graph holds its actors: a plain call from any other process to one of
    them waits until the graph is torn down. So a graph is granted only to a client that is
    alone on the cluster, and its owner gives it up as soon as another client shows up:
    every client process reports itself here (at its first session, then every few tenths
    of a second, cluster/launch.py), and the owner's reporter tears the graph down when it
    hears of another active client.
    """

    def __init__(self, info: dict | None = None):
        self._seen: dict[str, float] = {}
        self._owner: str | None = None
        self._info = dict(info or {})

    def info(self) -> dict:
        """What `psflow up` recorded about the cluster (its config, whether it started Ray,
        when), plus whether a client holds the compiled step graph now."""
        return {**self._info, "fast_path_active": self._owner is not None}

    def _others(self, client: str) -> int:
        now = time.monotonic()
        return sum(1 for c, t in self._seen.items() if c != client and now - t < ACTIVE_SECS)

    def heartbeat(self, client: str) -> int:
        """Records `client` as active; returns how many other clients are active."""
        self._seen[client] = time.monotonic()
        return self._others(client)

    def acquire(self, client: str) -> bool:
        """Grants the compiled graph to `client` if it is alone and no one else holds it."""
        self._seen[client] = time.monotonic()
        if self._owner not in (None, client) or self._others(client):
            return False
        self._owner = client
        return True

    def release(self, client: str) -> bool:
        if self._owner == client:
            self._owner = None
        return True

    def leave(self, client: str) -> bool:
        self._seen.pop(client, None)
        return self.release(client)


def registry_name() -> str:
    return "psflow-registry"


def actor_name(job: str, task: int) -> str:
    """The Ray actor name of a task, in the cluster's namespace."""
    return f"psflow-{job}-{task}"
