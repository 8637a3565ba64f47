"""More of tf.nn (graph/ops/nn_ext.py and the candidate samplers): each transposed or
backprop convolution is the adjoint of its forward one (<y, conv(x)> = <conv_T(y), x>),
1-D and generic pooling against numpy, approx_max_k/min_k against top_k, the old batch
norm against its formula; the fixed/learned unigram, all-candidates samplers and
accidental hits against their definitions. (Every function here was also checked once
against TensorFlow 1.x's own outputs for the same inputs.)"""

import numpy as np
import pytest

import psflow as tf

RNG = np.random.RandomState(5)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _adjoint(forward, transpose, x_shape, y_shape):
    x = RNG.randn(*x_shape)
    y = RNG.randn(*y_shape)
    fx, ty = _run([forward(tf.constant(x)), transpose(tf.constant(y))])
    assert fx.shape == y_shape and ty.shape == x_shape
    assert np.sum(fx * y) == pytest.approx(np.sum(x * ty), rel=1e-10)


def test_atrous_convolutions_are_dilated_convolutions_and_their_adjoints():
    f = RNG.randn(3, 3, 3, 2)
    x = RNG.randn(2, 7, 6, 3)
    a, b = _run([tf.nn.atrous_conv2d(x, f, 2, "SAME"),
                 tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1])])  # fmt: skip
    np.testing.assert_allclose(a, b)
    _adjoint(lambda t: tf.nn.atrous_conv2d(t, f, 2, "SAME"),
             lambda t: tf.nn.atrous_conv2d_transpose(t, f, [2, 7, 6, 3], 2, "SAME"),
             (2, 7, 6, 3), (2, 7, 6, 2))  # fmt: skip


def test_conv1d_transpose_and_conv_transpose_are_adjoints_of_conv1d():
    f = RNG.randn(3, 2, 3)
    _adjoint(lambda t: tf.nn.conv1d(t, f, 2, "SAME"),
             lambda t: tf.nn.conv1d_transpose(t, f, [2, 10, 2], 2, "SAME"),
             (2, 10, 2), (2, 5, 3))  # fmt: skip
    _adjoint(lambda t: tf.nn.conv1d(t, f, 2, "SAME"),
             lambda t: tf.nn.conv_transpose(t, f, [2, 10, 2], 2, "SAME"),
             (2, 10, 2), (2, 5, 3))  # fmt: skip


def test_native_depthwise_backprops_are_adjoints():
    f = RNG.randn(3, 3, 3, 2)
    x = RNG.randn(2, 7, 6, 3)
    forward = lambda t: tf.nn.depthwise_conv2d_native(t, f, [1, 1, 1, 1], "VALID")  # noqa: E731
    _adjoint(forward,
             lambda t: tf.nn.depthwise_conv2d_native_backprop_input([2, 7, 6, 3], f, t,
                                                                    [1, 1, 1, 1], "VALID"),
             (2, 7, 6, 3), (2, 5, 4, 6))  # fmt: skip
    _adjoint(lambda t: tf.nn.depthwise_conv2d_native(x, t, [1, 1, 1, 1], "VALID"),
             lambda t: tf.nn.depthwise_conv2d_native_backprop_filter(x, [3, 3, 3, 2], t,
                                                                     [1, 1, 1, 1], "VALID"),
             (3, 3, 3, 2), (2, 5, 4, 6))  # fmt: skip


def test_one_dimensional_and_generic_pooling():
    x = RNG.randn(2, 9, 3)
    got_max, got_avg, got_pool = _run([
        tf.nn.max_pool1d(x, 2, 2, "VALID"),
        tf.nn.avg_pool1d(x, 3, 3, "VALID"),
        tf.nn.pool(x, [3], "AVG", "VALID", strides=[3]),
    ])  # fmt: skip
    np.testing.assert_allclose(got_max, x[:, :8].reshape(2, 4, 2, 3).max(2))
    np.testing.assert_allclose(got_avg, x.reshape(2, 3, 3, 3).mean(2))
    np.testing.assert_allclose(got_pool, got_avg)
    with pytest.raises(ValueError, match="MAX or AVG"):
        tf.nn.pool(x, [2], "SUM", "VALID")


def test_approx_top_k_is_exact_top_k():
    x = RNG.randn(3, 6).astype(np.float32)
    (vmax, imax), (vmin, imin), (vcol, icol) = _run([
        tf.nn.approx_max_k(x, 2), tf.nn.approx_min_k(x, 2), tf.nn.approx_max_k(x, 1, 0),
    ])  # fmt: skip
    np.testing.assert_array_equal(imax, np.argsort(-x, 1)[:, :2])
    np.testing.assert_array_equal(imin, np.argsort(x, 1)[:, :2])
    np.testing.assert_allclose(vmin, np.sort(x, 1)[:, :2])
    np.testing.assert_array_equal(icol, x.argmax(0)[None])


def test_batch_norm_with_global_normalization():
    x = RNG.randn(4, 3)
    m, v, beta, gamma = [0.1, 0.2, 0.3], [1.0, 2.0, 3.0], [0.0, 1.0, 0.0], [2.0, 2.0, 2.0]
    got, plain = _run([
        tf.nn.batch_norm_with_global_normalization(x, m, v, beta, gamma, 0.001, True),
        tf.nn.batch_norm_with_global_normalization(x, m, v, beta, gamma, 0.001, False),
    ])  # fmt: skip
    norm = (x - m) / np.sqrt(np.array(v) + 0.001)
    np.testing.assert_allclose(got, norm * gamma + beta)
    np.testing.assert_allclose(plain, norm + beta)


