"""The distributed runtime against its anchors, in one run:

(a) tiny step: a PS variable read plus an add on a worker -- psflow `Session(cluster)` vs the
    same two chained Ray actor calls written by hand (plain `.remote()` with ObjectRefs) and
    vs TF1's gRPC runtime (`tf.train.Server`, one ps and one worker task on loopback ports);
(b) the 784-256-128-10 MLP training step with 1 PS + 1 worker at batch 64 and 512 (PS read,
    gradients on the worker, update applied on the PS; the batch fed from the driver every
    step in all three) vs a hand-written numpy parameter server on plain Ray actors and vs
    TF1 gRPC;
(c) reading a 64 MB PS variable into a worker op (`reduce_sum` there) vs numpy memcpy
    bandwidth and vs TF1 gRPC.

Needs the `bench` extra. Ends with `ratio dist.tiny_vs_ray`, `dist.mlp_b64_vs_ray`,
`dist.mlp_b512_vs_ray` (time ratios, <=1.1), `dist.transfer_vs_memcpy` (bandwidth ratio,
>=0.25) and `dist.transfer_vs_tf1grpc` (time ratio, <=0.5); TF1 gRPC step times are printed
beside them.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402
from train_step import (  # noqa: E402
    LR,
    SIZES,
    data,
    initial_weights,
    mlp_train_op,
    numpy_grads,
)

BIG = 16 * 1024 * 1024  # float32 elements: 64 MB


# The graphs, written once for psflow and TF1 -------------------------------------------------
def tiny_graph(tf):
    with tf.device("/job:ps/task:0"):
        v = tf.Variable(np.float32(1.0), name="v")
    with tf.device("/job:worker/task:0"):
        y = v + 1.0
    return y


def mlp_graph(tf, batch):
    with tf.device("/job:worker/task:0"):
        x = tf.placeholder(tf.float32, [batch, SIZES[0]])
        y = tf.placeholder(tf.int64, [batch])
    with tf.device(tf.train.replica_device_setter(ps_tasks=1, worker_device="/job:worker/task:0")):
        train, params = mlp_train_op(tf, x, y)
    xv, yv = data(batch)
    return train, {x: xv, y: yv}, params


def big_graph(tf):
    with tf.device("/job:ps/task:0"):
        big = tf.Variable(tf.ones([BIG], tf.float32), name="big")
    with tf.device("/job:worker/task:0"):
        total = tf.reduce_sum(big)
    return total


def build(tf, target):
    """Sessions and step callables for the three workloads on one target."""
    out = {}
    graph = tf.Graph()
    with graph.as_default():
        y = tiny_graph(tf)
        sess = tf.Session(target, graph=graph)
        sess.run(tf.global_variables_initializer())
        assert sess.run(y) == 2.0
        out["tiny"] = lambda: sess.run(y)
    for batch in (64, 512):
        graph = tf.Graph()
        with graph.as_default():
            train, feed, params = mlp_graph(tf, batch)
            s = tf.Session(target, graph=graph)
            s.run(tf.global_variables_initializer())
            s.run(train, feed)
            out[f"mlp_b{batch}"] = lambda s=s, train=train, feed=feed: s.run(train, feed)
            out[f"weights_b{batch}"] = lambda s=s, params=params: s.run(params)
    graph = tf.Graph()
    with graph.as_default():
        total = big_graph(tf)
        s = tf.Session(target, graph=graph)
        s.run(tf.global_variables_initializer())
        assert s.run(total) == BIG
        out["transfer"] = lambda: s.run(total)
    return out


# Hand-written Ray anchors ---------------------------------------------------------------------
def ray_anchors():
    import ray

    @ray.remote(num_cpus=0.25)
    class PS:
        def __init__(self):
            self.v = np.float32(1.0)
            self.weights = None
            self.big = np.ones(BIG, np.float32)

        def read(self):
            return self.v

        def read_with(self, _):
            return self.v

        def set_weights(self, weights):
            self.weights = [w.copy() for w in weights]

        def get_weights(self):
            return self.weights

        def apply(self, grads):
            for w, g in zip(self.weights, grads):
                w -= LR * g
            return True

        def read_big(self):
            return self.big

    @ray.remote(num_cpus=0.25)
    class Worker:
        def add(self, v):
            return v + np.float32(1.0)

        def grads(self, weights, xv, yv):
            return numpy_grads(weights, xv, yv)

        def total(self, big):
            return big.sum()

    ps, worker = PS.remote(), Worker.remote()
    ray.get(ps.set_weights.remote(initial_weights()))
    assert ray.get(worker.add.remote(ps.read.remote())) == 2.0
    assert ray.get(worker.total.remote(ps.read_big.remote())) == BIG

    def mlp(batch):
        xv, yv = data(batch)  # fed from the driver every step, as the sessions feed it

        def step():
            grads = worker.grads.remote(ps.get_weights.remote(), xv, yv)
            return ray.get(ps.apply.remote(grads))

        return step

    fns = {
        "tiny": lambda: ray.get(worker.add.remote(ps.read.remote())),
        "mlp_b64": mlp(64),
        "mlp_b512": mlp(512),
        "transfer": lambda: ray.get(worker.total.remote(ps.read_big.remote())),
    }
    return fns, (ps, worker)


# TF1 gRPC ---------------------------------------------------------------------------------------
def tf1_grpc():
    import tensorflow.compat.v1 as tf1

    tf1.disable_eager_execution()
    spec = tf1.train.ClusterSpec(
        {"ps": [f"localhost:{harness.free_port()}"], "worker": [f"localhost:{harness.free_port()}"]}
    )
    servers = [
        tf1.train.Server(spec, job_name="ps", task_index=0),
        tf1.train.Server(spec, job_name="worker", task_index=0),
    ]
    return build(tf1, servers[1].target), servers


def ray_compiled_anchor(ps, worker):
    """The hand-written two-hop Ray compiled graph: PS read -> worker add."""
    from ray.dag import InputNode

    with InputNode() as inp:
        dag = worker.add.bind(ps.read_with.bind(inp))
    graph = dag.experimental_compile()
    assert graph.execute(0).get() == 2.0
    return (lambda: graph.execute(0).get()), graph.teardown


def fast_phase(psflow, cluster, ray_keep, tf_fns) -> dict:
    """The fast path, one workload at a time (one compiled graph per cluster at a time),
    each interleaved with its anchors."""
    cluster.config.fast_path = True
    medians = {}
    compiled_fn, teardown = ray_compiled_anchor(*ray_keep)
    try:
        for key in ("tiny", "mlp_b64", "transfer"):
            fns = build_one(psflow, cluster, key)
            for _ in range(6):  # compiled after a few repeats
                fns["step"]()
            assert fns["runtime"].fast_path is not None, f"fast path not taken for {key}"
            contestants = {f"fast.{key}": fns["step"], f"tf1grpc.{key}": tf_fns[key]}
            if key == "tiny":
                contestants["raycompiled.tiny"] = compiled_fn
            medians.update(harness.interleaved_medians(contestants, repeats=9, min_time=0.3))
            fns["close"]()
    finally:
        teardown()
        cluster.config.fast_path = False
    return medians


def build_one(tf, target, key):
    graph = tf.Graph()
    with graph.as_default():
        if key == "tiny":
            y = tiny_graph(tf)
            fetch, feed = y, None
        elif key == "transfer":
            fetch, feed = big_graph(tf), None
        else:
            fetch, feed, _ = mlp_graph(tf, int(key.split("_b")[1]))
        sess = tf.Session(target, graph=graph)
        sess.run(tf.global_variables_initializer())
    return {"step": lambda: sess.run(fetch, feed), "close": sess.close, "runtime": sess._runtime}


def main() -> None:
    import psflow
    from psflow import cluster as pscluster

    print("blas:", harness.blas_kernels())
    with pscluster.launch(num_ps=1, num_workers=1, namespace="psflow-bench") as cluster:
        ps_fns = build(psflow, cluster)
        ray_fns, _keep = ray_anchors()
        tf_fns, _servers = tf1_grpc()
        # Equal work: after one more step everywhere, the MLP weights agree.
        for batch in (64, 512):
            np.testing.assert_allclose(
                ps_fns[f"weights_b{batch}"]()[0],
                tf_fns[f"weights_b{batch}"]()[0],
                rtol=1e-4,
                atol=1e-6,
            )
        buf = np.ones(BIG, np.float32)
        dst = np.empty_like(buf)
        contestants = {"memcpy.transfer": lambda: np.copyto(dst, buf)}
        for key in ("tiny", "mlp_b64", "mlp_b512", "transfer"):
            contestants[f"psflow.{key}"] = ps_fns[key]
            contestants[f"ray.{key}"] = ray_fns[key]
            contestants[f"tf1grpc.{key}"] = tf_fns[key]
        medians = harness.interleaved_medians(contestants, repeats=9, min_time=0.3)
        fast = fast_phase(psflow, cluster, _keep, tf_fns)
    for name, seconds in medians.items():
        print(f"{name:22s} {seconds * 1e3:9.3f} ms")
    for key in ("tiny", "mlp_b64", "mlp_b512"):
        print(
            harness.ratio_line(
                f"dist.{key}_vs_ray", medians[f"psflow.{key}"] / medians[f"ray.{key}"], "<=1.1"
            )
        )
    print(
        harness.ratio_line(
            "dist.transfer_vs_memcpy",
            medians["memcpy.transfer"] / medians["psflow.transfer"],
            ">=0.25",
        )
    )
    print(
        harness.ratio_line(
            "dist.transfer_vs_tf1grpc",
            medians["psflow.transfer"] / medians["tf1grpc.transfer"],
            "<=0.5",
        )
    )
    for key in ("tiny", "mlp_b64", "mlp_b512", "transfer"):
        print(
            f"tf1grpc.{key} {medians[f'tf1grpc.{key}'] * 1e3:.3f} ms/step "
            f"(psflow {medians[f'psflow.{key}'] * 1e3:.3f} ms/step)"
        )
    for name, seconds in fast.items():
        print(f"{name:22s} {seconds * 1e3:9.3f} ms (fast-path phase)")
    print(
        harness.ratio_line(
            "fast.tiny_vs_tf1grpc", fast["fast.tiny"] / fast["tf1grpc.tiny"], "<=0.5"
        )
    )
    print(
        harness.ratio_line(
            "fast.mlp_b64_vs_tf1grpc", fast["fast.mlp_b64"] / fast["tf1grpc.mlp_b64"], "<=0.7"
        )
    )
    print(
        harness.ratio_line(
            "fast.tiny_vs_ray_compiled", fast["fast.tiny"] / fast["raycompiled.tiny"], "<=1.5"
        )
    )


if __name__ == "__main__":
    main()
