"""tf.sets, the string hash buckets, ngrams and bytes_split: the expected values are those
TensorFlow 1.x gave for the same inputs (recorded with tensorflow.compat.v1)."""

import numpy as np
import pytest

import psflow as tf

A = np.array([[1, 2, 3, 3], [4, 5, 6, 4]])
B = np.array([[2, 3, 9, 2], [6, 6, 7, 1]])
WORDS = [b"", b"a", b"hello", b"hello world!", b"0123456789abcdefXYZ", "héllo".encode()]


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def _sparse(value):
    return value.indices.tolist(), value.values.tolist(), value.dense_shape.tolist()


def test_set_operations_match_tf():
    sb = tf.SparseTensor([[0, 0], [0, 1], [1, 2]], np.array([3, 8, 5]), [2, 3])
    got = _run([tf.sets.set_intersection(A, B), tf.sets.set_union(A, B),
                tf.sets.set_difference(A, B), tf.sets.set_difference(A, B, aminusb=False),
                tf.sets.union(A, sb), tf.sets.intersection(sb, sb), tf.sets.size(sb)])  # fmt: skip
    assert [_sparse(v) for v in got[:6]] == [
        ([[0, 0], [0, 1], [1, 0]], [2, 3, 6], [2, 2]),
        ([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3], [1, 4]],
         [1, 2, 3, 9, 1, 4, 5, 6, 7], [2, 5]),
        ([[0, 0], [1, 0], [1, 1]], [1, 4, 5], [2, 2]),
        ([[0, 0], [1, 0], [1, 1]], [9, 1, 7], [2, 2]),
        ([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2]], [1, 2, 3, 8, 4, 5, 6], [2, 4]),
        ([[0, 0], [0, 1], [1, 0]], [3, 8, 5], [2, 2]),
    ]  # fmt: skip
    assert got[6].tolist() == [2, 1]
    with pytest.raises(TypeError, match="Expected `SparseTensor`"):
        tf.sets.set_size(A)
    with pytest.raises(TypeError, match="Types don't match"):
        tf.sets.set_union(A, B.astype(np.int32))


def test_string_hash_buckets_are_tfs():
    weak, strong = _run([tf.strings.to_hash_bucket(WORDS, 2**62),
                         tf.string_to_hash_bucket_strong(WORDS, 2**62, [7, 11])])  # fmt: skip
    assert weak.tolist() == [
        105434511174508091, 2996632905371535868, 1331861223480393034,
        488105371118328303, 2199792943273431839, 1575079946049097997,
    ]  # fmt: skip
    assert strong.tolist() == [
        3361664221164768847, 3442210485099530380, 3121929047071568101,
        1171108621090963123, 1037257922739373912, 2008117381909306921,
    ]  # fmt: skip
    assert _run(tf.string_to_hash_bucket(["hello", "x"], 1)).tolist() == [0, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Key must have 2 elements"):
        tf.strings.to_hash_bucket_strong(["x"], 3, [1])


def test_ngrams_and_bytes_split():
    grams, padded, pieces = _run([
        tf.strings.ngrams(tf.constant([["a", "b", "c", "d"], ["e", "f", "g", "h"]]), 3,
                          separator="_"),
        tf.strings.ngrams(tf.constant([["a", "b", "c"]]), 2, pad_values=("<", ">"),
                          padding_width=1),
        tf.strings.bytes_split(tf.constant("héllo")),
    ])  # fmt: skip
    assert grams.tolist() == [[b"a_b_c", b"b_c_d"], [b"e_f_g", b"f_g_h"]]
    assert padded.tolist() == [[b"< a", b"a b", b"b c", b"c >"]]
    assert pieces.tolist() == [b"h", b"\xc3", b"\xa9", b"l", b"l", b"o"]


def test_unicode_transcode_and_encode_are_tfs():
    utf16, encoded = _run([
        tf.strings.unicode_transcode(["héllo", b"a\xffb"], "UTF-8", "UTF-16-BE"),
        tf.strings.unicode_encode([[104, 233, 108, 108], [0x1F600, 65, 66, 0x110000]], "UTF-8"),
    ])  # fmt: skip
    assert utf16.tolist() == [b"\x00h\x00\xe9\x00l\x00l\x00o", b"\x00a\xff\xfd\x00b"]  # TF
    assert encoded.tolist() == [b"h\xc3\xa9ll", b"\xf0\x9f\x98\x80AB\xef\xbf\xbd"]  # TF
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting"):
        _run(tf.strings.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="strict"))
    assert _run(tf.strings.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="ignore")) == [
        b"ab"
    ]


def test_sparse_cross_cross_hashed_and_bincount_are_tfs():
    a = tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2])
    b = tf.constant([["d"], ["e"]])
    c = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([7, 8], tf.int64), [2, 1])
    x = tf.constant([[1, 2, 2], [0, 5, 5]])
    crossed, hashed, bucketed, counts, flat, weighted, binary = _run([
        tf.sparse.cross([a, b, c]),
        tf.sparse.cross_hashed([a, b, c]),
        tf.sparse.cross_hashed([a, b], num_buckets=100, hash_key=123),
        tf.sparse.bincount(x, axis=-1),
        tf.sparse.bincount(x),
        tf.sparse.bincount(x, weights=tf.constant([[1.0, 2, 3], [4, 5, 6]]), axis=-1, minlength=7),
        tf.sparse.bincount(x, axis=-1, binary_output=True, maxlength=3),
    ])  # fmt: skip
    # TF 1.x: sparse inputs first, then dense ones; the first feature varies slowest.
    assert crossed.values.tolist() == [b"a_X_7_X_d", b"b_X_8_X_e", b"c_X_8_X_e"]
    assert crossed.indices.tolist() == [[0, 0], [1, 0], [1, 1]]
    assert hashed.values.tolist() == [7114155798949865662, 2837204099433296072,
                                      3305780942608487421]  # fmt: skip
    assert bucketed.values.tolist() == [54, 56, 77]
    assert _sparse(counts) == ([[0, 1], [0, 2], [1, 0], [1, 5]], [1, 2, 1, 2], [2, 6])
    assert _sparse(flat) == ([[0], [1], [2], [5]], [1, 1, 2, 2], [6])
    assert weighted.values.tolist() == [1.0, 5.0, 4.0, 11.0]
    assert weighted.dense_shape.tolist() == [2, 7]
    assert _sparse(binary) == ([[0, 1], [0, 2], [1, 0]], [1, 1, 1], [2, 3])
