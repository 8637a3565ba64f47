"""Placement: replica_device_setter strategies and device validation."""

import pytest
from psflow.graph.placement import task_of

import psflow as tf


def _variables(setter, sizes):
    with tf.device(setter):
        return [tf.Variable(tf.zeros([n]), name=f"v{i}") for i, n in enumerate(sizes)]


def test_round_robin_is_tf_default():
    spec = tf.train.ClusterSpec({"ps": ["a", "b"], "worker": ["w"]})
    vs = _variables(tf.train.replica_device_setter(cluster=spec), [100, 1, 1, 100])
    assert [v.device for v in vs] == [
        "/job:ps/task:0",
        "/job:ps/task:1",
        "/job:ps/task:0",
        "/job:ps/task:1",
    ]
    assert vs[0].initializer.device == "/job:ps/task:0"  # colocated with the variable
    assert vs[0].initial_value.device == "/job:worker"


def test_greedy_balances_bytes():
    strategy = tf.train.GreedyLoadBalancingStrategy(2)
    setter = tf.train.replica_device_setter(ps_tasks=2, ps_strategy=strategy)
    vs = _variables(setter, [1000, 10, 10, 10, 900])
    tasks = [v.device for v in vs]
    assert tasks == [
        "/job:ps/task:0",
        "/job:ps/task:1",
        "/job:ps/task:1",
        "/job:ps/task:1",
        "/job:ps/task:1",
    ]


def test_explicit_device_wins_over_setter():
    with tf.device(tf.train.replica_device_setter(ps_tasks=2)):
        with tf.device("/job:ps/task:1"):
            v = tf.Variable(1.0, name="pinned")
        x = tf.constant(1.0)
    assert v.device == "/job:ps/task:1"
    assert x.device == "/job:worker"


def test_a_device_naming_a_missing_task_is_invalid_argument():
    spec = tf.train.ClusterSpec({"ps": ["a"], "worker": ["w"]})
    assert task_of("/job:ps/task:0/device:CPU:0", spec) == "/job:ps/task:0"
    assert task_of("", spec) == "/job:worker/task:0"
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not exist"):
        task_of("/job:ps/task:3", spec, "op")
    with pytest.raises(tf.errors.InvalidArgumentError):
        task_of("/job:chief/task:0", spec, "op")


def test_cluster_spec():
    spec = tf.train.ClusterSpec({"ps": ["a:1"], "worker": ["b:1", "c:1"]})
    assert spec.num_tasks("worker") == 2 and spec.job_tasks("ps") == ["a:1"]
    assert tf.train.ClusterSpec(spec) == spec
    with pytest.raises(ValueError):
        spec.num_tasks("chief")
