"""A fully-connected-feed program in the TF 1.x tutorial style on the digits: tf.app.flags,
tf.gfile for the log directory, inference/loss/training/evaluation functions, a feed
dict per step, a summary writer, checkpoints, and precision printed for each data set.

`--master` and `--ps_tasks` run it on a cluster as TF1 model code did: the variables go to
the PS tasks through replica_device_setter and the session opens the master's target.
Prints `precision VALUE` (the test set's) last."""

import math
import os
import sys
import time

import numpy as np

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402

flags = tf.app.flags
FLAGS = flags.FLAGS
flags.DEFINE_float("learning_rate", 0.1, "Initial learning rate.")
flags.DEFINE_integer("max_steps", 600, "Number of steps to run trainer.")
flags.DEFINE_integer("hidden1", 64, "Number of units in hidden layer 1.")
flags.DEFINE_integer("hidden2", 32, "Number of units in hidden layer 2.")
flags.DEFINE_integer("batch_size", 50, "Batch size.")
flags.DEFINE_string("log_dir", "/tmp/fully_connected_feed", "Directory for logs.")
flags.DEFINE_string("master", "", "Session target: empty for in-process.")
flags.DEFINE_integer("ps_tasks", 0, "Number of parameter server tasks (0: none).")

NUM_CLASSES = 10
PIXELS = 64


def inference(images, hidden1_units, hidden2_units):
    with tf.name_scope("hidden1"):
        weights = tf.Variable(
            tf.truncated_normal([PIXELS, hidden1_units], stddev=1.0 / math.sqrt(PIXELS)),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden1_units]), name="biases")
        hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
    with tf.name_scope("hidden2"):
        weights = tf.Variable(
            tf.truncated_normal(
                [hidden1_units, hidden2_units], stddev=1.0 / math.sqrt(float(hidden1_units))
            ),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden2_units]), name="biases")
        hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
    with tf.name_scope("softmax_linear"):
        weights = tf.Variable(
            tf.truncated_normal(
                [hidden2_units, NUM_CLASSES], stddev=1.0 / math.sqrt(float(hidden2_units))
            ),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([NUM_CLASSES]), name="biases")
        logits = tf.matmul(hidden2, weights) + biases
    return logits


def loss(logits, labels):
    labels = tf.to_int64(labels)
    return tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)


def training(loss_op, learning_rate):
    tf.summary.scalar("loss", loss_op)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss_op, global_step=global_step)


def evaluation(logits, labels):
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))


def placeholder_inputs(batch_size):
    images_placeholder = tf.placeholder(tf.float32, shape=(batch_size, PIXELS))
    labels_placeholder = tf.placeholder(tf.int32, shape=(batch_size))
    return images_placeholder, labels_placeholder


def do_eval(sess, eval_correct, images_placeholder, labels_placeholder, data):
    x, y = data
    steps_per_epoch = len(x) // FLAGS.batch_size
    num_examples = steps_per_epoch * FLAGS.batch_size
    true_count = 0
    for step in range(steps_per_epoch):
        lo = step * FLAGS.batch_size
        feed = {
            images_placeholder: x[lo : lo + FLAGS.batch_size],
            labels_placeholder: y[lo : lo + FLAGS.batch_size],
        }
        true_count += sess.run(eval_correct, feed_dict=feed)
    precision = float(true_count) / num_examples
    print("  Num examples: %d  Num correct: %d  Precision @ 1: %0.04f"
          % (num_examples, true_count, precision))  # fmt: skip
    return precision


def run_training():
    (train_x, train_y), test = digits_data.load()
    batches = digits_data.Batches(train_x, train_y.astype(np.int32))
    test = (test[0], test[1].astype(np.int32))
    with tf.Graph().as_default():
        with tf.device(tf.train.replica_device_setter(FLAGS.ps_tasks)):
            images_placeholder, labels_placeholder = placeholder_inputs(FLAGS.batch_size)
            logits = inference(images_placeholder, FLAGS.hidden1, FLAGS.hidden2)
            loss_op = loss(logits, labels_placeholder)
            train_op = training(loss_op, FLAGS.learning_rate)
            eval_correct = evaluation(logits, labels_placeholder)
        summary = tf.summary.merge_all()
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
        sess = tf.Session(FLAGS.master)
        summary_writer = tf.summary.FileWriter(FLAGS.log_dir, sess.graph)
        sess.run(init)
        for step in range(FLAGS.max_steps):
            start_time = time.time()
            xs, ys = batches.next_batch(FLAGS.batch_size)
            feed_dict = {images_placeholder: xs, labels_placeholder: ys}
            _, loss_value = sess.run([train_op, loss_op], feed_dict=feed_dict)
            duration = time.time() - start_time
            if step % 100 == 0:
                print("Step %d: loss = %.2f (%.3f sec)" % (step, loss_value, duration))
                summary_str = sess.run(summary, feed_dict=feed_dict)
                summary_writer.add_summary(summary_str, step)
                summary_writer.flush()
            if (step + 1) % 300 == 0 or (step + 1) == FLAGS.max_steps:
                checkpoint_file = os.path.join(FLAGS.log_dir, "model.ckpt")
                saver.save(sess, checkpoint_file, global_step=step)
                print("Training Data Eval:")
                do_eval(sess, eval_correct, images_placeholder, labels_placeholder,
                        (train_x, train_y.astype(np.int32)))  # fmt: skip
                print("Test Data Eval:")
                precision = do_eval(
                    sess, eval_correct, images_placeholder, labels_placeholder, test
                )
        summary_writer.close()
        sess.close()
    print("precision %.4f" % precision)


def main(_):
    if tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.DeleteRecursively(FLAGS.log_dir)
    tf.gfile.MakeDirs(FLAGS.log_dir)
    run_training()


if __name__ == "__main__":
    tf.app.run()
