"""Finite-difference gradient checks: central differences in float64 against tf.gradients."""

from __future__ import annotations

import numpy as np

import psflow as tf


def numeric_and_symbolic(build, inputs, eps=1e-6, seed=0):
    """(numeric, symbolic) gradients of <w, build(*xs)> for a fixed random w, per input."""
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.float64, shape=x.shape) for x in inputs]
        y = build(*phs)
        rng = np.random.RandomState(seed)
        w_value = rng.uniform(0.5, 1.5, size=y.shape.as_list()).astype(np.float64)
        w = tf.constant(w_value)
        objective = tf.reduce_sum(y * w)
        grads = tf.gradients(objective, phs)
        fetch = [g if g is not None else tf.constant(0.0) for g in grads]
        with tf.Session(graph=graph) as sess:
            feed = dict(zip(phs, inputs))
            symbolic = sess.run([tf.convert_to_tensor(g) for g in fetch], feed)
            numeric = []
            for i, x in enumerate(inputs):
                g = np.zeros_like(x)
                flat = g.reshape(-1)
                for j in range(x.size):
                    xp = x.copy().reshape(-1)
                    xm = x.copy().reshape(-1)
                    xp[j] += eps
                    xm[j] -= eps
                    fp = sess.run(objective, {**feed, phs[i]: xp.reshape(x.shape)})
                    fm = sess.run(objective, {**feed, phs[i]: xm.reshape(x.shape)})
                    flat[j] = (fp - fm) / (2 * eps)
                numeric.append(g)
    return numeric, symbolic


def assert_gradients_match(build, inputs, rtol=1e-4, atol=1e-6):
    inputs = [np.asarray(x, np.float64) for x in inputs]
    numeric, symbolic = numeric_and_symbolic(build, inputs)
    for i, (n, s) in enumerate(zip(numeric, symbolic)):
        np.testing.assert_allclose(
            s, n, rtol=rtol, atol=atol, err_msg=f"gradient of input {i} does not match"
        )
