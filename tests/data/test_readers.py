"""TF1's readers on the queue pipeline (TFRecordReader, TextLineReader, WholeFileReader,
FixedLengthRecordReader, IdentityReader), match_filenames_once, and the join/maybe
batchers. The keys and values expected are those TensorFlow 1.x gave for the same files
(recorded with tensorflow.compat.v1)."""

import numpy as np
import pytest

import psflow as tf


def _drain(sess, fetches):
    out = []
    try:
        while True:
            out.append(sess.run(fetches))
    except tf.errors.OutOfRangeError:
        return out


def _session():
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    coord = tf.train.Coordinator()
    return sess, coord, tf.train.start_queue_runners(sess, coord)


def _stop(sess, coord, threads):
    coord.request_stop()
    coord.join(threads)
    sess.close()


@pytest.fixture
def files(tmp_path):
    for i in range(2):
        with tf.python_io.TFRecordWriter(str(tmp_path / f"r{i}.tfrecord")) as w:
            for j in range(3):
                w.write(b"rec%d-%d" % (i, j))
        (tmp_path / f"t{i}.csv").write_bytes(b"h1,h2\n%d,a\n%d,b\r\n" % (i, i + 10))
        (tmp_path / f"b{i}.bin").write_bytes(b"HH" + bytes(range(10)) + b"F")
    return tmp_path


def test_tfrecord_reader_over_matched_files_ends_with_the_queue(files):
    with tf.Graph().as_default():
        names = tf.train.match_filenames_once(str(files / "r*.tfrecord"))
        queue = tf.train.string_input_producer(names, num_epochs=1, shuffle=False)
        reader = tf.TFRecordReader()
        key, value = reader.read(queue)
        produced, completed = reader.num_records_produced(), reader.num_work_units_completed()
        local = tf.local_variables()
        sess, coord, threads = _session()
        got = _drain(sess, [key, value])
        counts = sess.run([produced, completed])
        _stop(sess, coord, threads)
    want = [(f"r{i}.tfrecord:{off}", b"rec%d-%d" % (i, j))
            for i in range(2) for j, off in enumerate((0, 22, 44))]  # fmt: skip
    assert [(k.decode().rsplit("/", 1)[1], v) for k, v in got] == want
    assert counts == [6, 2]
    assert isinstance(names, tf.Variable) and names in local


def test_text_line_reader_skips_headers_and_strips_line_ends(files):
    with tf.Graph().as_default():
        queue = tf.train.string_input_producer(
            [str(files / "t0.csv"), str(files / "t1.csv")], num_epochs=1, shuffle=False
        )
        key, line = tf.TextLineReader(skip_header_lines=1).read(queue)
        number, letter = tf.decode_csv(line, [[0], ["x"]])
        sess, coord, threads = _session()
        got = _drain(sess, [key, number, letter])
        _stop(sess, coord, threads)
    assert [(k.decode().rsplit("/", 1)[1], int(n), s) for k, n, s in got] == [
        ("t0.csv:2", 0, b"a"),
        ("t0.csv:3", 10, b"b"),
        ("t1.csv:2", 1, b"a"),
        ("t1.csv:3", 11, b"b"),
    ]


def test_fixed_length_reader_read_up_to_with_header_footer_and_hop(files):
    with tf.Graph().as_default():
        queue = tf.train.string_input_producer([str(files / "b0.bin")], num_epochs=1, shuffle=False)
        reader = tf.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=1, hop_bytes=3)
        keys, values = reader.read_up_to(queue, 10)
        sess, coord, threads = _session()
        k, v = sess.run([keys, values])
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(keys)
        assert sess.run(reader.num_records_produced()) == 3
        _stop(sess, coord, threads)
    assert [x.decode().rsplit("/", 1)[1] for x in k] == ["b0.bin:0", "b0.bin:1", "b0.bin:2"]
    assert v.tolist() == [b"\x00\x01\x02\x03", b"\x03\x04\x05\x06", b"\x06\x07\x08\t"]


def test_whole_file_and_identity_readers_and_reset(files):
    with tf.Graph().as_default():
        queue = tf.FIFOQueue(10, tf.string)
        fill = queue.enqueue_many([[str(files / "b1.bin").encode(), b"unit"]])
        whole = tf.WholeFileReader()
        key, value = whole.read(queue)
        ident = tf.IdentityReader()
        ikey, ivalue = ident.read(queue)
        with tf.Session() as sess:
            sess.run(fill)
            k, v = sess.run([key, value])
            assert k.decode().endswith("b1.bin") and v == b"HH" + bytes(range(10)) + b"F"
            assert sess.run([ikey, ivalue]) == [b"unit", b"unit"]
            assert sess.run(whole.num_work_units_completed()) == 0
            sess.run(whole.reset())
            assert sess.run(whole.num_records_produced()) == 0
    assert ident.supports_serialize and not whole.supports_serialize
    with pytest.raises(tf.errors.UnimplementedError):
        whole.serialize_state()


def test_a_missing_file_is_not_found(tmp_path):
    with tf.Graph().as_default():
        queue = tf.FIFOQueue(2, tf.string)
        fill = queue.enqueue(str(tmp_path / "none.tfrecord"))
        _, value = tf.TFRecordReader().read(queue)
        with tf.Session() as sess:
            sess.run(fill)
            with pytest.raises(tf.errors.NotFoundError, match="none.tfrecord"):
                sess.run(value)


def test_batch_join_and_maybe_batch():
    with tf.Graph().as_default():
        a = tf.train.range_input_producer(6, num_epochs=1, shuffle=False).dequeue()
        b = tf.train.range_input_producer(6, num_epochs=1, shuffle=False).dequeue()
        joined = tf.train.batch_join([[a], [b + 100]], 3, allow_smaller_final_batch=True)
        c = tf.train.range_input_producer(10, num_epochs=1, shuffle=False).dequeue()
        evens = tf.train.maybe_batch([c], tf.equal(c % 2, 0), 2, allow_smaller_final_batch=True)
        rows = tf.constant(np.arange(8).reshape(4, 2))
        kept = tf.train.maybe_shuffle_batch(
            [rows], 2, 10, 0, keep_input=[True, False, True, False], enqueue_many=True, seed=1
        )
        sess, coord, threads = _session()
        got = np.concatenate([x[0] for x in _drain(sess, joined)])
        even = np.concatenate([x[0] for x in _drain(sess, evens)])
        shuffled = sess.run(kept)[0]
        _stop(sess, coord, threads)
    assert sorted(got.tolist()) == [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105]
    assert even.tolist() == [0, 2, 4, 6, 8]
    assert sorted(map(tuple, shuffled.tolist())) == [(0, 1), (4, 5)]
