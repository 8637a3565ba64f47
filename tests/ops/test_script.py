"""Python functions as ops, tf.print, serialize_tensor/parse_tensor, make_tensor_proto/
make_ndarray and tf.diag/diag_part: against numpy, and against TensorFlow's recorded
outputs (bytes, printed text)."""

import sys

import numpy as np
import pytest

import psflow as tf


def test_py_func_runs_python_on_numpy_values():
    x = tf.placeholder(tf.float32, [None])
    doubled = tf.py_func(lambda a: (a * 2).astype(np.float32), [x], tf.float32)
    plus, as_int = tf.py_func(lambda a: (a + 1, a.astype(np.int64)), [x], [tf.float32, tf.int64])
    strings = tf.numpy_function(lambda a: np.array([b"n%d" % v for v in a]), [x], tf.string)
    seen = []
    effect = tf.py_function(lambda a: seen.append(a.tolist()) or np.float32(0), [x], tf.float32)
    with tf.Session() as sess:
        got = sess.run([doubled, plus, as_int, strings, effect], {x: [1.0, 2.0]})
    assert got[0].tolist() == [2.0, 4.0] and got[1].tolist() == [2.0, 3.0]
    assert got[2].dtype == np.int64 and got[2].tolist() == [1, 2]
    assert got[3].tolist() == [b"n1", b"n2"] and seen == [[1.0, 2.0]]
    assert tf.gradients(doubled, x) == [None]  # no gradient, as in TF1


@pytest.mark.parametrize(
    "func, error, text",
    [
        (lambda a: a[10], tf.errors.OutOfRangeError, "IndexError"),
        (lambda a: int("x"), tf.errors.InvalidArgumentError, "ValueError"),
        (lambda a: 1 / 0, tf.errors.UnknownError, "ZeroDivisionError"),
        (lambda a: a.astype(np.float64), tf.errors.InvalidArgumentError, "expects float32"),
        (lambda a: (a, a), tf.errors.InvalidArgumentError, "returned 2 values"),
    ],
    ids=["index", "value", "other", "dtype", "count"],
)  # fmt: skip
def test_py_func_errors_are_tf1s_classes(func, error, text):
    x = tf.placeholder(tf.float32, [None])
    out = tf.py_func(func, [x], tf.float32, name="user_fn")
    with tf.Session() as sess, pytest.raises(error, match=text) as info:
        sess.run(out, {x: [1.0]})
    assert "user_fn" in str(info.value)


def test_tf_print_prints_as_tensorflow_does(capsys):
    six = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    printed = tf.print("x is", six, "n", tf.constant(3), tf.constant([b"a", b"b"]), summarize=2,
                       output_stream=sys.stdout)  # fmt: skip
    matrix = tf.print(tf.constant([[1.5, 2.0], [1 / 3, 4.0]]), tf.constant("hi"),
                      output_stream=sys.stdout)  # fmt: skip
    with tf.Session() as sess:
        sess.run(printed)
        sess.run(matrix)
    # TensorFlow's output for the same two prints:
    assert capsys.readouterr().out == (
        'x is [1 2 ... 5 6] n 3 ["a" "b"]\n[[1.5 2]\n [0.333333343 4]] "hi"\n'
    )


def test_serialize_tensor_gives_tensorflows_bytes_and_parses_back():
    values = [np.array([[1.5, 2.0]], np.float32), np.array([b"ab", b""], dtype=object),
              np.int64(7)]  # fmt: skip
    serialized = [tf.io.serialize_tensor(tf.constant(v)) for v in values]
    parsed = [tf.parse_tensor(s, t) for s, t in zip(serialized, [tf.float32, tf.string, tf.int64])]
    with tf.Session() as sess:
        got = sess.run(serialized)
        back = sess.run(parsed)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
            sess.run(tf.parse_tensor(serialized[0], tf.int32))
    assert [g.hex() for g in got] == [  # TensorFlow's
        "08011208120208011202080222080000c03f00000040",
        "0807120412020802420261624200",
        "0809120022080700000000000000",
    ]
    for v, b in zip(values, back):
        np.testing.assert_array_equal(b, v)


def test_make_tensor_proto_and_make_ndarray():
    proto = tf.make_tensor_proto(np.array([[1, 2]], np.int32))
    assert proto.SerializeToString().hex() == "08031208120208011202080222080100000002000000"  # TF's
    np.testing.assert_array_equal(tf.make_ndarray(proto), [[1, 2]])
    from tensorboard.compat.proto import tensor_pb2

    filled = tensor_pb2.TensorProto(dtype=1, float_val=[0.5])
    filled.tensor_shape.dim.add(size=3)
    np.testing.assert_array_equal(tf.make_ndarray(filled), [0.5, 0.5, 0.5])  # TF repeats


def test_diag_and_diag_part_against_numpy_with_gradients():
    x = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    want = np.zeros((2, 3, 2, 3), np.float32)
    for i in range(2):
        for j in range(3):
            want[i, j, i, j] = x[i, j]
    v = tf.constant([1.0, 2.0])
    weights = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    grad = tf.gradients(tf.reduce_sum(tf.diag(v) * weights), v)[0]
    m = tf.constant(weights)
    grad_part = tf.gradients(tf.reduce_sum(tf.diag_part(m) * [5.0, 7.0]), m)[0]
    with tf.Session() as sess:
        d, back, g, gp = sess.run([tf.diag(x), tf.diag_part(tf.diag(x)), grad, grad_part])
    np.testing.assert_array_equal(d, want)
    np.testing.assert_array_equal(back, x)
    np.testing.assert_array_equal(g, [1.0, 4.0])  # the diagonal of the weights
    np.testing.assert_array_equal(gp, [[5.0, 0.0], [0.0, 7.0]])
    with pytest.raises(ValueError, match="even rank"):
        tf.diag_part(tf.constant([1.0, 2.0, 3.0]))


def test_strings_format_as_tensorflow():
    text = tf.strings.format("x={} and y={}!", (tf.constant([1.5, 2.0, 3.0, 4.0, 5.0]),
                                                tf.constant(7)), summarize=1)  # fmt: skip
    grid = tf.strings.format("{}", tf.constant([[b"a", b"b"], [b"c", b"d"]]))
    with tf.Session() as sess:
        assert sess.run(text) == b"x=[1.5 ... 5] and y=7!"  # TensorFlow's
        assert sess.run(grid) == b'[["a" "b"]\n ["c" "d"]]'
    with pytest.raises(ValueError, match="placeholders"):
        tf.strings.format("{} {}", [tf.constant(1)])
