"""TF1's queues and queue runners (the seed-era input pipeline) with the in-process
Session: FIFO and random-shuffle semantics, blocking across threads, close and
OutOfRangeError, QueueRunner/Coordinator/start_queue_runners, and the producers and
batchers (slice_input_producer, string_input_producer with epochs, batch, shuffle_batch)."""

import threading
import time

import numpy as np
import pytest

import psflow as tf


def test_fifo_queue_semantics():
    q = tf.FIFOQueue(3, [tf.float32, tf.int32], shapes=[[], []])
    enq, deq = q.enqueue([1.5, 2]), q.dequeue()
    many, dm, up_to = (
        q.enqueue_many([[1.0, 2.0, 3.0], [4, 5, 6]]),
        q.dequeue_many(2),
        q.dequeue_up_to(5),
    )
    assert dm[0].shape.as_list() == [2] and up_to[0].shape.as_list() == [None]
    with tf.Session() as sess:
        sess.run(enq)
        assert [v.item() for v in sess.run(deq)] == [1.5, 2]
        sess.run(many)
        assert sess.run(q.size()) == 3 and not sess.run(q.is_closed())
        a, b = sess.run(dm)
        assert a.tolist() == [1.0, 2.0] and b.tolist() == [4, 5]
        sess.run(q.close())
        with pytest.raises(tf.errors.CancelledError, match="closed"):
            sess.run(enq)
        a, b = sess.run(up_to)  # what is left, though fewer than asked
        assert a.tolist() == [3.0] and b.tolist() == [6]
        with pytest.raises(tf.errors.OutOfRangeError, match="is closed and has insufficient"):
            sess.run(deq)


def test_a_dequeue_waits_for_another_thread_to_enqueue():
    q = tf.FIFOQueue(2, [tf.int32], shapes=[[]])
    v = tf.placeholder(tf.int32, [])
    enq, deq = q.enqueue([v]), q.dequeue()
    with tf.Session() as sess:

        def later():
            time.sleep(0.2)
            for i in range(3):
                sess.run(enq, {v: i})  # the third waits until the main thread dequeues

        t = threading.Thread(target=later)
        start = time.monotonic()  # before the thread's sleep begins
        t.start()
        got = [sess.run(deq) for _ in range(3)]
        t.join()
    assert got == [0, 1, 2] and time.monotonic() - start >= 0.2


def test_random_shuffle_queue_keeps_min_after_dequeue_back_until_closed():
    tf.set_random_seed(1)
    q = tf.RandomShuffleQueue(10, 3, [tf.int32], shapes=[[]], seed=2)
    with tf.Session() as sess:
        sess.run(q.enqueue_many([np.arange(5)]))
        got = [int(sess.run(q.dequeue())) for _ in range(2)]  # 5 - 2 = 3 stay
        assert sess.run(q.size()) == 3
        sess.run(q.close())
        got += [int(v) for v in sess.run(q.dequeue_up_to(10))]
    assert sorted(got) == list(range(5)) and got != list(range(5))
    with pytest.raises(ValueError, match="min_after_dequeue"):
        tf.RandomShuffleQueue(3, 3, [tf.int32])


def _drain(fetches):
    out = []
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            while not coord.should_stop():
                out.append(sess.run(fetches))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
    return out


def test_slice_input_producer_and_batch_run_their_epochs():
    x = np.arange(20, dtype=np.float32)
    xs, ys = tf.train.slice_input_producer([x, x * 10], num_epochs=2, shuffle=False)
    bx, by = tf.train.batch([xs, ys], batch_size=6, allow_smaller_final_batch=True)
    got = _drain([bx, by])
    assert len(got) == 7  # 40 rows: six batches of 6 and one of 4
    np.testing.assert_array_equal(np.concatenate([g[0] for g in got]), np.tile(x, 2))
    np.testing.assert_array_equal(np.concatenate([g[1] for g in got]), np.tile(x, 2) * 10)


def test_string_input_producer_and_shuffle_batch():
    names = tf.train.string_input_producer(["a", "b", "c"], num_epochs=3, seed=1)
    name = names.dequeue()
    batch = tf.train.shuffle_batch([name], batch_size=3, capacity=9, min_after_dequeue=2, seed=3)
    got = _drain(batch)
    flat = [v for b in got for v in b[0].tolist()]  # a list in, a list out (as TF)
    assert sorted(flat) == sorted([b"a", b"b", b"c"] * 3)
    assert len(tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)) == 2
