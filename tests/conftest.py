"""Shared fixtures: a fresh default graph per test, and the `target` fixture that runs
behaviour tests in-process (and on a local cluster once the cluster layer exists)."""

import numpy as np
import pytest

import psflow as tf

try:
    from hypothesis import settings

    settings.register_profile("ci", deadline=None, derandomize=True, max_examples=60)
    settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


@pytest.fixture(autouse=True)
def numpy_errors_raise():
    """numpy floating-point problems fail the test unless a test expects them."""
    with np.errstate(all="raise", under="ignore"):
        yield


@pytest.fixture(scope="session")
def local_cluster():
    """One local Ray cluster (2 PS, 2 workers, own namespace) for the whole test session."""
    import os

    from psflow import cluster as pscluster

    with pscluster.launch(num_ps=2, num_workers=2, namespace=f"psflow-test-{os.getpid()}") as c:
        yield c


@pytest.fixture(
    params=[
        "in_process",
        pytest.param("cluster", marks=pytest.mark.ray),
        pytest.param("cluster_fast", marks=pytest.mark.ray),
    ]
)
def target(request):
    """The session target behaviour tests run against. On the cluster, the test's graph is
    built under the cluster's replica_device_setter (variables on PS tasks, the rest on
    workers) and the PS variables start empty."""
    if request.param == "in_process":
        yield None
        return
    cluster = request.getfixturevalue("local_cluster")
    cluster.reset()
    fast = request.param == "cluster_fast"
    if fast:  # the compiled-graph step engine, for every signature from its first run
        from psflow.cluster import fast as fast_module

        patch = request.getfixturevalue("monkeypatch")
        patch.setattr(fast_module, "COMPILE_AFTER", 1)
        patch.setattr(fast_module, "EVERY_SIGNATURE", True)
    cluster.config.fast_path = fast
    try:
        with tf.get_default_graph().device(tf.train.replica_device_setter(cluster=cluster)):
            yield cluster
    finally:
        cluster.config.fast_path = False
        cluster._quiesce()
