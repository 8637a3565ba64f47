"""Saver and checkpoints: round trips, pruning, renames, shards, crashes, corruption."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import psflow as tf


def _model():
    v1 = tf.Variable([1.0, 2.0], name="v1")
    v2 = tf.Variable([[3, 4], [5, 6]], name="v2")
    return v1, v2


def test_save_returns_prefix_and_state_file(tmp_path, target):
    v1, v2 = _model()
    saver = tf.train.Saver()
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=7)
    assert path == str(tmp_path / "model.ckpt-7")
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == path
    assert state.all_model_checkpoint_paths == [path]
    text = (tmp_path / "checkpoint").read_text()
    assert f'model_checkpoint_path: "{path}"' in text
    assert tf.train.checkpoint_exists(path)
    assert tf.train.list_variables(str(tmp_path)) == [("v1", [2]), ("v2", [2, 2])]
    np.testing.assert_array_equal(tf.train.load_variable(path, "v2"), [[3, 4], [5, 6]])


def test_global_step_tensor_and_max_to_keep(tmp_path):
    v = tf.Variable(0.0, name="v")
    step = tf.Variable(0, name="global_step", trainable=False)
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = []
        for i in range(4):
            sess.run(tf.assign(step, i))
            sess.run(tf.assign(v, float(i)))
            paths.append(saver.save(sess, str(tmp_path / "m"), global_step=step))
    assert saver.last_checkpoints == paths[2:]
    assert not tf.train.checkpoint_exists(paths[0]) and not tf.train.checkpoint_exists(paths[1])
    assert not [f for f in os.listdir(tmp_path) if f.startswith("m-0.") or f.startswith("m-1.")]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[3]
    assert tf.train.load_variable(paths[3], "v") == 3.0


def test_keep_checkpoint_every_n_hours_keeps_old_ones(tmp_path):
    tf.Variable(0.0, name="v")
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=0.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(3)]
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert saver.last_checkpoints == paths[-1:]


def test_var_list_dict_renames(tmp_path):
    v1, _ = _model()
    saver = tf.train.Saver({"renamed": v1})
    with tf.Session() as sess:
        sess.run(v1.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
    assert tf.train.list_variables(path) == [("renamed", [2])]
    tf.reset_default_graph()
    other = tf.Variable([0.0, 0.0], name="other")
    with tf.Session() as sess:
        tf.train.Saver({"renamed": other}).restore(sess, path)
        np.testing.assert_array_equal(sess.run(other), [1.0, 2.0])


def test_sharded_save_writes_one_file_per_device_and_restores_elsewhere(tmp_path):
    with tf.device("/job:ps/task:0"):
        tf.Variable([1.0], name="a")
    with tf.device("/job:ps/task:1"):
        tf.Variable([2.0], name="b")
    saver = tf.train.Saver(sharded=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    data = [f for f in os.listdir(tmp_path) if ".data-" in f]
    assert len(data) == 2 and all("-of-00002-" in f for f in data)
    tf.reset_default_graph()
    a2 = tf.Variable([0.0], name="a")
    b2 = tf.Variable([0.0], name="b")  # now on one device
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, path)
        assert sess.run([a2, b2]) == [[1.0], [2.0]] or (
            sess.run(a2)[0] == 1.0 and sess.run(b2)[0] == 2.0
        )


def _saved(tmp_path, target=None):
    v1, v2 = _model()
    saver = tf.train.Saver()
    sess = tf.Session(target)
    sess.run(tf.global_variables_initializer())
    path = saver.save(sess, str(tmp_path / "m"))
    sess.run(tf.assign(v1, [9.0, 9.0]))
    return sess, saver, path, v1, v2


def test_missing_checkpoint_is_not_found_and_value_error(tmp_path, target):
    sess, saver, _, v1, _ = _saved(tmp_path, target)
    with pytest.raises(tf.errors.NotFoundError) as info:
        saver.restore(sess, str(tmp_path / "nope"))
    assert isinstance(info.value, ValueError)
    np.testing.assert_array_equal(sess.run(v1), [9.0, 9.0])


def test_corrupted_bytes_raise_data_loss_naming_the_tensor(tmp_path, target):
    sess, saver, path, v1, v2 = _saved(tmp_path, target)
    # One data file in-process, one per PS on the cluster: alter the last tensor of each.
    for data in [f for f in os.listdir(tmp_path) if ".data-" in f]:
        blob = bytearray((tmp_path / data).read_bytes())
        blob[-3] ^= 0xFF
        (tmp_path / data).write_bytes(bytes(blob))
    with pytest.raises(tf.errors.DataLossError, match="for tensor v[12]"):
        saver.restore(sess, path)
    np.testing.assert_array_equal(sess.run(v1), [9.0, 9.0])  # nothing changed


def test_missing_variable_and_wrong_shape(tmp_path, target):
    sess, _, path, v1, _ = _saved(tmp_path, target)
    extra = tf.Variable(1.0, name="extra")
    with pytest.raises(tf.errors.NotFoundError, match="extra"):
        tf.train.Saver([v1, extra]).restore(sess, path)
    np.testing.assert_array_equal(sess.run(v1), [9.0, 9.0])
    wrong = tf.Variable([1.0, 2.0, 3.0], name="wrong")
    with pytest.raises(tf.errors.InvalidArgumentError, match="wrong"):
        tf.train.Saver({"v1": wrong}).restore(sess, path)
    wrong_type = tf.Variable([1, 2], name="wrong_type")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.train.Saver({"v1": wrong_type}).restore(sess, path)
    np.testing.assert_array_equal(sess.run(v1), [9.0, 9.0])


def test_save_into_missing_directory_fails(tmp_path, target):
    sess, saver, _, _, _ = _saved(tmp_path, target)
    with pytest.raises(ValueError, match="doesn't exist"):
        saver.save(sess, str(tmp_path / "no" / "m"))


def test_a_save_killed_before_its_index_leaves_the_previous_checkpoint(tmp_path):
    script = textwrap.dedent(f"""
        import os, psflow as tf
        from psflow.graph import checkpoint
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver()
        sess = tf.Session()
        sess.run(v.initializer)
        saver.save(sess, {str(tmp_path / "m")!r})
        sess.run(tf.assign(v, [7.0, 7.0]))
        checkpoint.write_index = lambda *a, **k: os._exit(9)  # killed after the data files
        saver.save(sess, {str(tmp_path / "m")!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "m")
    v = tf.Variable([0.0, 0.0], name="v")
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, latest)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_import_meta_graph_in_a_fresh_process(tmp_path):
    v1, v2 = _model()
    total = tf.add(tf.reduce_sum(v1), 1.0, name="total")
    tf.add_to_collection("outputs", total)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    script = textwrap.dedent(f"""
        import psflow as tf
        saver = tf.train.import_meta_graph({path + ".meta"!r})
        total = tf.get_collection("outputs")[0]
        with tf.Session() as sess:
            saver.restore(sess, {path!r})
            print(sess.run(total), len(tf.global_variables()))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["4.0", "2"]


def test_string_and_many_dtypes_round_trip(tmp_path):
    values = {
        "s": np.array([b"a", b"bc"], dtype=object),
        "f16": np.array([1.5], np.float16),
        "i64": np.array([[1, -2]], np.int64),
        "u8": np.array([255], np.uint8),
        "b": np.array([True, False]),
    }
    variables = {k: tf.Variable(v, name=k) for k, v in values.items()}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    with tf.Session() as sess:
        saver.restore(sess, path)
        for k, v in variables.items():
            got = sess.run(v)
            assert list(np.ravel(got)) == list(np.ravel(values[k])), k


@pytest.mark.ray
def test_cluster_checkpoint_restores_in_process(tmp_path, local_cluster):
    local_cluster.reset()
    with tf.device(local_cluster.device_setter()):
        tf.Variable(np.arange(6.0).reshape(2, 3), name="a")
        tf.Variable([5, 6], name="b")
    saver = tf.train.Saver()
    with tf.Session(local_cluster) as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"), global_step=3)
    data = [f for f in os.listdir(tmp_path) if ".data-" in f]
    assert len(data) == 2  # one file per PS that owns variables
    tf.reset_default_graph()
    a2 = tf.Variable(np.zeros((2, 3)), name="a")
    b2 = tf.Variable([0, 0], name="b")
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, path)
        np.testing.assert_array_equal(sess.run(a2), np.arange(6.0).reshape(2, 3))
        np.testing.assert_array_equal(sess.run(b2), [5, 6])


# Found when the checkpoint files were attacked: each failed before its fix. -------------------


def test_state_file_is_written_before_old_checkpoints_are_deleted(tmp_path, monkeypatch):
    from psflow.graph import checkpoint as ckpt

    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=1)
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1)

        def killed(prefix):
            raise KeyboardInterrupt("killed while deleting an old checkpoint")

        monkeypatch.setattr(ckpt, "remove_checkpoint", killed)
        with pytest.raises(KeyboardInterrupt):
            saver.save(sess, str(tmp_path / "model.ckpt"), global_step=2)
    # The state already names the complete new checkpoint, and it restores.
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "model.ckpt-2")
    assert tf.train.load_variable(latest, "v") == 1.0


def test_data_files_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(max_to_keep=2)
    orphan = tmp_path / "model.ckpt-5.data-00000-of-00001-0123456789ab"
    orphan.write_bytes(b"x" * 1000)  # a save killed before its index was written
    other = tmp_path / "other.ckpt-5.data-00000-of-00001-0123456789ab"
    other.write_bytes(b"y")  # another saver's files are not ours to clean
    with tf.Session() as sess:
        sess.run(v.initializer)
        for step in (1, 2, 3):
            saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    assert not orphan.exists() and other.exists()
    data = sorted(p.name.split(".data")[0] for p in tmp_path.glob("model.ckpt-*.data-*"))
    assert data == ["model.ckpt-2", "model.ckpt-3"]  # the kept checkpoints' files only


def test_state_paths_are_relative_to_the_checkpoint_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("runs/exp")
    v = tf.Variable(3.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver.save(sess, "runs/exp/model.ckpt", global_step=4)
    assert 'model_checkpoint_path: "model.ckpt-4"' in (tmp_path / "runs/exp/checkpoint").read_text()
    monkeypatch.chdir(tmp_path / "runs")
    assert tf.train.latest_checkpoint("exp") == os.path.join("exp", "model.ckpt-4")
    assert tf.train.latest_checkpoint(str(tmp_path / "runs/exp")) == str(
        tmp_path / "runs/exp/model.ckpt-4"
    )


def test_an_index_naming_a_file_outside_the_directory_is_data_loss(tmp_path):
    import msgpack

    v = tf.Variable([1.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
        index_path = tmp_path / "model.ckpt.index"
        index = msgpack.unpackb(index_path.read_bytes(), strict_map_key=False)
        for entry in index["tensors"].values():
            entry["file"] = "../../etc/passwd"
        index_path.write_bytes(msgpack.packb(index))
        with pytest.raises(tf.errors.DataLossError, match="outside the checkpoint directory"):
            saver.restore(sess, path)


def test_a_corrupt_meta_graph_is_data_loss_naming_the_file(tmp_path):
    meta = tmp_path / "model.ckpt.meta"
    meta.write_bytes(b"\xff\xfe not msgpack \x00\x01")
    with pytest.raises(tf.errors.DataLossError, match="model.ckpt.meta"):
        tf.train.import_meta_graph(str(meta))


def test_a_uri_checkpoint_directory_round_trips_with_pruning_and_meta_graph(tmp_path):
    """A `file://` URI goes through fsspec as `s3://` or `gs://` would."""
    uri = f"file://{tmp_path}"
    v1, v2 = _model()
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in (1, 2, 3):
            sess.run(tf.assign_add(v1, [1.0, 1.0]))
            saver.save(sess, f"{uri}/model.ckpt", global_step=step)
        sess.run(tf.assign(v1, [0.0, 0.0]))
        latest = tf.train.latest_checkpoint(uri)
        assert latest == f"{uri}/model.ckpt-3"
        saver.restore(sess, latest)
        np.testing.assert_array_equal(sess.run(v1), [4.0, 5.0])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not any(n.startswith("model.ckpt-1") for n in names)  # pruned through the URI
    assert "model.ckpt-3.meta" in names and "checkpoint" in names
    np.testing.assert_array_equal(tf.train.load_variable(uri, "v2"), [[3, 4], [5, 6]])
    tf.reset_default_graph()
    restored = tf.train.import_meta_graph(f"{uri}/model.ckpt-3.meta")
    with tf.Session() as sess:
        restored.restore(sess, latest)
        np.testing.assert_array_equal(sess.run("v1:0"), [4.0, 5.0])


def test_an_unknown_filesystem_scheme_is_unimplemented_naming_it(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.UnimplementedError, match="'nosuchfs' not implemented"):
            saver.save(sess, "nosuchfs://bucket/model.ckpt")
    with pytest.raises(tf.errors.UnimplementedError, match="nosuchfs"):
        tf.train.latest_checkpoint("nosuchfs://bucket")
