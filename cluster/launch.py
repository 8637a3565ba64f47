"""Launching and connecting: `launch()` starts (or joins) Ray and creates the named PS and
worker actors from a config; `connect()` attaches to actors launched elsewhere in the same
namespace; `attach(target)` does the same from a cluster's target string, in any process
that can reach its Ray cluster. A `Cluster` is the session target (or its `target` string
is), the `replica_device_setter` cluster, and runs between-graph clients (`Cluster.run`).

A target string is `psflow://RAY_GCS_ADDRESS/NAMESPACE`; the cluster spec's task addresses
extend it with the job and index (`psflow://10.0.0.1:6379/psflow/worker/1`), so a
`tf.train.Server` built from a TF_CONFIG finds its cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import logging
import os
import socket
import sys
import sysconfig
import threading
import time
import uuid

import ray
from psflow.graph import console, errors
from psflow.graph.errors import InvalidArgumentError, UnavailableError
from psflow.graph.placement import (
    ClusterSpec,
    GreedyLoadBalancingStrategy,
    replica_device_setter as _replica_device_setter,
)

from . import actors
from .actors import CONCURRENCY_GROUPS, ROLES, ClientRegistry, actor_name, registry_name
from .config import ClusterConfig, load_config, parse_config

TARGET_SCHEME = "psflow://"
LOG = logging.getLogger("psflow")
OUTPUT_POLL_SECS = 0.5  # how often Cluster.run collects what its clients printed
PRESENCE_SECS = 0.25  # how often a client process reports itself to the cluster's registry
# Clusters this process launched or attached to, by target string.
_BY_TARGET: dict[str, Cluster] = {}
_BY_TARGET_LOCK = threading.Lock()


class Cluster:
    """Handles to a psflow cluster's PS and worker actors."""

    def __init__(
        self,
        config: ClusterConfig,
        handles: dict,
        owns_ray: bool,
        owns_actors: bool,
        placement_group=None,
        registry=None,
    ):
        self.config = config
        self._handles = handles  # "/job:ps/task:0" -> actor handle
        self._registry = registry  # the cluster's ClientRegistry actor (cluster/actors.py)
        self.client_id = uuid.uuid4().hex
        self._presence: threading.Thread | None = None
        self._presence_stop = threading.Event()
        self._owns_ray = owns_ray
        self._owns_actors = owns_actors
        self._placement_group = placement_group
        self._closed = False
        self._nodes: dict[str, str] = {}  # task -> Ray node id, as last seen
        # One compiled step graph per actor set at a time (a Ray limit): its owner session
        # in this process; across processes the registry grants it (see `acquire_graph`).
        self.fast_lock = threading.Lock()
        self.fast_owner = None
        gcs = ray.get_runtime_context().gcs_address
        self.target = f"{TARGET_SCHEME}{gcs}/{config.namespace}"
        self.spec = ClusterSpec(
            {
                "ps": [f"{self.target}/ps/{i}" for i in range(config.num_ps)],
                "worker": [f"{self.target}/worker/{i}" for i in range(config.num_workers)],
            }
        )
        with _BY_TARGET_LOCK:
            _BY_TARGET.setdefault(self.target, self)

    # Session target ---------------------------------------------------------------------
    def _make_session_runtime(self, graph):
        from .runtime import ClusterRuntime

        if self._closed:
            raise UnavailableError(None, None, "The psflow cluster has been shut down")
        self._report_presence()
        return ClusterRuntime(self, graph)

    # Many clients: presence and the compiled graph ----------------------------------------
    def _report_presence(self) -> None:
        """Tells the registry this process uses the cluster (at once, so that an owner of a
        compiled graph gives it up before this process's first step needs its actors), then
        keeps telling it every PRESENCE_SECS from a daemon thread, which also gives this
        process's graph up when another client is active."""
        if self._registry is None or self._presence is not None:
            return
        with contextlib.suppress(Exception):
            ray.get(
                self._registry.heartbeat.remote(self.client_id),
                timeout=self.config.connect_timeout_s,
            )
        self._presence = threading.Thread(
            target=self._presence_loop, daemon=True, name="psflow-presence"
        )
        self._presence.start()

    def _presence_loop(self) -> None:
        while not self._presence_stop.wait(PRESENCE_SECS):
            if not ray.is_initialized():  # a ray.get now would start a Ray of its own
                return
            try:
                others = ray.get(
                    self._registry.heartbeat.remote(self.client_id),
                    timeout=self.config.connect_timeout_s,
                )
            except Exception:  # the cluster or Ray is going away
                return
            owner = self.fast_owner
            if others and owner is not None:
                if owner._yield.is_set():  # asked a tick ago and not stepping: do it here
                    owner.give_up_fast(retry=True)
                else:
                    owner.request_give_up()

    def acquire_graph(self) -> bool:
        """Whether this process may hold the cluster's compiled graph (it is alone)."""
        if self._registry is None:
            return False
        try:
            return bool(
                ray.get(
                    self._registry.acquire.remote(self.client_id),
                    timeout=self.config.connect_timeout_s,
                )
            )
        except Exception:  # no answer: no graph
            return False

    def release_graph(self) -> None:
        if self._registry is not None:
            with contextlib.suppress(Exception):
                self._registry.release.remote(self.client_id)

    def handle(self, task: str):
        return self._handles[task]

    # Failures ---------------------------------------------------------------------------
    def task_of_actor(self, actor_id: str | None) -> str | None:
        """The task whose actor has this id (hex), if it is one of this cluster's."""
        for task, handle in self._handles.items():
            if handle._actor_id.hex() == actor_id:
                return task
        return None

    def unavailable(self, err) -> UnavailableError:
        """The UnavailableError for a Ray actor failure, naming the task and its node."""
        task = self.task_of_actor(getattr(err, "actor_id", None)) or "a psflow task"
        node = self._nodes.get(task)
        where = f" (node {node})" if node else ""
        state = "is restarting" if isinstance(err, ray.exceptions.ActorUnavailableError) else "died"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return UnavailableError(
            None, None, f"Task {task}{where} is unavailable: its actor {state} ({reason})"
        )

    def kill(self, task: str, restart: bool = True) -> None:
        """Kills the actor of `task` (`/job:ps/task:0`), as a fault drill: Ray starts it again
        when `restart` is true and the config's `max_restarts` allows (it comes back empty:
        no variables, no plans)."""
        if task not in self._handles:
            raise InvalidArgumentError(
                None, None, f"No task {task!r} in this cluster (tasks: {', '.join(self._handles)})"
            )
        # No quiescing: a drill strikes a compiled graph mid-step too (`pid` answers on the
        # task's control thread, beside a graph's execution loop).
        handle = self._handles[task]
        try:
            pid = ray.get(handle.pid.remote(), timeout=self.config.connect_timeout_s)
        except Exception:  # dead or restarting already: kill whatever comes up
            pid = None
        ray.kill(handle, no_restart=not restart)
        # Ray's kill is asynchronous: return once the process is gone (a drill that goes on
        # before the kill lands would test nothing).
        deadline = time.monotonic() + self.config.connect_timeout_s
        while pid is not None and time.monotonic() < deadline:
            try:
                if ray.get(handle.pid.remote(), timeout=1.0) != pid:
                    break
            except Exception:  # dead, restarting, or busy restarting
                break
            time.sleep(0.05)
        LOG.debug("killed %s (%s)", task, "Ray restarts it" if restart else "for good")

    def check_alive(self, tasks) -> None:
        """Raises UnavailableError naming the first of `tasks` whose actor is dead,
        restarting, or does not answer within task_timeout_s (asked on its control thread,
        which answers while the task runs a long stage)."""
        timeout = self.config.task_timeout_s
        for task, answer in self._ask_each(tasks, "pid", timeout).items():
            if isinstance(answer, ray.exceptions.RayActorError):
                raise self.unavailable(answer)
            if isinstance(answer, Exception):
                raise UnavailableError(
                    None,
                    None,
                    f"Task {task} did not answer a liveness check within {timeout:g} s "
                    "(config key 'task_timeout_s')",
                )

    def _ask_each(self, tasks, method: str, timeout: float) -> dict:
        """Calls `method` on every task's actor at once; per task its answer, or the
        exception in its place (a dead actor's error, or GetTimeoutError after `timeout`)."""
        refs = {task: getattr(self._handles[task], method).remote() for task in tasks}
        ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout)
        answers: dict = {}
        for task, ref in refs.items():
            try:
                answers[task] = ray.get(ref, timeout=0)
            except Exception as err:  # noqa: BLE001 - handed to the caller
                answers[task] = err
        return answers

    def wait_alive(self, task: str, timeout: float | None = None) -> None:
        """Waits until the actor of `task` answers (it may be restarting); UnavailableError
        naming it when it does not within `timeout` (connect_timeout_s)."""
        timeout = timeout or self.config.connect_timeout_s
        deadline = time.monotonic() + timeout
        while True:
            try:
                ray.get(
                    self._handles[task].ping.remote(), timeout=max(0.1, deadline - time.monotonic())
                )
                return
            except ray.exceptions.ActorUnavailableError:
                pass  # restarting
            except ray.exceptions.RayActorError as err:
                raise self.unavailable(err) from None
            except ray.exceptions.GetTimeoutError:
                pass
            if time.monotonic() >= deadline:
                raise UnavailableError(
                    None,
                    None,
                    f"Task {task} did not come back within {timeout:g} s",
                )
            time.sleep(0.1)

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
        """Per task: the id of the Ray node its actor runs on (None for a task whose actor
        is dead or does not answer within connect_timeout_s)."""
        self._quiesce()
        answers = self._ask_each(self._handles, "node_id", self.config.connect_timeout_s)
        out = {t: None if isinstance(a, Exception) else a for t, a in answers.items()}
        self._nodes.update({t: n for t, n in out.items() if n})
        return out

    def transfer_report(self) -> dict:
        """Per task: bytes of tensors it has sent to other tasks or to the coordinator."""
        self._quiesce()
        tasks = list(self._handles)
        sent = ray.get(
            [self._handles[t].transfer_report.remote() for t in tasks],
            timeout=self.config.connect_timeout_s,
        )
        return dict(zip(tasks, sent))

    # Between-graph clients -----------------------------------------------------------
    def run(self, fn, *args, max_failures=0, show_progress=False, **kwargs) -> list:
        """Runs `fn(*args, **kwargs)` once in every worker task, concurrently, in that task's
        process, with TF_CONFIG set for the task (`{"type": "worker", "index": i}`; task 0
        is the chief). Returns the return values in task order. An exception in a task is
        re-raised here, naming the task, after the other tasks' clients are asked to stop;
        what each task printed is printed here under its task name. `max_failures` is how
        often a task's client may be started again after its actor was lost; with
        `show_progress`, a progress bar follows the global step while they train."""
        if max_failures < 0:
            raise ValueError(f"max_failures must be >= 0, got {max_failures}")
        workers = [t for t in self._handles if t.startswith("/job:worker")]
        blob = _pickle_by_value(fn, args, kwargs)
        tf_configs = {
            task: json.dumps(
                {"cluster": self.spec.as_dict(), "task": {"type": "worker", "index": index}}
            )
            for index, task in enumerate(workers)
        }
        refs = {self._handles[t].run_client.remote(blob, tf_configs[t]): t for t in workers}
        failures = dict.fromkeys(workers, 0)
        results: dict[str, object] = {}
        pending = list(refs)
        bar = console.bar(desc="training", unit="step") if show_progress else None
        try:
            while pending:
                pending = self._run_round(
                    pending, refs, results, failures, max_failures, blob, tf_configs, bar
                )
        finally:
            if bar is not None:
                bar.close()
        return [results[t] for t in workers]

    def _run_round(self, pending, refs, results, failures, max_failures, blob, tf_configs, bar):
        """One wait of `run`: prints what the clients printed, follows the global step, and
        handles the clients that ended; returns the refs still pending."""
        write = bar.write if bar is not None else None
        done, pending = ray.wait(pending, num_returns=1, timeout=OUTPUT_POLL_SECS)
        self._print_client_output([refs[r] for r in pending], write)
        if bar is not None:
            step = self._global_step()
            if step is not None and step > bar.n:
                bar.update(step - bar.n)
        for ref in done:
            task = refs[ref]
            try:
                value, output = ray.get(ref)
            except ray.exceptions.RayTaskError as err:
                self._stop_clients([refs[r] for r in pending])
                self._print_client_output([task], write)
                raise _client_error(err, task) from None
            except ray.exceptions.RayActorError as err:
                if failures[task] >= max_failures:
                    self._stop_clients([refs[r] for r in pending])
                    raise UnavailableError(
                        None,
                        None,
                        f"The client of {task} was lost with its task "
                        f"({failures[task]} restarts of it allowed by max_failures "
                        f"were used): {self.unavailable(err).message}",
                    ) from None
                failures[task] += 1
                LOG.warning(
                    "the client of %s was lost with its task; starting it again "
                    "on the restarted task (%d of max_failures=%d)",
                    task,
                    failures[task],
                    max_failures,
                )
                try:
                    self.wait_alive(task)
                except UnavailableError:
                    self._stop_clients([refs[r] for r in pending])
                    raise
                restarted = self._handles[task].run_client.remote(blob, tf_configs[task])
                refs[restarted] = task
                pending.append(restarted)
                continue
            _print_prefixed(task, output, write)
            results[task] = value
        return pending

    def _stop_clients(self, tasks: list[str]) -> None:
        for task in tasks:
            with contextlib.suppress(Exception):
                self._handles[task].stop_client.remote()

    def _global_step(self) -> int | None:
        """The global step, from the PS task holding it (None when none does or none
        answers in time)."""
        ps = [h for t, h in self._handles.items() if t.startswith("/job:ps")]
        with contextlib.suppress(Exception):
            for report in ray.get([h.status.remote() for h in ps], timeout=OUTPUT_POLL_SECS):
                if report.get("global_step") is not None:
                    return report["global_step"]
        return None

    def _print_client_output(self, tasks: list[str], write=None) -> None:
        """Prints, under each task's name, the lines its client printed since last asked."""
        if not tasks:
            return
        with contextlib.suppress(Exception):  # output is best effort; results are not
            texts = ray.get(
                [self._handles[t].client_output.remote() for t in tasks],
                timeout=self.config.connect_timeout_s,
            )
            for task, text in zip(tasks, texts):
                _print_prefixed(task, text, write)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _BY_TARGET_LOCK:
            if _BY_TARGET.get(self.target) is self:
                del _BY_TARGET[self.target]
        self._presence_stop.set()
        if self._registry is not None:
            with contextlib.suppress(Exception):
                self._registry.leave.remote(self.client_id)
        if self._owns_actors:
            for h in [*self._handles.values(), self._registry]:
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
        # address="local": a new instance even when one runs on this machine (a `ray start`
        # head, which a bare ray.init() would join, refusing the num_cpus given here).
        ray.init(
            address="local",
            num_cpus=max(os.cpu_count() or 1, int(needed + 0.999)),
            resources=custom or None,
            **kwargs,
        )
    else:
        _probe(config)
        _use_ray_token_auth()
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


