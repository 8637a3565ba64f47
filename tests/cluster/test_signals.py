"""SIGINT and SIGTERM to a driver whose session runs a compiled step graph: the step in
flight finishes, the graph is torn down, and the process ends by the signal (it used to
hang in the graph's teardown or crash with SIGSEGV)."""

import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.ray

DRIVER = textwrap.dedent("""
    import psflow as tf
    from psflow import cluster as pscluster

    with pscluster.launch(num_ps=1, num_workers=1, fast_path=True,
                          ps={"num_cpus": 0}, worker={"num_cpus": 0}) as cluster:
        with tf.device(cluster.device_setter()):
            v = tf.Variable(0.0)
            train = tf.assign_add(v, 1.0)
        with tf.Session(cluster) as sess:
            sess.run(v.initializer)
            for _ in range(5):
                sess.run(train)
            print("fast", sess.runtime.fast_path is not None, flush=True)
            while True:
                sess.run(train)
""")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_training_ends_the_driver_by_that_signal(signum):
    import time

    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first = ""
    for line in proc.stdout:
        first = line
        if line.startswith("fast"):
            break
    assert first.strip() == "fast True", first
    time.sleep(0.5)  # steps in flight
    proc.send_signal(signum)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the driver did not end after the signal")
    assert proc.returncode == -signum, out[-3000:]
    assert "Segmentation" not in out and "SIGTERM received" not in out
