"""BLAS threads for in-process steps (graph/threads.py): ConfigProto's
intra_op_parallelism_threads fixes them; without it the governor gives BLAS one thread
beside busy processes (real spinning processes here) and every core on a quiet machine."""

import multiprocessing
import os
import time

import numpy as np
import pytest
from psflow.graph import threads
from threadpoolctl import threadpool_info

import psflow as tf


def _blas_threads() -> set:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def _steps(sess, op, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sess.run(op)


@pytest.fixture
def governor(monkeypatch):
    fresh = threads.BlasThreads()
    monkeypatch.setattr(threads, "BLAS", fresh)
    yield fresh
    fresh._torch = None
    fresh._set(fresh.cores)  # as the next test expects BLAS


def test_intra_op_threads_fix_blas_threads(governor):
    a = tf.constant(np.ones((64, 64), np.float32))
    product = tf.matmul(a, a)
    for n in (1, 2):
        config = tf.ConfigProto(intra_op_parallelism_threads=n, inter_op_parallelism_threads=2)
        with tf.Session(config=config) as sess:
            governor._next = 0.0
            assert sess.run(product)[0, 0] == 64.0
        assert governor.current == n and _blas_threads() == {n}


def _spin(stop):
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="the governor reads /proc/stat")
def test_the_governor_gives_blas_one_thread_beside_busy_processes(governor, monkeypatch):
    a = tf.constant(np.ones((32, 32), np.float32))
    product = tf.matmul(a, a)
    with tf.Session() as sess:
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        spinners = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(2)]
        for p in spinners:
            p.start()
        try:
            time.sleep(1.0)
            _steps(sess, product, 3 * threads.CHECK_SECS)
            assert governor.current == 1 and _blas_threads() == {1}  # two spinning: one
        finally:
            stop.set()
            for p in spinners:
                p.join()
        # A quiet machine (made so here: whatever else runs beside the tests): every core.
        hz = governor._hz
        monkeypatch.setattr(
            threads, "_cpu_jiffies", lambda: (int(sum(os.times()[:2]) * hz), 0)
        )  # fmt: skip
        governor._sample = None
        _steps(sess, product, 3 * threads.CHECK_SECS)
        assert governor.current == governor.cores and _blas_threads() == {governor.cores}


def test_the_governors_arithmetic(governor, monkeypatch):
    """Other processes' cores: the machine's busy time less this process's, per second."""
    hz = governor._hz
    samples = iter([(0, 1000), (int(1.2 * hz), 1000 + 2 * hz)])
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: next(samples))
    own = iter([10.0, 10.5])
    monkeypatch.setattr(os, "times", lambda: os.times_result((next(own), 0, 0, 0, 0)))
    assert governor._governed(100.0) is None  # the first sample only sets the baseline
    # 1.2 cores busy in 1 s, 0.5 of them this process's: others 0.7 >= BUSY_OTHERS
    assert governor._governed(101.0) == 1


def test_torchs_pool_takes_the_threads_and_openblas_one_once_its_kernels_load(governor):
    """graph/ops/torch_kernels.py: OpenBLAS's idle threads spin beside torch's busy pool."""
    torch = pytest.importorskip("torch", reason="torch's kernels need the `conv` extra")
    governor.share_with(torch)
    x = tf.constant(np.ones((2, 8, 8, 3), np.float32))
    f = tf.constant(np.ones((3, 3, 3, 4), np.float32))
    y = tf.nn.conv2d(x, f, strides=[1, 1, 1, 1], padding="SAME")
    for n in (1, 2):
        config = tf.ConfigProto(intra_op_parallelism_threads=n)
        with tf.Session(config=config) as sess:
            governor._next = 0.0
            assert sess.run(y)[0, 4, 4, 0] == 27.0
            assert torch.get_num_threads() == n
            assert _blas_threads() == {1}
