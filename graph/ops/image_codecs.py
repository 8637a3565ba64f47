"""Image codecs on Pillow (which the tensorboard package already brings): DecodeImage
(JPEG, PNG, GIF, BMP, WebP; told apart by their leading bytes, as TF's decode_image),
EncodeJpeg and EncodePng, ExtractJpegShape; and the functions TF1 names after them
(`decode_jpeg`, `decode_png`, `decode_gif`, `decode_bmp`, `decode_webp`, `decode_image`,
`decode_and_crop_jpeg`, `encode_jpeg`, `encode_png`, `is_jpeg`, `extract_jpeg_shape`,
`adjust_jpeg_quality`, `random_jpeg_quality`). Images are uint8 (PNG also uint16)
[height, width, channels]; GIFs [frames, height, width, 3]."""

from __future__ import annotations

import io

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math

_MAGIC = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG",),
    "gif": (b"GIF8",),
    "bmp": (b"BM",),
}


def _format_of(data: bytes) -> str:
    for kind, prefixes in _MAGIC.items():
        if data.startswith(prefixes):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return ""


def _open(data: bytes, expected: str):
    from PIL import Image

    kind = _format_of(data)
    if expected and kind != expected and not (expected == "jpeg" and kind == "jpeg"):
        raise InvalidArgumentError(
            None,
            None,
            f"Trying to decode {kind.upper() or 'an unknown format'} with "
            f"Decode{expected.title()} op",
        )
    if not kind:
        raise InvalidArgumentError(
            None, None, "Unknown image file format. One of JPEG, PNG, GIF, BMP required."
        )
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as err:  # noqa: BLE001 -- Pillow raises many kinds
        raise InvalidArgumentError(None, None, f"Invalid {kind.upper()} data: {err}") from None
    return image, kind


