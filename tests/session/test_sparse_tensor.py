"""SparseTensor through a Session: fetched as SparseTensorValue, fed through
`tf.sparse_placeholder` (a SparseTensorValue or a 3-tuple), in-process and on a cluster;
sparse ops' bad input; an embedding lookup's gradient reaching the table as IndexedSlices
and a sparse update touching only the rows looked up."""

import numpy as np
import pytest

import psflow as tf


def test_fetch_and_feed_sparse_tensors(target):
    sp = tf.sparse_placeholder(tf.float32, name="sp")
    doubled = tf.SparseTensor(sp.indices, sp.values * 2.0, sp.dense_shape)
    dense = tf.sparse.to_dense(sp)
    value = tf.SparseTensorValue(
        np.array([[0, 1], [2, 0]], np.int64), np.array([1.5, -2.0], np.float32), np.array([3, 2])
    )
    with tf.Session(target) as sess:
        got = sess.run(doubled, {sp: value})
        assert isinstance(got, tf.SparseTensorValue)
        np.testing.assert_array_equal(got.indices, value.indices)
        np.testing.assert_array_equal(got.values, [3.0, -4.0])
        np.testing.assert_array_equal(got.dense_shape, [3, 2])
        as_tuple = (value.indices, value.values, value.dense_shape)
        got_dense, got_sp = sess.run([dense, {"sp": doubled}], {sp: as_tuple})
        np.testing.assert_array_equal(got_dense, [[0, 1.5], [0, 0], [-2.0, 0]])
        assert isinstance(got_sp["sp"], tf.SparseTensorValue)


def test_a_placeholder_with_a_known_shape_uses_it():
    sp = tf.sparse_placeholder(tf.int32, shape=[2, 3])
    dense = tf.sparse.to_dense(sp)
    with tf.Session() as sess:
        got = sess.run(dense, {sp.indices: [[1, 2]], sp.values: [7]})
    np.testing.assert_array_equal(got, [[0, 0, 0], [0, 0, 7]])


def test_bad_sparse_input_names_the_op():
    sp = tf.sparse_placeholder(tf.float32)
    dense = tf.sparse.to_dense(sp)
    with tf.Session() as sess:
        unordered = ([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
        with pytest.raises(tf.errors.InvalidArgumentError, match="SparseToDense.*out of order"):
            sess.run(dense, {sp: unordered})
        repeated = ([[0, 1], [0, 1]], [1.0, 2.0], [2, 2])
        with pytest.raises(tf.errors.InvalidArgumentError, match="is repeated"):
            sess.run(dense, {sp: repeated})
        outside = ([[0, 5]], [1.0], [2, 2])
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
            sess.run(dense, {sp: outside})
        with pytest.raises(TypeError, match="SparseTensorValue"):
            sess.run(dense, {sp: np.zeros((2, 2))})
        reshaped = tf.sparse.reshape(sp, [3, -1])
        with pytest.raises(tf.errors.InvalidArgumentError, match="SparseReshape"):
            sess.run(reshaped.indices, {sp: ([[0, 0]], [1.0], [2, 2])})
    with pytest.raises(ValueError, match="combiner"):
        tf.nn.embedding_lookup_sparse(tf.zeros([3, 2]), sp, None, combiner="max")
    with pytest.raises(TypeError, match="sp_ids must be SparseTensor"):
        tf.nn.embedding_lookup_sparse(tf.zeros([3, 2]), [1, 2], None)
    with pytest.raises(ValueError, match="num_buckets"):
        tf.string_to_hash_bucket_fast(["a"], 0)


def test_a_sparse_lookup_trains_only_the_rows_it_used(target):
    """The table's gradient is IndexedSlices over the unique ids; Adagrad touches those
    rows and their accumulators only."""
    table = tf.Variable(np.ones((6, 2), np.float32), name="table")
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], np.array([4, 1, 4], np.int64), [2, 2])
    out = tf.nn.embedding_lookup_sparse(table, ids, None, combiner="sum")
    loss = tf.reduce_sum(out)
    (grad,) = tf.gradients(loss, [table])
    assert isinstance(grad, tf.IndexedSlices)
    train = tf.train.AdagradOptimizer(0.5).minimize(loss)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(table)
    # d loss / d row 4 = 2 (used twice), row 1 = 1; Adagrad: lr * g / sqrt(0.1 + g^2).
    want = np.ones((6, 2), np.float32)
    want[4] -= 0.5 * 2 / np.sqrt(0.1 + 4)
    want[1] -= 0.5 * 1 / np.sqrt(0.1 + 1)
    np.testing.assert_allclose(got, want, rtol=1e-5)
