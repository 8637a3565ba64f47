"""Sparse embedding training throughput: the wide & deep step at batch 512 over 26 tables of
100,000 x 16 float32 rows (and 26 wide columns of 100,000 x 1), ids from the synthetic
Criteo-like workload (examples/ctr_data.py, Zipf), `tf.fixed_size_partitioner`,
`embedding_lookup_sparse`, Adagrad; 1 PS + 1 worker, between-graph, over a fixed window:

- psflow: `Cluster.run` hosts the worker's client in its task;
- TF1's gRPC runtime doing the same (one process per task on loopback ports);
- TF1 in-process (the same graph in one Session), for the record;
- psflow with dynamic embedding tables over raw 63-bit ids instead (rows created on first
  sight; the first steps create them), for the record.

Ends with `ratio emb.b512_vs_tf1grpc VALUE >=1.5` (psflow examples/s over TF1 gRPC's),
`ratio emb.bytes_vs_unique VALUE <=1.2` (the embedding bytes psflow's tasks sent to one
another per step over unique ids x dim x 4 x 2: rows out, gradient rows back; the
embedding bytes are all bytes sent less the dense layers' weights and gradients, 2 x their
size per step, computed from their shapes -- "all bytes/unique" is printed beside it) and
`ratio emb.ps_rss_vs_tables VALUE <=1.5` (the PS's resident memory over the bytes of its
tables and Adagrad slots). Needs the `bench` extra. Medians of REPEATS runs.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))  # fmt: skip
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402
from ctr_data import NUM_DENSE, CriteoLike  # noqa: E402

BATCH = 512
ROWS = 100_000
DIM = 16
TABLES = 26
WINDOW_S = 8.0
WARMUP_S = 4.0
REPEATS = 3
TABLE_BYTES = TABLES * ROWS * (DIM + 1) * 4 * 2  # tables and wide columns, with Adagrad slots


def _feeds(tf, ids_ph, dense_ph, labels_ph, batch):
    dense, ids, labels = batch
    n = len(labels)
    indices = np.stack([np.arange(n), np.zeros(n, np.int64)], axis=1)
    shape = np.array([n, 1], np.int64)
    feed = {dense_ph: dense, labels_ph: labels}
    for t, ph in enumerate(ids_ph):
        feed[ph] = tf.SparseTensorValue(indices, ids[:, t], shape)
    return feed


def _dense(tf, x, width, name):
    """x @ kernel + bias (TF 2's tf.compat.v1 has no tf.layers under Keras 3)."""
    with tf.variable_scope(name):
        kernel = tf.get_variable("kernel", [x.shape.as_list()[1], width],
                                 initializer=tf.glorot_uniform_initializer())  # fmt: skip
        bias = tf.get_variable("bias", [width], initializer=tf.zeros_initializer())
    return tf.matmul(x, kernel) + bias


def _model(tf, num_ps, dynamic=False):
    """The wide & deep graph (the same code for psflow and TF1); `dynamic`: psflow's dynamic
    embedding tables (one shard per PS) instead of the partitioned variables."""
    global_step = tf.train.get_or_create_global_step()
    dense = tf.placeholder(tf.float32, [None, NUM_DENSE])
    labels = tf.placeholder(tf.float32, [None])
    ids = [tf.sparse_placeholder(tf.int64) for _ in range(TABLES)]
    init = tf.random_normal_initializer(stddev=0.05)
    part = tf.fixed_size_partitioner(num_ps)
    deep, wide = [dense], []
    for t in range(TABLES):
        if dynamic:
            table = tf.dynamic_embedding.get_variable(f"C{t}/emb", DIM, initializer=init)
            column = tf.dynamic_embedding.get_variable(f"C{t}/wide", 1, initializer=init)
        else:
            with tf.variable_scope(f"C{t}"):
                table = tf.get_variable("emb", [ROWS, DIM], initializer=init, partitioner=part)
                column = tf.get_variable("wide", [ROWS, 1], initializer=init, partitioner=part)
        deep.append(tf.nn.embedding_lookup_sparse(table, ids[t], None, combiner="sum"))
        wide.append(tf.nn.embedding_lookup_sparse(column, ids[t], None, combiner="sum"))
    hidden = tf.concat(deep, 1)
    for i, width in enumerate((64, 32)):
        hidden = tf.nn.relu(_dense(tf, hidden, width, f"hidden{i}"))
    logit = tf.squeeze(tf.add_n(wide) + _dense(tf, hidden, 1, "out"), 1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logit))
    train = tf.train.AdagradOptimizer(0.05).minimize(loss, global_step=global_step)
    return train, ids, dense, labels


def _batches(count, seed):
    data = CriteoLike(cap=ROWS, seed=0)
    rng = np.random.default_rng(seed)
    return [data.batch(BATCH, rng) for _ in range(count)]


def _worker(tf, spec, index, target, start_at, window, batches, dynamic=False):
    """Trains through the window; returns (steps in it, unique ids per step, steps run, bytes
    of the dense layers' variables)."""
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        train, ids, dense, labels = _model(tf, spec.num_tasks("ps"), dynamic)
        init = tf.global_variables_initializer()
    dense_bytes = sum(
        v.shape.num_elements() * 4
        for v in tf.trainable_variables()
        if not v.op.name.startswith("C") and v.shape.is_fully_defined()
    )
    feeds = [_feeds(tf, ids, dense, labels, b) for b in batches]
    unique = statistics.mean(
        sum(len(np.unique(b[1][:, t])) for t in range(TABLES)) for b in batches
    )
    with tf.Session(target) as sess:
        sess.run(init)
        counted, k = 0, 0
        while time.time() < start_at + window:
            now = time.time()
            sess.run(train, feeds[k % len(feeds)])
            k += 1
            if now >= start_at:
                counted += 1
    return counted, unique, k, dense_bytes


