"""Checkpoints without a shared filesystem: a parameter server that cannot reach the chief's
checkpoint directory sends its shard through the session in bounded chunks (and receives
it back on restore); a URI checkpoint directory is written by every task directly.

The chief's directory is made unreachable for real: it is `/proc/self/fd/N/...`, a path
that names a directory the chief's process holds open, and nothing in any other process.
"""

import os

import numpy as np
import pytest
from psflow.graph import checkpoint as ckpt, storage

import psflow as tf

pytestmark = pytest.mark.ray

FD = 917  # far above what a process has open


@pytest.fixture
def private_dir(tmp_path):
    """(a path only this process reaches, the same directory as seen from the test)."""
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    os.dup2(fd, FD)
    os.close(fd)
    try:
        yield f"/proc/self/fd/{FD}", tmp_path
    finally:
        os.close(FD)


@pytest.fixture
def cluster(local_cluster):
    local_cluster.reset()
    yield local_cluster
    local_cluster._quiesce()


def _model(cluster, n=300_000):
    with tf.device("/job:ps/task:0"):
        a = tf.get_variable("a", [n], initializer=tf.ones_initializer())
    with tf.device("/job:ps/task:1"):
        b = tf.get_variable("b", [7], tf.int32, initializer=tf.zeros_initializer())
        s = tf.Variable(np.array([b"x", b"yz"], dtype=object), name="s")
    return a, b, s


def _spool_names():
    root = storage.spool_root()
    return os.listdir(root) if os.path.isdir(root) else []


def _chunk_sizes(sess, monkeypatch):
    """Records the size of every uint8 array a `sess.run` returns or is fed."""
    sizes = []
    run = sess.run

    def counting(fetches, feed_dict=None, **kw):
        for v in (feed_dict or {}).values():
            if isinstance(v, np.ndarray) and v.dtype == np.uint8:
                sizes.append(v.size)
        out = run(fetches, feed_dict, **kw)
        if isinstance(out, np.ndarray) and out.dtype == np.uint8:
            sizes.append(out.size)
        return out

    monkeypatch.setattr(sess, "run", counting)
    return sizes


def test_a_ps_that_cannot_reach_the_chiefs_directory_sends_its_shard_in_chunks(
    cluster, private_dir, monkeypatch
):
    path, real = private_dir
    monkeypatch.setattr(ckpt, "CHUNK_BYTES", 256 * 1024)
    a, b, s = _model(cluster)
    saver = tf.train.Saver()
    with tf.Session(cluster.target) as sess:
        sizes = _chunk_sizes(sess, monkeypatch)
        sess.run(tf.global_variables_initializer())
        sess.run([tf.assign_add(a, tf.fill([300_000], 2.0)), tf.assign(b, tf.range(7))])
        prefix = saver.save(sess, f"{path}/model", global_step=3)
        assert max(sizes) <= 256 * 1024 and len(sizes) > 4  # 1.2 MB in bounded chunks
        assert _spool_names() == []  # the servers dropped their spool files
        names = sorted(p.name for p in real.iterdir())
        assert "model-3.index" in names and "checkpoint" in names
        assert len([n for n in names if ".data-" in n]) == 2
        assert not any(n.startswith(".psflow-probe") for n in names)
        # The checkpoint is a normal one: read here by path.
        reader = tf.train.NewCheckpointReader(str(real / "model-3"))
        np.testing.assert_array_equal(reader.get_tensor("a"), np.full(300_000, 3.0, np.float32))
        assert list(reader.get_tensor("s")) == [b"x", b"yz"]

        sess.run([tf.assign(a, tf.zeros([300_000])), tf.assign(b, tf.fill([7], -1))])
        sizes.clear()
        saver.restore(sess, prefix)
        assert max(sizes) <= 256 * 1024 and len(sizes) > 4
        got_a, got_b, got_s = sess.run([a, b, s])
    np.testing.assert_array_equal(got_a, np.full(300_000, 3.0, np.float32))
    np.testing.assert_array_equal(got_b, np.arange(7))
    assert list(got_s) == [b"x", b"yz"]
    assert tf.train.latest_checkpoint(path) == f"{path}/model-3"


def test_a_spooled_checkpoint_restores_onto_another_number_of_ps_tasks(
    cluster, private_dir, monkeypatch
):
    path, _ = private_dir
    monkeypatch.setattr(ckpt, "CHUNK_BYTES", 100_000)
    a, b, _ = _model(cluster, n=50_000)
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run([tf.assign(a, tf.range(50_000, dtype=tf.float32)), tf.assign(b, tf.range(7))])
        prefix = tf.train.Saver().save(sess, f"{path}/model")
    tf.reset_default_graph()
    with tf.device("/job:ps/task:1"):  # both variables on one task now
        a = tf.get_variable("a", [50_000], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [7], tf.int32, initializer=tf.zeros_initializer())
    saver = tf.train.Saver([a, b])
    with tf.Session(cluster.target) as sess:
        saver.restore(sess, prefix)
        got_a, got_b = sess.run([a, b])
    np.testing.assert_array_equal(got_a, np.arange(50_000, dtype=np.float32))
    np.testing.assert_array_equal(got_b, np.arange(7))


def test_a_corrupt_spooled_restore_changes_no_variable(cluster, private_dir):
    path, real = private_dir
    a, b, _ = _model(cluster, n=10)
    saver = tf.train.Saver()
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        prefix = saver.save(sess, f"{path}/model")
        data = next(p for p in real.iterdir() if ".data-00000" in p.name)
        raw = bytearray(data.read_bytes())
        raw[-5] ^= 0xFF  # a byte of the last tensor of ps:0 (a)
        data.write_bytes(bytes(raw))
        sess.run([tf.assign(a, tf.fill([10], 7.0)), tf.assign(b, tf.fill([7], 7))])
        with pytest.raises(tf.errors.DataLossError, match="a"):
            saver.restore(sess, prefix)
        got_a, got_b = sess.run([a, b])
    np.testing.assert_array_equal(got_a, np.full(10, 7.0, np.float32))
    np.testing.assert_array_equal(got_b, np.full(7, 7))


def test_a_uri_checkpoint_directory_is_written_by_every_task(cluster, tmp_path):
    uri = f"file://{tmp_path}/run"
    os.makedirs(tmp_path / "run")
    a, b, _ = _model(cluster, n=1000)
    saver = tf.train.Saver()
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(a, tf.fill([1000], 5.0)))
        prefix = saver.save(sess, f"{uri}/model", global_step=10)
        assert prefix == f"{uri}/model-10"
        assert tf.train.latest_checkpoint(uri) == prefix
        sess.run(tf.assign(a, tf.zeros([1000])))
        saver.restore(sess, tf.train.latest_checkpoint(uri))
        np.testing.assert_array_equal(sess.run(a), np.full(1000, 5.0, np.float32))
    assert (tmp_path / "run" / "model-10.index").exists()
    assert dict(tf.train.list_variables(uri))["a"] == [1000]
