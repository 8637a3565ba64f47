"""A small CNN's SGD steps on every target -- in-process, and on the cluster where a worker
task runs the convolutions (torch's kernels there when torch is installed, as here) --
against the same steps in float64 on numpy's kernels."""

import numpy as np

import psflow as tf


def _cnn_steps(target, dtype, steps=3):
    """(losses, final weights) of `steps` SGD steps of conv-relu-pool, a strided VALID conv,
    and a dense layer to 3 classes."""
    rng = np.random.RandomState(0)
    xv = rng.rand(8, 12, 12, 2)
    yv = rng.randint(0, 3, 8)
    shapes = [(3, 3, 2, 4), (4,), (3, 3, 4, 6), (6,), (2 * 2 * 6, 3)]
    params = [tf.Variable((rng.standard_normal(s) * 0.5).astype(dtype)) for s in shapes]
    x = tf.placeholder(dtype, [8, 12, 12, 2])
    y = tf.placeholder(tf.int64, [8])
    h = tf.nn.conv2d(x, params[0], strides=[1, 1, 1, 1], padding="SAME")
    h = tf.nn.relu(tf.nn.bias_add(h, params[1]))
    h = tf.nn.max_pool(h, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")
    h = tf.nn.conv2d(h, params[2], strides=[1, 2, 2, 1], padding="VALID")
    h = tf.nn.relu(tf.nn.bias_add(h, params[3]))
    logits = tf.matmul(tf.reshape(h, [8, -1]), params[4])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    losses = []
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            losses.append(sess.run([loss, train], {x: xv.astype(dtype), y: yv})[0])
        return losses, sess.run(params)


def test_a_cnn_trains_alike_on_every_target(target):
    losses, weights = _cnn_steps(target, np.float32)
    with tf.Graph().as_default():
        want_losses, want_weights = _cnn_steps(None, np.float64)
    assert want_losses[-1] < want_losses[0]
    np.testing.assert_allclose(losses, want_losses, rtol=1e-4)
    for got, want in zip(weights, want_weights):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
