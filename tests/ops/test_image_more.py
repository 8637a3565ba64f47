"""More of tf.image against TensorFlow 1.x's values for the same inputs (recorded with
tensorflow.compat.v1): non-max suppression in all its forms, crop_and_resize and its image
gradient (also against finite differences), draw_bounding_boxes, resize_image_with_pad,
sobel_edges, ssim, ssim_multiscale, the bicubic and area resizes; and
sample_distorted_bounding_box's constraints."""

import numpy as np
import pytest

import psflow as tf

RNG = np.random.RandomState(0)
BOXES = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                  [0, 10.1, 1, 11.1], [0, 100, 1, 101]], np.float32)  # fmt: skip
SCORES = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], np.float32)
IMG = RNG.rand(2, 8, 9, 3).astype(np.float32)
IMG2 = np.clip(IMG + RNG.randn(*IMG.shape).astype(np.float32) * 0.1, 0, 1)


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_non_max_suppression_family():
    plain, thresholded, (soft_i, soft_s), overlaps, (padded, valid) = _run([
        tf.image.non_max_suppression(BOXES, SCORES, 3, 0.5),
        tf.image.non_max_suppression(BOXES, SCORES, 6, 0.5, score_threshold=0.55),
        tf.image.non_max_suppression_with_scores(BOXES, SCORES, 6, 1.0, soft_nms_sigma=0.5),
        tf.image.non_max_suppression_overlaps(
            np.array([[1, 0.7, 0.2], [0.7, 1, 0.0], [0.2, 0, 1]], np.float32),
            [0.9, 0.8, 0.7], 3, 0.6),
        tf.image.non_max_suppression_padded(BOXES, SCORES, 5, 0.5, pad_to_max_output_size=True),
    ])  # fmt: skip
    assert plain.tolist() == [3, 0, 5] and thresholded.tolist() == [3, 0]
    assert soft_i.tolist() == [3, 0, 1, 5, 4, 2]
    np.testing.assert_allclose(soft_s, [0.95, 0.9, 0.384, 0.3, 0.256, 0.19697], rtol=1e-4)
    assert overlaps.tolist() == [0, 2]
    assert padded.tolist() == [3, 0, 5, 0, 0] and valid == 3


def test_combined_non_max_suppression():
    boxes = np.stack([BOXES[:, None, :] / 101] * 2)
    scores = np.stack([np.stack([SCORES, SCORES[::-1]], 1)] * 2)
    nmsed_boxes, nmsed_scores, nmsed_classes, valid = _run(
        tf.image.combined_non_max_suppression(boxes, scores, 2, 3, 0.5)
    )
    np.testing.assert_allclose(nmsed_boxes[0, 0], [0.0, 0.099, 0.0099, 0.1089], atol=1e-4)
    np.testing.assert_allclose(nmsed_scores[0], [0.95, 0.95, 0.9])
    assert nmsed_classes[0].tolist() == [0.0, 1.0, 0.0] and valid.tolist() == [3, 3]


def test_crop_and_resize_and_its_image_gradient():
    bilinear, nearest = _run([
        tf.image.crop_and_resize(IMG, [[0.1, 0.2, 0.8, 0.9], [-0.2, 0.3, 0.5, 1.2]], [1, 0],
                                 [4, 5]),
        tf.image.crop_and_resize(IMG, [[0.1, 0.2, 0.8, 0.9]], [1], [3, 3], method="nearest"),
    ])  # fmt: skip
    np.testing.assert_allclose(bilinear.ravel()[:6], [0.5123, 0.4198, 0.5737, 0.8216, 0.7303,
                                                      0.6973], atol=1e-4)  # fmt: skip
    np.testing.assert_allclose(bilinear[1].ravel()[-6:], [0.3872, 0.5142, 0.5246, 0, 0, 0],
                               atol=1e-4)  # fmt: skip
    np.testing.assert_allclose(nearest.ravel()[:6], [0.4881, 0.3556, 0.9404, 0.0834, 0.5522,
                                                     0.5845], atol=1e-4)  # fmt: skip
    image = tf.constant(IMG)
    crops = tf.image.crop_and_resize(image, [[0.1, 0.2, 0.8, 0.9]], [1], [4, 5])
    grad = _run(tf.gradients(tf.reduce_sum(crops**2), image)[0])
    np.testing.assert_allclose(grad[1].ravel()[:8], [0, 0, 0, 0.1229, 0.1008, 0.1377, 0.1844,
                                                     0.1511], atol=1e-4)  # fmt: skip
    # The crop is linear in the image: its gradient is the adjoint, <g, crop(x)> = <grad, x>.
    weights = RNG.randn(1, 4, 5, 3).astype(np.float32)
    linear = tf.reduce_sum(crops * weights)
    value, adjoint = _run([linear, tf.gradients(linear, image)[0]])
    assert float(np.sum(adjoint * IMG)) == pytest.approx(float(value), rel=1e-5)


