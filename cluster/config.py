"""Cluster configs (YAML or dict): parsed into `ClusterConfig`, validated with errors that
name the offending key and value. The same format describes a local cluster (`address:
local`) and a multi-node Ray cluster (`address: auto`, `host:port` or `ray://host:port`).

Keys (all optional; defaults in brackets):
  address: local | auto | HOST:PORT | ray://HOST:PORT        [local]
  namespace: Ray namespace for the named actors               [psflow]
  num_ps, num_workers: task counts (>= 1 worker, >= 0 PS)     [2, 2]
  ps, worker: per-role resources: num_cpus [0.5], memory (bytes) [none],
              resources (custom resources, e.g. {node_a: 1}) [{}]
  placement_strategy: PACK | SPREAD | STRICT_PACK | STRICT_SPREAD | none   [none]
  variable_placement: round_robin | greedy_bytes             [greedy_bytes]
  max_restarts: Ray actor restarts after a crash               [1]
  checkpoint_dir: where the main job writes checkpoints       [none]
  connect_timeout_s: seconds to wait for Ray and the actors   [60]
  task_timeout_s: a step that waits on a task checks it is alive every few seconds;
              a task that does not answer within this is UnavailableError  [30]
  fast_path: run a session's repeated step through a Ray compiled graph   [false]
  direct_calls: hosted clients call the tasks on their node over a Unix socket
              instead of Ray actor calls (cluster/direct.py)                 [true]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")


class ConfigError(ValueError):
    """A bad cluster config; the message names the key and the value."""


@dataclass
class RoleResources:
    num_cpus: float = 0.5
    memory: int | None = None
    resources: dict = field(default_factory=dict)


@dataclass
class ClusterConfig:
    address: str = "local"
    namespace: str = "psflow"
    num_ps: int = 2
    num_workers: int = 2
    ps: RoleResources = field(default_factory=RoleResources)
    worker: RoleResources = field(default_factory=RoleResources)
    placement_strategy: str | None = None
    variable_placement: str = "greedy_bytes"
    max_restarts: int = 1
    checkpoint_dir: str | None = None
    connect_timeout_s: float = 60.0
    task_timeout_s: float = 30.0
    fast_path: bool = False
    direct_calls: bool = True

    @property
    def is_local(self) -> bool:
        return self.address == "local"


_TOP_KEYS = {
    "address",
    "namespace",
    "num_ps",
    "num_workers",
    "ps",
    "worker",
    "placement_strategy",
    "variable_placement",
    "max_restarts",
    "checkpoint_dir",
    "connect_timeout_s",
    "task_timeout_s",
    "fast_path",
    "direct_calls",
}
_ROLE_KEYS = {"num_cpus", "memory", "resources"}


def _check_type(key, value, types, what):
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        raise ConfigError(f"config key '{key}' must be {what}, got {value!r}")


def _role(key: str, raw) -> RoleResources:
    if raw is None:
        return RoleResources()
    if not isinstance(raw, dict):
        raise ConfigError(f"config key '{key}' must be a mapping, got {raw!r}")
    for k in raw:
        if k not in _ROLE_KEYS:
            raise ConfigError(f"unknown config key '{key}.{k}' (known: {sorted(_ROLE_KEYS)})")
    role = RoleResources()
    if "num_cpus" in raw:
        _check_type(f"{key}.num_cpus", raw["num_cpus"], (int, float), "a number >= 0")
        if raw["num_cpus"] < 0:
            raise ConfigError(f"config key '{key}.num_cpus' must be >= 0, got {raw['num_cpus']}")
        role.num_cpus = float(raw["num_cpus"])
    if raw.get("memory") is not None:
        _check_type(f"{key}.memory", raw["memory"], (int,), "an integer number of bytes")
        role.memory = raw["memory"]
    if raw.get("resources") is not None:
        res = raw["resources"]
        if not isinstance(res, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
            for k, v in res.items()
        ):
            raise ConfigError(
                f"config key '{key}.resources' must map names to numbers, got {res!r}"
            )
        role.resources = dict(res)
    return role


def parse_config(raw: dict | None, **overrides) -> ClusterConfig:
    """A validated ClusterConfig from a mapping plus keyword overrides (None = unset)."""
    raw = dict(raw or {})
    raw.update({k: v for k, v in overrides.items() if v is not None})
    for key in raw:
        if key not in _TOP_KEYS:
            raise ConfigError(f"unknown config key '{key}' (known: {sorted(_TOP_KEYS)})")
    cfg = ClusterConfig()
    if "address" in raw:
        _check_type("address", raw["address"], (str,), "a string")
        address = raw["address"].strip()
        if not address:
            raise ConfigError("config key 'address' must not be empty")
        if (
            address not in ("local", "auto")
            and not address.startswith("ray://")
            and ":" not in address
        ):
            raise ConfigError(
                f"config key 'address' must be local, auto, HOST:PORT or "
                f"ray://HOST:PORT, got {address!r}"
            )
        cfg.address = address
    if "namespace" in raw:
        _check_type("namespace", raw["namespace"], (str,), "a string")
        cfg.namespace = raw["namespace"]
    for key, low in (("num_ps", 0), ("num_workers", 1), ("max_restarts", -1)):
        if key in raw:
            _check_type(key, raw[key], (int,), "an integer")
            if raw[key] < low:
                raise ConfigError(f"config key '{key}' must be >= {low}, got {raw[key]}")
            setattr(cfg, key, raw[key])
    cfg.ps = _role("ps", raw.get("ps"))
    cfg.worker = _role("worker", raw.get("worker"))
    if raw.get("placement_strategy") is not None:
        value = str(raw["placement_strategy"]).upper()
        if value not in _STRATEGIES:
            raise ConfigError(
                f"config key 'placement_strategy' must be one of {_STRATEGIES}, "
                f"got {raw['placement_strategy']!r}"
            )
        cfg.placement_strategy = value
    if "variable_placement" in raw:
        if raw["variable_placement"] not in ("round_robin", "greedy_bytes"):
            raise ConfigError(
                "config key 'variable_placement' must be round_robin or "
                f"greedy_bytes, got {raw['variable_placement']!r}"
            )
        cfg.variable_placement = raw["variable_placement"]
    if raw.get("checkpoint_dir") is not None:
        _check_type("checkpoint_dir", raw["checkpoint_dir"], (str,), "a path")
        cfg.checkpoint_dir = os.path.expanduser(raw["checkpoint_dir"])
    for key in ("connect_timeout_s", "task_timeout_s"):
        if key in raw:
            _check_type(key, raw[key], (int, float), "seconds")
            if raw[key] <= 0:
                raise ConfigError(f"config key '{key}' must be > 0, got {raw[key]}")
            setattr(cfg, key, float(raw[key]))
    for key in ("fast_path", "direct_calls"):
        if key in raw:
            _check_type(key, raw[key], (bool,), "true or false")
            setattr(cfg, key, raw[key])
    return cfg


def load_config(source=None, **overrides) -> ClusterConfig:
    """From a YAML file path, a mapping, a ClusterConfig, or nothing (defaults)."""
    if isinstance(source, ClusterConfig):
        if overrides:
            raise ConfigError("cannot override keys of an already parsed ClusterConfig")
        return source
    if source is None or isinstance(source, dict):
        return parse_config(source, **overrides)
    import yaml

    path = os.fspath(source)
    try:
        with open(path) as f:
            raw = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ConfigError(f"cluster config file not found: {path}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"cluster config {path} is not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"cluster config {path} must be a mapping at the top level")
    return parse_config(raw, **overrides)
