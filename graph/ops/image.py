"""`tf.image` basics: resizing (bilinear and nearest neighbour, TF1's legacy sampling:
`align_corners`, no half-pixel centers), flips, transposes and rotations, crops and pads,
per-image standardization, dtype conversion, grayscale, brightness and contrast.

A resize is separable: out = Rh @ image @ Rw^T per image and channel, with Rh, Rw the
[out, in] interpolation matrices of each axis; the gradient applies their transposes.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import dtypes as _dt
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, manip as _manip, math as _math, random as _random


def _cubic(x: float, a: float = -0.75) -> float:
    """Keys' cubic convolution kernel (TF1's legacy bicubic: a = -0.75)."""
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


@functools.lru_cache(maxsize=256)
def _weights(n_in: int, n_out: int, align_corners: bool, method: str) -> np.ndarray:
    """The [n_out, n_in] matrix sampling an axis of n_in values at n_out points (TF1's
    legacy sampling for bilinear, nearest, bicubic and area); made once per sizes (a
    step's resize reuses it), read-only."""
    out = np.zeros((n_out, n_in))
    scale = (n_in - 1) / (n_out - 1) if align_corners and n_out > 1 else n_in / n_out
    for i in range(n_out):
        src = i * scale
        if method == "nearest":
            k = min(int(round(src)) if align_corners else int(math.floor(src)), n_in - 1)
            out[i, k] = 1.0
        elif method == "bicubic":
            lo = int(math.floor(src))
            # TF reads the kernel from a table of 1024 steps: the fraction is quantized.
            frac = float(np.rint((src - lo) * 1024)) / 1024
            for tap in range(-1, 3):
                out[i, min(max(lo + tap, 0), n_in - 1)] += _cubic(tap - frac)
        elif method == "area":
            start, stop = i * scale, (i + 1) * scale
            for k in range(int(math.floor(start)), min(int(math.ceil(stop)), n_in)):
                covered = min(k + 1, stop) - max(k, start)
                if covered > 0:
                    out[i, k] += covered / scale
        else:
            lo = int(math.floor(src))
            hi = min(lo + 1, n_in - 1)
            frac = src - lo
            out[i, min(lo, n_in - 1)] += 1.0 - frac
            out[i, hi] += frac
    out.flags.writeable = False
    return out


def _resize_infer(images, size, *, align_corners, method):
    dims = images.shape.as_list() if images.shape.ndims is not None else [None] * 4
    value = size.value
    hw = [None, None] if value is None else [int(v) for v in np.ravel(value)]
    return TensorSpec(
        images.dtype if method == "nearest" else _dt.float32, TensorShape([dims[0], *hw, dims[3]])
    )


def _resize_kernel(images, size, *, align_corners, method):
    h, w = (int(v) for v in np.ravel(size))
    if h <= 0 or w <= 0:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, f"output dimensions must be positive: {h}, {w}")
    rh = _weights(images.shape[1], h, align_corners, method)
    rw = _weights(images.shape[2], w, align_corners, method)
    out = np.einsum("ih,nhwc,jw->nijc", rh, images.astype(np.float64), rw)
    return out.astype(images.dtype if method == "nearest" else np.float32)


def _resize_grad(op, grad):
    images, size = op.inputs
    attrs = {"align_corners": op.get_attr("align_corners"), "method": op.get_attr("method")}
    d = apply_op("ResizeGrad", [grad, images], attrs).outputs[0]
    return [d, None]


register_op(
    OpDef(
        "ResizeImages",
        inputs=["images: T", "size: int32"],
        outputs=["resized_images: any"],
        types={"T": _dt.NUMERIC},
        attrs={"align_corners": False, "method": "bilinear"},
        infer=_resize_infer,
        kernel=_resize_kernel,
        grad=_resize_grad,
    )
)


def _resize_grad_kernel(grad, images, *, align_corners, method):
    rh = _weights(images.shape[1], grad.shape[1], align_corners, method)
    rw = _weights(images.shape[2], grad.shape[2], align_corners, method)
    return np.einsum("ih,nijc,jw->nhwc", rh, grad.astype(np.float64), rw).astype(images.dtype)


