"""variable_scope / get_variable (reuse modes, nesting, re-entry, defaults, regularizers,
partitioners), initializers, tf.layers.dense and tf.losses."""

import numpy as np
import pytest

import psflow as tf


def test_get_variable_names_and_reuse_modes():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3])
    assert w.name == "layer/w:0" and w.shape.as_list() == [2, 3]
    with pytest.raises(ValueError, match="already exists, disallowed"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", [2, 3])
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w", [2, 3]) is w
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("missing", [1])
        with pytest.raises(ValueError, match="Trying to share variable layer/w"):
            tf.get_variable("w", [3, 3])
    with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w") is w
        created = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
    assert created.name == "layer/b:0"


def test_reuse_inherits_and_scope_object_reentry():
    with tf.variable_scope("outer") as outer:
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", [1])
    with tf.variable_scope(outer, reuse=True):
        with tf.variable_scope("inner"):
            assert tf.variable_scope is not None
            assert tf.get_variable("v", [1]) is v
            assert tf.get_variable_scope().reuse is True
    with tf.variable_scope("outer") as again:
        again.reuse_variables()
        with tf.variable_scope("inner"):
            assert tf.get_variable("v") is v


def test_name_scope_differs_from_variable_scope_on_reentry():
    with tf.variable_scope("s"):
        a = tf.constant(1.0, name="c")
    with tf.variable_scope("s", reuse=tf.AUTO_REUSE):
        b = tf.constant(1.0, name="c")
        v = tf.get_variable("v", [1])
    assert a.name == "s/c:0" and b.name == "s_1/c:0" and v.name == "s/v:0"
    with tf.name_scope("ns"):
        u = tf.get_variable("u", [1])
    assert u.name == "u:0"


def test_default_names_are_made_unique():
    with tf.variable_scope(None, default_name="block") as s1:
        pass
    with tf.variable_scope(None, default_name="block") as s2:
        pass
    assert (s1.name, s2.name) == ("block", "block_1")
    names = []
    for _ in range(3):  # the third is block_2, not block_1 again
        with tf.variable_scope(None, default_name="block") as s:
            names.append(s.name)
    assert names == ["block_2", "block_3", "block_4"]
    x = tf.placeholder(tf.float32, [None, 3])
    for width in (4, 2, 1):
        x = tf.layers.dense(x, width, activation=tf.nn.relu)
    assert [v.op.name for v in tf.trainable_variables()][::2] == [
        "dense/kernel", "dense_1/kernel", "dense_2/kernel"
    ]  # fmt: skip


def test_scope_initializer_and_default_initializers():
    with tf.variable_scope("init", initializer=tf.constant_initializer(3.0)):
        a = tf.get_variable("a", [2])
        b = tf.get_variable("b", [2], initializer=tf.ones_initializer())
    n = tf.get_variable("n", [2], dtype=tf.int32)
    g = tf.get_variable("g", [50, 40])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        av, bv, nv, gv = sess.run([a, b, n, g])
    np.testing.assert_array_equal(av, [3, 3])
    np.testing.assert_array_equal(bv, [1, 1])
    np.testing.assert_array_equal(nv, [0, 0])
    limit = np.sqrt(6 / 90)
    assert np.abs(gv).max() <= limit and np.abs(gv).max() > 0.8 * limit


@pytest.mark.parametrize(
    "init,check",
    [
        (tf.zeros_initializer(), lambda v: np.all(v == 0)),
        (
            tf.constant_initializer([[1, 2, 3], [4, 5, 6]]),
            lambda v: np.array_equal(v, [[1, 2, 3], [4, 5, 6]]),
        ),
        (tf.random_normal_initializer(1.0, 0.01, seed=1), lambda v: abs(v.mean() - 1) < 0.02),
        (tf.truncated_normal_initializer(stddev=0.1, seed=1), lambda v: np.abs(v).max() <= 0.2),
        (tf.random_uniform_initializer(-0.1, 0.1, seed=1), lambda v: np.abs(v).max() <= 0.1),
        (
            tf.glorot_normal_initializer(seed=1),
            lambda v: np.abs(v).max() <= 2 * np.sqrt(2 / 5) / 0.8796,
        ),
        (
            tf.variance_scaling_initializer(2.0, "fan_in", "uniform", seed=1),
            lambda v: np.abs(v).max() <= np.sqrt(3 * 2 / 2),
        ),
        (tf.orthogonal_initializer(seed=2), lambda v: np.allclose(v @ v.T, np.eye(2), atol=1e-5)),
    ],
    ids=[
        "zeros",
        "constant",
        "normal",
        "truncated",
        "uniform",
        "glorot_normal",
        "variance_scaling",
        "orthogonal",
    ],
)
def test_initializers(init, check):
    v = tf.get_variable("v", [2, 3], initializer=init)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert check(sess.run(v))


def test_shape_must_be_known_and_bad_reuse_value():
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("x")
    with pytest.raises(ValueError, match="reuse"):
        with tf.variable_scope("s", reuse="yes"):
            pass


def test_regularizer_adds_loss_and_total_loss():
    with tf.variable_scope("r", regularizer=lambda w: 0.5 * tf.reduce_sum(tf.square(w))):
        w = tf.get_variable("w", initializer=tf.constant([1.0, 2.0]))
        tf.get_variable("free", [1], regularizer=tf.no_regularizer)
    losses = tf.losses.get_regularization_losses()
    assert len(losses) == 1 and losses[0].op.name.startswith("r/w/Regularizer/")
    mse = tf.losses.mean_squared_error([1.0, 1.0], w)
    total = tf.losses.get_total_loss()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(mse) == pytest.approx(0.5)
        assert sess.run(total) == pytest.approx(0.5 + 2.5)
        assert sess.run(tf.losses.get_regularization_loss()) == pytest.approx(2.5)


def test_partitioned_variable_shards_and_lookup():
    value = np.arange(14.0).reshape(7, 2)
    table = tf.get_variable(
        "emb",
        [7, 2],
        initializer=tf.constant_initializer(value),
        partitioner=tf.fixed_size_partitioner(3),
    )
    shards = list(table)
    assert [s.name for s in shards] == ["emb/part_0:0", "emb/part_1:0", "emb/part_2:0"]
    assert [s.shape.as_list() for s in shards] == [[3, 2], [2, 2], [2, 2]]
    rows = tf.nn.embedding_lookup(table, [6, 0, 3], partition_strategy="div")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(table.as_tensor()), value)
        np.testing.assert_array_equal(sess.run(rows), value[[6, 0, 3]])
    small = tf.get_variable(
        "small",
        [4, 2],
        partitioner=tf.min_max_variable_partitioner(max_partitions=4, min_slice_size=16),
    )
    assert len(list(small)) == 2


