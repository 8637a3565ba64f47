"""Launching and connecting: `launch()` starts (or joins) Ray and creates the named PS and
worker actors from a config; `connect()` attaches to actors launched elsewhere in the same
namespace. A `Cluster` is the session target and the `replica_device_setter` cluster."""

from __future__ import annotations

import contextlib
import os
import socket
import threading

import ray
from psflow.graph.errors import UnavailableError
from psflow.graph.placement import (
    ClusterSpec,
    GreedyLoadBalancingStrategy,
    replica_device_setter as _replica_device_setter,
)

from .actors import ROLES, actor_name
from .config import ClusterConfig, load_config


class Cluster:
    """Handles to a psflow cluster's PS and worker actors."""

    def __init__(
        self,
        config: ClusterConfig,
        handles: dict,
        owns_ray: bool,
        owns_actors: bool,
        placement_group=None,
    ):
        self.config = config
        self._handles = handles  # "/job:ps/task:0" -> actor handle
        self._owns_ray = owns_ray
        self._owns_actors = owns_actors
        self._placement_group = placement_group
        self._closed = False
        # One compiled step graph per actor set at a time (a Ray limit): its owner session.
        self.fast_lock = threading.Lock()
        self.fast_owner = None
        ns = config.namespace
        self.spec = ClusterSpec(
            {
                "ps": [f"ray://{ns}/{actor_name('ps', i)}" for i in range(config.num_ps)],
                "worker": [
                    f"ray://{ns}/{actor_name('worker', i)}" for i in range(config.num_workers)
                ],
            }
        )

    # Session target ---------------------------------------------------------------------
    def _make_session_runtime(self, graph):
        from .runtime import ClusterRuntime

        if self._closed:
            raise UnavailableError(None, None, "The psflow cluster has been shut down")
        return ClusterRuntime(self, graph)

    def handle(self, task: str):
        return self._handles[task]

    @property
    def tasks(self) -> list[str]:
        return list(self._handles)

    def device_setter(self, **kwargs):
        """replica_device_setter for this cluster using the config's variable placement."""
        if self.config.variable_placement == "greedy_bytes" and "ps_strategy" not in kwargs:
            kwargs["ps_strategy"] = GreedyLoadBalancingStrategy(self.config.num_ps)
        return _replica_device_setter(cluster=self.spec, **kwargs)

    def _quiesce(self) -> None:
        """Plain calls from here must not meet a session's live compiled graph."""
        owner = self.fast_owner
        if owner is not None:
            owner.give_up_fast()

    def reset(self, containers=None) -> None:
        """Clears the variables of every task (`tf.Session.reset(cluster)`)."""
        self._quiesce()
        ray.get(
            [h.reset.remote() for h in self._handles.values()],
            timeout=self.config.connect_timeout_s,
        )

    def variables_report(self) -> dict:
        """Per PS task: variable name -> bytes it holds."""
        self._quiesce()
        ps = [t for t in self._handles if t.startswith("/job:ps")]
        reports = ray.get(
            [self._handles[t].variable_report.remote() for t in ps],
            timeout=self.config.connect_timeout_s,
        )
        return dict(zip(ps, reports))

    def nodes(self) -> dict:
        """Per task: the id of the Ray node its actor runs on."""
        self._quiesce()
        tasks = list(self._handles)
        ids = ray.get(
            [self._handles[t].node_id.remote() for t in tasks],
            timeout=self.config.connect_timeout_s,
        )
        return dict(zip(tasks, ids))

    def transfer_report(self) -> dict:
        """Per task: bytes of tensors it has sent to other tasks or to the coordinator."""
        self._quiesce()
        tasks = list(self._handles)
        sent = ray.get(
            [self._handles[t].transfer_report.remote() for t in tasks],
            timeout=self.config.connect_timeout_s,
        )
        return dict(zip(tasks, sent))

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_actors:
            for h in self._handles.values():
                with contextlib.suppress(Exception):  # already gone
                    ray.kill(h, no_restart=True)
            if self._placement_group is not None:
                ray.util.remove_placement_group(self._placement_group)
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    def __repr__(self) -> str:
        return (
            f"<psflow.Cluster {self.config.num_ps} ps, {self.config.num_workers} workers, "
            f"namespace={self.config.namespace!r}>"
        )


