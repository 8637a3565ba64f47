"""Train a wide & deep click-through model between-graph and asynchronously on the
synthetic Criteo-like workload (examples/ctr_data.py): 26 embedding tables (and 26 wide
weight columns) on the parameter servers, looked up sparsely by every worker task's client
on its own stream of examples, with Adagrad updates touching only the rows looked up.

    psflow submit configs/local.yaml -- python examples/train_ctr.py

Each client takes its task from TF_CONFIG (set by `psflow submit`); the chief (task 0)
initializes or restores the model and writes checkpoints and summaries under --logdir,
and prints `test_auc VALUE` last: tf.metrics.auc of the trained model on held-out
examples. The categorical ids reach the model through `tf.SparseTensor`s and
`tf.nn.embedding_lookup_sparse` (one id per row here; any number works).

With --dynamic the tables are psflow dynamic embedding tables fed the raw 63-bit ids
(no vocabulary, no hashing into buckets): a row is made the first time an id is seen,
on the PS shard its id falls to, and --capacity bounds the rows per shard (LRU eviction).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctr_data import NUM_DENSE, CriteoLike  # noqa: E402


def _cluster():
    from psflow.graph.placement import parse_tf_config

    spec, job, index = parse_tf_config()
    if spec is None:
        raise SystemExit("No task: run through `psflow submit CONFIG -- python train_ctr.py`.")
    return spec, job, index


def build(index: int, spec, data: CriteoLike, args):
    """The wide & deep model: wide = a weight per id of every table (and the dense
    features'); deep = an MLP over the concatenated embeddings and dense features."""
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        global_step = tf.train.get_or_create_global_step()
        dense = tf.placeholder(tf.float32, [None, NUM_DENSE], name="dense")
        ids = [tf.sparse_placeholder(tf.int64, name=f"C{t + 1}") for t in range(26)]
        labels = tf.placeholder(tf.float32, [None], name="labels")
        init = tf.random_normal_initializer(stddev=0.05)
        wide, deep = [tf.layers.dense(dense, 1, name="wide_dense")], [dense]
        tables = []
        for t, card in enumerate(data.cardinalities):
            if args.dynamic:  # raw ids: rows made on first sight, bounded per shard
                table, weights = (
                    tf.dynamic_embedding.get_variable(
                        f"C{t + 1}/{what}", dim, initializer=initializer, capacity=args.capacity
                    )
                    for what, dim, initializer in (
                        ("embedding", args.dim, init),
                        ("wide", 1, tf.zeros_initializer()),
                    )
                )
                tables += [table, weights]
            else:
                with tf.variable_scope(f"C{t + 1}"):
                    table = tf.get_variable("embedding", [card, args.dim], initializer=init)
                    weights = tf.get_variable("wide", [card, 1], initializer=tf.zeros_initializer())
            deep.append(tf.nn.embedding_lookup_sparse(table, ids[t], None, combiner="sum"))
            wide.append(tf.nn.embedding_lookup_sparse(weights, ids[t], None, combiner="sum"))
        hidden = tf.concat(deep, 1)
        for width in (64, 32):
            hidden = tf.layers.dense(hidden, width, activation=tf.nn.relu)
        logit = tf.squeeze(tf.add_n(wide) + tf.layers.dense(hidden, 1, name="deep_out"), 1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logit))
        train = tf.train.AdagradOptimizer(args.learning_rate).minimize(
            loss, global_step=global_step
        )
        probability = tf.sigmoid(logit)
        auc, auc_update = tf.metrics.auc(labels, probability, num_thresholds=500)
    tf.summary.scalar("loss", loss)
    rows = tf.add_n([t.size() for t in tables]) if tables else tf.constant(0, tf.int64)
    evicted = tf.add_n([t.evictions() for t in tables]) if tables else tf.constant(0, tf.int64)
    return {
        "table_stats": [rows, evicted],
        "dense": dense,
        "ids": ids,
        "labels": labels,
        "loss": loss,
        "train": train,
        "global_step": global_step,
        "auc": auc,
        "auc_update": auc_update,
    }


def feed(m, dense, ids, labels, raw=False) -> dict:
    """The feed of a batch: one id per row of each categorical feature's SparseTensor (the
    raw 63-bit values with `raw`)."""
    if raw:
        ids = CriteoLike.raw_ids(ids)
    n = len(labels)
    indices = np.stack([np.arange(n), np.zeros(n, np.int64)], axis=1)
    shape = np.array([n, 1], np.int64)
    out = {m["dense"]: dense, m["labels"]: labels}
    for t, placeholder in enumerate(m["ids"]):
        out[placeholder] = tf.SparseTensorValue(indices, ids[:, t], shape)
    return out


def main(argv=None) -> float | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="runs/ctr")
    parser.add_argument("--steps", type=int, default=1500, help="global steps to train")
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--dim", type=int, default=8, help="embedding width")
    parser.add_argument("--cap", type=int, default=100_000, help="rows per table at most")
    parser.add_argument("--test_examples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dynamic",
        action="store_true",
        help="dynamic embedding tables over raw (unhashed) ids instead of fixed-size ones",
    )
    parser.add_argument(
        "--capacity", type=int, default=0, help="with --dynamic: rows per table shard (0: any)"
    )
    args = parser.parse_args(argv)

    spec, job, index = _cluster()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    if job == "ps":
        server.join()
        return None
    data = CriteoLike(cap=args.cap, seed=args.seed)
    tf.set_random_seed(args.seed)
    m = build(index, spec, data, args)
    is_chief = index == 0
    rng = np.random.default_rng(args.seed + 1 + index)  # each worker its own stream
    local_steps, start = 0, time.time()
    with tf.train.MonitoredTrainingSession(
        master=server.target,
        is_chief=is_chief,
        checkpoint_dir=args.logdir,
        save_checkpoint_steps=500,
        save_summaries_steps=100,
        log_step_count_steps=0,
        hooks=[tf.train.StopAtStepHook(last_step=args.steps)],
    ) as sess:
        while not sess.should_stop():
            batch = data.batch(args.batch_size, rng)
            fed = feed(m, *batch, raw=args.dynamic)
            _, loss, step = sess.run([m["train"], m["loss"], m["global_step"]], fed)
            local_steps += 1
            if local_steps % 250 == 0:
                rate = local_steps * args.batch_size / (time.time() - start)
                print(f"global_step {step} loss {loss:.4f} local_examples/s {rate:.0f}")
    if not is_chief:
        return None
    print(f"local_steps {local_steps}")
    held_out = np.random.default_rng(args.seed + 10_000)  # no worker draws from this stream
    with tf.Session(server.target) as sess:
        sess.run(tf.local_variables_initializer())
        for _ in range(max(1, args.test_examples // 2000)):
            sess.run(m["auc_update"], feed(m, *data.batch(2000, held_out), raw=args.dynamic))
        auc = float(sess.run(m["auc"]))
        if args.dynamic:
            rows, evicted = sess.run(m["table_stats"])
            print(f"dynamic_table_rows {rows} evictions {evicted}")
    print(f"test_auc {auc:.4f}")
    return auc


if __name__ == "__main__":
    main()