def _with_channels(image, channels: int, dtype):
    """The image as an array with `channels` channels (0: as many as the file has)."""
    mode = image.mode
    if channels == 0:
        if mode in ("L", "I;16", "I;16B", "I"):
            channels = 1
        elif mode == "LA":
            channels = 2
        elif mode in ("RGBA", "PA") or (mode == "P" and "transparency" in image.info):
            channels = 4
        else:
            channels = 3
    if dtype == np.uint16:
        wide = np.asarray(image.convert("I") if mode not in ("I;16", "I;16B") else image)
        if channels != 1 or wide.ndim != 2:
            raise InvalidArgumentError(None, None, "uint16 PNGs: one channel only")
        return wide.astype(np.uint16)[:, :, None]
    target = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}.get(channels)
    if target is None:
        raise InvalidArgumentError(None, None, f"channels must be 0, 1, 2, 3 or 4, got {channels}")
    array = np.asarray(image.convert(target), np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def _decode_kernel(contents, *, channels, dtype, expected, expand_animations):
    data = np.asarray(contents, dtype=object).item()
    data = data if isinstance(data, bytes) else str(data).encode()
    image, kind = _open(data, expected)
    np_dtype = _dt.as_dtype(dtype).np
    if kind == "gif":
        frames = []
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB"), np.uint8))
        stack = np.stack(frames)
        return stack if expand_animations or expected == "gif" else stack[0]
    return _with_channels(image, channels, np.uint16 if np_dtype == np.uint16 else np.uint8)


def _decode_infer(contents, *, channels, dtype, expected, expand_animations):
    if expected == "gif":
        return TensorSpec(_dt.uint8, TensorShape([None, None, None, 3]))
    depth = channels if channels else None
    rank = None if (expected == "" and expand_animations) else 3
    shape = TensorShape(None if rank is None else [None, None, depth])
    return TensorSpec(_dt.as_dtype(dtype), shape)


register_op(
    OpDef(
        "DecodeImage",
        inputs=["contents: string"],
        outputs=["image: dtype"],
        attrs={"channels": 0, "dtype": "uint8", "expected": "", "expand_animations": True},
        infer=_decode_infer,
        kernel=_decode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _decode(contents, channels, dtype, expected, expand_animations, name, default_name):
    attrs = {
        "channels": int(channels or 0),
        "dtype": _dt.as_dtype(dtype).name,
        "expected": expected,
        "expand_animations": bool(expand_animations),
    }
    contents = convert_to_tensor(contents, dtype=_dt.string)
    return apply_op("DecodeImage", [contents], attrs, name=name or default_name).outputs[0]


def decode_jpeg(
    contents,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
) -> Tensor:
    """A JPEG image as uint8 [height, width, channels] (channels 0: the file's). Decoded
    with libjpeg's accurate integer DCT: TF's dct_method="INTEGER_ACCURATE" values (its
    default "INTEGER_FAST" differs from them by a few levels here and there)."""
    if ratio != 1:
        raise NotImplementedError("decode_jpeg(ratio != 1)")
    return _decode(contents, channels, _dt.uint8, "jpeg", False, name, "DecodeJpeg")


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None) -> Tensor:
    """A PNG image as uint8 or uint16 [height, width, channels]."""
    return _decode(contents, channels, dtype, "png", False, name, "DecodePng")


def decode_gif(contents, name=None) -> Tensor:
    """A GIF's frames as uint8 [frames, height, width, 3]."""
    return _decode(contents, 3, _dt.uint8, "gif", True, name, "DecodeGif")


def decode_bmp(contents, channels=0, name=None) -> Tensor:
    """A BMP image as uint8 [height, width, channels]."""
    return _decode(contents, channels, _dt.uint8, "bmp", False, name, "DecodeBmp")


def decode_webp(contents, channels=0, name=None) -> Tensor:
    """A WebP image as uint8 [height, width, channels] (its first frame)."""
    return _decode(contents, channels, _dt.uint8, "webp", False, name, "DecodeWebP")


def decode_image(
    contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True
) -> Tensor:
    """Any of JPEG, PNG, GIF, BMP or WebP, told by its first bytes; a GIF is 4-D unless
    expand_animations is False (then its first frame). Other dtypes than uint8 are
    converted as convert_image_dtype does."""
    from .image import convert_image_dtype

    with name_scope(name, "decode_image"):
        wanted = _dt.as_dtype(dtype)
        raw = _dt.uint16 if wanted is _dt.uint16 else _dt.uint8
        image = _decode(contents, channels, raw, "", expand_animations, None, "DecodeImage")
        return image if wanted is raw else convert_image_dtype(image, wanted)


def decode_and_crop_jpeg(
    contents,
    crop_window,
    channels=0,
    ratio=1,
    fancy_upscaling=True,
    try_recover_truncated=False,
    acceptable_fraction=1,
    dct_method="",
    name=None,
) -> Tensor:
    """decode_jpeg, then the window [y, x, height, width] of it."""
    from .manip import slice_

    with name_scope(name, "DecodeAndCropJpeg"):
        image = decode_jpeg(contents, channels, ratio)
        window = _math.cast(convert_to_tensor(crop_window), _dt.int32)
        begin = _array.concat([slice_(window, [0], [2]), [0]], 0)
        size = _array.concat([slice_(window, [2], [2]), [-1]], 0)
        return slice_(image, begin, size)


# Encoding -------------------------------------------------------------------------------------
def _encode_kernel(image, quality, *, kind, compression):
    from PIL import Image

    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise InvalidArgumentError(
            None, None, f"image must be 3-dimensional with 1-4 channels, got {list(array.shape)}"
        )
    channels = array.shape[2]
    if kind == "jpeg" and channels not in (1, 3):
        raise InvalidArgumentError(None, None, f"JPEG images have 1 or 3 channels, got {channels}")
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    if array.dtype == np.uint16:
        if channels != 1:
            raise InvalidArgumentError(None, None, "uint16 PNGs: one channel only")
        picture = Image.fromarray(np.ascontiguousarray(array[:, :, 0], np.uint16))
    else:
        picture = Image.fromarray(array[:, :, 0] if channels == 1 else array, mode=mode)
    out = io.BytesIO()
    if kind == "jpeg":
        picture.save(out, format="JPEG", quality=int(quality))
    else:
        picture.save(out, format="PNG", compress_level=6 if compression < 0 else int(compression))
    return np.array(out.getvalue(), dtype=object)


register_op(
    OpDef(
        "EncodeImage",
        inputs=["image: T", "quality: int32"],
        outputs=["contents: string"],
        types={"T": (_dt.uint8, _dt.uint16)},
        attrs={"kind": "png", "compression": -1},
        infer=lambda image, quality, **_: TensorSpec(_dt.string, TensorShape([])),
        kernel=_encode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def encode_jpeg(
    image,
    format="",
    quality=95,
    progressive=False,
    optimize_size=False,  # noqa: A002
    chroma_downsampling=True,
    density_unit="in",
    x_density=300,
    y_density=300,
    xmp_metadata="",
    name=None,
) -> Tensor:
    """A uint8 [height, width, 1 or 3] image as JPEG bytes (`quality` 0-100)."""
    attrs = {"kind": "jpeg", "compression": -1}
    quality = convert_to_tensor(quality, dtype=_dt.int32)
    return apply_op(
        "EncodeImage", [convert_to_tensor(image), quality], attrs, name=name or "EncodeJpeg"
    ).outputs[0]


def encode_png(image, compression=-1, name=None) -> Tensor:
    """A uint8 or uint16 [height, width, channels] image as PNG bytes (`compression`
    0-9, -1 the default)."""
    attrs = {"kind": "png", "compression": int(compression)}
    unused = convert_to_tensor(0, dtype=_dt.int32)
    return apply_op(
        "EncodeImage", [convert_to_tensor(image), unused], attrs, name=name or "EncodePng"
    ).outputs[0]


def _jpeg_shape_kernel(contents, *, output_type):
    data = np.asarray(contents, dtype=object).item()
    image, _ = _open(data if isinstance(data, bytes) else str(data).encode(), "jpeg")
    channels = {"L": 1, "RGB": 3, "CMYK": 4}.get(image.mode, len(image.getbands()))
    return np.array([image.height, image.width, channels], _dt.as_dtype(output_type).np)


register_op(
    OpDef(
        "ExtractJpegShape",
        inputs=["contents: string"],
        outputs=["image_shape: output_type"],
        attrs={"output_type": "int32"},
        infer=lambda contents, *, output_type: TensorSpec(
            _dt.as_dtype(output_type), TensorShape([3])
        ),
        kernel=_jpeg_shape_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def extract_jpeg_shape(contents, output_type=_dt.int32, name=None) -> Tensor:
    """[height, width, channels] of a JPEG, from its header."""
    attrs = {"output_type": _dt.as_dtype(output_type).name}
    return apply_op(
        "ExtractJpegShape", [convert_to_tensor(contents, dtype=_dt.string)], attrs, name=name
    ).outputs[0]


def is_jpeg(contents, name=None) -> Tensor:
    """Whether the bytes start as a JPEG does (FF D8 FF)."""
    from . import strings as _strings

    with name_scope(name, "is_jpeg"):
        head = _strings.substr(convert_to_tensor(contents, dtype=_dt.string), 0, 3)
        return _math.equal(head, b"\xff\xd8\xff")


def adjust_jpeg_quality(image, jpeg_quality, name=None) -> Tensor:
    """The image after a JPEG round trip at `jpeg_quality` (in the image's dtype)."""
    from .image import convert_image_dtype

    with name_scope(name, "adjust_jpeg_quality"):
        image = convert_to_tensor(image)
        dtype = image.dtype
        as_bytes = convert_image_dtype(image, _dt.uint8, saturate=True)
        encoded = encode_jpeg(as_bytes, quality=jpeg_quality)
        decoded = decode_jpeg(encoded, channels=image.shape.as_list()[-1] or 0)
        return convert_image_dtype(decoded, dtype, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None) -> Tensor:
    """adjust_jpeg_quality at a quality drawn uniformly from [min, max) at each run."""
    from .random import random_uniform

    if not 0 <= min_jpeg_quality < max_jpeg_quality <= 100:
        raise ValueError("jpeg_quality must be in [0, 100] with min < max")
    quality = random_uniform([], min_jpeg_quality, max_jpeg_quality, _dt.int32, seed=seed)
    return adjust_jpeg_quality(image, quality)
