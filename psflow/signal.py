"""`tf.signal` (and TF 1.x's `tf.spectral`): Fourier transforms."""

from psflow.graph.ops.complex_ops import (  # noqa: F401
    fft,
    fft2d,
    fft3d,
    fftnd,
    ifft,
    ifft2d,
    ifft3d,
    ifftnd,
    irfft,
    irfft2d,
    irfft3d,
    irfftnd,
    rfft,
    rfft2d,
    rfft3d,
    rfftnd,
)
