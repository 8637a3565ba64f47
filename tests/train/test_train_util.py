"""More of tf.train: cosine_decay_restarts against TF1's formula, noisy_linear_cosine_decay's
bounds, the checkpoint file helpers, assert_global_step and write_graph."""

import math
import os

import numpy as np
import pytest

import psflow as tf


def _sgdr(lr, step, first, t_mul, m_mul, alpha):
    frac = step / first
    if t_mul == 1.0:
        i = math.floor(frac)
        done = frac - i
    else:
        i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
        done = (frac - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    cosine = 0.5 * m_mul**i * (1 + math.cos(math.pi * done))
    return lr * ((1 - alpha) * cosine + alpha)


@pytest.mark.parametrize("t_mul,m_mul", [(2.0, 1.0), (1.0, 0.5), (1.5, 0.8)])
def test_cosine_decay_restarts(t_mul, m_mul):
    step = tf.placeholder(tf.int64, [])
    lr = tf.train.cosine_decay_restarts(0.1, step, 10, t_mul=t_mul, m_mul=m_mul, alpha=0.1)
    with tf.Session() as sess:
        for s in (0, 3, 9, 10, 17, 29, 31, 75):
            want = _sgdr(0.1, s, 10, t_mul, m_mul, 0.1)
            assert sess.run(lr, {step: s}) == pytest.approx(want, rel=1e-5)


def test_noisy_linear_cosine_decay_stays_near_its_mean():
    step = tf.placeholder(tf.int64, [])
    lr = tf.train.noisy_linear_cosine_decay(1.0, step, 100, initial_variance=0.0)
    with tf.Session() as sess:
        start, end = sess.run(lr, {step: 0}), sess.run(lr, {step: 100})
    assert start == pytest.approx(1.001) and end == pytest.approx(0.001)


def test_checkpoint_file_helpers(tmp_path):
    v = tf.Variable(3.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)
        second = saver.save(sess, str(tmp_path / "m"), global_step=2)
    mtimes = tf.train.get_checkpoint_mtimes([first, second, str(tmp_path / "nope")])
    assert len(mtimes) == 2
    assert tf.train.load_checkpoint(str(tmp_path)).get_tensor("v") == 3.0
    tf.train.update_checkpoint_state(str(tmp_path), first, [first])
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    state = tf.train.generate_checkpoint_state_proto(str(tmp_path), second, [first])
    assert state.all_model_checkpoint_paths == [first, second]
    assert next(tf.train.checkpoints_iterator(str(tmp_path), timeout=1)) == first
    tf.train.remove_checkpoint(second)
    assert not tf.train.checkpoint_exists(second) and tf.train.checkpoint_exists(first)
    with pytest.raises(ValueError):
        tf.train.load_checkpoint(str(tmp_path / "empty_dir_missing"))


def test_assert_global_step_and_write_graph(tmp_path):
    tf.train.assert_global_step(tf.train.get_or_create_global_step())
    with pytest.raises(TypeError, match="integer"):
        tf.train.assert_global_step(tf.Variable(1.0))
    tf.constant(1.0, name="c")
    path = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.pbtxt")
    with open(path) as f:
        assert 'name: "c"' in f.read()
    binary = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.pb", as_text=False)
    with open(binary, "rb") as f:
        graph_def = tf.GraphDef.FromString(f.read())
    assert "c" in [n.name for n in graph_def.node] and os.path.getsize(binary) > 0
    assert np.isfinite(os.path.getsize(path))


def test_init_from_checkpoint_maps_scopes_and_names(tmp_path):
    with tf.Graph().as_default():
        with tf.variable_scope("old"):
            tf.get_variable("a", [2], initializer=tf.constant_initializer([1.0, 2.0]))
            tf.get_variable("b", [], initializer=tf.constant_initializer(5.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(tmp_path / "model"))
    with tf.Graph().as_default():
        with tf.variable_scope("new"):
            a = tf.get_variable("a", [2])
            b = tf.get_variable("b", [])
        c = tf.get_variable("c", [], initializer=tf.constant_initializer(7.0))
        d = tf.get_variable("d", [], initializer=tf.zeros_initializer())
        tf.train.init_from_checkpoint(str(tmp_path), {"old/": "new/"})
        tf.train.init_from_checkpoint(str(tmp_path / "model"), {"old/b": d})
        with pytest.raises(ValueError, match="not found"):
            tf.train.init_from_checkpoint(str(tmp_path), {"old/zz": "c"})
        with pytest.raises(ValueError, match="Shape of variable c"):
            tf.train.init_from_checkpoint(str(tmp_path), {"old/a": c})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([a, b, c, d])
    assert got[0].tolist() == [1.0, 2.0] and got[1:] == [5.0, 7.0, 5.0]


def test_warm_start_by_pattern_and_previous_name(tmp_path):
    with tf.Graph().as_default():
        tf.get_variable("dense/kernel", [2], initializer=tf.constant_initializer([3.0, 4.0]))
        tf.get_variable("old_bias", [], initializer=tf.constant_initializer(9.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, str(tmp_path / "model"))
    with tf.Graph().as_default():
        kernel = tf.get_variable("dense/kernel", [2], initializer=tf.zeros_initializer())
        bias = tf.get_variable("dense/bias", [], initializer=tf.zeros_initializer())
        other = tf.get_variable("head/w", [], initializer=tf.constant_initializer(1.0))
        tf.train.warm_start(str(tmp_path), vars_to_warm_start="dense/.*",
                            var_name_to_prev_var_name={"dense/bias": "old_bias"})  # fmt: skip
        same = tf.train.VocabInfo("vocab.txt", 10, 1, "vocab.txt")
        assert same.new_vocab_size == 10 and same.axis == 0
        with pytest.raises(NotImplementedError, match="across vocabularies"):
            tf.train.warm_start(str(tmp_path), var_name_to_vocab_info={
                "head/w": tf.train.VocabInfo("new.txt", 10, 1, "old.txt")})  # fmt: skip
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([kernel, bias, other])
    assert got[0].tolist() == [3.0, 4.0] and got[1:] == [9.0, 1.0]
