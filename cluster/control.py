"""Operating a long-lived cluster: what `psflow up`, `status`, `down` and `logs` do
(cluster/cli.py is their command line).

`up` starts a Ray head on this machine that outlives the command (`ray start --head`, sized
for the config) unless the config names a running Ray cluster or one runs here already,
then creates the PS and worker actors detached and named in the config's namespace, and
records in the cluster's registry actor what it did (the config, whether it started Ray).
Every other command finds the cluster again from a config, a target string or nothing
(the Ray cluster on this machine, namespace `psflow`), through that registry.

A task's state comes from Ray's actor table (alive, restarting, dead, pending, with its
restart count and pid); its figures from the task itself (`TaskRunner.status`), asked on
its control thread so a task busy with a long stage still answers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time

import ray
from psflow.graph import checkpoint as _ckpt, errors
from psflow.graph.errors import UnavailableError

from .actors import actor_name, registry_name
from .config import ClusterConfig, load_config, parse_config
from .launch import (
    TARGET_SCHEME,
    Cluster,
    _connect_handles,
    _use_ray_token_auth,
    launch,
    local_ray_address,
)

LOG = logging.getLogger("psflow")
STATUS_TIMEOUT_S = 5.0  # how long `status` waits for a task's own figures
STATES = {
    "ALIVE": "alive",
    "RESTARTING": "restarting",
    "DEAD": "dead",
    "PENDING_CREATION": "pending",
    "DEPENDENCIES_UNREADY": "pending",
}


# Finding a cluster ---------------------------------------------------------------------------
@dataclasses.dataclass
class Found:
    """A running cluster as found through its registry: Ray's address, the namespace, and
    what `up` recorded (`info`: the config as plain data, `started_ray`, `created`)."""

    address: str
    namespace: str
    info: dict

    @property
    def config(self) -> ClusterConfig:
        raw = dict(self.info.get("config") or {})
        raw["address"] = self.address
        raw["namespace"] = self.namespace
        return parse_config(raw)

    @property
    def target(self) -> str:
        return f"{TARGET_SCHEME}{self.address}/{self.namespace}"

    def tasks(self) -> list[tuple[str, int]]:
        """(job, index) of every task, PS tasks first."""
        config = self.config
        return [("ps", i) for i in range(config.num_ps)] + [
            ("worker", i) for i in range(config.num_workers)
        ]


def _where(source) -> tuple[str, str]:
    """(Ray address, namespace) named by a target string, a config (path or mapping) or
    nothing: a local config means the Ray cluster running on this machine."""
    if isinstance(source, str) and source.startswith(TARGET_SCHEME):
        address, _, namespace = source[len(TARGET_SCHEME) :].rpartition("/")
        if not address or not namespace:
            raise errors.InvalidArgumentError(
                None, None, f"Not a psflow cluster target: {source!r} (psflow://ADDRESS/NAMESPACE)"
            )
        return address, namespace
    config = load_config(source)
    return ("local" if config.is_local else config.address), config.namespace


def _init(address: str, namespace: str) -> None:
    """Joins the Ray cluster at `address` (`local`: the one started on this machine),
    quietly."""
    if ray.is_initialized():
        if address not in ("local", _ray_address()):
            _reachable(address)
            raise UnavailableError(
                None,
                None,
                f"This process is attached to the Ray cluster at {_ray_address()}, "
                f"not to {address}",
            )
        return
    if address == "local":
        address = local_ray_address() or ""
        if not address:
            raise UnavailableError(None, None, "No Ray cluster runs on this machine")
    _reachable(address)
    _use_ray_token_auth()
    try:
        ray.init(
            address=address,
            namespace=namespace,
            log_to_driver=False,
            configure_logging=False,
            logging_level=logging.WARNING,
        )
    except Exception as e:  # any failure to reach Ray is the same to users
        raise UnavailableError(None, None, f"No Ray cluster at {address}: {e}") from None


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fails fast when a host:port address does not answer (Ray's own connect retries for
    minutes)."""
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise UnavailableError(None, None, f"No Ray cluster at {address}: {e}") from None


def find(source=None) -> Found:
    """The running cluster of a target, a config or nothing; UnavailableError when there is
    none."""
    address, namespace = _where(source)
    _init(address, namespace)
    try:
        registry = ray.get_actor(registry_name(), namespace=namespace)
        info = ray.get(registry.info.remote(), timeout=30)
    except ValueError:
        raise UnavailableError(
            None, None, f"No psflow cluster in Ray namespace {namespace!r} ({_ray_address()})"
        ) from None
    return Found(_ray_address(), namespace, info)


