"""More of tf.image -- YIQ/YUV/HSV conversions, adjust_saturation/hue/gamma, total_variation,
psnr, image_gradients, resize_with_crop_or_pad, random_crop/hue/saturation -- against
TensorFlow's outputs on the same images (data/tf1_image_more.npz, recorded with
tensorflow.compat.v1), and a gradient through the differentiable ones."""

import os

import numpy as np
import pytest

import psflow as tf

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "tf1_image_more.npz"))


def _built(x):
    img2 = tf.constant(DATA["img2"])
    return {
        "yiq": tf.image.rgb_to_yiq(x),
        "yiq_back": tf.image.yiq_to_rgb(tf.image.rgb_to_yiq(x)),
        "yuv": tf.image.rgb_to_yuv(x),
        "yuv_back": tf.image.yuv_to_rgb(tf.image.rgb_to_yuv(x)),
        "hsv": tf.image.rgb_to_hsv(x),
        "hsv_back": tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(x)),
        "sat": tf.image.adjust_saturation(x, 1.7),
        "hue": tf.image.adjust_hue(x, 0.3),
        "gamma": tf.image.adjust_gamma(x, 2.2, 0.9),
        "tv": tf.image.total_variation(x),
        "psnr": tf.image.psnr(x, img2, 1.0),
        "dy": tf.image.image_gradients(x)[0],
        "dx": tf.image.image_gradients(x)[1],
        "crop_pad": tf.image.resize_with_crop_or_pad(x, 3, 7),
        "grad": tf.gradients(
            tf.reduce_sum(tf.image.rgb_to_yiq(x) * img2)
            + tf.reduce_sum(tf.image.total_variation(x))
            + tf.reduce_sum(tf.image.psnr(x, img2, 1.0)),
            x,
        )[0],
    }


def test_equal_to_tensorflow():
    built = _built(tf.constant(DATA["img"]))
    with tf.Session() as sess:
        got = sess.run(built)
    for name, value in got.items():
        np.testing.assert_allclose(value, DATA[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_random_crop_hue_and_saturation():
    x = tf.constant(DATA["img"])
    crop = tf.image.random_crop(x, [2, 2, 3, 3], seed=1)
    hue = tf.image.random_hue(x, 0.2, seed=2)
    sat = tf.image.random_saturation(x, 0.5, 1.5, seed=3)
    with tf.Session() as sess:
        c = sess.run(crop)
        assert any(np.array_equal(c, DATA["img"][:, i : i + 2, j : j + 3, :])
                   for i in range(3) for j in range(3))  # fmt: skip
        h, s = sess.run([hue, sat])
    assert h.shape == s.shape == DATA["img"].shape
    # a hue turn keeps value (the max channel); a saturation change keeps it too
    np.testing.assert_allclose(h.max(-1), DATA["img"].max(-1), rtol=1e-5)
    np.testing.assert_allclose(s.max(-1), DATA["img"].max(-1), rtol=1e-5)
    with pytest.raises(ValueError, match="max_delta"):
        tf.image.random_hue(x, 0.7)
