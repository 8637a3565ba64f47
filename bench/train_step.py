"""Training-step throughput of the 784-256-128-10 MLP (relu, softmax cross-entropy, SGD) at
batch 64 and 512 on random data: psflow in-process, TF1 (tensorflow.compat.v1) and
hand-written numpy forward+backward+update (the no-framework ceiling), in the same run.

All three start from the same weights and are checked to produce the same weights after
one step before timing. Needs the `bench` extra. Run it as `make bench` does, with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset when the machine pins old-OpenBLAS kernels
(numpy's current OpenBLAS then picks its own; the kernel in use is printed first). Ends with
`ratio train.b{64,512}_vs_tf1 VALUE >=0.9/0.8` and `ratio train.b{64,512}_vs_numpy VALUE
>=0.85` (VALUE = psflow steps/s / anchor steps/s), then the same psflow and TF1 steps again
beside BUSY other processes spinning on the cores (a shared machine, or tasks co-located),
`ratio train.b64_contended_vs_tf1 VALUE >=0.9` and `ratio train.b512_contended_vs_tf1 VALUE
>=0.8`, with each framework's contended/quiet fraction printed (graph/threads.py: BLAS's
threads follow the machine's load).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402

SIZES = [784, 256, 128, 10]
BUSY = 2  # other processes spinning during the contended phase
LR = 0.01


def initial_weights(seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        out.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        out.append(np.zeros(fan_out, np.float32))
    return out


def data(batch, seed=1):
    rng = np.random.RandomState(seed)
    return (
        rng.rand(batch, SIZES[0]).astype(np.float32),
        rng.randint(0, SIZES[-1], batch).astype(np.int64),
    )


def mlp_loss(tf, x, y):
    """The MLP on x and its mean cross-entropy against y: (loss, params). The same code
    builds the psflow and the TF1 graph."""
    params = [tf.Variable(w) for w in initial_weights()]
    h = x
    for i in range(0, len(params), 2):
        h = tf.nn.bias_add(tf.matmul(h, params[i]), params[i + 1])
        if i < len(params) - 2:
            h = tf.nn.relu(h)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
    return loss, params


def mlp_train_op(tf, x, y):
    """The MLP's loss and an SGD step: (train op, params)."""
    loss, params = mlp_loss(tf, x, y)
    return tf.train.GradientDescentOptimizer(LR).minimize(loss), params


def framework_step(tf, batch):
    """A graph-mode training step in psflow or TF1 (same code for both)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [batch, SIZES[0]])
        y = tf.placeholder(tf.int64, [batch])
        train, params = mlp_train_op(tf, x, y)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    xv, yv = data(batch)
    feed = {x: xv, y: yv}
    return (lambda: sess.run(train, feed)), (lambda: sess.run(params))


def numpy_grads(weights, xv, yv):
    """The MLP's forward and backward pass, written by hand: the gradients of the mean
    cross-entropy for each of the six parameters."""
    w1, b1, w2, b2, w3, b3 = weights
    z1 = xv @ w1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2 + b2
    a2 = np.maximum(z2, 0)
    logits = a2 @ w3 + b3
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(yv)), yv] -= 1
    d3 = p / len(yv)
    d2 = (d3 @ w3.T) * (z2 > 0)
    d1 = (d2 @ w2.T) * (z1 > 0)
    return [xv.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0), a2.T @ d3, d3.sum(0)]


def numpy_step(batch):
    """Forward, backward and in-place SGD, written by hand."""
    w = initial_weights()
    xv, yv = data(batch)

    def step():
        for param, grad in zip(w, numpy_grads(w, xv, yv)):
            param -= LR * grad

    return step, (lambda: [p.copy() for p in w])


def main() -> None:
    import tensorflow.compat.v1 as tf1

    import psflow

    tf1.disable_eager_execution()
    print("blas:", harness.blas_kernels())
    medians, steps = {}, {}
    for batch in (64, 512):
        contestants = {}
        values = {}
        for name, (step, weights) in (
            ("psflow", framework_step(psflow, batch)),
            ("tf1", framework_step(tf1, batch)),
            ("numpy", numpy_step(batch)),
        ):
            step()
            values[name] = weights()
            contestants[f"{name}.b{batch}"] = step
        for name in ("tf1", "numpy"):
            for a, b in zip(values["psflow"], values[name]):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        medians.update(harness.interleaved_medians(contestants, repeats=7, min_time=0.3))
        steps.update(contestants)
    for name, seconds in medians.items():
        print(f"{name:12s} {1 / seconds:9.1f} steps/s  ({seconds * 1e3:.3f} ms/step)")
    for batch, goal_tf in ((64, ">=0.9"), (512, ">=0.8")):
        ps = medians[f"psflow.b{batch}"]
        print(harness.ratio_line(f"train.b{batch}_vs_tf1", medians[f"tf1.b{batch}"] / ps, goal_tf))
    for batch in (64, 512):
        ps = medians[f"psflow.b{batch}"]
        print(
            harness.ratio_line(
                f"train.b{batch}_vs_numpy", medians[f"numpy.b{batch}"] / ps, ">=0.85"
            )
        )
    busy = _contended({k: v for k, v in steps.items() if not k.startswith("numpy")})
    for name, seconds in busy.items():
        fraction = medians[name] / seconds
        print(f"{name:12s} {1 / seconds:9.1f} steps/s beside {BUSY} busy processes "
              f"({fraction:.2f} of quiet)")  # fmt: skip
    for batch, goal in ((64, ">=0.9"), (512, ">=0.8")):
        value = busy[f"tf1.b{batch}"] / busy[f"psflow.b{batch}"]
        print(harness.ratio_line(f"train.b{batch}_contended_vs_tf1", value, goal))


def _spin(stop) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def _contended(steps: dict) -> dict:
    """Median seconds per step of each contestant while BUSY processes spin."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    spinners = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(BUSY)]
    for p in spinners:
        p.start()
    time.sleep(1.0)  # they are running (and psflow's governor has seen them)
    try:
        return harness.interleaved_medians(steps, repeats=5, min_time=0.3)
    finally:
        stop.set()
        for p in spinners:
            p.join()


if __name__ == "__main__":
    main()