def _ray_address() -> str:
    return ray.get_runtime_context().gcs_address


def attach_found(found: Found) -> Cluster:
    """A Cluster over the found cluster's actors (every task must be alive or restarting)."""
    return _connect_handles(found.config, owns_ray=False)


# up -------------------------------------------------------------------------------------------
def up(source) -> tuple[Found, bool, list[str]]:
    """Starts the cluster of a config, or finds it running. Returns (the cluster, whether
    this call created it, what differs between the running cluster and the config)."""
    config = load_config(source)
    wanted = dataclasses.asdict(config)
    started_ray = False
    if config.is_local:
        try:
            _init("local", config.namespace)
        except UnavailableError:
            address = start_ray_head(config)
            started_ray = True
            try:
                _init(address, config.namespace)
            except BaseException:
                stop_ray(address)
                raise
    else:
        _init(config.address, config.namespace)
    with contextlib.suppress(UnavailableError):
        found = find(source if not config.is_local else {"namespace": config.namespace})
        return found, False, _differences(found.info.get("config") or {}, wanted)
    info = {
        "config": {k: v for k, v in wanted.items() if k != "address"},
        "started_ray": started_ray,
        "created": time.time(),
    }
    raw = dict(wanted)
    raw["address"] = _ray_address() if config.is_local else config.address
    try:
        cluster = launch(raw, detached=True, registry_info=info)
    except BaseException:
        if started_ray:
            address = _ray_address()
            ray.shutdown()
            stop_ray(address)
        raise
    cluster.shutdown()  # this process's handles; the detached actors stay
    return find({"namespace": config.namespace, "address": raw["address"]}), True, []


def _differences(running: dict, wanted: dict) -> list[str]:
    out = []
    for key in sorted(set(running) | set(wanted)):
        if key in ("address",):
            continue
        if running.get(key) != wanted.get(key):
            out.append(f"{key}: running {running.get(key)!r}, config {wanted.get(key)!r}")
    return out


def _ray_executable() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "ray")
    return beside if os.path.exists(beside) else "ray"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def start_ray_head(config: ClusterConfig) -> str:
    """Starts a Ray head on this machine that outlives this process (`ray start --head`),
    with CPUs and custom resources enough for the config; returns its address."""
    needed = config.num_ps * config.ps.num_cpus + config.num_workers * config.worker.num_cpus
    custom: dict = {}
    for role, count in ((config.ps, config.num_ps), (config.worker, config.num_workers)):
        for k, v in role.resources.items():
            custom[k] = custom.get(k, 0) + v * count
    cmd = [
        _ray_executable(),
        "start",
        "--head",
        f"--port={_free_port()}",
        f"--num-cpus={max(os.cpu_count() or 1, int(needed + 0.999))}",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    if custom:
        cmd.append(f"--resources={json.dumps(custom)}")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=config.connect_timeout_s * 2, env=env
        )
    except subprocess.TimeoutExpired:
        raise UnavailableError(
            None,
            None,
            f"`ray start --head` did not finish within {config.connect_timeout_s * 2:g} s",
        ) from None
    found = re.search(r"--address='([^']+)'", done.stdout)
    if done.returncode or not found:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise UnavailableError(None, None, "`ray start --head` failed: " + " | ".join(tail))
    return found.group(1)


