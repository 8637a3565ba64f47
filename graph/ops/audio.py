"""`tf.audio`: WAV files as float32 [samples, channels] in [-1, 1] (16-bit PCM, as TF's
DecodeWav/EncodeWav: a sample s is s / 32768 decoded and round(x * 32768), clamped,
encoded)."""

from __future__ import annotations

import io
import wave

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _decode_kernel(contents, *, desired_channels, desired_samples):
    data = np.asarray(contents, dtype=object).item()
    try:
        with wave.open(io.BytesIO(data if isinstance(data, bytes) else str(data).encode())) as w:
            if w.getsampwidth() != 2:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Can only read 16-bit WAV files, but received {8 * w.getsampwidth()}",
                )
            channels, rate = w.getnchannels(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as err:
        raise InvalidArgumentError(None, None, f"Bad WAV data: {err}") from None
    samples = np.frombuffer(frames, "<i2").reshape(-1, channels).astype(np.float32) / 32768.0
    if desired_channels > 0 and desired_channels != channels:
        if channels == 1:
            samples = np.repeat(samples, desired_channels, axis=1)
        elif desired_channels < channels:
            samples = samples[:, :desired_channels]
        else:
            raise InvalidArgumentError(
                None, None, f"Can't convert {channels} channels to {desired_channels}"
            )
    if desired_samples > 0:
        if desired_samples <= len(samples):
            samples = samples[:desired_samples]
        else:
            pad = np.zeros((desired_samples - len(samples), samples.shape[1]), np.float32)
            samples = np.concatenate([samples, pad])
    return samples, np.int32(rate)


register_op(
    OpDef(
        "DecodeWav",
        inputs=["contents: string"],
        outputs=["audio: float", "sample_rate: int32"],
        attrs={"desired_channels": -1, "desired_samples": -1},
        infer=lambda contents, *, desired_channels, desired_samples: [
            TensorSpec(
                _dt.float32,
                TensorShape(
                    [
                        desired_samples if desired_samples > 0 else None,
                        desired_channels if desired_channels > 0 else None,
                    ]
                ),
            ),
            TensorSpec(_dt.int32, TensorShape([])),
        ],
        kernel=_decode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _encode_kernel(audio, sample_rate):
    audio = np.asarray(audio, np.float64)
    if audio.ndim != 2:
        raise InvalidArgumentError(None, None, f"audio must be 2-dimensional, got {audio.ndim}")
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(audio.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return np.array(out.getvalue(), dtype=object)


register_op(
    OpDef(
        "EncodeWav",
        inputs=["audio: float", "sample_rate: int32"],
        outputs=["contents: string"],
        infer=lambda audio, rate: TensorSpec(_dt.string, TensorShape([])),
        kernel=_encode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """(audio float32 [samples, channels] in [-1, 1], sample rate) of a 16-bit PCM WAV
    file; desired_channels/desired_samples trim or pad (a mono file is repeated)."""
    attrs = {"desired_channels": int(desired_channels), "desired_samples": int(desired_samples)}
    out = apply_op(
        "DecodeWav",
        [convert_to_tensor(contents, dtype=_dt.string)],
        attrs,
        name=name or "DecodeWav",
    ).outputs
    return out[0], out[1]


def encode_wav(audio, sample_rate, name=None):
    """float32 [samples, channels] audio in [-1, 1] as a 16-bit PCM WAV file."""
    inputs = [
        convert_to_tensor(audio, dtype=_dt.float32),
        convert_to_tensor(sample_rate, dtype=_dt.int32),
    ]
    return apply_op("EncodeWav", inputs, name=name or "EncodeWav").outputs[0]
