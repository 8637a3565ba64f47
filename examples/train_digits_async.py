"""Train the digits MLP between-graph and asynchronously, as a TF1 distributed script: every
worker task runs this script as its own client, on its own shard of the training data,
reading the variables from the parameter servers and pushing its updates without waiting
for the others, under MonitoredTrainingSession (the chief, task 0, initializes or restores
the model and writes checkpoints and summaries).

    psflow submit configs/local.yaml -- python examples/train_digits_async.py

It takes its task from TF_CONFIG (set by `psflow submit` / `Cluster.run`), or from TF1's
flags: `--job_name worker --task_index {task_index} --ps_hosts {ps_hosts}
--worker_hosts {worker_hosts}` (psflow submit fills the placeholders). The chief prints
`test_accuracy VALUE` last, measured on the held-out quarter from the trained PS state.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import load_data  # noqa: E402 - the examples share the data split


def _cluster(args):
    """(ClusterSpec, job name, task index) from the TF1 flags, else from TF_CONFIG."""
    if args.job_name:
        spec = tf.train.ClusterSpec(
            {"ps": args.ps_hosts.split(","), "worker": args.worker_hosts.split(",")}
        )
        return spec, args.job_name, args.task_index
    from psflow.graph.placement import parse_tf_config

    spec, job, index = parse_tf_config()
    if spec is None:
        raise SystemExit("No task: run through `psflow submit`, or give --job_name etc.")
    return spec, job, index


def build(index: int, spec, args):
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        x = tf.placeholder(tf.float32, [None, 64], name="x")
        y = tf.placeholder(tf.int64, [None], name="y")
        global_step = tf.train.get_or_create_global_step()
        hidden = tf.layers.dense(x, args.hidden, activation=tf.nn.relu, name="hidden")
        logits = tf.layers.dense(hidden, 10, name="logits")
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        )
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        train = tf.train.AdamOptimizer(args.learning_rate).minimize(loss, global_step=global_step)
    tf.summary.scalar("loss", loss)
    tf.summary.scalar("accuracy", accuracy)
    return {
        "x": x,
        "y": y,
        "loss": loss,
        "accuracy": accuracy,
        "train": train,
        "global_step": global_step,
    }


def main(argv=None) -> float | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job_name", default="", help="ps or worker (TF1 flag)")
    parser.add_argument("--task_index", type=int, default=0, help="TF1 flag")
    parser.add_argument("--ps_hosts", default="", help="comma-separated (TF1 flag)")
    parser.add_argument("--worker_hosts", default="", help="comma-separated (TF1 flag)")
    parser.add_argument("--logdir", default="runs/digits_async")
    parser.add_argument("--steps", type=int, default=1500, help="global steps to train")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--learning_rate", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    spec, job, index = _cluster(args)
    server = tf.train.Server(spec, job_name=job, task_index=index)
    if job == "ps":
        server.join()
        return None
    x_train, x_test, y_train, y_test = load_data(args.seed)
    num_workers = spec.num_tasks("worker")
    shard_x, shard_y = x_train[index::num_workers], y_train[index::num_workers]
    tf.set_random_seed(args.seed)
    m = build(index, spec, args)
    is_chief = index == 0
    rng = np.random.RandomState(args.seed + index)
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
            idx = rng.randint(0, len(shard_x), args.batch_size)
            _, loss, step = sess.run(
                [m["train"], m["loss"], m["global_step"]],
                {m["x"]: shard_x[idx], m["y"]: shard_y[idx]},
            )
            local_steps += 1
            if local_steps % 250 == 0:
                rate = local_steps / (time.time() - start)
                print(f"global_step {step} loss {loss:.4f} local_steps/s {rate:.1f}")
    if not is_chief:
        return None
    print(f"local_steps {local_steps}")
    with tf.Session(server.target) as sess:
        accuracy = float(sess.run(m["accuracy"], {m["x"]: x_test, m["y"]: y_test}))
    print(f"test_accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