# status ---------------------------------------------------------------------------------------
def status(found: Found) -> dict:
    """The cluster's status as plain data (the `psflow status --json` schema, README)."""
    from ray._private import state as ray_state

    config = found.config
    rows, asks = [], {}
    for job, index in found.tasks():
        task = f"/job:{job}/task:{index}"
        row: dict = {
            "task": task,
            "job": job,
            "index": index,
            "state": "dead",
            "node": None,
            "node_ip": None,
            "pid": None,
            "restarts": None,
            "variables": None,
            "variable_bytes": None,
            "bytes_sent": None,
            "stages": None,
            "stages_per_s": None,
            "memory_bytes": None,
        }
        try:
            handle = ray.get_actor(actor_name(job, index), namespace=found.namespace)
        except ValueError:  # dead for good: its name is released
            rows.append(row)
            continue
        table = ray_state.actors(actor_id=handle._actor_id.hex()) or {}
        row["state"] = STATES.get(table.get("State", ""), str(table.get("State", "")).lower())
        row["restarts"] = table.get("NumRestarts")
        row["pid"] = table.get("Pid") or None
        address = table.get("Address") or {}
        row["node"] = address.get("NodeID") or None
        row["node_ip"] = address.get("IPAddress") or None
        if row["state"] == "alive":
            asks[task] = handle.status.remote()
        rows.append(row)
    if asks:
        ray.wait(list(asks.values()), num_returns=len(asks), timeout=STATUS_TIMEOUT_S)
    global_step = None
    for row in rows:
        ref = asks.get(row["task"])
        if ref is None:
            continue
        try:
            figures = ray.get(ref, timeout=0)
        except Exception:  # noqa: BLE001 - no answer in time: shown as unknown
            continue
        for key in ("pid", "variables", "variable_bytes", "bytes_sent", "stages",
                    "stages_per_s", "memory_bytes"):  # fmt: skip
            row[key] = figures.get(key)
        if row["job"] == "worker":
            row["variables"] = row["variable_bytes"] = None  # workers hold no variables
        if figures.get("global_step") is not None:
            global_step = figures["global_step"]
    return {
        "target": found.target,
        "ray_address": found.address,
        "namespace": found.namespace,
        "healthy": all(r["state"] == "alive" for r in rows),
        "global_step": global_step,
        "checkpoint": _latest_checkpoint(config.checkpoint_dir),
        "fast_path_active": bool(found.info.get("fast_path_active")),
        "started_ray": bool(found.info.get("started_ray")),
        "tasks": rows,
    }


def _latest_checkpoint(directory: str | None) -> dict | None:
    if not directory:
        return None
    from psflow.graph import saver, storage

    with contextlib.suppress(Exception):  # no directory yet, unreadable state: none
        prefix = saver.latest_checkpoint(directory)
        if prefix:
            age = time.time() - storage.getmtime(f"{prefix}.index")
            return {
                "path": prefix,
                "step": _ckpt.checkpoint_step(prefix),
                "age_s": round(age, 1),
            }
    return None


