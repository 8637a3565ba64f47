"""tf.strings and string tensors against TF1's outputs on the same inputs (recorded below:
no test needs TensorFlow), fetched as bytes as TF returns them; bad input errors."""

import pytest

import psflow as tf

TF1 = [
    [b"hello world", b"  ab,cd "],
    [b"HELLO WORLD", b"  AB,CD "],
    [b"Hello World", b"ab,cd"],
    [11, 8],
    [b"ell", b" ab"],
    [b"Hell0 W0rld", b"  ab,cd "],
    [True, False],
    [b"Hello World-x", b"  ab,cd -x"],
    b"Hello World|  ab,cd ",
    [1.5, 2.0],
    [b"1.500000", b"2.000000"],
    [b"  3", b"  4"],
    [b"World Hello", b"  ab,cd "],
    [5],
    [b"rl", b"cd"],
    [b"b", b"a:c", b""],
    [b"0.50"],
    [b"true", b"false"],
]
TF1_SPLITS = [
    ([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]], [b"a", b"b", b"", b"c", b"d"], [2, 4]),
    ([[0, 0], [0, 1], [0, 2], [1, 0]], [b"a", b"b", b"c", b"d"], [2, 3]),
    ([[0, 0], [0, 1], [0, 2]], [b"a", b"b", b"c"], [1, 3]),
]


def test_string_ops_equal_tf1s():
    s = tf.constant([b"Hello World", b"  ab,cd "])
    st = tf.strings
    ops = [
        st.lower(s), st.upper(s), st.strip(s), st.length(s), st.substr(s, 1, 3),
        st.regex_replace(s, "o", "0"), st.regex_full_match(s, ".*World"), st.join([s, "x"], "-"),
        st.reduce_join(s, separator="|"), st.to_number(["1.5", "2"]), tf.as_string([1.5, 2.0]),
        tf.as_string([3, 4], width=3), st.regex_replace(s, r"(\w+) (\w+)", r"\2 \1"),
        st.length(["héllo".encode()], unit="UTF8_CHAR"), st.substr(s, -3, 2),
        st.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 3, separator=":"),
        tf.as_string([0.5], precision=2), tf.as_string([True, False]),
    ]  # fmt: skip
    splits = [
        st.split(["a b  c", "d"], " "),
        tf.string_split(["a b  c", "d"]),
        tf.string_split(["a,b;c"], delimiter=",;"),
    ]
    with tf.Session() as sess:
        got = sess.run(ops)
        got_splits = sess.run(splits)
    for value, want in zip(got, TF1):
        assert (value.tolist() if hasattr(value, "tolist") else value) == want
    for value, (indices, values, shape) in zip(got_splits, TF1_SPLITS):
        assert value.indices.tolist() == indices
        assert value.values.tolist() == values and value.dense_shape.tolist() == shape


def test_bad_string_input_is_an_invalid_argument():
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly convert"):
            sess.run(tf.strings.to_number(["1.5", "abc"], name="the_op"))
        with pytest.raises(tf.errors.InvalidArgumentError, match="pos 9 out of range"):
            sess.run(tf.strings.substr(["abc"], 9, 1))
    with pytest.raises(ValueError, match="unit"):
        tf.strings.length(["a"], unit="CHAR")
