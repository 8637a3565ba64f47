"""More of tf.nn against numpy references (fused_batch_norm and the moments family,
space_to_depth/depth_to_space, conv1d/convolution, log_poisson_loss, the candidate
samplers, nce_loss and sampled_softmax_loss) with finite-difference gradient checks, and
tf.layers conv2d / pooling / batch_normalization."""

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import numeric_and_symbolic

RNG = np.random.default_rng(0)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def _close_grads(build, inputs, rtol=1e-5, atol=1e-6):
    numeric, symbolic = numeric_and_symbolic(build, inputs)
    for n, s in zip(numeric, symbolic):
        np.testing.assert_allclose(s, n, rtol=rtol, atol=atol)


def test_sufficient_statistics_and_normalize_moments():
    x = RNG.normal(size=(4, 5, 3))
    count, mean_ss, var_ss, shift = tf.nn.sufficient_statistics(x, [0, 1], shift=0.5)
    mean, var = tf.nn.normalize_moments(count, mean_ss, var_ss, shift)
    got = _run([count, mean, var])
    assert got[0] == 20
    np.testing.assert_allclose(got[1], x.mean(axis=(0, 1)))
    np.testing.assert_allclose(got[2], x.var(axis=(0, 1)))


def test_weighted_moments():
    x = RNG.normal(size=(6, 3))
    w = RNG.integers(1, 4, size=(6, 1)).astype(np.float64)
    mean, var = _run(list(tf.nn.weighted_moments(x, [0], w)))
    reps = np.repeat(x, w[:, 0].astype(int), axis=0)
    np.testing.assert_allclose(mean, reps.mean(axis=0))
    np.testing.assert_allclose(var, reps.var(axis=0))


