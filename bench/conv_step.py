"""Training-step throughput of a LeNet-style CNN in-process: psflow against TF1
(tensorflow.compat.v1) in the same run.

The network: 28x28x1 input, batch 64; conv 5x5 -> 32 channels (SAME), relu, 2x2 max-pool;
conv 5x5 -> 64 channels (SAME), relu, 2x2 max-pool; a dense layer to 10 logits; mean
sparse softmax cross-entropy; SGD. Both frameworks start from the same weights and are
checked to produce the same weights after one step before timing. Needs the `bench` extra
(and the `conv` extra for torch's kernels: the kernels psflow ran are printed); run it on a
quiet machine as `make bench` does. Ends with `ratio conv.b64_vs_tf1 VALUE
>=0.7` (VALUE = psflow steps/s / TF1 steps/s, medians of interleaved repeats).
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402

BATCH = 64
LR = 0.01
SHAPES = [(5, 5, 1, 32), (32,), (5, 5, 32, 64), (64,), (7 * 7 * 64, 10), (10,)]


def initial_weights(seed=0):
    rng = np.random.RandomState(seed)
    return [
        (rng.standard_normal(s) * (0.1 if len(s) > 1 else 0.0)).astype(np.float32) for s in SHAPES
    ]


def data(batch, seed=1):
    rng = np.random.RandomState(seed)
    return (
        rng.rand(batch, 28, 28, 1).astype(np.float32),
        rng.randint(0, 10, batch).astype(np.int64),
    )


def lenet_train_op(tf, x, y):
    """The CNN's loss and an SGD step: (train op, params). The same code builds the psflow
    and the TF1 graph."""
    params = [tf.Variable(w) for w in initial_weights()]
    h = x
    for i in (0, 2):
        h = tf.nn.conv2d(h, params[i], strides=[1, 1, 1, 1], padding="SAME")
        h = tf.nn.relu(tf.nn.bias_add(h, params[i + 1]))
        h = tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    logits = tf.nn.bias_add(tf.matmul(h, params[4]), params[5])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return tf.train.GradientDescentOptimizer(LR).minimize(loss), params


def framework_step(tf, batch):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [batch, 28, 28, 1])
        y = tf.placeholder(tf.int64, [batch])
        train, params = lenet_train_op(tf, x, y)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    xv, yv = data(batch)
    feed = {x: xv, y: yv}
    return (lambda: sess.run(train, feed)), (lambda: sess.run(params))


def main() -> None:
    import tensorflow.compat.v1 as tf1

    import psflow

    tf1.disable_eager_execution()
    print("blas:", harness.blas_kernels())
    contestants, values = {}, {}
    for name, tf in (("psflow", psflow), ("tf1", tf1)):
        step, weights = framework_step(tf, BATCH)
        step()
        values[name] = weights()
        contestants[f"{name}.b{BATCH}"] = step
    from psflow.graph.ops import torch_kernels

    torch = torch_kernels.loaded()
    print("psflow kernels:", f"torch {torch.__version__}" if torch else "numpy")
    for a, b in zip(values["psflow"], values["tf1"]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    medians = harness.interleaved_medians(contestants, repeats=7, min_time=0.5)
    for name, seconds in medians.items():
        print(f"{name:12s} {1 / seconds:9.1f} steps/s  ({seconds * 1e3:.3f} ms/step)")
    value = medians[f"tf1.b{BATCH}"] / medians[f"psflow.b{BATCH}"]
    print(harness.ratio_line(f"conv.b{BATCH}_vs_tf1", value, ">=0.7"))


if __name__ == "__main__":
    main()
