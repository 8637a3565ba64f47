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


@pytest.fixture(params=["in_process"])
def target(request):
    """The session target behaviour tests run against."""
    return None
