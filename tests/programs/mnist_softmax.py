"""Softmax regression on the digits in the style of the TF 0.12-1.x beginners' tutorial:
an InteractiveSession, the old initializer name, one-hot labels and the v1 softmax
cross-entropy, `run`/`eval` on ops and tensors. Prints `accuracy VALUE` last."""

import os
import sys

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402

(train_x, train_y), (test_x, test_y) = digits_data.load(one_hot=True)
batches = digits_data.Batches(train_x, train_y)

x = tf.placeholder("float", [None, 64])
W = tf.Variable(tf.zeros([64, 10]))
b = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(x, W) + b)
y_ = tf.placeholder(tf.float32, [None, 10])

logits = tf.matmul(x, W) + b
cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.InteractiveSession()
tf.initialize_all_variables().run()
for _ in range(300):
    batch_xs, batch_ys = batches.next_batch(100)
    train_step.run({x: batch_xs, y_: batch_ys})

correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
print("accuracy %.4f" % accuracy.eval(feed_dict={x: test_x, y_: test_y}))
sess.close()