def _init_ray(config: ClusterConfig) -> bool:
    """Starts or joins Ray; returns whether this call started it."""
    if ray.is_initialized():
        return False
    kwargs = {
        "namespace": config.namespace,
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    if config.is_local:
        needed = config.num_ps * config.ps.num_cpus + config.num_workers * config.worker.num_cpus
        custom: dict = {}
        for role in (config.ps, config.worker):
            for k, v in role.resources.items():
                custom[k] = custom.get(k, 0) + v * max(config.num_ps, config.num_workers)
        ray.init(
            num_cpus=max(os.cpu_count() or 1, int(needed + 0.999)),
            resources=custom or None,
            **kwargs,
        )
    else:
        _probe(config)
        try:
            ray.init(address=config.address, **kwargs)
        except Exception as e:  # any failure to reach Ray is the same to users
            raise UnavailableError(
                None,
                None,
                f"Cannot connect to the Ray cluster at "
                f"{config.address!r} (config key 'address'): {e}",
            ) from None
    return True


def _probe(config: ClusterConfig) -> None:
    """Fails fast, within connect_timeout_s, when a host:port address does not answer (Ray's
    own connect retries for minutes)."""
    address = config.address
    if address == "auto":
        return
    host_port = address.split("://", 1)[-1]
    host, _, port = host_port.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host, int(port)), timeout=config.connect_timeout_s):
            pass
    except OSError as e:
        raise UnavailableError(
            None,
            None,
            f"Cannot connect to the Ray cluster at "
            f"{address!r} (config key 'address') within "
            f"{config.connect_timeout_s:g}s: {e}",
        ) from None


def launch(config_path_or_dict=None, *, num_ps=None, num_workers=None, **overrides) -> Cluster:
    """Starts Ray as the config says (or joins it) and creates the PS and worker actors."""
    config = load_config(config_path_or_dict, num_ps=num_ps, num_workers=num_workers, **overrides)
    owns_ray = _init_ray(config)
    try:
        pg = None
        bundles = []
        roles = [("ps", i) for i in range(config.num_ps)] + [
            ("worker", i) for i in range(config.num_workers)
        ]
        if config.placement_strategy:
            from ray.util.placement_group import placement_group

            for job, _ in roles:
                res = config.ps if job == "ps" else config.worker
                bundles.append(
                    {"CPU": res.num_cpus, **res.resources}
                    if res.num_cpus
                    else {**res.resources} or {"CPU": 0.01}
                )
            pg = placement_group(bundles, strategy=config.placement_strategy)
            ray.get(pg.ready(), timeout=config.connect_timeout_s)
        handles = {}
        for n, (job, task) in enumerate(roles):
            res = config.ps if job == "ps" else config.worker
            options = {
                "name": actor_name(job, task),
                "namespace": config.namespace,
                "num_cpus": res.num_cpus,
                "max_restarts": config.max_restarts,
                "max_concurrency": 1,
            }
            if res.memory:
                options["memory"] = res.memory
            if res.resources:
                options["resources"] = dict(res.resources)
            if pg is not None:
                from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

                options["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                    placement_group=pg, placement_group_bundle_index=n
                )
            handles[f"/job:{job}/task:{task}"] = ray.remote(ROLES[job]).options(**options).remote()
        ray.get([h.ping.remote() for h in handles.values()], timeout=config.connect_timeout_s)
    except Exception:
        if owns_ray:
            ray.shutdown()
        raise
    return Cluster(config, handles, owns_ray, owns_actors=True, placement_group=pg)


def connect(config_path_or_dict=None, **overrides) -> Cluster:
    """Attaches to the named actors of a cluster launched elsewhere in the same namespace."""
    config = load_config(config_path_or_dict, **overrides)
    owns_ray = _init_ray(config)
    handles = {}
    for job, count in (("ps", config.num_ps), ("worker", config.num_workers)):
        for task in range(count):
            try:
                handles[f"/job:{job}/task:{task}"] = ray.get_actor(
                    actor_name(job, task), namespace=config.namespace
                )
            except ValueError:
                raise UnavailableError(
                    None, None, f"No psflow {job} task {task} in Ray namespace {config.namespace!r}"
                ) from None
    return Cluster(config, handles, owns_ray, owns_actors=False)
