"""sess.run overhead on tiny graphs: psflow in-process vs TF1 (tensorflow.compat.v1).

Three graphs from the walkthrough: the constant matmul, a two-placeholder feed, and the
counter `assign` step. Needs the `bench` extra (tensorflow-cpu). Ends with
`ratio session.{matmul,feed,assign}_vs_tf1 VALUE <=0.25` (psflow time / TF1 time).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402


def build(tf):
    g = tf.Graph()
    with g.as_default():
        m1 = tf.constant([[3.0, 3.0]])
        m2 = tf.constant([[2.0], [2.0]])
        product = tf.matmul(m1, m2)
        in1 = tf.placeholder(tf.float32)
        in2 = tf.placeholder(tf.float32)
        out = tf.multiply(in1, in2)
        state = tf.Variable(0, name="counter")
        update = tf.assign(state, tf.add(state, tf.constant(1)))
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    feed = {in1: [7.0], in2: [2.0]}
    return sess, {
        "matmul": lambda: sess.run(product),
        "feed": lambda: sess.run([out], feed_dict=feed),
        "assign": lambda: sess.run(update),
    }


def main() -> None:
    import tensorflow.compat.v1 as tf1

    import psflow

    tf1.disable_eager_execution()
    _, ps_fns = build(psflow)
    _, tf_fns = build(tf1)
    # Same answers before timing: the comparison is of equal work.
    assert ps_fns["matmul"]().tolist() == tf_fns["matmul"]().tolist() == [[12.0]]
    assert ps_fns["feed"]()[0].tolist() == tf_fns["feed"]()[0].tolist() == [14.0]
    assert ps_fns["assign"]() == tf_fns["assign"]() == 1
    contestants = {}
    for key in ps_fns:
        contestants[f"psflow.{key}"] = ps_fns[key]
        contestants[f"tf1.{key}"] = tf_fns[key]
    medians = harness.interleaved_medians(contestants, repeats=7, min_time=0.25)
    for name, seconds in medians.items():
        print(f"{name:16s} {seconds * 1e6:9.1f} us/run")
    for key in ps_fns:
        value = medians[f"psflow.{key}"] / medians[f"tf1.{key}"]
        print(harness.ratio_line(f"session.{key}_vs_tf1", value, "<=0.25"))


if __name__ == "__main__":
    main()
