"""Summary ops: each returns a serialized `Summary` proto (a scalar string tensor), built
with the tensorboard package's own protos, exactly as TF1's summary ops do."""

from __future__ import annotations

import io
import struct
import wave
import zlib

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import (
    GraphKeys,
    Tensor,
    apply_op,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from ..graph_def import make_tensor_proto
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _pb():
    from tensorboard.compat.proto import summary_pb2

    return summary_pb2


def _summary_out(*_, **__):
    return TensorSpec(_dt.string, TensorShape([]))


def _serialized(summary) -> np.ndarray:
    return np.array(summary.SerializeToString(), dtype=object)


def _tag(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode() if isinstance(value, bytes) else str(value)


# Scalars ---------------------------------------------------------------------------------
def _scalar_summary_kernel(tags, values):
    tags = np.asarray(tags)
    values = np.asarray(values)
    if tags.shape != values.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"tags and values not the same shape: {list(tags.shape)} != {list(values.shape)}",
        )
    summary = _pb().Summary()
    for tag, value in zip(tags.ravel(), values.ravel()):
        summary.value.add(tag=_tag(tag), simple_value=float(value))
    return _serialized(summary)


register_op(
    OpDef(
        "ScalarSummary",
        inputs=["tags: string", "values: T"],
        outputs=["summary: string"],
        types={"T": _dt.NUMERIC},
        infer=_summary_out,
        kernel=_scalar_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# Histograms ------------------------------------------------------------------------------
def _default_bucket_limits() -> np.ndarray:
    """TF's default histogram buckets: +-1e-12 * 1.1^k up to 1e20, then +-DBL_MAX."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(np.finfo(np.float64).max)
    return np.array([-x for x in reversed(pos)] + [0.0] + pos)


_BUCKETS = _default_bucket_limits()


def _histogram_proto(values: np.ndarray):
    values = np.asarray(values, np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise InvalidArgumentError(None, None, "Nan in summary histogram")
    histo = _pb().HistogramProto()
    if values.size == 0:
        return histo
    counts = np.bincount(np.searchsorted(_BUCKETS, values, side="right"), minlength=len(_BUCKETS))[
        : len(_BUCKETS)
    ]
    histo.min = float(values.min())
    histo.max = float(values.max())
    histo.num = float(values.size)
    histo.sum = float(values.sum())
    histo.sum_squares = float(np.dot(values, values))
    # As TF encodes it: a run of empty buckets keeps only its last one (vectorized: this
    # was a Python loop over ~1,550 buckets, 8 ms per summary).
    empty = counts == 0
    skip = empty & np.append(empty[1:], False)
    histo.bucket_limit.extend(_BUCKETS[~skip].tolist())
    histo.bucket.extend(counts[~skip].astype(np.float64).tolist())
    return histo


def _histogram_summary_kernel(tag, values):
    summary = _pb().Summary()
    summary.value.add(tag=_tag(tag), histo=_histogram_proto(values))
    return _serialized(summary)


register_op(
    OpDef(
        "HistogramSummary",
        inputs=["tag: string", "values: T"],
        outputs=["summary: string"],
        types={"T": _dt.NUMERIC + (_dt.bool_,)},
        infer=_summary_out,
        kernel=_histogram_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# Images ----------------------------------------------------------------------------------
def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an HxWxC uint8 image (C = 1, 2, 3 or 4), filter type 0 on every row."""
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _to_uint8(image: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """TF's image summary scaling: all >= 0 -> max maps to 255; else |max| maps to 127
    around 128. Non-finite pixels get bad_color."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float64)
    finite = np.isfinite(image).all(axis=-1)
    valid = image[finite]
    lo = valid.min() if valid.size else 0.0
    hi = valid.max() if valid.size else 0.0
    if lo >= 0:
        scale, offset = (255.0 / hi if hi else 0.0), 0.0
    else:
        top = max(abs(lo), abs(hi))
        scale, offset = (127.0 / top if top else 0.0), 128.0
    out = np.zeros(image.shape, np.uint8)
    out[finite] = np.clip(image[finite] * scale + offset, 0, 255).astype(np.uint8)
    out[~finite] = bad_color[: image.shape[-1]]
    return out


def _image_summary_kernel(tag, tensor, *, max_images, bad_color):
    tensor = np.asarray(tensor)
    if tensor.ndim != 4 or tensor.shape[-1] not in (1, 3, 4):
        raise InvalidArgumentError(
            None, None, f"Tensor must be 4-D with last dim 1, 3, or 4, not {list(tensor.shape)}"
        )
    base = _tag(tag)
    summary = _pb().Summary()
    bad = np.asarray(bad_color, np.uint8)
    count = min(max_images, tensor.shape[0])
    for i in range(count):
        pixels = _to_uint8(tensor[i], bad)
        name = f"{base}/image" if max_images == 1 else f"{base}/image/{i}"
        img = summary.value.add(tag=name).image
        img.height, img.width, img.colorspace = pixels.shape
        img.encoded_image_string = encode_png(np.ascontiguousarray(pixels))
    return _serialized(summary)


register_op(
    OpDef(
        "ImageSummary",
        inputs=["tag: string", "tensor: T"],
        outputs=["summary: string"],
        types={"T": (_dt.uint8, _dt.float16, _dt.float32, _dt.float64)},
        attrs={"max_images": 3, "bad_color": [255, 0, 0, 255]},
        infer=_summary_out,
        kernel=_image_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# Audio -----------------------------------------------------------------------------------
def encode_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes of float samples in [-1, 1], shape [frames, channels]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def _audio_summary_kernel(tag, tensor, sample_rate, *, max_outputs):
    tensor = np.asarray(tensor, np.float64)
    if tensor.ndim == 2:
        tensor = tensor[:, :, None]
    if tensor.ndim != 3:
        raise InvalidArgumentError(None, None, f"Tensor must be 3-D or 2-D, got {tensor.ndim}-D")
    base = _tag(tag)
    rate = float(np.asarray(sample_rate))
    summary = _pb().Summary()
    for i in range(min(max_outputs, tensor.shape[0])):
        name = f"{base}/audio" if max_outputs == 1 else f"{base}/audio/{i}"
        audio = summary.value.add(tag=name).audio
        audio.sample_rate = rate
        audio.num_channels = tensor.shape[2]
        audio.length_frames = tensor.shape[1]
        audio.content_type = "audio/wav"
        audio.encoded_audio_string = encode_wav(tensor[i], int(rate))
    return _serialized(summary)


register_op(
    OpDef(
        "AudioSummaryV2",
        inputs=["tag: string", "tensor: float32", "sample_rate: float32"],
        outputs=["summary: string"],
        attrs={"max_outputs": 3},
        infer=_summary_out,
        kernel=_audio_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# Tensors and text ------------------------------------------------------------------------
def _tensor_summary_kernel(tag, tensor, serialized_summary_metadata):
    pb = _pb()
    meta = pb.SummaryMetadata()
    raw = np.asarray(serialized_summary_metadata).item()
    if raw:
        meta.ParseFromString(raw)
    summary = pb.Summary()
    summary.value.add(tag=_tag(tag), metadata=meta, tensor=make_tensor_proto(tensor))
    return _serialized(summary)


register_op(
    OpDef(
        "TensorSummaryV2",
        inputs=["tag: string", "tensor: T", "serialized_summary_metadata: string"],
        outputs=["summary: string"],
        types={"T": ()},
        infer=_summary_out,
        kernel=_tensor_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# Merge -----------------------------------------------------------------------------------
def _merge_summary_kernel(*inputs):
    pb = _pb()
    merged = pb.Summary()
    seen = set()
    for raw in inputs:
        part = pb.Summary()
        part.ParseFromString(np.asarray(raw).item())
        for value in part.value:
            if value.tag in seen:
                raise InvalidArgumentError(
                    None, None, f"Duplicate tag {value.tag} found in summary inputs"
                )
            seen.add(value.tag)
            merged.value.add().CopyFrom(value)
    return _serialized(merged)


register_op(
    OpDef(
        "MergeSummary",
        inputs=["inputs: N*string"],
        outputs=["summary: string"],
        infer=_summary_out,
        kernel=_merge_summary_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


# tf.summary.* wrappers ---------------------------------------------------------------------
def _summary_scope(name: str) -> tuple[str, str]:
    """(tag, op name) as TF 1.x makes them: the unique name scope of `name` under the
    current one, so a second 'accuracy' is tagged 'accuracy_1' (unique against op names,
    case-insensitively, as every graph name is); the op takes that name exactly."""
    with name_scope(_clean(name)) as scope:
        pass
    return scope[:-1], scope


def _collect(op_output: Tensor, collections) -> Tensor:
    for key in collections if collections is not None else [GraphKeys.SUMMARIES]:
        get_default_graph().add_to_collection(key, op_output)
    return op_output


def _clean(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-/." else "_" for c in name)


def scalar(name, tensor, collections=None, family=None) -> Tensor:
    """A Summary with one scalar value, tagged with the name scope and `name`."""
    tag, op_name = _summary_scope(name)
    out = apply_op("ScalarSummary", [tag, tensor], name=op_name).outputs[0]
    return _collect(out, collections)


def histogram(name, values, collections=None, family=None) -> Tensor:
    """A Summary with a histogram of `values`."""
    tag, op_name = _summary_scope(name)
    out = apply_op("HistogramSummary", [tag, values], name=op_name).outputs[0]
    return _collect(out, collections)


def image(name, tensor, max_outputs=3, collections=None, family=None) -> Tensor:
    """A Summary with up to `max_outputs` PNG images from a [batch, h, w, c] tensor."""
    tag, op_name = _summary_scope(name)
    out = apply_op(
        "ImageSummary", [tag, tensor], {"max_images": int(max_outputs)}, name=op_name
    ).outputs[0]
    return _collect(out, collections)


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None) -> Tensor:
    """A Summary with up to `max_outputs` WAV clips from a [batch, frames(, channels)] tensor."""
    tag, op_name = _summary_scope(name)
    out = apply_op(
        "AudioSummaryV2",
        [tag, tensor, float(sample_rate) if not isinstance(sample_rate, Tensor) else sample_rate],
        {"max_outputs": int(max_outputs)},
        name=op_name,
    ).outputs[0]
    return _collect(out, collections)


def _metadata_bytes(plugin_name: str) -> bytes:
    pb = _pb()
    meta = pb.SummaryMetadata(plugin_data=pb.SummaryMetadata.PluginData(plugin_name=plugin_name))
    return meta.SerializeToString()


def text(name, tensor, collections=None) -> Tensor:
    """A Summary of a string tensor for TensorBoard's Text dashboard."""
    tensor = convert_to_tensor(tensor)
    if tensor.dtype is not _dt.string:
        raise ValueError(
            f"Expected tensor {tensor.name} to have dtype string, got {tensor.dtype.name}"
        )
    tag, op_name = _summary_scope(name)
    out = apply_op("TensorSummaryV2", [tag, tensor, _metadata_bytes("text")], name=op_name).outputs[
        0
    ]
    return _collect(out, collections)


def tensor_summary(
    name,
    tensor,
    summary_description=None,
    collections=None,
    summary_metadata=None,
    family=None,
    display_name=None,
) -> Tensor:
    """A Summary holding a whole tensor."""
    meta = summary_metadata.SerializeToString() if summary_metadata is not None else b""
    tag, op_name = _summary_scope(name)
    out = apply_op("TensorSummaryV2", [tag, tensor, meta], name=op_name).outputs[0]
    return _collect(out, collections)


def merge(inputs, collections=None, name=None) -> Tensor:
    """One Summary holding the values of all `inputs` (serialized Summary tensors)."""
    out = apply_op("MergeSummary", [list(inputs)], name=name or "Merge/MergeSummary").outputs[0]
    if collections:
        _collect(out, collections)
    return out


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """Merges every summary in collection `key`; None when there is none."""
    summaries = get_default_graph().get_collection(key, scope)
    if not summaries:
        return None
    return merge(summaries, name=name)


# TF 1.0 names -------------------------------------------------------------------------------
def scalar_summary(tags, values, collections=None, name=None) -> Tensor:
    """Old form: `tags` are used as given (no name scope), one per value."""
    out = apply_op("ScalarSummary", [tags, values], name=name or "ScalarSummary").outputs[0]
    return _collect(out, collections)


def histogram_summary(tag, values, collections=None, name=None) -> Tensor:
    out = apply_op("HistogramSummary", [tag, values], name=name or "HistogramSummary").outputs[0]
    return _collect(out, collections)


def image_summary(tag, tensor, max_images=3, collections=None, name=None) -> Tensor:
    out = apply_op(
        "ImageSummary", [tag, tensor], {"max_images": int(max_images)}, name=name or "ImageSummary"
    ).outputs[0]
    return _collect(out, collections)


def audio_summary(tag, tensor, sample_rate, max_outputs=3, collections=None, name=None):
    out = apply_op(
        "AudioSummaryV2",
        [tag, tensor, float(sample_rate)],
        {"max_outputs": int(max_outputs)},
        name=name or "AudioSummary",
    ).outputs[0]
    return _collect(out, collections)


def merge_summary(inputs, collections=None, name=None) -> Tensor:
    return merge(inputs, collections, name)


def merge_all_summaries(key=GraphKeys.SUMMARIES):
    return merge_all(key)