def _use_ray_token_auth() -> None:
    """Ray turns token authentication on by itself only when it finds its cluster through
    `address="auto"`; for an explicit address (which psflow configs give) it must be asked.
    Do what `auto` does: use the token when there is one and RAY_AUTH_MODE chose nothing.
    (Setting RAY_AUTH_MODE here is too late: Ray reads it when imported.)"""
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token authentication
        return
    # Its notice that token authentication is on is Ray's start-up noise to users.
    logging.getLogger(maybe_enable_token_auth_if_token_available.__module__).setLevel(logging.ERROR)
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


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


def launch(
    config_path_or_dict=None,
    *,
    num_ps=None,
    num_workers=None,
    detached=False,
    registry_info=None,
    **overrides,
) -> Cluster:
    """Starts Ray as the config says (or joins it) and creates the PS and worker actors.
    With `detached`, the actors outlive this process (Ray's detached lifetime) and are
    reused when they exist already: every process that launches the same config gets the
    same cluster, and this one's shutdown leaves them running. `registry_info` is what
    `psflow up` records about the cluster (cluster/control.py)."""
    config = load_config(config_path_or_dict, num_ps=num_ps, num_workers=num_workers, **overrides)
    lifetime = {"lifetime": "detached", "get_if_exists": True} if detached else {}
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
                **lifetime,
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
            name = f"/job:{job}/task:{task}"
            actor_class = ray.remote(concurrency_groups=CONCURRENCY_GROUPS)(ROLES[job])
            handles[name] = actor_class.options(**options).remote(name, dataclasses.asdict(config))
        registry = (
            ray.remote(num_cpus=0)(ClientRegistry)
            .options(name=registry_name(), namespace=config.namespace, **lifetime)
            .remote(
                {
                    "config": {
                        k: v for k, v in dataclasses.asdict(config).items() if k != "address"
                    },
                    "started_ray": False,
                    "created": time.time(),
                    **(registry_info or {}),
                }
            )
        )
        nodes = ray.get(
            [h.node_id.remote() for h in handles.values()], timeout=config.connect_timeout_s
        )
    except Exception:
        if owns_ray:
            ray.shutdown()
        raise
    cluster = Cluster(
        config, handles, owns_ray, owns_actors=not detached, placement_group=pg, registry=registry
    )
    cluster._nodes.update(zip(handles, nodes))  # for errors that name a lost task's node
    return cluster


