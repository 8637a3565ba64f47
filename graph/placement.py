"""Placement: `tf.train.ClusterSpec`, `replica_device_setter` with round-robin and greedy
(by variable bytes) PS strategies, and `task_of` mapping an op's device to the task
that runs it."""

from __future__ import annotations

import numpy as np

from .device import DeviceSpec
from .errors import InvalidArgumentError

DEFAULT_WORKER = "/job:worker/task:0"


class ClusterSpec:
    """`tf.train.ClusterSpec`: jobs and their task addresses. Accepts a dict of job name to
    a list of addresses, a dict of job name to {task index: address} (sparse), another
    ClusterSpec, or an object carrying one as `.spec` (a psflow Cluster)."""

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = {job: dict(tasks) for job, tasks in cluster._jobs.items()}
        elif hasattr(cluster, "spec") and isinstance(cluster.spec, ClusterSpec):
            cluster = {job: dict(tasks) for job, tasks in cluster.spec._jobs.items()}
        if not isinstance(cluster, dict):
            raise TypeError(
                "`cluster` must be a dictionary mapping one or more job names to lists of "
                "network addresses, or a `ClusterDef` protocol buffer"
            )
        self._jobs: dict[str, dict[int, str]] = {}
        for job, tasks in cluster.items():
            if isinstance(tasks, dict):
                self._jobs[job] = {int(k): str(v) for k, v in sorted(tasks.items())}
            elif isinstance(tasks, (list, tuple)):
                self._jobs[job] = {i: str(v) for i, v in enumerate(tasks)}
            else:
                raise TypeError(
                    f"The tasks for job {job!r} must be a list or a dictionary from "
                    f"integers to strings, not {tasks!r}"
                )

    def __bool__(self) -> bool:
        return bool(self._jobs)

    @property
    def jobs(self) -> list[str]:
        return list(self._jobs)

    def _tasks(self, job_name: str) -> dict[int, str]:
        try:
            return self._jobs[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def num_tasks(self, job_name: str) -> int:
        return len(self._tasks(job_name))

    def task_indices(self, job_name: str) -> list[int]:
        return sorted(self._tasks(job_name))

    def task_address(self, job_name: str, task_index: int) -> str:
        tasks = self._tasks(job_name)
        try:
            return tasks[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}") from None

    def job_tasks(self, job_name: str) -> list:
        """The addresses of a job's tasks by index (None where a sparse job has no task)."""
        tasks = self._tasks(job_name)
        if not tasks:
            return []
        return [tasks.get(i) for i in range(max(tasks) + 1)]

    def as_dict(self) -> dict:
        """Per job, a list of addresses when its task indices are 0..n-1, else a dict."""
        out: dict = {}
        for job, tasks in self._jobs.items():
            dense = list(tasks) == list(range(len(tasks)))
            out[job] = [tasks[i] for i in range(len(tasks))] if dense else dict(tasks)
        return out

    def as_cluster_def(self) -> dict:
        return self.as_dict()

    def __eq__(self, other) -> bool:
        if isinstance(other, ClusterSpec):
            return self._jobs == other._jobs
        if isinstance(other, dict):
            try:
                return self._jobs == ClusterSpec(other)._jobs
            except (TypeError, ValueError):
                return False
        return NotImplemented

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, compared by value as TF

    def __repr__(self) -> str:
        return f"ClusterSpec({self.as_dict()})"


def parse_tf_config(text: str | None = None) -> tuple[ClusterSpec | None, str | None, int | None]:
    """The standard `TF_CONFIG` JSON (`{"cluster": {...}, "task": {"type": ..., "index":
    ...}}`; from the environment when `text` is None) as (ClusterSpec, job name, task index);
    (None, None, None) when it is unset."""
    import json
    import os

    text = os.environ.get("TF_CONFIG") if text is None else text
    if not text:
        return None, None, None
    try:
        config = json.loads(text)
    except ValueError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object, got {text!r}")
    spec = ClusterSpec(config["cluster"]) if config.get("cluster") else None
    task = config.get("task") or {}
    index = task.get("index")
    return spec, task.get("type"), None if index is None else int(index)


class _RoundRobinStrategy:
    """TF's default: variables go to PS tasks 0, 1, 2, ... in creation order."""

    def __init__(self, num_tasks: int):
        self._num_tasks = num_tasks
        self._next = 0

    def __call__(self, op) -> int:
        task = self._next
        self._next = (self._next + 1) % self._num_tasks
        return task


def byte_size_load_fn(op) -> int:
    """The bytes of a variable op's value (from its static shape and dtype)."""
    shape = op.outputs[0].shape
    if not shape.is_fully_defined():
        raise ValueError(f"Cannot compute the size of variable {op.name} with shape {shape}")
    return int(np.prod(shape.as_list(), dtype=np.int64)) * op.outputs[0].dtype.size


class GreedyLoadBalancingStrategy:
    """Puts each variable on the PS task with the fewest bytes so far."""

    def __init__(self, num_tasks: int, load_fn=byte_size_load_fn):
        self._loads = np.zeros(num_tasks, dtype=np.int64)
        self._load_fn = load_fn

    def __call__(self, op) -> int:
        task = int(np.argmin(self._loads))
        self._loads[task] += self._load_fn(op)
        return task


class _ReplicaDeviceChooser:
    def __init__(self, ps_tasks, ps_device, worker_device, ps_ops, ps_strategy):
        self._ps_tasks = ps_tasks
        self._ps_device = ps_device
        self._worker_device = worker_device
        self._ps_ops = ps_ops
        self._ps_strategy = ps_strategy

    def _is_ps_op(self, op) -> bool:
        """`ps_ops` names the op types when given; by default, ops producing a variable."""
        if self._ps_ops is not None:
            return op.type in self._ps_ops
        return op.op_def.produces_ref

    def device_function(self, op) -> str:
        current = DeviceSpec.from_string(op.device or "")
        if self._ps_tasks and self._ps_device and self._is_ps_op(op):
            ps = DeviceSpec.from_string(self._ps_device)
            if ps.job and (not current.job or current.job == ps.job):
                ps = DeviceSpec(
                    ps.job, ps.replica, self._ps_strategy(op), ps.device_type, ps.device_index
                )
            return ps.merge(current).to_string()
        worker = DeviceSpec.from_string(self._worker_device or "")
        return worker.merge(current).to_string()


def replica_device_setter(
    ps_tasks=0,
    ps_device="/job:ps",
    worker_device="/job:worker",
    merge_devices=True,
    cluster=None,
    ps_ops=None,
    ps_strategy=None,
):
    """A device function for `tf.device`: variables on PS tasks (round-robin by default, or
    `ps_strategy`), every other op on `worker_device`."""
    if cluster is not None:
        spec = ClusterSpec(cluster)
        if "ps" not in spec.jobs:
            return None
        ps_tasks = spec.num_tasks("ps")
    if ps_tasks == 0 and cluster is None:
        return None
    ps_ops = list(ps_ops) if ps_ops is not None else None
    if ps_strategy is None:
        ps_strategy = _RoundRobinStrategy(ps_tasks)
    if not callable(ps_strategy):
        raise TypeError("ps_strategy must be callable")
    # merge_devices is accepted as TF1 does (deprecated there, always merging).
    chooser = _ReplicaDeviceChooser(ps_tasks, ps_device, worker_device, ps_ops, ps_strategy)
    return chooser.device_function


def task_of(device: str, spec: ClusterSpec | None = None, op_name: str = "") -> str:
    """The task ("/job:J/task:T") that runs an op placed on `device` (default: worker 0).
    With a ClusterSpec, a device naming a job or task that does not exist is an
    InvalidArgumentError naming the op."""
    d = DeviceSpec.from_string(device)
    if d.job is None or d.job == "localhost":
        return DEFAULT_WORKER
    task = d.task or 0
    if spec is not None and (d.job not in spec.jobs or task not in spec.task_indices(d.job)):
        raise InvalidArgumentError(
            op_name,
            None,
            f"Cannot assign a device for operation {op_name}: {device} names a task that "
            f"does not exist in the cluster {spec.as_dict()}",
        )
    return f"/job:{d.job}/task:{task}"


__all__ = [
    "ClusterSpec",
    "GreedyLoadBalancingStrategy",
    "replica_device_setter",
    "task_of",
    "byte_size_load_fn",
    "InvalidArgumentError",
]
