"""Train a softmax regression and a 2-layer MLP on scikit-learn's digits (8x8 images, 10
classes), the classic TF1 way: placeholders, variables under variable scopes, an optimizer,
summaries for TensorBoard and Saver checkpoints.

    python examples/train_digits.py --in-process          # one process, no Ray
    python examples/train_digits.py                        # configs/local.yaml: 2 PS + 2 workers
    python examples/train_digits.py --config my.yaml       # any cluster config

On a cluster the variables live on the parameter servers (placed by
replica_device_setter) and each worker computes the gradients of its half of every batch
(in-graph data parallelism); the averaged gradients are applied on the PS that owns each
variable. The last line printed is `test_accuracy VALUE` (the MLP's).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

import numpy as np

import psflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def load_data(seed: int = 0):
    """Digits scaled to [0, 1], split 75/25 with a fixed seed (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)


def _model(kind, x, hidden):
    if kind == "softmax":
        return tf.layers.dense(x, 10, name="logits")
    h = tf.layers.dense(x, hidden, activation=tf.nn.relu, name="hidden")
    return tf.layers.dense(h, 10, name="logits")


def build(kind, num_towers, learning_rate, hidden, device_setter=None):
    """The training graph; with towers, each worker gets an equal slice of the batch."""
    x = tf.placeholder(tf.float32, [None, 64], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    setter = device_setter or (lambda op: "")
    with tf.device(setter):
        global_step = tf.train.get_or_create_global_step()
        opt = tf.train.AdamOptimizer(learning_rate)
    xs = tf.split(x, num_towers) if num_towers > 1 else [x]
    ys = tf.split(y, num_towers) if num_towers > 1 else [y]
    tower_grads, tower_losses = [], []
    for i in range(num_towers):
        worker = f"/job:worker/task:{i}" if device_setter else ""
        with tf.device(worker), tf.device(setter), tf.name_scope(f"tower_{i}"):
            with tf.variable_scope(kind, reuse=tf.AUTO_REUSE):
                logits = _model(kind, xs[i], hidden)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ys[i], logits=logits)
            )
            tower_losses.append(loss)
            tower_grads.append(opt.compute_gradients(loss))
    with tf.name_scope("average"):
        grads = []
        for pairs in zip(*tower_grads):
            var = pairs[0][1]
            if num_towers == 1:
                grads.append(pairs[0])
                continue
            with tf.device(var.device):
                grads.append((tf.add_n([g for g, _ in pairs]) / float(num_towers), var))
        loss = tf.add_n(tower_losses) / float(num_towers)
    with tf.device(setter):
        train = opt.apply_gradients(grads, global_step=global_step)
    with tf.variable_scope(kind, reuse=True):
        eval_logits = _model(kind, x, hidden)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(eval_logits, 1), y), tf.float32))
    tf.summary.scalar(f"{kind}/loss", loss)
    tf.summary.scalar(f"{kind}/accuracy", accuracy)
    return {
        "x": x,
        "y": y,
        "train": train,
        "loss": loss,
        "accuracy": accuracy,
        "global_step": global_step,
        "summary": tf.summary.merge_all(),
    }


def train(kind, data, args, target=None, device_setter=None, num_towers=1) -> float:
    x_train, x_test, y_train, y_test = data
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(args.seed)
        m = build(kind, num_towers, args.learning_rate, args.hidden, device_setter)
        saver = tf.train.Saver(max_to_keep=2)
        init = tf.global_variables_initializer()
    logdir = os.path.join(args.logdir, kind)
    writer = tf.summary.FileWriter(logdir, graph)
    rng = np.random.RandomState(args.seed)
    batch = args.batch_size
    steps_per_epoch = len(x_train) // batch
    session = tf.Session(target, graph=graph) if target is not None else tf.Session(graph=graph)
    with session as sess:
        sess.run(init)
        start = time.time()
        for epoch in range(1, args.epochs + 1):
            order = rng.permutation(len(x_train))
            losses = []
            for s in range(steps_per_epoch):
                idx = order[s * batch : (s + 1) * batch]
                _, loss, summary, step = sess.run(
                    [m["train"], m["loss"], m["summary"], m["global_step"]],
                    {m["x"]: x_train[idx], m["y"]: y_train[idx]},
                )
                losses.append(loss)
                if s % 10 == 0:
                    writer.add_summary(summary, step)
            elapsed = time.time() - start
            test_acc = sess.run(m["accuracy"], {m["x"]: x_test, m["y"]: y_test})
            print(
                f"{kind} epoch {epoch:3d} step {step:5d} loss {np.mean(losses):.4f} "
                f"{steps_per_epoch / max(elapsed, 1e-9):7.1f} steps/s "
                f"test_acc {test_acc:.4f}",
                flush=True,
            )
            start = time.time()
            saver.save(sess, os.path.join(logdir, "model.ckpt"), global_step=step)
        writer.close()
        return float(test_acc)


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run in this process (no Ray), even when a cluster is configured",
    )
    parser.add_argument(
        "--config",
        default=os.path.join(HERE, "..", "configs", "local.yaml"),
        help="cluster config (YAML) used unless --in-process",
    )
    parser.add_argument("--model", choices=["softmax", "mlp", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logdir", default=os.path.join("runs", "digits"))
    args = parser.parse_args(argv)
    data = load_data(args.seed)
    kinds = ["softmax", "mlp"] if args.model == "both" else [args.model]
    results = {}
    with contextlib.ExitStack() as stack:
        if args.in_process:
            target = setter = None
            towers = 1
            print("running in-process", flush=True)
        else:
            from psflow import cluster as pscluster

            cluster = stack.enter_context(pscluster.launch(args.config))
            target, setter = cluster, cluster.device_setter()
            towers = cluster.spec.num_tasks("worker")
            print(f"running on {cluster.spec.num_tasks('ps')} PS + {towers} workers", flush=True)
        for kind in kinds:
            if target is not None:
                tf.Session.reset(target)
            results[kind] = train(kind, data, args, target, setter, towers)
            print(f"{kind} final test accuracy {results[kind]:.4f}", flush=True)
    final = results[kinds[-1]]
    print(f"test_accuracy {final:.4f}")
    return final


if __name__ == "__main__":
    main(sys.argv[1:])