def test_draw_pad_sobel_and_ssim():
    drawn, padded, edges, similarity, multi = _run([
        tf.image.draw_bounding_boxes(IMG, [[[0.1, 0.2, 0.5, 0.6]], [[0, 0, 1, 1]]]),
        tf.image.resize_image_with_pad(IMG[0], 5, 4),
        tf.image.sobel_edges(tf.constant(IMG)),
        tf.image.ssim(IMG, IMG2, 1.0, filter_size=3),
        tf.image.ssim_multiscale(RNG.rand(1, 48, 48, 1).astype(np.float32) * 0 + 0.5,
                                 np.full((1, 48, 48, 1), 0.5, np.float32), 1.0, filter_size=3),
    ])  # fmt: skip
    want = [0.9447, 0.5218, 0.4147, 1, 1, 0, 0.5684, 0.0188, 0.6176]
    np.testing.assert_allclose(drawn[0, 1].ravel()[:9], want, atol=1e-4)
    np.testing.assert_allclose(padded.ravel()[:6], [0.5488, 0.7152, 0.6028, 0.4241, 0.8668,
                                                    0.855], atol=1e-4)  # fmt: skip
    assert padded.shape == (5, 4, 3) and not padded[3:].any()
    assert edges.shape == (2, 8, 9, 3, 2)
    np.testing.assert_allclose(edges[:, 0, :, :, 0], 0, atol=1e-6)  # reflected rows
    np.testing.assert_allclose(similarity, [0.94177, 0.94307], atol=1e-5)
    np.testing.assert_allclose(multi, [1.0], atol=1e-6)  # identical images


def test_bicubic_and_area_resizes_are_tfs():
    x = np.random.RandomState(0).rand(1, 5, 7, 2).astype(np.float32)
    cubic, cubic_corners, area = _run([
        tf.image.resize_bicubic(x, [8, 4]),
        tf.image.resize_bicubic(x, [3, 11], align_corners=True),
        tf.image.resize_images(x, [3, 4], method=tf.image.ResizeMethod.AREA),
    ])  # fmt: skip
    np.testing.assert_allclose(cubic.ravel()[:4], [0.5488, 0.7152, 0.4647, 0.5911], atol=1e-4)
    np.testing.assert_allclose(cubic_corners.ravel()[:6], [0.5488, 0.7152, 0.6011, 0.6001,
                                                           0.5761, 0.5404], atol=1e-4)  # fmt: skip
    np.testing.assert_allclose(area.ravel()[:4], [0.3629, 0.548, 0.5628, 0.7588], atol=1e-4)


def test_sample_distorted_bounding_box_keeps_its_constraints():
    begin, size, box = tf.image.sample_distorted_bounding_box(
        [40, 60, 3], [[[0.2, 0.2, 0.6, 0.7]]], seed=3, min_object_covered=0.5,
        aspect_ratio_range=(0.5, 2.0), area_range=(0.1, 0.9),
    )  # fmt: skip
    with tf.Session() as sess:
        for _ in range(5):
            b, s, bb = sess.run([begin, size, box])
            assert s[2] == -1 and b[0] >= 0 and b[0] + s[0] <= 40 and b[1] + s[1] <= 60
            assert 0.1 * 2400 * 0.8 <= s[0] * s[1] <= 0.9 * 2400 * 1.2
            np.testing.assert_allclose(bb[0, 0], [b[0] / 40, b[1] / 60, (b[0] + s[0]) / 40,
                                                  (b[1] + s[1]) / 60], rtol=1e-6)  # fmt: skip
    with pytest.raises(tf.errors.InvalidArgumentError, match="No bounding boxes"):
        _run(tf.image.sample_distorted_bounding_box([4, 4, 3], np.zeros((1, 0, 4), np.float32)))


def test_extract_glimpse_places_windows_as_tf():
    img = np.arange(80, dtype=np.float32).reshape(1, 8, 10, 1)
    cases = [  # (offsets, centered, normalized) -> TF's glimpse (3x4, zero noise)
        ([0, 0], True, True, [[23, 24, 25, 26], [33, 34, 35, 36], [43, 44, 45, 46]]),
        ([0.3, -0.5], True, True, [[30, 31, 32, 33], [40, 41, 42, 43], [50, 51, 52, 53]]),
        ([0.51, 0.49], False, True, [[22, 23, 24, 25], [32, 33, 34, 35], [42, 43, 44, 45]]),
        ([2.7, 3.2], False, False, [[11, 12, 13, 14], [21, 22, 23, 24], [31, 32, 33, 34]]),
        ([-1.5, 1.6], True, False, [[13, 14, 15, 16], [23, 24, 25, 26], [33, 34, 35, 36]]),
        ([1, 1], True, True, [[68, 69, 0, 0], [78, 79, 0, 0], [0, 0, 0, 0]]),
        ([-0.95, 0.2], True, True, [[0, 0, 0, 0], [4, 5, 6, 7], [14, 15, 16, 17]]),
    ]
    glimpses = [tf.image.extract_glimpse(img, [3, 4], [off], centered=c, normalized=n,
                                         noise="zero") for off, c, n, _ in cases]  # fmt: skip
    noisy = tf.image.extract_glimpse(img, [3, 4], [[1.0, 1.0]])
    assert noisy.shape.as_list() == [1, 3, 4, 1]
    with tf.Session() as sess:
        got = sess.run(glimpses)
        edge = sess.run(noisy)[0, :, :, 0]
    for (*_, want), g in zip(cases, got):
        np.testing.assert_array_equal(g[0, :, :, 0], want)
    np.testing.assert_array_equal(edge[:2, :2], [[68, 69], [78, 79]])
    outside = np.concatenate([edge[:2, 2:].ravel(), edge[2].ravel()])
    assert outside.min() >= 0 and outside.max() <= 79 and len(set(outside.tolist())) > 1