def connect(config_path_or_dict=None, **overrides) -> Cluster:
    """Attaches to the named actors of a cluster launched elsewhere: from its target string
    (`attach`), or from a config, in its namespace; a local config (`address: local`) means
    the Ray cluster started on this machine (by `psflow up`), never a new one."""
    if isinstance(config_path_or_dict, str) and config_path_or_dict.startswith(TARGET_SCHEME):
        return attach(config_path_or_dict)
    config = load_config(config_path_or_dict, **overrides)
    if config.is_local and not ray.is_initialized():
        address = local_ray_address()
        if address is None:
            raise UnavailableError(
                None, None, "No Ray cluster runs on this machine (start one: psflow up CONFIG)"
            )
        config = dataclasses.replace(config, address=address)
    return _connect_handles(config, _init_ray(config))


def local_ray_address() -> str | None:
    """The address of the Ray cluster started on this machine (`ray start` records it where
    `address="auto"` looks), if it answers; None otherwise (a stale record would make Ray
    retry for minutes)."""
    with contextlib.suppress(Exception):
        from ray._private.utils import read_ray_address

        address = read_ray_address()
        if address:
            host, _, port = address.rpartition(":")
            with socket.create_connection((host, int(port)), timeout=2.0):
                return address
    return None


def _connect_handles(config: ClusterConfig, owns_ray: bool) -> Cluster:
    """A Cluster over the named actors of `config`'s namespace (Ray is initialized; shut
    down again on failure when this call's caller started it)."""
    handles = {}
    for job, count in (("ps", config.num_ps), ("worker", config.num_workers)):
        for task in range(count):
            try:
                handles[f"/job:{job}/task:{task}"] = ray.get_actor(
                    actor_name(job, task), namespace=config.namespace
                )
            except ValueError:
                if owns_ray:
                    ray.shutdown()
                raise UnavailableError(
                    None, None, f"No psflow {job} task {task} in Ray namespace {config.namespace!r}"
                ) from None
    try:
        registry = ray.get_actor(registry_name(), namespace=config.namespace)
    except ValueError:  # no registry: this process never compiles a graph
        registry = None
    cluster = Cluster(config, handles, owns_ray, owns_actors=False, registry=registry)
    cluster.nodes()  # remembered, for errors that name a lost task's node
    return cluster


