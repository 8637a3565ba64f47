"""3-D convolution and pooling, and CTC (loss, its gradient, the decoders, the label
helpers): the values TensorFlow 1.x gave for the same inputs (recorded with
tensorflow.compat.v1), and finite-difference gradients."""

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import assert_gradients_match

R = np.random.RandomState(0)
X = R.randn(2, 5, 6, 4, 3)
F = R.randn(3, 2, 2, 3, 4)
DY = R.randn(2, 3, 3, 2, 4)
T, B, K = 6, 3, 5
LOGITS = R.randn(T, B, K)
LABELS = (
    [[0, 0], [0, 1], [1, 0], [1, 1], [1, 2], [2, 0]],
    np.array([1, 2, 3, 3, 1, 0], np.int32),
    [3, 3],
)


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def _head(value, n=6):
    return np.round(np.asarray(value), 4).ravel()[:n].tolist()


def test_conv3d_and_its_backprops_are_tfs():
    x, f = tf.constant(X), tf.constant(F)
    same, valid, dfilter, dinput, patches = _run(
        [
            tf.nn.conv3d(x, f, [1, 2, 2, 2, 1], "SAME"),
            tf.nn.conv3d(x, f, [1, 1, 2, 1, 1], "VALID"),
            tf.nn.conv3d_backprop_filter(
                x, [3, 2, 2, 3, 4], tf.constant(DY), [1, 2, 2, 2, 1], "SAME"
            ),
            tf.nn.conv3d_transpose(tf.constant(DY), f, [2, 5, 6, 4, 3], [1, 2, 2, 2, 1], "SAME"),
            tf.extract_volume_patches(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID"),
        ]
    )
    assert same.shape == (2, 3, 3, 2, 4)
    assert _head(same) == [7.7232, 4.8075, -0.7077, -2.2896, -1.2653, -2.3646]
    assert valid.shape == (2, 3, 3, 3, 4)
    assert _head(valid) == [9.8595, 0.6719, 2.9161, -4.9723, -12.8372, 0.6217]
    assert _head(dfilter) == [0.5996, -3.2318, -6.7659, 2.4199, -0.7886, -0.8813]
    assert _head(dinput) == [0.7022, -0.9162, 0.4762, -0.6758, 0.0273, -0.1956]
    assert patches.shape == (2, 2, 3, 2, 24)
    assert _head(patches) == [1.7641, 0.4002, 0.9787, 2.2409, 1.8676, -0.9773]
    assert_gradients_match(
        lambda a, b: tf.nn.conv3d(a, b, [1, 1, 2, 1, 1], "SAME", dilations=[1, 2, 1, 1, 1]),
        [X[:1, :3, :3, :2, :2], F[:2, :2, :1, :2, :2]],
    )


def test_pool3d_and_their_gradients():
    x32 = tf.constant(X.astype(np.float32))
    biggest = tf.nn.max_pool3d(x32, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME")
    mean = tf.nn.avg_pool3d(x32, [1, 3, 2, 2, 1], [1, 1, 2, 2, 1], "SAME")
    grad = tf.gradients(tf.reduce_sum(biggest**2) + tf.reduce_sum(mean), x32)[0]
    b, m, g = _run([biggest, mean, grad])
    np.testing.assert_allclose(
        b.ravel()[:6], [2.2409, 1.8959, 1.1788, 0.9766, 1.2224, 1.4543], atol=1e-4
    )
    np.testing.assert_allclose(
        m.ravel()[:6], [0.8578, 0.3254, 0.2871, 0.4363, 0.263, -0.4663], atol=1e-4
    )
    np.testing.assert_allclose(
        g.ravel()[:6], [0.2083, 0.2083, 0.2083, 4.6901, 0.2083, 0.2083], atol=1e-4
    )
    rng = np.random.RandomState(1)
    small = rng.permutation(2 * 4 * 3 * 3).reshape(1, 4, 3, 3, 2) / 10.0  # no ties
    assert_gradients_match(
        lambda a: tf.nn.max_pool3d(a, [1, 2, 2, 2, 1], [1, 1, 1, 2, 1], "SAME"), [small]
    )
    assert_gradients_match(
        lambda a: tf.nn.avg_pool3d(a, [1, 2, 2, 3, 1], [1, 2, 1, 1, 1], "VALID"), [small]
    )


def test_ctc_loss_and_its_gradient_are_tfs():
    labels = tf.SparseTensor(*LABELS)
    logits = tf.constant(LOGITS)
    loss = tf.nn.ctc_loss(labels, logits, [6, 6, 4])
    grad = tf.gradients(tf.reduce_sum(loss * [1.0, 2.0, 0.5]), logits)[0]
    got = _run(
        [
            loss,
            grad,
            tf.nn.ctc_loss(labels, logits, [6, 6, 4], preprocess_collapse_repeated=True),
            tf.nn.ctc_loss(labels, tf.transpose(logits, [1, 0, 2]), [6, 5, 4], time_major=False),
            tf.nn.ctc_loss_v2(
                np.array([[1, 2, 0], [3, 3, 1], [4, 0, 0]], np.int32),
                tf.cast(logits, tf.float32),
                [2, 3, 1],
                [6, 6, 4],
            ),
        ]
    )
    np.testing.assert_allclose(got[0], [6.2871, 7.9379, 5.0735], atol=1e-4)  # TF
    assert _head(got[1]) == [0.1046, -0.361, 0.0404, 0.5862, -0.3702, 1.3507]  # TF
    np.testing.assert_allclose(got[2], [6.2871, 7.5206, 5.0735], atol=1e-4)
    np.testing.assert_allclose(got[3], [6.2871, 7.8907, 5.0735], atol=1e-4)
    np.testing.assert_allclose(got[4], [6.395, 5.6224, 4.7366], atol=1e-4)  # blank 0
    assert_gradients_match(
        lambda z: tf.nn.ctc_loss(
            tf.SparseTensor([[0, 0], [0, 1]], np.array([1, 1], np.int32), [1, 2]), z, [4]
        ),
        [R.randn(4, 1, 3)],
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="Not enough time"):
        _run(tf.nn.ctc_loss(labels, logits, [6, 2, 4]))


def test_ctc_decoders_and_label_helpers_are_tfs():
    logits = tf.constant(LOGITS)
    (greedy,), greedy_score = tf.nn.ctc_greedy_decoder(logits, [6, 5, 4])
    beams, beam_scores = tf.nn.ctc_beam_search_decoder(
        logits, [6, 5, 4], beam_width=10, top_paths=2
    )
    g, gs, b0, b1, bs = _run([greedy, greedy_score, beams[0], beams[1], beam_scores])
    assert g.values.tolist() == [3, 1, 2, 1, 0, 1, 2, 2, 0, 2] and g.dense_shape.tolist() == [3, 4]
    np.testing.assert_allclose(gs.ravel(), [-8.2407, -5.2753, -2.4955], atol=1e-4)
    assert b0.values.tolist() == [3, 1, 2, 1, 0, 1, 2, 2, 0]
    assert b1.values.tolist() == [3, 1, 2, 1, 0, 0, 2, 2, 3]
    np.testing.assert_allclose(
        bs, [[-3.1177, -3.2603], [-2.6232, -2.9419], [-3.3913, -3.4453]], atol=1e-4
    )
    collapsed, lengths = _run(
        tf.nn.collapse_repeated(np.array([[1, 1, 2, 2, 3], [4, 4, 4, 5, 5]], np.int32), [5, 4])
    )
    assert collapsed.tolist() == [[1, 2, 3], [4, 5, 0]] and lengths.tolist() == [3, 2]
    unique, index = _run(tf.nn.ctc_unique_labels(np.array([[3, 4, 4, 3], [7, 7, 1, 0]], np.int32)))
    assert unique.tolist() == [[3, 4, 0, 0], [7, 1, 0, 0]]
    assert index.tolist() == [[0, 1, 1, 0], [0, 0, 1, 2]]
