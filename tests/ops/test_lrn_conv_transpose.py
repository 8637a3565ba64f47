"""tf.nn.lrn / local_response_normalization, conv2d_transpose, depthwise_conv2d and
separable_conv2d against numpy and
TensorFlow's recorded outputs and gradients (data/tf1_lrn_conv_transpose.npz, made with
tensorflow.compat.v1 on the same inputs), with finite-difference gradient checks."""

import os

import numpy as np
import pytest

import psflow as tf

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "tf1_lrn_conv_transpose.npz"))


def _lrn_numpy(x, radius, bias, alpha, beta):
    out = np.empty_like(x)
    depth = x.shape[-1]
    for d in range(depth):
        lo, hi = max(0, d - radius), min(depth, d + radius + 1)
        out[..., d] = x[..., d] / (bias + alpha * (x[..., lo:hi] ** 2).sum(-1)) ** beta
    return out


def test_lrn_equals_numpy_and_tensorflow_with_its_gradient():
    x = tf.constant(DATA["x"])
    out = tf.nn.lrn(x, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75)
    grad = tf.gradients(tf.reduce_sum(out * out), x)[0]
    with tf.Session() as sess:
        got, g = sess.run([out, grad])
    np.testing.assert_allclose(got, _lrn_numpy(DATA["x"], 2, 1.0, 0.5, 0.75), rtol=1e-5)
    np.testing.assert_allclose(got, DATA["lrn"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, DATA["gl"], rtol=1e-4, atol=1e-5)


def test_lrn_gradient_against_finite_differences():
    x0 = np.random.RandomState(1).randn(1, 1, 2, 5)
    x = tf.placeholder(tf.float64, x0.shape)
    loss = tf.reduce_sum(tf.sin(tf.nn.local_response_normalization(x, 1, 2.0, 0.3, 0.6)))
    grad = tf.gradients(loss, x)[0]
    with tf.Session() as sess:
        analytic = sess.run(grad, {x: x0})
        numeric = np.zeros_like(x0)
        for i in np.ndindex(*x0.shape):
            up, down = x0.copy(), x0.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric[i] = (sess.run(loss, {x: up}) - sess.run(loss, {x: down})) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_conv2d_transpose_equals_tensorflow_with_gradients():
    v, f = tf.constant(DATA["v"]), tf.constant(DATA["f"])
    out = tf.nn.conv2d_transpose(v, f, [1, 4, 4, 2], [1, 2, 2, 1], "SAME")
    grads = tf.gradients(tf.reduce_sum(out * out), [v, f])
    assert out.shape.as_list() == [1, 4, 4, 2]
    with tf.Session() as sess:
        got, gv, gf = sess.run([out, *grads])
    np.testing.assert_allclose(got, DATA["ct"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gv, DATA["gv"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gf, DATA["gf"], rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="input channels"):
        tf.nn.conv2d_transpose(tf.zeros([1, 2, 2, 4]), f, [1, 4, 4, 2], [1, 2, 2, 1])


def test_depthwise_and_separable_conv2d_equal_tensorflow_with_gradients():
    x, dwf, pwf = (tf.constant(DATA[k]) for k in ("dw_x", "dw_f", "pw_f"))
    dw = tf.nn.depthwise_conv2d(x, dwf, [1, 2, 2, 1], "SAME")
    sep = tf.nn.separable_conv2d(x, dwf, pwf, [1, 1, 1, 1], "VALID")
    grads = tf.gradients(tf.reduce_sum(sep * sep) + tf.reduce_sum(dw), [x, dwf, pwf])
    assert dw.shape.as_list() == [1, 3, 3, 6] and sep.shape.as_list() == [1, 3, 3, 4]
    with tf.Session() as sess:
        got = sess.run([dw, sep, *grads])
    for value, key in zip(got, ["dw_dw", "dw_sep", "dw_g_x", "dw_g_dw", "dw_g_pw"]):
        np.testing.assert_allclose(value, DATA[key], rtol=1e-4, atol=1e-4)
