"""Op table, complex numbers and Fourier transforms (graph/ops/complex_ops.py): built from
real inputs and read back as real parts, so values and finite-difference gradients are
checked on real tensors (TF's convention for complex gradients: dL/dRe + i dL/dIm)."""

from __future__ import annotations

import numpy as np
from psflow.graph.ops import complex_ops as cx

from .table import Row

rng = np.random.RandomState(11)
A = rng.randn(2, 6)
B = rng.randn(2, 6)
W = np.cos(np.arange(12.0)).reshape(2, 6)


def _z(a, b):
    return cx.complex(a, b)


def _mix(t):
    """A real readout of a complex tensor using both of its parts."""
    return cx.real(t) + 0.5 * cx.imag(t)


def _mix_np(t):
    return t.real + 0.5 * t.imag


ROWS: list[Row] = [
    Row("Complex-float64", lambda a, b: _mix(_z(a, b) * _z(b, a)),
        lambda a, b: _mix_np((a + 1j * b) * (b + 1j * a)), [A, B]),
    Row("Complex-float32", lambda a, b: cx.imag(_z(a, b)), lambda a, b: b,
        [A.astype(np.float32), B.astype(np.float32)], grad=False),
    Row("Real-float64", lambda a, b: cx.real(_z(a, b)) * W, lambda a, b: a * W, [A, B]),
    Row("Imag-float64", lambda a, b: cx.imag(_z(a, b)) * W, lambda a, b: b * W, [A, B]),
    Row("Conj-float64", lambda a, b: _mix(cx.conj(_z(a, b))),
        lambda a, b: _mix_np(np.conj(a + 1j * b)), [A, B]),
    Row("ComplexAbs-float64", lambda a, b: cx.complex_abs(_z(a, b)),
        lambda a, b: np.abs(a + 1j * b), [A, B]),
    Row("Angle-float64", lambda a, b: cx.angle(_z(a, b)),
        lambda a, b: np.angle(a + 1j * b), [A, B]),
    Row("FFTN-float64", lambda a, b: _mix(cx.fft(_z(a, b))),
        lambda a, b: _mix_np(np.fft.fft(a + 1j * b)), [A, B]),
    Row("FFTN-2d-float64", lambda a, b: _mix(cx.fft2d(_z(a, b))),
        lambda a, b: _mix_np(np.fft.fft2(a + 1j * b)), [A, B]),
    Row("IFFTN-float64", lambda a, b: _mix(cx.ifft(_z(a, b))),
        lambda a, b: _mix_np(np.fft.ifft(a + 1j * b)), [A, B]),
    Row("IFFTN-3d-float64", lambda a, b: _mix(cx.ifft3d(_z(a, b)[None])),
        lambda a, b: _mix_np(np.fft.ifftn((a + 1j * b)[None], axes=(0, 1, 2))),
        [A, B]),
    Row("RFFTN-float64", lambda a: _mix(cx.rfft(a)), lambda a: _mix_np(np.fft.rfft(a)), [A]),
    Row("RFFTN-padded-float64", lambda a: _mix(cx.rfft(a, [8])),
        lambda a: _mix_np(np.fft.rfft(a, 8)), [A]),
    Row("RFFTN-2d-float64", lambda a: _mix(cx.rfft2d(a)), lambda a: _mix_np(np.fft.rfft2(a)),
        [A], grad=False),
    Row("IRFFTN-float64", lambda a, b: cx.irfft(_z(a, b)),
        lambda a, b: np.fft.irfft(a + 1j * b), [A, B]),
    Row("IRFFTN-odd-float64", lambda a, b: cx.irfft(_z(a, b), [11]),
        lambda a, b: np.fft.irfft(a + 1j * b, 11), [A, B]),
    Row("IRFFTN-2d-float64", lambda a, b: cx.irfft2d(_z(a, b)),
        lambda a, b: np.fft.irfft2(a + 1j * b), [A, B], grad=False),
]  # fmt: skip
