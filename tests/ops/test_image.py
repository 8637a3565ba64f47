"""tf.image against TF1's outputs on the same inputs (recorded by TensorFlow once into
tests/ops/data/tf1_image.npz, so no test needs it), flips against numpy, and the resize
gradient against finite differences."""

import os

import numpy as np
import pytest

import psflow as tf
from tests.gradcheck import numeric_and_symbolic

TF1 = np.load(os.path.join(os.path.dirname(__file__), "data", "tf1_image.npz"))


def test_image_ops_equal_tf1s():
    x = (np.arange(2 * 3 * 2, dtype=np.float32).reshape(1, 2, 3, 2) * 1.5 - 2).astype(np.float32)
    img = np.random.default_rng(0).random((4, 5, 3)).astype(np.float32)
    image = tf.image
    outs = [
        image.resize_bilinear(x, [3, 5]),
        image.resize_bilinear(x, [3, 5], align_corners=True),
        image.resize_nearest_neighbor(x, [3, 5]),
        image.resize_nearest_neighbor(x, [4, 2], align_corners=True),
        image.per_image_standardization(img),
        image.rgb_to_grayscale(img),
        image.adjust_contrast(img, 1.7),
        image.central_crop(img, 0.5),
        image.rot90(img, 3),
        image.convert_image_dtype(img, tf.uint8),
        image.resize_image_with_crop_or_pad(img, 3, 7),
    ]
    with tf.Session() as sess:
        got = sess.run(outs)
    for i, value in enumerate(got):
        want = TF1[f"arr_{i}"]
        assert value.shape == want.shape and value.dtype == want.dtype, i
        np.testing.assert_allclose(value, want, rtol=1e-6, atol=1e-6, err_msg=str(i))


def test_flips_crops_pads_and_resize_names():
    img = np.random.default_rng(1).random((2, 3, 4, 2)).astype(np.float32)
    outs = [
        tf.image.flip_left_right(img),
        tf.image.flip_up_down(img[0]),
        tf.image.transpose_image(img),
        tf.image.crop_to_bounding_box(img, 1, 1, 2, 2),
        tf.image.pad_to_bounding_box(img[0], 1, 2, 5, 7),
        tf.image.resize(img, [6, 8], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR),
        tf.image.grayscale_to_rgb(img[..., :1]),
        tf.image.adjust_brightness(img, 0.25),
    ]
    with tf.Session() as sess:
        got = sess.run(outs)
    np.testing.assert_array_equal(got[0], img[:, :, ::-1])
    np.testing.assert_array_equal(got[1], img[0, ::-1])
    np.testing.assert_array_equal(got[2], img.transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(got[3], img[:, 1:3, 1:3])
    padded = np.zeros((5, 7, 2), np.float32)
    padded[1:4, 2:6] = img[0]
    np.testing.assert_array_equal(got[4], padded)
    np.testing.assert_array_equal(got[5], img.repeat(2, axis=1).repeat(2, axis=2))
    np.testing.assert_array_equal(got[6], np.repeat(img[..., :1], 3, axis=-1))
    np.testing.assert_allclose(got[7], img + 0.25)
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(img, 0.0)


def test_random_flips_are_seeded_and_either_way():
    img = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    tf.set_random_seed(3)
    flip = tf.image.random_flip_left_right(img, seed=1)
    with tf.Session() as sess:
        seen = {tuple(sess.run(flip).ravel()) for _ in range(30)}
    assert seen == {tuple(img.ravel()), tuple(img[:, :, ::-1].ravel())}


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("resize", ["resize_bilinear", "resize_nearest_neighbor"])
def test_resize_gradients(resize, align_corners):
    fn = getattr(tf.image, resize)
    numeric, symbolic = numeric_and_symbolic(
        lambda x: tf.cast(fn(x, [5, 3], align_corners=align_corners), tf.float64),
        [np.random.default_rng(2).random((1, 3, 4, 2))],
        eps=1e-2,  # the resize is linear and computes in float32, as TF's: wide steps
    )
    np.testing.assert_allclose(symbolic[0], numeric[0], rtol=1e-4, atol=1e-4)
