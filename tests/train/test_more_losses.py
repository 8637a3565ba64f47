"""More of tf.losses against TF1's values on the same data (recorded, so no test needs
TensorFlow), and the he/lecun/identity/uniform_unit_scaling initializers."""

import numpy as np
import pytest

import psflow as tf

# TF1 (tensorflow.compat.v1) on the data below, in the order of the test's losses.
TF1 = [
    0.9838131070137024,
    0.4633302688598633,
    0.8633432388305664,
    0.18460442125797272,
    1.898478627204895,
    1.5878467559814453,
]


def test_losses_equal_tf1s():
    rng = np.random.default_rng(0)
    lab = (rng.random((4, 3)) > 0.5).astype(np.float32)
    pred = rng.random((4, 3)).astype(np.float32)
    w = rng.random((4, 1)).astype(np.float32)
    n = pred / np.linalg.norm(pred, axis=1, keepdims=True)
    m = (lab + 0.1) / np.linalg.norm(lab + 0.1, axis=1, keepdims=True)
    losses = [
        tf.losses.hinge_loss(lab, pred * 4 - 2, weights=w),
        tf.losses.huber_loss(lab, pred * 3, delta=0.7),
        tf.losses.log_loss(lab, pred, weights=w),
        tf.losses.cosine_distance(m, n, axis=1),
        tf.losses.mean_pairwise_squared_error(lab, pred),
        tf.losses.mean_pairwise_squared_error(lab, pred, weights=w),
    ]
    assert len(tf.losses.get_losses()) == 6
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(losses), TF1, rtol=2e-6)


@pytest.mark.parametrize(
    "make,scale,uniform",
    [
        (tf.initializers.he_normal, 2.0, False),
        (tf.initializers.he_uniform, 2.0, True),
        (tf.initializers.lecun_normal, 1.0, False),
        (tf.initializers.lecun_uniform, 1.0, True),
    ],
)
def test_variance_scaling_shortcuts(make, scale, uniform):
    init = make(seed=1)
    values = tf.Session().run(init([400, 300]))
    assert values.std() == pytest.approx(np.sqrt(scale / 400), rel=0.03)
    if uniform:
        assert np.abs(values).max() <= np.sqrt(3 * scale / 400)


def test_identity_and_uniform_unit_scaling():
    ident = tf.Session().run(tf.initializers.identity(gain=2.0)([3, 4]))
    np.testing.assert_array_equal(ident, np.eye(3, 4) * 2)
    with pytest.raises(ValueError, match="2D"):
        tf.initializers.identity()([2, 2, 2])
    values = tf.Session().run(tf.initializers.uniform_unit_scaling(1.5, seed=2)([50, 8]))
    limit = 1.5 * np.sqrt(3 / 50)
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.9 * limit


def test_sparse_softmax_cross_entropy_squeezes_labels_and_weights_as_tf():
    logits = np.array([[0.2, 0.7, 0.4], [0.9, 0.3, 0.1]], np.float32)
    got = [
        tf.losses.sparse_softmax_cross_entropy([[1], [0]], logits),
        tf.losses.sparse_softmax_cross_entropy([[1], [0]], logits, weights=[[0.5], [2.0]]),
        tf.losses.sparse_softmax_cross_entropy(
            [1, 0], logits, weights=[0.5, 0.0], reduction=tf.losses.Reduction.MEAN
        ),
    ]
    with tf.Session() as sess:
        np.testing.assert_allclose(
            sess.run(got), [0.7727518, 0.90553874, 0.85328656], rtol=1e-6
        )  # TF