def test_fixed_unigram_sampler_follows_its_distorted_counts():
    classes = tf.constant([[0]], tf.int64)
    sampled, true_expected, sampled_expected = tf.nn.fixed_unigram_candidate_sampler(
        classes, 1, 400, False, 6, unigrams=[1, 4, 9, 0], distortion=0.5,
        num_reserved_ids=2, seed=3,
    )  # fmt: skip
    s, te, se = _run([sampled, true_expected, sampled_expected])
    p = np.array([0, 0, 1, 2, 3, 0]) / 6.0  # sqrt of the counts, after 2 reserved ids
    assert set(s.tolist()) <= {2, 3, 4}
    np.testing.assert_allclose(np.bincount(s, minlength=6) / 400, p, atol=0.07)
    np.testing.assert_allclose(se, p[s] * 400, rtol=1e-6)
    assert te[0, 0] == 0.0  # class 0 is reserved


def test_learned_unigram_sampler_learns_the_true_classes():
    sampler = tf.nn.learned_unigram_candidate_sampler(
        tf.constant([[3]], tf.int64), 1, 1, False, 4, seed=1
    )
    with tf.Session() as sess:
        first = sess.run(sampler)[1][0, 0]
        for _ in range(6):
            last = sess.run(sampler)[1][0, 0]
    assert first == pytest.approx(0.25)  # every class counted once to start
    assert last == pytest.approx(7 / 10)  # class 3 seen 6 more times


def test_all_candidates_and_accidental_hits():
    classes = tf.constant([[1, 0], [3, 3]], tf.int64)
    s, te, se = _run(tf.nn.all_candidate_sampler(classes, 2, 4, True))
    assert s.tolist() == [0, 1, 2, 3] and te.tolist() == [[1, 1], [1, 1]]
    rows, ids, weights = _run(
        tf.nn.compute_accidental_hits(classes, tf.constant([3, 0, 1, 3], tf.int64), 2)
    )
    assert list(zip(rows.tolist(), ids.tolist())) == [(0, 1), (0, 2), (1, 0), (1, 3)]
    assert np.all(weights == -np.finfo(np.float32).max)


def test_with_space_to_batch_computes_dilated_convolutions():
    x = np.random.RandomState(0).randn(1, 7, 8, 2)
    f = np.random.RandomState(1).randn(3, 3, 2, 4)

    def conv(t, num_spatial_dims, padding):
        assert num_spatial_dims == 2
        return tf.nn.conv2d(t, f, [1, 1, 1, 1], padding)

    same, same_ref, valid, valid_ref = _run([
        tf.nn.with_space_to_batch(x, [2, 2], "SAME", conv, filter_shape=[3, 3]),
        tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1]),
        tf.nn.with_space_to_batch(x, [2, 2], "VALID", conv),
        tf.nn.conv2d(x, f, [1, 1, 1, 1], "VALID", dilations=[1, 2, 2, 1]),
    ])  # fmt: skip
    np.testing.assert_allclose(same, same_ref, atol=1e-12)
    np.testing.assert_allclose(valid, valid_ref, atol=1e-12)
    assert valid.shape == (1, 3, 4, 4)


@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
def test_fractional_pooling_regions_and_gradients(pseudo_random, overlapping):
    """Regions of 1 or 2 rows (ratio 1.44 over 9 rows: 6 regions, as TF's sequences are);
    each output is its region's max/mean; the same seeds give the same regions."""
    x_value = np.random.RandomState(1).randn(2, 9, 7, 2)
    x = tf.constant(x_value)
    kw = dict(pseudo_random=pseudo_random, overlapping=overlapping, seed=3, seed2=4)
    out, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.73, 1.0], **kw)
    again = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.73, 1.0], **kw)
    avg, arows, acols = tf.nn.fractional_avg_pool(x, [1.0, 1.44, 1.73, 1.0], **kw)
    (grad,) = tf.gradients(tf.reduce_sum(out * out), [x])
    assert out.shape.as_list() == [2, 6, 4, 2] and rows.shape.as_list() == [7]
    with tf.Session() as sess:
        o, r, c, o2, a, ar, ac, g = sess.run([out, rows, cols, again[0], avg, arows, acols, grad])
    np.testing.assert_array_equal(o, o2)
    for seq, n in ((r, 9), (c, 7), (ar, 9), (ac, 7)):
        assert seq[0] == 0 and seq[-1] == n and set(np.diff(seq)) <= {1, 2}
    extra = 1 if overlapping else 0
    want_g = np.zeros_like(x_value)
    for i in range(6):
        for j in range(4):
            r1, c1 = min(r[i + 1] + extra, 9), min(c[j + 1] + extra, 7)
            block = x_value[:, r[i] : r1, c[j] : c1]
            np.testing.assert_array_equal(o[:, i, j], block.max(axis=(1, 2)))
            a1, b1 = min(ar[i + 1] + extra, 9), min(ac[j + 1] + extra, 7)
            np.testing.assert_allclose(a[:, i, j], x_value[:, ar[i] : a1, ac[j] : b1].mean((1, 2)))
            flat = block.reshape(2, -1, 2)
            first = flat.argmax(axis=1)
            for b in range(2):
                for ch in range(2):
                    y, xx = divmod(first[b, ch], c1 - c[j])
                    want_g[b, r[i] + y, c[j] + xx, ch] += 2 * o[b, i, j, ch]
    np.testing.assert_allclose(g, want_g)
    with pytest.raises(ValueError, match=r"\[1.0, r, c, 1.0\]"):
        tf.nn.fractional_max_pool(x, [2.0, 1.5, 1.5, 1.0])