def test_fused_batch_norm_training_and_inference():
    x = RNG.normal(size=(3, 4, 5, 2)).astype(np.float32)
    scale, offset = np.array([1.5, 0.5], np.float32), np.array([0.1, -0.2], np.float32)
    y, mean, var = _run(list(tf.nn.fused_batch_norm(x, scale, offset, epsilon=1e-3)))
    m, v = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(
        y, (x - m) / np.sqrt(v + 1e-3) * scale + offset, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(mean, m, rtol=1e-5)
    np.testing.assert_allclose(var, v * 60 / 59, rtol=1e-5)  # Bessel's correction, as TF's
    y2, m2, v2 = _run(list(tf.nn.fused_batch_norm(x, scale, offset, m, v, is_training=False)))
    np.testing.assert_allclose(y2, y, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(m2, m)
    _close_grads(
        lambda a, s, o: tf.nn.fused_batch_norm(a, s, o)[0],
        [RNG.normal(size=(2, 2, 3, 2)), RNG.normal(size=2), RNG.normal(size=2)],
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("b", [2, 3])
def test_space_to_depth_and_back(b):
    x = RNG.normal(size=(2, 2 * b, 3 * b, 4))
    s2d, back = _run(
        [tf.nn.space_to_depth(x, b), tf.nn.depth_to_space(tf.nn.space_to_depth(x, b), b)]
    )
    n, h, w, c = x.shape
    want = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    np.testing.assert_array_equal(s2d, want.reshape(n, h // b, w // b, b * b * c))
    np.testing.assert_array_equal(back, x)
    _close_grads(lambda a: tf.nn.space_to_depth(a, b), [RNG.normal(size=(1, b, b, 2))])


def test_conv1d_and_convolution_match_a_direct_sum():
    x = RNG.normal(size=(2, 9, 3))
    f = RNG.normal(size=(3, 3, 4))
    want = np.zeros((2, 4, 4))
    for i in range(4):  # stride 2, VALID
        want[:, i] = np.einsum("bkc,kco->bo", x[:, 2 * i : 2 * i + 3], f)
    got, via = _run([tf.nn.conv1d(x, f, 2, "VALID"), tf.nn.convolution(x, f, "VALID", strides=2)])
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(via, want)
    _close_grads(
        lambda a, k: tf.nn.conv1d(a, k, 1, "SAME"),
        [RNG.normal(size=(1, 5, 2)), RNG.normal(size=(3, 2, 2))],
    )


def test_log_poisson_loss():
    t = np.array([0.0, 1.0, 3.0, 7.0])
    li = np.array([0.2, -0.5, 1.0, 2.0])
    plain, full = _run(
        [tf.nn.log_poisson_loss(t, li), tf.nn.log_poisson_loss(t, li, compute_full_loss=True)]
    )
    np.testing.assert_allclose(plain, np.exp(li) - li * t)
    safe = np.maximum(t, 1)
    stirling = np.where(t > 1, t * np.log(safe) - t + 0.5 * np.log(2 * np.pi * safe), 0)
    np.testing.assert_allclose(full, np.exp(li) - li * t + stirling)
    _close_grads(lambda a: tf.nn.log_poisson_loss(t, a), [li])


@pytest.mark.parametrize("kind", ["log_uniform", "uniform"])
def test_candidate_samplers(kind):
    sampler = getattr(tf.nn, f"{kind}_candidate_sampler")
    true = np.array([[1], [5], [40]], np.int64)
    tf.set_random_seed(1)
    sampled, true_count, sampled_count = sampler(true, 1, 20, True, 50, seed=3)
    first = _run([sampled, true_count, sampled_count])
    assert len(set(first[0].tolist())) == 20 and first[0].min() >= 0 and first[0].max() < 50
    if kind == "log_uniform":
        p = (np.log(true + 2.0) - np.log(true + 1.0)) / np.log(51.0)
    else:
        p = np.full(true.shape, 1 / 50)
    # unique sampling: 1 - (1 - p)^tries, with tries >= 20 draws
    tries = np.log1p(-first[1]) / np.log1p(-p)
    assert np.allclose(tries, tries.flat[0]) and tries.flat[0] >= 20 - 1e-6
    tf.reset_default_graph()
    tf.set_random_seed(1)
    again = _run(list(sampler(true, 1, 20, True, 50, seed=3)))
    np.testing.assert_array_equal(again[0], first[0])  # seeded: the same draw


def _sampled_reference(weights, biases, labels, inputs, sampled, true_exp, sampled_exp):
    true_logits = np.einsum("bd,bd->b", inputs, weights[labels]) + biases[labels]
    sampled_logits = inputs @ weights[sampled].T + biases[sampled]
    true_logits = true_logits - np.log(true_exp[:, 0])
    sampled_logits = sampled_logits - np.log(sampled_exp)
    return true_logits, sampled_logits


def test_nce_and_sampled_softmax_losses_match_numpy():
    weights = RNG.normal(size=(30, 4))
    biases = RNG.normal(size=30)
    labels = np.array([[3], [7], [11]], np.int64)
    inputs = RNG.normal(size=(3, 4))
    sampled = np.array([0, 2, 9, 20, 29], np.int64)
    true_exp = np.full((3, 1), 0.2)
    sampled_exp = np.linspace(0.1, 0.5, 5)
    values = (sampled, true_exp, sampled_exp)
    nce = tf.nn.nce_loss(weights, biases, labels, inputs, 5, 30, sampled_values=values)
    ssm = tf.nn.sampled_softmax_loss(weights, biases, labels, inputs, 5, 30, sampled_values=values)
    got_nce, got_ssm = _run([nce, ssm])
    t, s = _sampled_reference(weights, biases, labels[:, 0], inputs, sampled, true_exp, sampled_exp)

    def softplus(z):
        return np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0)

    np.testing.assert_allclose(got_nce, softplus(-t) + softplus(s).sum(axis=1), rtol=1e-6)
    logits = np.concatenate([t[:, None], s], axis=1)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(got_ssm, -log_softmax[:, 0], rtol=1e-6)
    _close_grads(
        lambda w, x: tf.nn.nce_loss(w, biases, labels, x, 5, 30, sampled_values=values),
        [weights, inputs],
    )


def test_sampled_softmax_trains_a_tiny_language_model():
    """A word2vec-style model with sampled_softmax_loss learns to predict a planted next
    word (the loss falls below half its start)."""
    vocab, dim = 50, 8
    tf.set_random_seed(0)
    emb = tf.Variable(tf.random_uniform([vocab, dim], -1.0, 1.0))
    out_w = tf.Variable(tf.truncated_normal([vocab, dim], stddev=0.3))
    out_b = tf.Variable(tf.zeros([vocab]))
    words = tf.placeholder(tf.int64, [None])
    nexts = tf.placeholder(tf.int64, [None, 1])
    loss = tf.reduce_mean(
        tf.nn.sampled_softmax_loss(
            out_w, out_b, nexts, tf.nn.embedding_lookup(emb, words), 10, vocab
        )
    )
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    x = np.arange(vocab)
    feed = {words: x, nexts: ((x * 7 + 3) % vocab)[:, None]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = np.mean([sess.run(loss, feed) for _ in range(5)])
        for _ in range(300):
            sess.run(train, feed)
        end = np.mean([sess.run(loss, feed) for _ in range(5)])
    assert end < start / 2, (start, end)


def test_layers_conv2d_and_pooling():
    x = RNG.normal(size=(2, 6, 6, 3)).astype(np.float32)
    y = tf.layers.conv2d(x, 4, (3, 3), strides=1, padding="same", activation=tf.nn.relu, name="c")
    p = tf.layers.max_pooling2d(y, 2, 2)
    a = tf.layers.average_pooling2d(y, 2, 2)
    kernel, bias = tf.trainable_variables()
    assert kernel.name == "c/kernel:0" and kernel.shape.as_list() == [3, 3, 3, 4]
    want = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, [1, 1, 1, 1], "SAME"), bias))
    got = _run([y, want, p, a])
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6)
    blocks = got[0].reshape(2, 3, 2, 3, 2, 4)
    np.testing.assert_allclose(got[2], blocks.max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(got[3], blocks.mean(axis=(2, 4)), rtol=1e-5)
    with pytest.raises(ValueError, match="channels_last"):
        tf.layers.conv2d(x, 2, 3, data_format="channels_first")


@pytest.mark.parametrize("rank", [2, 4])
def test_layers_batch_normalization_trains_and_tracks_moving_moments(rank):
    shape = (8, 3) if rank == 2 else (4, 3, 2, 3)
    x = RNG.normal(2.0, 3.0, size=shape).astype(np.float32)
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(x, training=training, momentum=0.9)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    moving_mean, moving_var = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)[2:]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        y_train, _ = sess.run([y, updates], {training: True})
        mm, mv = sess.run([moving_mean, moving_var])
        y_infer = sess.run(y, {training: False})
    axes = tuple(range(rank - 1))
    m, v = x.mean(axis=axes), x.var(axis=axes)
    n = x.size // 3
    np.testing.assert_allclose(y_train, (x - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mm, 0.1 * m, rtol=1e-5)
    target = v * n / (n - 1) if rank == 4 else v  # the fused kernel's correction, as TF1
    np.testing.assert_allclose(mv, 0.9 + 0.1 * target, rtol=1e-5)
    np.testing.assert_allclose(y_infer, (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-4, atol=1e-4)