def attach(target: str) -> Cluster:
    """The cluster of a target string (`Cluster.target`), from this process: the one this
    process launched or attached to before, or the named actors reached through Ray."""
    with _BY_TARGET_LOCK:
        cluster = _BY_TARGET.get(target)
    if cluster is not None and not cluster._closed:
        return cluster
    if not target.startswith(TARGET_SCHEME) or target.count("/") < 3:
        raise InvalidArgumentError(
            None, None, f"Not a psflow cluster target: {target!r} (psflow://ADDRESS/NAMESPACE)"
        )
    address, _, namespace = target[len(TARGET_SCHEME) :].rpartition("/")
    owns_ray = False
    if not ray.is_initialized():
        _use_ray_token_auth()
        try:
            ray.init(
                address=address, namespace=namespace, log_to_driver=False, configure_logging=False
            )
        except Exception as e:  # any failure to reach Ray is the same to users
            raise UnavailableError(
                None, None, f"Cannot reach the Ray cluster of target {target!r}: {e}"
            ) from None
        owns_ray = True
    here = actors.LOCAL_TASK
    try:
        if here is not None and here[0] == namespace:  # a task of that cluster: ask no one
            raw = dict(here[2].cluster_config())
        else:
            first = ray.get_actor(actor_name("worker", 0), namespace=namespace)
            raw = ray.get(first.cluster_config.remote(), timeout=60)
    except Exception as e:  # no such actor, or it does not answer
        raise UnavailableError(None, None, f"No psflow cluster at target {target!r}: {e}") from None
    raw["address"] = "auto"
    config = parse_config(raw)
    cluster = _connect_handles(config, owns_ray)
    atexit.register(cluster.shutdown)  # leaves the registry (the owner of a graph need not wait)
    with _BY_TARGET_LOCK:
        return _BY_TARGET.setdefault(target, cluster)


