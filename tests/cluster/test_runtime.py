"""The distributed runtime on a local Ray cluster: partitioned variables (rows moved, sparse
updates on the owning PS), feeds to other devices, bad devices, an actor error mid-step,
an unreachable address, and concurrent runs."""

import threading

import numpy as np
import pytest

import psflow as tf

pytestmark = pytest.mark.ray


@pytest.fixture
def cluster(local_cluster):
    local_cluster.reset()
    return local_cluster


def test_partitioned_embedding_moves_only_gathered_rows(cluster):
    rows, dim = 4000, 16
    table_value = np.arange(rows * dim, dtype=np.float32).reshape(rows, dim)
    with tf.device(cluster.device_setter()):
        table = tf.get_variable(
            "emb",
            [rows, dim],
            initializer=tf.constant_initializer(table_value),
            partitioner=tf.fixed_size_partitioner(4),
        )
        ids = tf.placeholder(tf.int64, [None])
        looked_up = tf.nn.embedding_lookup(table, ids, partition_strategy="div")
        loss = tf.reduce_sum(looked_up)
        train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    shards = list(table)
    assert sorted({s.device for s in shards}) == ["/job:ps/task:0", "/job:ps/task:1"]
    gather_devices = {
        op.device
        for op in tf.get_default_graph().get_operations()
        if op.type == "GatherV2"
        and op.name.startswith("embedding_lookup/")
        and op.inputs[0].op.type != "Const"
    }
    assert gather_devices == {"/job:ps/task:0", "/job:ps/task:1"}
    wanted = [5, 3999, 1234, 5]
    with tf.Session(cluster) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(looked_up, {ids: [0]})  # compile and register the plans first
        before = cluster.transfer_report()
        got = sess.run(looked_up, {ids: wanted})
        after = cluster.transfer_report()
        np.testing.assert_array_equal(got, table_value[wanted])
        ps_bytes = sum(after[t] - before[t] for t in after if t.startswith("/job:ps"))
        assert 0 < ps_bytes <= len(wanted) * dim * 4 + 256  # the rows, not 256 KB of table
        sess.run(train, {ids: [7, 7, 2000]})
        full = sess.run(table.as_tensor())
    expected = table_value.copy()
    expected[7] -= 2.0
    expected[2000] -= 1.0
    np.testing.assert_array_equal(full, expected)
    report = cluster.variables_report()
    held = {name for names in report.values() for name in names}
    assert {"emb/part_0", "emb/part_1", "emb/part_2", "emb/part_3"} <= held


def test_feed_for_a_placeholder_on_another_device(cluster):
    with tf.device("/job:ps/task:1"):
        v = tf.Variable(0.0, name="v")
        p = tf.placeholder(tf.float32, [], name="p")
        set_v = tf.assign(v, p * 2.0)
    with tf.device("/job:worker/task:0"):
        q = tf.placeholder(tf.float32, [], name="q")
        out = set_v + q
    with tf.Session(cluster) as sess:
        sess.run(v.initializer)
        assert sess.run(out, {p: 3.0, q: 1.0}) == 7.0
        assert sess.run(v) == 6.0


def test_device_of_a_missing_task_fails_before_anything_runs(cluster):
    v = tf.Variable(1.0, name="v")
    with tf.device("/job:ps/task:0"):
        w = tf.Variable(1.0, name="w")
        bump = tf.assign_add(w, 1.0)
    with tf.device("/job:worker/task:7"):
        y = tf.identity(bump) * 2.0
    with tf.Session(cluster) as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="task:7"):
            sess.run(y)
        assert sess.run(w) == 1.0
        sess.run(v.initializer)
        assert sess.run(v) == 1.0


def test_actor_error_mid_step_rolls_back_and_the_cluster_stays_usable(cluster):
    with tf.device("/job:ps/task:0"):
        a = tf.Variable(1.0, name="a")
        bump_a = tf.assign_add(a, 1.0)
    with tf.device("/job:ps/task:1"):
        table = tf.Variable(np.zeros((3, 2), np.float32), name="table")
        ids = tf.placeholder(tf.int32, [None])
        with tf.control_dependencies([bump_a]):
            rows = tf.gather(table, ids, name="bad_gather")
    with tf.device("/job:worker/task:1"):
        total = tf.reduce_sum(rows)
    with tf.Session(cluster) as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad_gather"):
            sess.run(total, {ids: [0, 9]})
        assert sess.run(a) == 1.0
        assert sess.run(total, {ids: [0, 1]}) == 0.0
        assert sess.run(a) == 2.0


