"""Cluster configs: defaults, the shipped examples, and errors naming the bad key."""

import pathlib

import pytest
from psflow.cluster import ConfigError, load_config

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_defaults_fit_a_two_core_machine():
    cfg = load_config()
    assert (cfg.address, cfg.num_ps, cfg.num_workers) == ("local", 2, 2)
    assert cfg.num_ps * cfg.ps.num_cpus + cfg.num_workers * cfg.worker.num_cpus <= 2


def test_shipped_configs_parse():
    local = load_config(ROOT / "configs" / "local.yaml")
    assert local.variable_placement == "greedy_bytes" and local.num_ps == 2
    multi = load_config(ROOT / "configs" / "multinode.yaml")
    assert multi.address == "auto" and multi.ps.resources == {"psflow_ps": 1}
    assert multi.placement_strategy == "SPREAD"


def test_keyword_overrides():
    cfg = load_config({"num_ps": 3}, num_workers=4)
    assert (cfg.num_ps, cfg.num_workers) == (3, 4)
    assert load_config({}).direct_calls and not load_config({"direct_calls": False}).direct_calls


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"nmu_ps": 2}, "nmu_ps"),
        ({"num_workers": 0}, "num_workers"),
        ({"num_ps": "two"}, "num_ps"),
        ({"num_ps": True}, "num_ps"),
        ({"address": "nowhere"}, "address"),
        ({"ps": {"num_cpus": -1}}, "ps.num_cpus"),
        ({"worker": {"gpus": 1}}, "worker.gpus"),
        ({"worker": {"resources": {"a": "x"}}}, "worker.resources"),
        ({"placement_strategy": "scatter"}, "placement_strategy"),
        ({"variable_placement": "random"}, "variable_placement"),
        ({"connect_timeout_s": 0}, "connect_timeout_s"),
        ({"fast_path": "yes"}, "fast_path"),
        ({"direct_calls": 1}, "direct_calls"),
        ({"task_timeout_s": -1}, "task_timeout_s"),
    ],
)
def test_bad_configs_name_the_key(raw, key):
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    assert f"'{key}'" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("num_ps: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