def _print_prefixed(task: str, text: str, write=None) -> None:
    """Prints a client's lines under its task's name (through `write`, a progress bar's,
    when one is drawn)."""
    for line in text.splitlines():
        if write is None:
            print(f"[{task}] {line}", flush=True)
        else:
            write(f"[{task}] {line}")


def _pickle_by_value(fn, args, kwargs) -> bytes:
    """(fn, args, kwargs) pickled so that a worker process can load them: a function from a
    module the workers cannot import (a script, a test module) travels by value."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    by_value = module is not None and _is_user_module(module)
    if by_value:
        ray.cloudpickle.register_pickle_by_value(module)
    try:
        return ray.cloudpickle.dumps((fn, args, kwargs))
    finally:
        if by_value:
            ray.cloudpickle.unregister_pickle_by_value(module)


def _is_user_module(module) -> bool:
    """A module that is neither psflow's, the standard library's nor an installed package's."""
    name = module.__name__
    path = getattr(module, "__file__", None)
    if name == "__main__" or name.split(".")[0] == "psflow" or path is None:
        return False
    installed = {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
    return not any(os.path.abspath(path).startswith(os.path.abspath(p)) for p in installed)


def _client_error(err, task: str) -> BaseException:
    """The exception a task's client raised, as the caller re-raises it, naming the task."""
    cause = getattr(err, "cause", None)
    if not isinstance(cause, BaseException):
        return errors.InternalError(None, None, f"The client of {task} failed: {err}")
    note = f"raised by the client of {task}"
    if hasattr(cause, "add_note"):
        cause.add_note(note)
    else:  # Python 3.10
        cause.args = (f"{cause.args[0] if cause.args else ''} ({note})", *cause.args[1:])
    return cause