def test_concurrent_runs_on_one_session(cluster):
    with tf.device(cluster.device_setter()):
        counter = tf.Variable(0, name="counter")
        bump = tf.assign_add(counter, 1)
        x = tf.placeholder(tf.float32, [None])
        doubled = x * 2.0
    errors = []
    with tf.Session(cluster) as sess:
        sess.run(counter.initializer)

        def work(k):
            try:
                for i in range(10):
                    sess.run(bump)
                    got = sess.run(doubled, {x: [k, i]})
                    assert got.tolist() == [2.0 * k, 2.0 * i]
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors
        assert sess.run(counter) == 40


def test_unreachable_address_fails_within_the_timeout():
    """In a fresh process (this one already runs Ray): Ray's own connect would retry for
    minutes; psflow gives up after connect_timeout_s with an error naming the key."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import time
        import psflow as tf
        from psflow import cluster
        start = time.monotonic()
        try:
            cluster.connect({"address": "127.0.0.1:1", "num_ps": 1, "num_workers": 1,
                             "connect_timeout_s": 3})
        except tf.errors.UnavailableError as e:
            print("UnavailableError", round(time.monotonic() - start), e)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    ).stdout
    assert out.startswith("UnavailableError") and "'address'" in out
    assert int(out.split()[1]) < 10


def test_full_trace_and_chrome_timeline_show_the_step_across_actors(cluster):
    import json

    with tf.device("/job:ps/task:0"):
        w = tf.Variable(np.ones((3, 3), np.float32), name="w")
    with tf.device("/job:worker/task:1"):
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.matmul(x, w, name="mm")
    with tf.Session(cluster) as sess:
        sess.run(w.initializer)
        meta = tf.RunMetadata()
        sess.run(
            y,
            {x: np.ones((2, 3))},
            options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
            run_metadata=meta,
        )
    devices = {d.device for d in meta.step_stats.dev_stats}
    assert "/job:ps/replica:0/task:0/device:CPU:0" in devices
    assert "/job:worker/replica:0/task:1/device:CPU:0" in devices
    trace = json.loads(
        tf.timeline.Timeline(meta.step_stats, tf.get_default_graph()).generate_chrome_trace_format()
    )
    events = trace["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert "/job:worker/replica:0/task:1/device:CPU:0 Compute" in names
    ops = {e["args"]["name"]: e for e in events if e["ph"] == "X"}
    assert "mm" in ops and ops["mm"]["dur"] >= 0
    assert any(e["ph"] == "s" for e in events)  # a data-flow arrow from the PS to the worker


def test_large_variables_travel_by_reference_and_stay_current(cluster):
    """Values of 1 MB and more leave the PS as object-store references reused while the
    variable is unchanged; every read still sees the latest value."""
    n = 1 << 19  # 2 MB of float32
    with tf.device("/job:ps/task:0"):
        big = tf.Variable(tf.ones([n]), name="big")
        bump = tf.assign_add(big, tf.ones([n]))
    with tf.device("/job:worker/task:0"):
        total = tf.reduce_sum(big)
    with tf.Session(cluster) as sess:
        sess.run(big.initializer)
        assert sess.run(total) == n
        assert sess.run(total) == n
        sess.run(bump.op)
        assert sess.run(total) == 2 * n
        fetched = sess.run(big)
        assert fetched.shape == (n,) and fetched[0] == 2.0
        fetched[0] = 5.0  # the caller's own copy
        assert sess.run(big)[0] == 2.0


def test_a_closed_session_leaves_no_undo_journals_on_the_ps(cluster):
    import time

    import ray

    with tf.device("/job:ps/task:0"):
        v = tf.Variable(np.zeros(1000, np.float32), name="journaled")
        bump = tf.assign_add(v, tf.ones(1000))
    sess = tf.Session(cluster)
    sess.run(v.initializer)
    for _ in range(5):
        sess.run(bump)
    handle = cluster.handle("/job:ps/task:0")
    assert ray.get(handle.journal_report.remote()) > 0
    sess.close()
    deadline = time.monotonic() + 30
    while ray.get(handle.journal_report.remote()) > 0:
        assert time.monotonic() < deadline, "journals of a closed session stayed on the PS"
        time.sleep(0.05)
