"""Asynchronous between-graph training throughput: the 784-256-128-10 MLP (relu, softmax
cross-entropy, SGD, batch 64, random data generated on each worker), 1 PS and 1 or 2
workers, each worker its own training loop, aggregate steps/s over a fixed time window:

- psflow: `Cluster.run` hosts one client per worker task; each reads the variables from the
  PS, computes its gradients in its own process and pushes the update to the PS;
- TF1's gRPC runtime doing the same: one process per task on loopback ports,
  `replica_device_setter`, each worker process its own loop;
- a hand-written asynchronous parameter server on plain Ray actors (numpy): each worker
  pulls the weights, computes the gradients and pushes them.

Each reports the staleness it saw (global step when a gradient is applied minus the step
its weights were read at: median and max). Needs the `bench` extra. Ends with
`ratio async.w2_vs_tf1grpc VALUE >=1.5`, `ratio async.w2_vs_ray VALUE >=2.0` (psflow
aggregate steps/s over the anchor's, 2 workers) and `ratio async.w2_vs_w1 VALUE >=1.2`.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402
from train_step import LR, SIZES, initial_weights, mlp_loss, numpy_grads  # noqa: E402

BATCH = 64
WINDOW_S = 6.0  # the timed window of each run
WARMUP_S = 2.0  # steps before the window are not counted (compiles, connections)
REPEATS = 3


def _batch(rng):
    return (
        rng.rand(BATCH, SIZES[0]).astype(np.float32),
        rng.randint(0, SIZES[-1], BATCH).astype(np.int64),
    )


def _mlp(tf, x, y, global_step):
    """An SGD step of the MLP that increments the global step, and the global step read
    before the update: (train op returning the new step, step read)."""
    loss, _ = mlp_loss(tf, x, y)
    read = tf.identity(global_step)
    apply = tf.train.GradientDescentOptimizer(LR).minimize(loss)
    with tf.control_dependencies([apply]):
        applied = tf.assign_add(global_step, 1)
    return applied, read


def _staleness_step(sess, applied, read, feed):
    """One step; the staleness of its gradient (step applied at minus step read at)."""
    new, seen = sess.run([applied, read], feed)
    return int(new) - 1 - int(seen)


def _timed_loop(step_fn, start_at: float, window: float):
    """Runs `step_fn() -> staleness` until start_at + window; counts steps in the window."""
    counted, stale = 0, []
    end = start_at + window
    while True:
        now = time.time()
        if now >= end:
            return counted, stale
        s = step_fn()
        if now >= start_at:
            counted += 1
            stale.append(s)


# psflow ---------------------------------------------------------------------------------
def _worker(tf, spec, index, target, start_at, window):
    """One worker's client, the same code for psflow and TF1: the MLP between-graph (variables
    on the PS, compute on this worker), the chief initializes, everyone waits for the model
    and then trains through the window. Returns (steps in the window, staleness per step)."""
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        x = tf.placeholder(tf.float32, [BATCH, SIZES[0]])
        y = tf.placeholder(tf.int64, [BATCH])
        step = tf.train.get_or_create_global_step()
        applied, read = _mlp(tf, x, y, step)
        ready = tf.report_uninitialized_variables()
        init = tf.global_variables_initializer()
    xv, yv = _batch(np.random.RandomState(index))
    with tf.Session(target) as sess:
        if index == 0:
            sess.run(init)
        while sess.run(ready).size:
            time.sleep(0.05)
        return _timed_loop(
            lambda: _staleness_step(sess, applied, read, {x: xv, y: yv}), start_at, window
        )


def _psflow_client(start_at, window):
    from psflow.graph.placement import parse_tf_config

    import psflow as tf

    spec, _, index = parse_tf_config()
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    return _worker(tf, spec, index, server.target, start_at, window)


def psflow_run(workers: int) -> tuple[float, list]:
    from psflow import cluster as pscluster

    with pscluster.launch(
        num_ps=1,
        num_workers=workers,
        namespace=f"async-bench-{workers}",
        ps={"num_cpus": 0},
        worker={"num_cpus": 0},
    ) as cluster:
        start_at = time.time() + WARMUP_S + 3.0
        results = cluster.run(_psflow_client, start_at, WINDOW_S)
    return sum(r[0] for r in results) / WINDOW_S, [s for r in results for s in r[1]]


# TF1 gRPC ---------------------------------------------------------------------------------
def _tf1_task(spec, job, index, start_at, window, out):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow.compat.v1 as tf1

    tf1.disable_eager_execution()
    server = tf1.train.Server(spec, job_name=job, task_index=index)
    if job == "ps":
        time.sleep(start_at + window + 30 - time.time())
        return
    out.put(_worker(tf1, tf1.train.ClusterSpec(spec), index, server.target, start_at, window))


def tf1_run(workers: int) -> tuple[float, list]:
    spec = {
        "ps": [f"127.0.0.1:{harness.free_port()}"],
        "worker": [f"127.0.0.1:{harness.free_port()}" for _ in range(workers)],
    }
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + WARMUP_S + 8.0  # process start and TensorFlow import
    procs = [ctx.Process(target=_tf1_task, args=(spec, "ps", 0, start_at, WINDOW_S, out))]
    procs += [
        ctx.Process(target=_tf1_task, args=(spec, "worker", i, start_at, WINDOW_S, out))
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in range(workers)]
    for p in procs:
        p.terminate()
        p.join()
    return sum(r[0] for r in results) / WINDOW_S, [s for r in results for s in r[1]]


# Hand-written Ray parameter server -------------------------------------------------------
def ray_run(workers: int) -> tuple[float, list]:
    import ray

    @ray.remote(num_cpus=0)
    class PS:
        def __init__(self):
            self.weights = initial_weights()
            self.step = 0

        def pull(self):
            return self.weights, self.step

        def push(self, grads):
            self.weights = [w - LR * g for w, g in zip(self.weights, grads)]
            self.step += 1
            return self.step

    @ray.remote(num_cpus=0)
    class Worker:
        def loop(self, ps, index, start_at, window):
            rng = np.random.RandomState(index)
            xv, yv = _batch(rng)

            def step_fn():
                weights, seen = ray.get(ps.pull.remote())
                new = ray.get(ps.push.remote(numpy_grads(weights, xv, yv)))
                return new - 1 - seen

            return _timed_loop(step_fn, start_at, window)

    ps = PS.remote()
    actors = [Worker.remote() for _ in range(workers)]
    ray.get(ps.pull.remote())
    start_at = time.time() + WARMUP_S
    results = ray.get([a.loop.remote(ps, i, start_at, WINDOW_S) for i, a in enumerate(actors)])
    for a in actors + [ps]:
        ray.kill(a)
    return sum(r[0] for r in results) / WINDOW_S, [s for r in results for s in r[1]]


def main() -> None:
    import ray
    import train_step

    # The workers cannot import bench/ modules: what the clients use from them travels by value.
    ray.cloudpickle.register_pickle_by_value(train_step)
    print("blas:", harness.blas_kernels())
    runs: dict[str, list[float]] = {}
    staleness: dict[str, list[int]] = {}
    for _ in range(REPEATS):
        for workers in (1, 2):
            for name, fn in (("psflow", psflow_run), ("tf1grpc", tf1_run), ("ray", ray_run)):
                if name == "ray":  # psflow's launch starts and stops a Ray of its own
                    ray.init(
                        num_cpus=os.cpu_count(),
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                    try:
                        rate, stale = fn(workers)
                    finally:
                        ray.shutdown()
                else:
                    rate, stale = fn(workers)
                key = f"{name}.w{workers}"
                runs.setdefault(key, []).append(rate)
                staleness.setdefault(key, []).extend(stale)
                print(f"{key:12s} {rate:8.1f} steps/s", flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    for key in sorted(med):
        s = staleness[key] or [0]
        print(
            f"{key:12s} median {med[key]:8.1f} steps/s  staleness median "
            f"{statistics.median(s):.0f} max {max(s)}"
        )
    print(harness.ratio_line("async.w2_vs_tf1grpc", med["psflow.w2"] / med["tf1grpc.w2"], ">=1.5"))
    print(harness.ratio_line("async.w2_vs_ray", med["psflow.w2"] / med["ray.w2"], ">=2.0"))
    print(harness.ratio_line("async.w2_vs_w1", med["psflow.w2"] / med["psflow.w1"], ">=1.2"))


if __name__ == "__main__":
    main()
