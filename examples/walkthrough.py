"""The classic TF1 walkthrough, run with psflow: graphs, sessions, variables, feeds.

python examples/walkthrough.py            # in-process
"""

import psflow as tf


def main() -> None:
    matrix1 = tf.constant([[3.0, 3.0]])
    matrix2 = tf.constant([[2.0], [2.0]])
    product = tf.matmul(matrix1, matrix2)
    print(product)
    with tf.Session() as sess:
        print("product:", sess.run(product))

    state = tf.Variable(0, name="counter")
    update = tf.assign(state, tf.add(state, tf.constant(1)))
    with tf.Session() as sess:
        sess.run(tf.initialize_all_variables())
        for _ in range(3):
            sess.run(update)
            print("counter:", sess.run(state))

    input1 = tf.placeholder(tf.float32)
    input2 = tf.placeholder(tf.float32)
    output = tf.mul(input1, input2)
    with tf.Session() as sess:
        print("feed:", sess.run([output], feed_dict={input1: [7.0], input2: [2.0]}))


if __name__ == "__main__":
    main()
