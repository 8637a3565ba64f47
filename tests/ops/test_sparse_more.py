"""More of tf.sparse (graph/ops/sparse_more.py) against TensorFlow's outputs on the same
inputs (recorded from tensorflow.compat.v1; no TensorFlow at test time), and the gradients
of add, reduce_sum and softmax against TF's and against finite differences."""

import numpy as np
import pytest

import psflow as tf

# TensorFlow's outputs: name -> (indices, values, dense_shape), or a dense value.
TF = {
    "from_dense": ([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 3.0], [2, 3]),
    "sum_all": 2.0,
    "sum0": [1.0, 3.0, -2.0],
    "sum1k": [[-1.0], [3.0]],
    "sum_sparse1": ([[0], [1]], [-1.0, 3.0], [2]),
    "max1": [1.0, 3.0],
    "max0_neg": [-1.0, 0.0, 0.0],
    "max_all": -1.0,
    "add": ([[0, 0], [0, 2], [1, 0], [1, 1]], [1.0, 0.0, 5.0, 3.0], [2, 3]),
    "add_dense": [[11.0, 20.0, 28.0], [40.0, 53.0, 60.0]],
    "add_thresh": ([[0, 0], [1, 0], [1, 1]], [1.0, 5.0, 3.0], [2, 3]),
    "retain": ([[0, 0], [1, 1]], [1.0, 3.0], [2, 3]),
    "transpose": ([[0, 0], [1, 1], [2, 0]], [1.0, 3.0, -2.0], [3, 2]),
    "concat": ([[0, 0], [0, 2], [0, 5], [1, 1], [1, 3]], [1.0, -2.0, 2.0, 3.0, 5.0], [2, 6]),
    "concat0": ([[0, 0], [0, 2], [1, 1], [2, 2], [3, 0]], [1.0, -2.0, 3.0, 2.0, 5.0], [4, 3]),
    "slice": ([[0, 1], [1, 0]], [-2.0, 3.0], [2, 2]),
    "to_indicator": [[False, True, False, True], [False, False, True, False]],
    "maximum": ([[0, 0], [0, 2], [1, 0], [1, 1]], [1.0, 2.0, 5.0, 3.0], [2, 3]),
    "minimum": ([[0, 0], [0, 2], [1, 0], [1, 1]], [0.0, -2.0, 0.0, 0.0], [2, 3]),
    "expand": ([[0, 0, 0], [0, 0, 2], [1, 0, 1]], [1.0, -2.0, 3.0], [2, 1, 3]),
    "eye": ([[0, 0], [1, 1]], [1.0, 1.0], [3, 2]),
    "softmax": ([[0, 0], [0, 2], [1, 1]], [0.9525741338729858, 0.04742587357759476, 1.0], [2, 3]),
    "split": [([[0, 0]], [1.0], [2, 1]), ([[1, 0]], [3.0], [2, 1]), ([[0, 0]], [-2.0], [2, 1])],
}
TF_GRADS = [[3.9548232555389404, 4.0451765060424805, 5.0], [3.0, 3.0]]


def _inputs():
    a = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, -2.0, 3.0], [2, 3])
    b = tf.SparseTensor([[0, 2], [1, 0]], [2.0, 5.0], [2, 3])
    return a, b


def _built():
    a, b = _inputs()
    neg = tf.SparseTensor([[0, 0], [1, 0]], [-1.0, -4.0], [2, 3])
    dense = tf.constant([[10.0, 20, 30], [40, 50, 60]])
    ints = tf.SparseTensor([[0, 0], [0, 1], [1, 2]], [3, 1, 2], [2, 3])
    return {
        "from_dense": tf.sparse.from_dense(tf.constant([[1.0, 0, 2], [0, 3, 0]])),
        "sum_all": tf.sparse.reduce_sum(a),
        "sum0": tf.sparse.reduce_sum(a, 0),
        "sum1k": tf.sparse.reduce_sum(a, 1, keepdims=True),
        "sum_sparse1": tf.sparse.reduce_sum_sparse(a, 1),
        "max1": tf.sparse.reduce_max(a, 1),
        "max0_neg": tf.sparse.reduce_max(neg, 0),
        "max_all": tf.sparse.reduce_max(neg),
        "add": tf.sparse.add(a, b),
        "add_dense": tf.sparse.add(a, dense),
        "add_thresh": tf.sparse.add(a, b, threshold=1.5),
        "retain": tf.sparse.retain(a, [True, False, True]),
        "transpose": tf.sparse.transpose(a),
        "concat": tf.sparse.concat(1, [a, b]),
        "concat0": tf.sparse.concat(0, [a, b]),
        "slice": tf.sparse.slice(a, [0, 1], [2, 2]),
        "to_indicator": tf.sparse.to_indicator(ints, 4),
        "maximum": tf.sparse.maximum(a, b),
        "minimum": tf.sparse.minimum(a, b),
        "expand": tf.sparse.expand_dims(a, 1),
        "eye": tf.sparse.eye(3, 2),
        "softmax": tf.sparse.softmax(a),
        "split": tf.sparse.split(sp_input=a, num_split=3, axis=1),
    }


def _plain(v):
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if hasattr(v, "indices"):
        return (v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist())
    return np.asarray(v).tolist()


@pytest.mark.parametrize("name", sorted(TF))
def test_equals_tensorflow(name):
    built = _built()[name]
    with tf.Session() as sess:
        got = _plain(sess.run(built))
    assert _close(got, TF[name]), (got, TF[name])


def _close(got, want) -> bool:
    if isinstance(want, (list, tuple)) and want and isinstance(want[0], (list, tuple)):
        return len(got) == len(want) and all(_close(g, w) for g, w in zip(got, want))
    if isinstance(want, tuple):
        return all(_close(g, w) for g, w in zip(got, want))
    return np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-6)


def test_gradients_equal_tensorflows_and_finite_differences():
    a, b = _inputs()
    loss = (
        tf.reduce_sum(tf.sparse.reduce_sum(a, 1) * [1.0, 2.0])
        + tf.reduce_sum(tf.sparse.add(a, b).values * 3.0)
        + tf.reduce_sum(tf.sparse.softmax(a).values * [1.0, 2.0, 3.0])
    )
    grads = tf.gradients(loss, [a.values, b.values])
    with tf.Session() as sess:
        got = sess.run(grads)
        np.testing.assert_allclose(got[0], TF_GRADS[0], rtol=1e-5)
        np.testing.assert_allclose(got[1], TF_GRADS[1], rtol=1e-5)
        base = [np.array([1.0, -2.0, 3.0], np.float32), np.array([2.0, 5.0], np.float32)]
        for k, (tensor, value) in enumerate(zip([a.values, b.values], base)):
            for i in range(len(value)):
                up, down = value.copy(), value.copy()
                up[i] += 1e-2
                down[i] -= 1e-2
                feeds = [{a.values: base[0], b.values: base[1]} for _ in range(2)]
                feeds[0][tensor], feeds[1][tensor] = up, down
                numeric = (sess.run(loss, feeds[0]) - sess.run(loss, feeds[1])) / 2e-2
                assert abs(numeric - got[k][i]) < 2e-2, (k, i, numeric, got[k][i])


def test_adding_sparse_tensors_of_different_shapes_is_an_error():
    a, _ = _inputs()
    other = tf.SparseTensor([[0, 0]], [1.0], [3, 3])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="same shape"):
        sess.run(tf.sparse.add(a, other))
