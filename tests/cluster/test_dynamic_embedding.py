"""Dynamic embedding tables on a Ray cluster: shards on the parameter servers shared by
between-graph workers (the same id is the same row for every client), bytes per step in
proportion to the unique ids, and checkpoints restored onto 1 and onto 3 PS tasks."""

import os

import numpy as np
import pytest
from psflow.graph.placement import parse_tf_config

import psflow as tf

pytestmark = pytest.mark.ray
DIM = 8


@pytest.fixture
def cluster(local_cluster):
    local_cluster.reset()
    yield local_cluster
    local_cluster._quiesce()


def _model(spec, worker):
    """The same graph in every client: a table sharded over the PS tasks of `spec`."""
    with tf.device(tf.train.replica_device_setter(worker_device=worker, cluster=spec)):
        table = tf.dynamic_embedding.get_variable(
            "emb", DIM, initializer=tf.random_uniform_initializer(-0.1, 0.1, seed=5)
        )
        ids = tf.placeholder(tf.int64, [None])
        rows = tf.nn.embedding_lookup(table, ids)
        loss = tf.reduce_sum(tf.square(rows - 1.0))
        train = tf.train.AdagradOptimizer(0.2).minimize(loss)
    return table, ids, rows, train


def _client():
    """Worker k trains ids k, k+2, ..., then reads back every id it trained."""
    import time

    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    table, ids, rows, train = _model(spec, f"/job:worker/task:{index}")
    with tf.device("/job:ps/task:0"):
        read = tf.Variable(0, name="clients_that_read")
    mine = np.arange(index, 40, 2)

    def wait_for(done):
        deadline = time.monotonic() + 60
        while not done():
            assert time.monotonic() < deadline
            time.sleep(0.05)

    with tf.Session(server.target) as sess:
        if index == 0:
            sess.run(tf.global_variables_initializer())
        wait_for(lambda: all(sess.run([tf.is_variable_initialized(s) for s in table.shards])))
        wait_for(lambda: sess.run(tf.is_variable_initialized(read)))
        first = sess.run(rows, {ids: np.arange(40)})  # both create rows concurrently
        sess.run(tf.assign_add(read, 1))
        wait_for(lambda: sess.run(read) == 2)  # neither trains before both have read
        for _ in range(5):
            sess.run(train, {ids: mine})
        return first, sess.run(rows, {ids: mine}), table.num_shards


def test_workers_share_the_rows_of_one_table(cluster):
    results = cluster.run(_client)
    (first0, trained0, shards), (first1, trained1, _) = results
    assert shards == 2  # one shard per PS task by default
    np.testing.assert_array_equal(first0, first1)  # the same id is the same row everywhere
    spec = cluster.spec
    table, ids, rows, _ = _model(spec, "/job:worker/task:0")
    with tf.Session(cluster.target) as sess:
        assert sess.run(table.size()) == 40
        got = sess.run(rows, {ids: np.arange(40)})
    np.testing.assert_array_equal(got[0::2], trained0)  # each worker's updates, seen by all
    np.testing.assert_array_equal(got[1::2], trained1)
    assert not np.allclose(trained0, first0[0::2])


def test_a_step_moves_bytes_per_unique_id(cluster):
    table, ids, rows, train = _model(cluster.spec, "/job:worker/task:0")
    rng = np.random.default_rng(1)
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: rng.integers(0, 10**12, 64)})  # plans registered, slots made
        before = cluster.transfer_report()
        unique = 0
        for _ in range(3):
            batch = rng.choice(rng.integers(0, 10**12, 300), 2000)  # many repeats
            unique += len(np.unique(batch))
            sess.run(train, {ids: batch})
        after = cluster.transfer_report()
    row_bytes = unique * DIM * 4
    ps = sum(after[t] - before[t] for t in after if "/job:ps" in t)
    assert row_bytes <= ps <= 1.2 * row_bytes, (ps, row_bytes)  # rows to the worker only


def _save_on_two_ps(cluster, path):
    table, ids, rows, train = _model(cluster.spec, "/job:worker/task:0")
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        for start in range(0, 30, 10):
            sess.run(train, {ids: np.arange(start, start + 15)})
        saved = sess.run(rows, {ids: np.arange(45)})
        tf.train.Saver().save(sess, path)
    return saved


def _restore(target, spec, path, worker="/job:worker/task:0"):
    tf.reset_default_graph()
    table, ids, rows, _ = _model(spec, worker)
    with tf.Session(target) as sess:
        tf.train.Saver().restore(sess, path)
        return table.num_shards, sess.run(table.size()), sess.run(rows, {ids: np.arange(45)})


def test_a_checkpoint_restores_onto_one_ps(cluster, tmp_path):
    saved = _save_on_two_ps(cluster, str(tmp_path / "m"))
    one_ps = tf.train.ClusterSpec({"ps": cluster.spec.job_tasks("ps")[:1],
                                   "worker": cluster.spec.job_tasks("worker")})  # fmt: skip
    shards, size, got = _restore(cluster.target, one_ps, str(tmp_path / "m"))
    assert (shards, size) == (1, 45)
    np.testing.assert_array_equal(got, saved)


def test_a_checkpoint_restores_onto_three_ps(cluster, tmp_path):
    from psflow import cluster as pscluster

    saved = _save_on_two_ps(cluster, str(tmp_path / "m"))
    idle = {"num_cpus": 0}
    with pscluster.launch(
        num_ps=3, num_workers=1, namespace=f"psflow-test3-{os.getpid()}", ps=idle, worker=idle
    ) as three:
        shards, size, got = _restore(three.target, three.spec, str(tmp_path / "m"))
        placed = {s.device for s in tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
    assert (shards, size) == (3, 45)
    assert placed == {f"/job:ps/task:{i}" for i in range(3)}
    np.testing.assert_array_equal(got, saved)
