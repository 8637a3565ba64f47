"""`tf.train.Server` on a psflow cluster.

In TF1 each task process starts a gRPC server for its task; here the tasks are the
cluster's Ray actors, so a Server is the handle of one task of a running psflow cluster:
its `target` is the cluster's target string (any session on it reaches every task), and
`join()` serves until the cluster is shut down, as a ps process's `server.join()` does.
The task addresses of a psflow ClusterSpec (the TF_CONFIG that `Cluster.run` sets) name
the cluster (`psflow://ADDRESS/NAMESPACE/JOB/INDEX`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import ray
from psflow.graph import errors
from psflow.graph.placement import ClusterSpec

from .launch import TARGET_SCHEME, attach, launch

JOIN_POLL_SECS = 1.0


@dataclass
class ServerDef:
    """What TF1's ServerDef proto says of a server: its cluster, job, task and protocol."""

    cluster: ClusterSpec
    job_name: str
    task_index: int
    protocol: str = "psflow"
    default_session_config: object = None
    extra: dict = field(default_factory=dict)


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
        if not address.startswith(TARGET_SCHEME):
            raise errors.UnimplementedError(
                None,
                None,
                f"Task address {address!r} is not a psflow task: start the cluster with "
                "psflow's launch() or configs and run the script with Cluster.run (its "
                "TF_CONFIG names psflow tasks)",
            )
        self._target = address.rsplit("/", 2)[0]
        self._server_def = ServerDef(spec, job_name, int(task_index), protocol or "psflow", config)
        self._cluster = None
        if start:
            self.start()

    @property
    def target(self) -> str:
        """The target string a tf.Session (or MonitoredTrainingSession) connects to."""
        return self._target

    @property
    def server_def(self) -> ServerDef:
        return self._server_def

    def start(self) -> None:
        """Attaches to the task's cluster (idempotent)."""
        if self._cluster is None:
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