def _size(n) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def format_status(report: dict) -> str:
    """The table `psflow status` prints."""
    lines = [
        f"psflow cluster {report['target']}",
        f"  Ray {report['ray_address']}, namespace {report['namespace']}",
    ]
    ckpt = report["checkpoint"]
    step = report["global_step"]
    lines.append(
        "  global step "
        + ("-" if step is None else str(step))
        + ", latest checkpoint "
        + (
            f"{os.path.basename(ckpt['path'])} (step {ckpt['step']}, {ckpt['age_s']:.0f} s ago)"
            if ckpt
            else "none"
        )
        + ", compiled fast path "
        + ("active" if report["fast_path_active"] else "inactive")
    )
    header = ("TASK", "STATE", "NODE", "PID", "RESTARTS", "VARIABLES", "SENT", "STAGES",
              "STAGES/S", "MEMORY")  # fmt: skip
    table = [header]
    for r in report["tasks"]:
        held = "-" if r["variables"] is None else f"{r['variables']} ({_size(r['variable_bytes'])})"
        table.append(
            (
                r["task"],
                r["state"],
                (r["node_ip"] or "-") + (f" {r['node'][:8]}" if r["node"] else ""),
                "-" if r["pid"] is None else str(r["pid"]),
                "-" if r["restarts"] is None else str(r["restarts"]),
                held,
                _size(r["bytes_sent"]),
                "-" if r["stages"] is None else str(r["stages"]),
                "-" if r["stages_per_s"] is None else f"{r['stages_per_s']:.1f}",
                _size(r["memory_bytes"]),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


# down -----------------------------------------------------------------------------------------
def save_final_checkpoint(found: Found, directory: str) -> str:
    """Saves every variable the PS tasks hold into `directory` (one shard per PS, the
    global step as its step); returns the checkpoint prefix."""
    from psflow.graph.framework import Graph, device
    from psflow.graph.ops.array import zeros
    from psflow.graph.saver import Saver
    from psflow.graph.session import Session
    from psflow.graph.variables import Variable

    cluster = attach_found(found)
    ps = [t for t in cluster.tasks if t.startswith("/job:ps")]
    specs = ray.get([cluster.handle(t).variable_specs.remote() for t in ps], timeout=60)
    graph = Graph()
    with graph.as_default():
        variables = {}
        for task, held in zip(ps, specs):
            with device(task):
                for name, (dtype, shape) in sorted(held.items()):
                    variables[name] = Variable(zeros(shape, dtype), name=name)
        if not variables:
            raise errors.FailedPreconditionError(
                None, None, "The parameter servers hold no variables: nothing to save"
            )
        os.makedirs(directory, exist_ok=True)
        try:
            with Session(cluster) as sess:
                saver = Saver(variables)
                step = variables.get("global_step")
                global_step = int(sess.run(step)) if step is not None else None
                return saver.save(sess, os.path.join(directory, "model.ckpt"), global_step)
        finally:
            cluster.shutdown()  # this process's handles and presence reports only


def down(found: Found) -> list[int]:
    """Stops the cluster's actors and, when `up` started it, the Ray head; returns the pids
    of the Ray processes it stopped."""
    for job, index in found.tasks():
        with contextlib.suppress(ValueError):
            ray.kill(
                ray.get_actor(actor_name(job, index), namespace=found.namespace), no_restart=True
            )
    with contextlib.suppress(ValueError):
        ray.kill(ray.get_actor(registry_name(), namespace=found.namespace), no_restart=True)
    if not found.info.get("started_ray"):
        return []
    address = found.address
    ray.shutdown()
    return stop_ray(address)


def ray_processes(address: str, session_dir: str | None = None) -> list[int]:
    """The pids of the processes of the Ray cluster at `address` on this machine."""
    return _ray_processes(address, session_dir)[0]


def _ray_processes(address: str, session_dir: str | None) -> tuple[list[int], str | None]:
    """(pids, session directory) of the Ray cluster at `address` on this machine: the
    processes whose command line names its GCS address or port (GCS server, raylet,
    workers), and those holding a file of its session directory open (the agents, renamed
    `ray::...`). The session directory is read off the raylet's command line unless given."""
    port = address.rsplit(":", 1)[-1]
    pattern = re.compile(rf"({re.escape(address)}\b|gcs_server_port[= ]{port}\b)")
    named, others = [], []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if pattern.search(cmdline):
            named.append(int(name))
            found = re.search(r"--session[-_]dir=(\S+)", cmdline)
            session_dir = session_dir or (found.group(1) if found else None)
        else:
            others.append(int(name))
    if session_dir:
        named += [pid for pid in others if _holds_file_in(pid, session_dir)]
    return named, session_dir


def _holds_file_in(pid: int, directory: str) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(directory + "/"):
                return True
    return False


def stop_ray(address: str, timeout: float = 3.0) -> list[int]:
    """Stops the Ray head at `address` started on this machine: SIGTERM to its processes,
    SIGKILL to what is left after `timeout`. Other Ray instances here are left alone (unlike
    `ray stop`, which stops every one)."""
    pids, session_dir = _ray_processes(address, None)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if session_dir:  # as `ray stop` does: `address="auto"` must not find it any more
        current = os.path.join(os.path.dirname(session_dir), "ray_current_cluster")
        with contextlib.suppress(OSError):
            with open(current) as f:
                named = f.read().strip()
            if named == address:
                os.remove(current)
    return pids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


# logs -----------------------------------------------------------------------------------------
def log_lines(found: Found, task: str, follow: bool, poll: float = 0.5):
    """Yields the text of a task's stdout and stderr (Ray's log files of its process), then,
    with `follow`, what is appended, until the task goes away."""
    job, index = _parse_task(task)
    try:
        handle = ray.get_actor(actor_name(job, index), namespace=found.namespace)
    except ValueError:
        raise UnavailableError(None, None, f"Task {task} is not running") from None
    files = ray.get(handle.log_files.remote(), timeout=30)
    offsets = dict.fromkeys(files, 0)
    while True:
        got = False
        for path in files:
            while True:
                chunk = ray.get(handle.read_log.remote(path, offsets[path], 1 << 20), timeout=30)
                if not chunk:
                    break
                offsets[path] += len(chunk)
                got = True
                yield chunk.decode(errors="replace")
        if not follow:
            return
        if not got:
            time.sleep(poll)


def _parse_task(task: str) -> tuple[str, int]:
    found = re.fullmatch(r"/job:(ps|worker)/task:(\d+)", task)
    if not found:
        raise errors.InvalidArgumentError(
            None, None, f"Not a task name: {task!r} (e.g. /job:ps/task:0 or /job:worker/task:1)"
        )
    return found.group(1), int(found.group(2))