def _psflow_client(start_at, window, batches, dynamic):
    from psflow.graph.placement import parse_tf_config

    import psflow as tf

    spec, _, index = parse_tf_config()
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    return _worker(tf, spec, index, server.target, start_at, window, batches, dynamic)


def psflow_run(batches, dynamic=False) -> tuple[float, float, float, float]:
    """(examples/s, embedding bytes moved per step / (unique x dim x 4 x 2), the same for
    all bytes moved, PS RSS / table bytes)."""
    import ray

    from psflow import cluster as pscluster

    with pscluster.launch(
        num_ps=1, num_workers=1, namespace="emb-bench", ps={"num_cpus": 0},
        worker={"num_cpus": 0},
    ) as cluster:  # fmt: skip
        before = cluster.transfer_report()
        start_at = time.time() + WARMUP_S + 6.0
        ((steps, unique, ran, dense_bytes),) = cluster.run(
            _psflow_client, start_at, WINDOW_S, batches, dynamic
        )
        after = cluster.transfer_report()
        status = ray.get(cluster.handle("/job:ps/task:0").status.remote())
    sent = sum(after.values()) - sum(before.values())  # by both tasks, over every step run
    per_step = sent / max(ran, 1)
    payload = unique * DIM * 4 * 2
    # The dense layers' weights travel to the worker and their gradients back every step
    # whatever the tables do; the embedding traffic is the rest.
    return (
        steps * BATCH / WINDOW_S,
        (per_step - 2 * dense_bytes) / payload,
        per_step / payload,
        status["memory_bytes"] / TABLE_BYTES,
    )


def _tf1_task(spec, job, index, start_at, window, batches, out):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow.compat.v1 as tf1

    tf1.disable_eager_execution()
    server = tf1.train.Server(spec, job_name=job, task_index=index)
    if job == "ps":
        time.sleep(max(0.0, start_at + window + 60 - time.time()))
        return
    out.put(_worker(tf1, tf1.train.ClusterSpec(spec), index, server.target, start_at, window,
                    batches))  # fmt: skip


def tf1_grpc_run(batches) -> float:
    spec = {"ps": [f"127.0.0.1:{harness.free_port()}"],
            "worker": [f"127.0.0.1:{harness.free_port()}"]}  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + WARMUP_S + 15.0  # process start, TensorFlow import, graph
    procs = [
        ctx.Process(target=_tf1_task, args=(spec, job, 0, start_at, WINDOW_S, batches, out))
        for job in ("ps", "worker")
    ]
    for p in procs:
        p.start()
    steps, _, _, _ = out.get(timeout=300)
    for p in procs:
        p.terminate()
        p.join()
    return steps * BATCH / WINDOW_S


def tf1_local_run(batches) -> float:
    import tensorflow.compat.v1 as tf1

    tf1.disable_eager_execution()
    graph = tf1.Graph()
    with graph.as_default():
        train, ids, dense, labels = _model(tf1, 1)
        feeds = [_feeds(tf1, ids, dense, labels, b) for b in batches]
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for k in range(5):
                sess.run(train, feeds[k % len(feeds)])
            start, steps = time.time(), 0
            while time.time() < start + WINDOW_S:
                sess.run(train, feeds[steps % len(feeds)])
                steps += 1
    return steps * BATCH / WINDOW_S


def main() -> None:
    print(harness.blas_kernels())
    batches = _batches(16, seed=1)
    raw = [(dense, CriteoLike.raw_ids(ids), labels) for dense, ids, labels in batches]
    runs: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        rate, bytes_ratio, all_bytes_ratio, rss_ratio = psflow_run(batches)
        runs.setdefault("psflow examples/s", []).append(rate)
        runs.setdefault("psflow bytes/unique", []).append(bytes_ratio)
        runs.setdefault("psflow all bytes/unique", []).append(all_bytes_ratio)
        runs.setdefault("psflow ps rss/tables", []).append(rss_ratio)
        runs.setdefault("tf1 grpc examples/s", []).append(tf1_grpc_run(batches))
        runs.setdefault("psflow dynamic examples/s", []).append(psflow_run(raw, True)[0])
    runs["tf1 local examples/s"] = [tf1_local_run(batches)]
    med = {k: statistics.median(v) for k, v in runs.items()}
    for key, values in runs.items():
        print(f"{key:24s} {med[key]:10.3f}   (runs: {' '.join(f'{v:.3f}' for v in values)})")
    print(
        harness.ratio_line(
            "emb.b512_vs_tf1grpc", med["psflow examples/s"] / med["tf1 grpc examples/s"], ">=1.5"
        )
    )
    print(harness.ratio_line("emb.bytes_vs_unique", med["psflow bytes/unique"], "<=1.2"))
    print(harness.ratio_line("emb.ps_rss_vs_tables", med["psflow ps rss/tables"], "<=1.5"))


if __name__ == "__main__":
    main()
