"""Save and restore the TF 1.x way: a linear regression trained and checkpointed with a
global step (Saver with max_to_keep), then, in a fresh graph, the meta graph imported and
the latest checkpoint restored to go on training from where it stopped, and one variable
restored under another name through a Saver given a name dictionary.

Prints `resumed_at STEP`, `w VALUE b VALUE` and `renamed VALUE`."""

import os
import sys

import numpy as np

import psflow as tf

ckpt_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/save_restore"
rng = np.random.RandomState(0)
xs = rng.rand(200, 1).astype(np.float32)
ys = 3.0 * xs + 2.0 + rng.normal(0, 0.01, (200, 1)).astype(np.float32)

tf.gfile.MakeDirs(ckpt_dir)

# Part 1: train and save.
with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, [None, 1], name="x")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    w = tf.Variable(tf.zeros([1, 1]), name="w")
    b = tf.Variable(tf.zeros([1]), name="b")
    global_step = tf.Variable(0, trainable=False, name="global_step")
    pred = tf.add(tf.matmul(x, w), b, name="pred")
    loss = tf.reduce_mean(tf.square(pred - y), name="loss")
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=global_step)
    tf.add_to_collection("train_op", train_op)
    saver = tf.train.Saver(max_to_keep=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(300):
            sess.run(train_op, {x: xs, y: ys})
            if (step + 1) % 100 == 0:
                saver.save(sess, os.path.join(ckpt_dir, "model"), global_step=global_step)
    kept = tf.train.get_checkpoint_state(ckpt_dir).all_model_checkpoint_paths
    print("kept", " ".join(os.path.basename(p) for p in kept))

# Part 2: a fresh graph from the meta graph, restored, trained further.
with tf.Graph().as_default():
    latest = tf.train.latest_checkpoint(ckpt_dir)
    saver = tf.train.import_meta_graph(latest + ".meta")
    graph = tf.get_default_graph()
    x, y = graph.get_tensor_by_name("x:0"), graph.get_tensor_by_name("y:0")
    train_op = tf.get_collection("train_op")[0]
    with tf.Session() as sess:
        saver.restore(sess, latest)
        print("resumed_at", sess.run(graph.get_tensor_by_name("global_step:0")))
        for _ in range(100):
            sess.run(train_op, {x: xs, y: ys})
        w, b = sess.run(["w:0", "b:0"])
        print("w %.3f b %.3f" % (w[0, 0], b[0]))
        saver.save(sess, os.path.join(ckpt_dir, "model"), global_step=400)

# Part 3: one variable restored into a differently named variable.
with tf.Graph().as_default():
    slope = tf.Variable(tf.zeros([1, 1]), name="slope")
    saver = tf.train.Saver({"w": slope})
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
        print("renamed %.3f" % sess.run(slope)[0, 0])
