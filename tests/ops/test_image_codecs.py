"""Image codecs (graph/ops/image_codecs.py, on Pillow): decoded pixels equal to what
TensorFlow 1.x decodes from the same files (JPEG with its accurate integer DCT), lossless
formats round-tripped exactly, GIF frames, format detection and its errors, shapes from
JPEG headers, crops, and JPEG quality adjustments."""

import io

import numpy as np
import pytest

import psflow as tf


def _image():
    rng = np.random.RandomState(0)
    full = (rng.rand(16, 12, 3) * 255).astype(np.uint8)
    return np.kron(full[::4, ::4], np.ones((4, 4, 1), np.uint8))  # 16 x 12, blocky


def _encoded(image, fmt, **kw):
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image).save(out, format=fmt, **kw)
    return out.getvalue()


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_jpeg_decodes_as_tf_does():
    jpeg = _encoded(_image(), "JPEG", quality=90)
    rgb, gray, shape, crop = _run([
        tf.image.decode_jpeg(jpeg),
        tf.io.decode_jpeg(jpeg, channels=1),
        tf.image.extract_jpeg_shape(jpeg),
        tf.image.decode_and_crop_jpeg(jpeg, [2, 3, 4, 5]),
    ])  # fmt: skip
    # TF 1.x, decode_jpeg(..., dct_method="INTEGER_ACCURATE") of the same bytes:
    assert rgb.shape == (16, 12, 3) and int(rgb.sum()) == 72484
    assert rgb[5, 5].tolist() == [211, 144, 102]
    assert gray.shape == (16, 12, 1) and int(gray.sum()) == 25060
    assert shape.tolist() == [16, 12, 3]
    np.testing.assert_array_equal(crop, rgb[2:6, 3:8])


def test_lossless_formats_round_trip():
    image = _image()
    png, bmp = _encoded(image, "PNG"), _encoded(image[:, :, 0], "BMP")
    decoded, rgba, gray, ours = _run([
        tf.image.decode_png(png), tf.image.decode_png(png, channels=4),
        tf.image.decode_bmp(bmp), tf.image.decode_png(tf.image.encode_png(image)),
    ])  # fmt: skip
    np.testing.assert_array_equal(decoded, image)
    np.testing.assert_array_equal(ours, image)
    assert rgba.shape == (16, 12, 4) and (rgba[:, :, 3] == 255).all()
    np.testing.assert_array_equal(gray[:, :, 0], image[:, :, 0])
    wide = (np.arange(12, dtype=np.uint16) * 5000).reshape(3, 4, 1)
    back = _run(tf.image.decode_png(tf.image.encode_png(wide), dtype=tf.uint16))
    np.testing.assert_array_equal(back, wide)


def test_gif_frames_and_decode_image_dispatch():
    from PIL import Image

    image = _image()
    frames = [Image.fromarray(image).convert("P"), Image.fromarray(255 - image).convert("P")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    gif = out.getvalue()
    png = _encoded(image, "PNG")
    animation, first, still, floats = _run([
        tf.image.decode_gif(gif),
        tf.image.decode_image(gif, expand_animations=False),
        tf.image.decode_image(png),
        tf.image.decode_image(png, dtype=tf.float32),
    ])  # fmt: skip
    assert animation.shape == (2, 16, 12, 3) and int(animation.sum()) == 146421  # TF
    np.testing.assert_array_equal(first, animation[0])
    np.testing.assert_array_equal(still, image)
    np.testing.assert_allclose(floats, image / 255.0, rtol=1e-6)
    assert _run(tf.image.is_jpeg(_encoded(image, "JPEG"))) and not _run(tf.image.is_jpeg(png))


def test_bad_data_and_the_wrong_decoder_are_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        _run(tf.image.decode_image(b"not an image"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Trying to decode PNG"):
        _run(tf.image.decode_jpeg(_encoded(_image(), "PNG")))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1 or 3 channels"):
        _run(tf.image.encode_jpeg(np.zeros((2, 2, 4), np.uint8)))


def test_jpeg_quality_adjustments_stay_close():
    image = np.full((8, 8, 3), [200, 100, 50], np.uint8)
    floats = image.astype(np.float32) / 255
    low, random = _run([tf.image.adjust_jpeg_quality(floats, 30),
                        tf.image.random_jpeg_quality(floats, 20, 90, seed=1)])  # fmt: skip
    assert low.dtype == np.float32 and low.shape == (8, 8, 3)
    np.testing.assert_allclose(low, floats, atol=0.03)
    np.testing.assert_allclose(random, floats, atol=0.03)