def test_layers_dense_and_reuse():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.layers.dense(x, 4, activation=tf.nn.relu, name="fc")
    y2 = tf.layers.dense(x, 4, name="fc", reuse=True)
    z = tf.layers.dense(tf.zeros([2, 5, 3]), 2)
    names = sorted(v.name for v in tf.trainable_variables())
    assert names == ["dense/bias:0", "dense/kernel:0", "fc/bias:0", "fc/kernel:0"]
    assert y.shape.as_list() == [None, 4] and z.shape.as_list() == [2, 5, 2]
    xv = np.random.RandomState(0).rand(2, 3).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, b = sess.run(["fc/kernel:0", "fc/bias:0"])
        got, got2 = sess.run([y, y2], {x: xv})
    np.testing.assert_allclose(got, np.maximum(xv @ k + b, 0), rtol=1e-6)
    np.testing.assert_allclose(got2, xv @ k + b, rtol=1e-6)
    with pytest.raises(ValueError, match="last dimension"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 2)


def test_losses_against_numpy():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]], np.float32)
    labels = np.array([1, 2])
    onehot = np.eye(3, dtype=np.float32)[labels]
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    xent = -log_p[[0, 1], labels]
    sparse = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    dense = tf.losses.softmax_cross_entropy(onehot, logits, weights=[1.0, 0.0])
    mse = tf.losses.mean_squared_error([[1.0], [2.0]], [[1.5], [1.0]], weights=[[2.0], [1.0]])
    none = tf.losses.absolute_difference([1.0, 2.0], [0.0, 4.0], reduction=tf.losses.Reduction.NONE)
    with tf.Session() as sess:
        got = sess.run([sparse, dense, mse, none])
    assert got[0] == pytest.approx(xent.mean(), rel=1e-5)
    assert got[1] == pytest.approx(xent[0], rel=1e-5)
    assert got[2] == pytest.approx((2 * 0.25 + 1.0) / 2)
    np.testing.assert_allclose(got[3], [1.0, 2.0])
    assert len(tf.losses.get_losses()) == 4


def test_reentering_a_scope_by_object_names_ops_as_tf():
    with tf.variable_scope("enc") as vs:
        a = tf.identity(tf.get_variable("u", [], initializer=tf.zeros_initializer()))
    with tf.variable_scope(vs):
        b = tf.identity(1.0)
    with tf.variable_scope(vs, reuse=True):
        c = tf.identity(1.0)
        u2 = tf.get_variable("u", [])
    with tf.variable_scope("outer"):
        with tf.variable_scope(vs):
            d = tf.identity(1.0)
            e = tf.get_variable("k", [], initializer=tf.zeros_initializer())
    with tf.variable_scope(vs, auxiliary_name_scope=False):
        f = tf.identity(1.0)
    with tf.variable_scope("enc"):
        g = tf.identity(1.0)
    with tf.variable_scope("x"):
        with tf.variable_scope("y") as vy:
            pass
    with tf.variable_scope(vy):
        h = tf.identity(1.0)
    assert [t.name for t in (a, b, c, u2, d, e, f, g, h)] == [  # TF
        "enc/Identity:0", "enc_1/Identity:0", "enc_2/Identity:0", "enc/u:0",
        "outer/enc/Identity:0", "enc/k:0", "Identity:0", "enc_3/Identity:0", "y/Identity:0",
    ]  # fmt: skip
    assert vs.original_name_scope == "enc/"
