"""`tf.train.Server` on a psflow cluster.

In TF1 each task process starts a gRPC server for its task; here the tasks are the
cluster's Ray actors, so a Server is the handle of one task of a running psflow cluster:
its `target` is the cluster's target string (any session on it reaches every task), and
`join()` serves until the cluster is shut down, as a ps process's `server.join()` does.
The task addresses of a psflow ClusterSpec (the TF_CONFIG that `Cluster.run` sets) name
the cluster (`psflow://ADDRESS/NAMESPACE/JOB/INDEX`).

TF1's way also works on one machine: one process per task started by hand with a
ClusterSpec of host:port addresses (`--ps_hosts/--worker_hosts/--job_name/--task_index`).
Each process's Server joins the Ray instance that RAY_ADDRESS names, else the one running on
this machine, else starts one (`ray start --head`, which outlives the processes); then it
gets or creates the cluster the ClusterSpec describes: detached actors in a namespace
derived from the spec's addresses, so every process of the same spec reaches the same
tasks. The addresses only identify the tasks (no port is opened). The actors live until
the Ray instance stops (`ray stop`), as TF1's servers live until their processes are
killed; a ps process's `server.join()` blocks as long as its task's actor lives.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import ray
from psflow.graph import errors
from psflow.graph.placement import ClusterSpec

from .launch import TARGET_SCHEME, attach, launch

JOIN_POLL_SECS = 1.0


@dataclass
class ServerDef:
    """`tf.train.ServerDef`: what TF1's ServerDef proto says of a server (its cluster --
    a ClusterSpec, a ClusterDef proto or a dict -- job, task, protocol, session config and
    port), taken by `tf.train.Server` in place of a cluster."""

    cluster: ClusterSpec | object = None
    job_name: str = ""
    task_index: int = 0
    protocol: str = "psflow"
    default_session_config: object = None
    port: int = 0

    def __post_init__(self):
        if not isinstance(self.cluster, ClusterSpec):
            self.cluster = ClusterSpec(self.cluster if self.cluster is not None else {})


class Server:
    """`tf.train.Server(server_or_cluster_def, job_name=None, task_index=None, protocol=None,
    config=None, start=True)`: one task of a psflow cluster."""

    def __init__(
        self,
        server_or_cluster_def,
        job_name=None,
        task_index=None,
        protocol=None,
        config=None,
        start=True,
    ):
        if isinstance(server_or_cluster_def, ServerDef):
            definition = server_or_cluster_def
            spec = definition.cluster
            job_name = job_name or definition.job_name
            task_index = definition.task_index if task_index is None else task_index
        else:
            spec = ClusterSpec(server_or_cluster_def)
        if job_name is None:
            if len(spec.jobs) != 1:
                raise ValueError("Must specify an explicit `job_name`.")
            job_name = spec.jobs[0]
        if task_index is None:
            indices = spec.task_indices(job_name)
            if len(indices) != 1:
                raise ValueError("Must specify an explicit `task_index`.")
            task_index = indices[0]
        address = spec.task_address(job_name, int(task_index))
        self._by_hand = not address.startswith(TARGET_SCHEME)
        self._target = "" if self._by_hand else address.rsplit("/", 2)[0]
        self._server_def = ServerDef(spec, job_name, int(task_index), protocol or "psflow", config)
        self._cluster = None
        if start:
            self.start()

    @property
    def target(self) -> str:
        """The target string a tf.Session (or MonitoredTrainingSession) connects to."""
        if not self._target:
            self.start()
        return self._target

    @property
    def server_def(self) -> ServerDef:
        return self._server_def

    def start(self) -> None:
        """Attaches to the task's cluster, creating a by-hand cluster's actors if this is
        the first of its processes (idempotent)."""
        if self._cluster is not None:
            return
        if self._by_hand:
            self._cluster = _by_hand_cluster(self._server_def.cluster)
            self._target = self._cluster.target
        else:
            self._cluster = attach(self._target)

    def join(self) -> None:
        """Blocks until the cluster is shut down (the task's actor is gone)."""
        self.start()
        definition = self._server_def
        handle = self._cluster.handle(f"/job:{definition.job_name}/task:{definition.task_index}")
        while True:
            try:
                ray.get(handle.ping.remote(), timeout=60)
            except (ray.exceptions.RayActorError, ray.exceptions.RaySystemError):
                return
            except ray.exceptions.GetTimeoutError:
                pass
            time.sleep(JOIN_POLL_SECS)

    @staticmethod
    def create_local_server(config=None, start=True) -> Server:
        """A one-worker psflow cluster on this machine (no PS task), as TF1's local server."""
        cluster = launch(num_ps=0, num_workers=1, namespace=f"psflow-local-{uuid.uuid4().hex[:8]}")
        return Server(cluster.spec, job_name="worker", task_index=0, config=config, start=start)


def by_hand_namespace(spec: ClusterSpec) -> str:
    """The Ray namespace of the cluster a host:port ClusterSpec describes (the same in every
    process given the same spec)."""
    digest = hashlib.sha1(json.dumps(spec.as_dict(), sort_keys=True).encode()).hexdigest()
    return f"psflow-{digest[:12]}"


def _by_hand_cluster(spec: ClusterSpec):
    """The psflow cluster of a host:port ClusterSpec, created detached by the first process
    that asks (see the module docstring)."""
    for job in spec.jobs:
        if job not in ("ps", "worker"):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Job {job!r} of the ClusterSpec: psflow clusters have ps and worker jobs",
            )
        if spec.task_indices(job) != list(range(spec.num_tasks(job))):
            raise errors.InvalidArgumentError(
                None, None, f"The {job} tasks of the ClusterSpec must be numbered 0..n-1"
            )
    config = {
        "address": _local_ray_address(),
        "namespace": by_hand_namespace(spec),
        "num_ps": spec.num_tasks("ps") if "ps" in spec.jobs else 0,
        "num_workers": spec.num_tasks("worker"),
        "ps": {"num_cpus": 0},
        "worker": {"num_cpus": 0},
    }
    return launch(config, detached=True)


def _local_ray_address() -> str:
    """The Ray instance to join: RAY_ADDRESS's, else the one running on this machine, else a
    new one started with `ray start --head` (it outlives this process)."""
    address = os.environ.get("RAY_ADDRESS")
    if address or ray.is_initialized():
        return address or "auto"
    ray_cli = os.path.join(os.path.dirname(sys.executable), "ray")
    status = subprocess.run([ray_cli, "status"], capture_output=True, text=True, timeout=60)
    if status.returncode != 0:  # nothing running here: start it (or lose a race, harmlessly)
        subprocess.run(
            [ray_cli, "start", "--head", "--disable-usage-stats", "--include-dashboard=false"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return "auto"