register_op(
    OpDef(
        "ResizeGrad",
        inputs=["grads: Tg", "original_image: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS, "Tg": _dt.FLOATS},
        attrs={"align_corners": False, "method": "bilinear"},
        infer=lambda grads, image, **_: TensorSpec(image.dtype, image.shape),
        kernel=_resize_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


class ResizeMethod:
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def _batched(images):
    images = convert_to_tensor(images)
    if images.shape.ndims == 3:
        return _array.expand_dims(images, 0), True
    if images.shape.ndims not in (None, 4):
        raise ValueError(f"'images' must have either 3 or 4 dimensions, got {images.shape}")
    return images, False


def _resize(images, size, align_corners, method, name):
    with name_scope(name, "resize"):
        x, single = _batched(images)
        size = convert_to_tensor(size, dtype=_dt.int32)
        out = apply_op(
            "ResizeImages", [x, size], {"align_corners": bool(align_corners), "method": method}
        ).outputs[0]
        return _array.squeeze(out, [0]) if single else out


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    if half_pixel_centers:
        raise NotImplementedError("resize with half_pixel_centers")
    return _resize(images, size, align_corners, "bilinear", name or "ResizeBilinear")


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    if half_pixel_centers:
        raise NotImplementedError("resize with half_pixel_centers")
    return _resize(images, size, align_corners, "nearest", name or "ResizeNearestNeighbor")


def resize_images(
    images,
    size,
    method=ResizeMethod.BILINEAR,
    align_corners=False,
    preserve_aspect_ratio=False,
    name=None,
):
    """Bilinear, bicubic, area (float32 results) or nearest-neighbour resizing to `size`
    [height, width]."""
    if preserve_aspect_ratio:
        raise NotImplementedError("resize_images(preserve_aspect_ratio=True)")
    if method in (ResizeMethod.BILINEAR, "bilinear"):
        return resize_bilinear(images, size, align_corners, name)
    if method in (ResizeMethod.NEAREST_NEIGHBOR, "nearest"):
        return resize_nearest_neighbor(images, size, align_corners, name)
    if method in (ResizeMethod.BICUBIC, "bicubic"):
        return resize_bicubic(images, size, align_corners, name)
    if method in (ResizeMethod.AREA, "area"):
        return resize_area(images, size, align_corners, name)
    raise ValueError(f"Resize method is not implemented: {method!r}")


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Bicubic resizing (Keys' kernel, a = -0.75, TF1's legacy sampling)."""
    if half_pixel_centers:
        raise NotImplementedError("resize with half_pixel_centers")
    return _resize(images, size, align_corners, "bicubic", name or "ResizeBicubic")


def resize_area(images, size, align_corners=False, name=None):
    """Area resizing: each output pixel the mean of the input area it covers."""
    return _resize(images, size, align_corners, "area", name or "ResizeArea")


# Flips, transposes, rotations -------------------------------------------------------------------
def _axes(image, h_axis_3d):
    x = convert_to_tensor(image)
    offset = 1 if x.shape.ndims == 4 else 0
    return x, h_axis_3d + offset


def flip_left_right(image):
    x, axis = _axes(image, 1)
    return _manip.reverse(x, [axis])


def flip_up_down(image):
    x, axis = _axes(image, 0)
    return _manip.reverse(x, [axis])


def _random_flip(image, axis_3d, seed, name):
    with name_scope(name, "random_flip"):
        x, axis = _axes(image, axis_3d)
        coin = _math.less(_random.random_uniform([], seed=seed), 0.5)
        from .control_flow import cond

        return cond(coin, lambda: _manip.reverse(x, [axis]), lambda: _array.identity(x))


def random_flip_left_right(image, seed=None):
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose_image(image):
    x = convert_to_tensor(image)
    perm = [0, 2, 1, 3] if x.shape.ndims == 4 else [1, 0, 2]
    return _manip.transpose(x, perm)


def rot90(image, k=1, name=None):
    """`image` rotated counter-clockwise by k * 90 degrees (k a Python int)."""
    with name_scope(name, "rot90"):
        x = convert_to_tensor(image)
        for _ in range(int(k) % 4):
            x = flip_up_down(transpose_image(x))
        return x


# Crops and pads -----------------------------------------------------------------------------------
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    x, single = _batched(image)
    out = _manip.slice_(
        x, [0, offset_height, offset_width, 0], [-1, target_height, target_width, -1]
    )
    return _array.squeeze(out, [0]) if single else out


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    x, single = _batched(image)
    h, w = x.shape.as_list()[1:3]
    if h is None or w is None:
        raise ValueError("pad_to_bounding_box needs the image's static height and width")
    pads = [
        [0, 0],
        [offset_height, target_height - offset_height - h],
        [offset_width, target_width - offset_width - w],
        [0, 0],
    ]
    if any(p < 0 for row in pads for p in row):
        raise ValueError("target size must be at least the offset plus the image size")
    out = _manip.pad(x, pads)
    return _array.squeeze(out, [0]) if single else out


def central_crop(image, central_fraction):
    """The central `central_fraction` (in (0, 1]) of each spatial dimension."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    x, single = _batched(image)
    h, w = x.shape.as_list()[1:3]
    if h is None or w is None:
        raise ValueError("central_crop needs the image's static height and width")
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    out = _manip.slice_(x, [0, top, left, 0], [-1, h - 2 * top, w - 2 * left, -1])
    return _array.squeeze(out, [0]) if single else out


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centrally cropped and/or zero-padded to the target size (static sizes)."""
    x, single = _batched(image)
    h, w = x.shape.as_list()[1:3]
    if h is None or w is None:
        raise ValueError("resize_image_with_crop_or_pad needs static height and width")
    crop_h, crop_w = max(h - target_height, 0), max(w - target_width, 0)
    x = crop_to_bounding_box(
        x, crop_h // 2, crop_w // 2, min(h, target_height), min(w, target_width)
    )
    h2, w2 = min(h, target_height), min(w, target_width)
    out = pad_to_bounding_box(
        x, (target_height - h2) // 2, (target_width - w2) // 2, target_height, target_width
    )
    return _array.squeeze(out, [0]) if single else out


# Values -------------------------------------------------------------------------------------------
def per_image_standardization(image):
    """(x - mean) / max(stddev, 1 / sqrt(N)) per image, N its number of values."""
    with name_scope(None, "per_image_standardization"):
        x = _math.cast(convert_to_tensor(image), _dt.float32)
        axes = [-1, -2, -3]
        mean = _math.reduce_mean(x, axis=axes, keepdims=True)
        n = _math.cast(_math.reduce_prod(_array.shape(x)[-3:]), _dt.float32)
        std = _math.sqrt(
            _math.reduce_mean(_math.square(_math.subtract(x, mean)), axis=axes, keepdims=True)
        )
        adjusted = _math.maximum(std, _math.rsqrt(n))
        return _math.real_div(_math.subtract(x, mean), adjusted)


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Between integer (0..max) and float (0..1) image encodings, as TF."""
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "convert_image"):
        x = convert_to_tensor(image)
        if x.dtype == dtype:
            return _array.identity(x)
        if x.dtype.is_integer and dtype.is_floating:
            scale = 1.0 / np.iinfo(x.dtype.np).max
            return _math.multiply(_math.cast(x, dtype), scale)
        if x.dtype.is_floating and dtype.is_integer:
            scaled = _math.multiply(x, np.iinfo(dtype.np).max + 0.5)
            if saturate:
                scaled = _math.minimum(_math.maximum(scaled, 0.0), float(np.iinfo(dtype.np).max))
            return _math.cast(scaled, dtype)
        if x.dtype.is_floating and dtype.is_floating:
            return _math.cast(x, dtype)
        src, dst = np.iinfo(x.dtype.np).max, np.iinfo(dtype.np).max
        return _math.cast(_math.multiply(_math.cast(x, _dt.float64), dst / src), dtype)


def rgb_to_grayscale(images, name=None):
    """The luma of RGB images (ITU-R 601), keeping a channel dimension of 1."""
    with name_scope(name, "rgb_to_grayscale"):
        x = convert_to_tensor(images)
        weights = np.array([0.2989, 0.5870, 0.1140])
        flt = _math.cast(x, _dt.float32) if not x.dtype.is_floating else x
        gray = _math.reduce_sum(
            _math.multiply(flt, weights.astype(flt.dtype.np)), axis=-1, keepdims=True
        )
        return gray if x.dtype.is_floating else _math.cast(gray, x.dtype)


def grayscale_to_rgb(images, name=None):
    with name_scope(name, "grayscale_to_rgb"):
        x = convert_to_tensor(images)
        return _array.concat([x, x, x], -1)


def adjust_brightness(image, delta):
    x = convert_to_tensor(image)
    return _math.add(x, _math.cast(convert_to_tensor(delta), x.dtype))


def adjust_contrast(images, contrast_factor):
    """(x - mean) * factor + mean, the mean per image and channel."""
    x = convert_to_tensor(images)
    mean = _math.reduce_mean(x, axis=[-3, -2], keepdims=True)
    factor = _math.cast(convert_to_tensor(contrast_factor), x.dtype)
    return _math.add(_math.multiply(_math.subtract(x, mean), factor), mean)


def random_brightness(image, max_delta, seed=None):
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _random.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_contrast(image, _random.random_uniform([], lower, upper, seed=seed))


# Colour spaces, gamma, gradients, quality measures (compositions: differentiable) --------------
_YIQ = np.array([[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
                 [0.114, -0.32134392, 0.31119955]], np.float32)  # fmt: skip
_YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                 [0.114, 0.43601035, -0.10001026]], np.float32)  # fmt: skip
# TF's inverses, to its digits
_YIQ_INV = np.array([[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
                     [0.6208248, -0.64720424, 1.70423049]], np.float32)  # fmt: skip
_YUV_INV = np.array([[1, 1, 1], [0, -0.394642334, 2.03206185],
                     [1.13988303, -0.58062185, 0]], np.float32)  # fmt: skip


def _mix(images, matrix, name):
    with name_scope(name, "color"):
        images = convert_to_tensor(images)
        kernel = convert_to_tensor(matrix.astype(images.dtype.np))
        return _linalg().tensordot(images, kernel, axes=[[images.shape.ndims - 1], [0]])


def _linalg():
    from . import linalg

    return linalg


def rgb_to_yiq(images):
    return _mix(images, _YIQ, "rgb_to_yiq")


def yiq_to_rgb(images):
    return _mix(images, _YIQ_INV, "yiq_to_rgb")


def rgb_to_yuv(images):
    return _mix(images, _YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    return _mix(images, _YUV_INV, "yuv_to_rgb")


def rgb_to_hsv(images, name=None):
    """Hue, saturation, value in [0, 1] of RGB values in [0, 1] (TF's formulas)."""
    with name_scope(name, "rgb_to_hsv"):
        images = convert_to_tensor(images)
        r, g, b = _array.unstack(images, axis=-1)
        value = _math.reduce_max(images, axis=-1)
        delta = value - _math.reduce_min(images, axis=-1)
        zero = _array.zeros_like(value)
        saturation = _math.where(_math.greater(value, zero), delta / _safe(value), zero)
        d = _safe(delta)
        hue = _math.where(
            _math.equal(value, r), (g - b) / d,
            _math.where(_math.equal(value, g), 2.0 + (b - r) / d, 4.0 + (r - g) / d),
        )  # fmt: skip
        hue = _math.where(_math.greater(delta, zero), hue / 6.0, zero)
        hue = _math.where(_math.less(hue, zero), hue + 1.0, hue)
        return _array.stack([hue, saturation, value], axis=-1)


def _safe(x):
    """x, with 1 where it is 0 (for a division whose result is then masked out)."""
    return _math.where(_math.equal(x, _array.zeros_like(x)), _array.ones_like(x), x)


def hsv_to_rgb(images, name=None):
    """RGB values of hue, saturation, value in [0, 1] (TF's formulas)."""
    with name_scope(name, "hsv_to_rgb"):
        images = convert_to_tensor(images)
        h, s, v = _array.unstack(images, axis=-1)
        dh = h * 6.0
        r = _math.minimum(_math.maximum(_math.abs(dh - 3.0) - 1.0, 0.0), 1.0)
        g = _math.minimum(_math.maximum(2.0 - _math.abs(dh - 2.0), 0.0), 1.0)
        b = _math.minimum(_math.maximum(2.0 - _math.abs(dh - 4.0), 0.0), 1.0)
        return _array.stack([(1.0 - s + s * c) * v for c in (r, g, b)], axis=-1)


def adjust_saturation(image, saturation_factor, name=None):
    """The image's saturation scaled by `saturation_factor` (clipped to [0, 1])."""
    with name_scope(name, "adjust_saturation"):
        h, s, v = _array.unstack(rgb_to_hsv(image), axis=-1)
        s = _math.minimum(_math.maximum(s * saturation_factor, 0.0), 1.0)
        return hsv_to_rgb(_array.stack([h, s, v], axis=-1))


def adjust_hue(image, delta, name=None):
    """The image's hue turned by `delta` (in [-1, 1], a fraction of the circle)."""
    with name_scope(name, "adjust_hue"):
        h, s, v = _array.unstack(rgb_to_hsv(image), axis=-1)
        h = _math.floormod(h + delta, 1.0)
        return hsv_to_rgb(_array.stack([h, s, v], axis=-1))


def random_saturation(image, lower, upper, seed=None):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_saturation(image, _random.random_uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    if not 0 <= max_delta <= 0.5:
        raise ValueError("max_delta must be in the interval [0, 0.5].")
    return adjust_hue(image, _random.random_uniform([], -max_delta, max_delta, seed=seed))


def adjust_gamma(image, gamma=1, gain=1):
    """gain * image ** gamma (float images; gamma must be non-negative)."""
    with name_scope(None, "adjust_gamma"):
        image = convert_to_tensor(image)
        if isinstance(gamma, (int, float)) and gamma < 0:
            raise ValueError("Gamma should be a non-negative real number.")
        return gain * _math.pow(image, _math.cast(gamma, image.dtype))


def total_variation(images, name=None):
    """Per image, the sum of absolute differences of neighbouring pixel values."""
    with name_scope(name, "total_variation"):
        images = convert_to_tensor(images)
        if images.shape.ndims == 3:
            dh = images[1:, :, :] - images[:-1, :, :]
            dw = images[:, 1:, :] - images[:, :-1, :]
            return _math.reduce_sum(_math.abs(dh)) + _math.reduce_sum(_math.abs(dw))
        dh = images[:, 1:, :, :] - images[:, :-1, :, :]
        dw = images[:, :, 1:, :] - images[:, :, :-1, :]
        return (_math.reduce_sum(_math.abs(dh), axis=[1, 2, 3])
                + _math.reduce_sum(_math.abs(dw), axis=[1, 2, 3]))  # fmt: skip


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: 10 log10(max_val^2 / mean squared error)."""
    with name_scope(name, "PSNR"):
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        mse = _math.reduce_mean(_math.square(a - b), axis=[-3, -2, -1])
        max_val = _math.cast(max_val, a.dtype)
        return 10.0 * _math.log(max_val * max_val / mse) / math.log(10.0)


def image_gradients(image):
    """(dy, dx): each pixel's difference with the next one down and right (0 at the last
    row and column), for a [batch, h, w, c] image."""
    image = convert_to_tensor(image)
    if image.shape.ndims != 4:
        raise ValueError(f"image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")  # fmt: skip
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    dy = _manip.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = _manip.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


def resize_with_crop_or_pad(image, target_height, target_width):
    return resize_image_with_crop_or_pad(image, target_height, target_width)


def random_crop(value, size, seed=None, name=None):
    """A `size` window of `value` at a uniformly random offset."""
    with name_scope(name, "random_crop"):
        value = convert_to_tensor(value)
        size = convert_to_tensor(size, dtype=_dt.int32)
        limit = _array.shape(value) - size + 1
        offset = _math.cast(
            _math.floor(_random.random_uniform(_array.shape(limit), 0.0, 1.0, seed=seed)
                        * _math.cast(limit, _dt.float32)), _dt.int32
        )  # fmt: skip
        return _manip.slice_(value, offset, size)
