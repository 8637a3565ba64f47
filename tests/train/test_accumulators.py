"""Conditional accumulators: what TensorFlow 1.x gives for the same calls (dense mean,
stale gradients dropped, per-row sparse means), and take_grad waiting for gradients from
another thread."""

import threading
import time

import psflow as tf


def test_dense_accumulator_means_and_drops_stale_gradients():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
    applies = [acc.apply_grad([1.0, 2.0], local_step=0), acc.apply_grad([3.0, 4.0], local_step=0)]
    take, count = acc.take_grad(2), acc.num_accumulated()
    stale = acc.apply_grad([100.0, 100.0], local_step=0)
    fresh = acc.apply_grad([5.0, 5.0], local_step=1)
    with tf.Session() as sess:
        sess.run(applies)
        assert sess.run(count) == 2
        assert sess.run(take).tolist() == [2.0, 3.0]  # TF
        sess.run([stale, fresh])
        assert sess.run(count) == 1  # the stale one was dropped, as in TF
        sess.run(acc.set_global_step(5))
        sess.run(acc.apply_grad([7.0, 7.0], local_step=4))
        assert sess.run(count) == 1


def test_sparse_accumulator_averages_each_row_over_its_gradients():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2], reduction_type="MEAN")
    slices = tf.IndexedSlices(tf.constant([[4.0, 6.0]]), tf.constant([2], tf.int64))
    applies = [acc.apply_grad([0, 2], [[1.0, 1.0], [2.0, 2.0]]),
               acc.apply_indexed_slices_grad(slices)]  # fmt: skip
    taken = acc.take_indexed_slices_grad(2)
    with tf.Session() as sess:
        sess.run(applies)
        indices, values, shape = sess.run([taken.indices, taken.values, taken.dense_shape])
    assert indices.tolist() == [0, 2] and values.tolist() == [[1.0, 1.0], [3.0, 4.0]]  # TF
    assert shape.tolist() == [4, 2]


def test_take_grad_waits_for_another_thread():
    acc = tf.ConditionalAccumulator(tf.float64, shape=[], reduction_type="SUM")
    value = tf.placeholder(tf.float64, [])
    apply = acc.apply_grad(value)
    take = acc.take_grad(3)
    with tf.Session() as sess:

        def feed():
            for v in (1.0, 2.0, 4.0):
                time.sleep(0.05)
                sess.run(apply, {value: v})

        thread = threading.Thread(target=feed)
        thread.start()
        assert sess.run(take) == 7.0
        thread.join()
