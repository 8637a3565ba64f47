"""Complex numbers and Fourier transforms: Complex, Real, Imag, Conj, Angle, ComplexAbs;
FFT/IFFT over the innermost 1, 2 or 3 dimensions (and N of them), RFFT/IRFFT (`tf.signal`
names too). Gradients follow TF's convention for complex tensors: the gradient of a real
loss is dL/dRe + i dL/dIm."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import Tensor, apply_op, convert_to_tensor
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, manip as _manip, math as _math

_REAL = (_dt.float32, _dt.float64)
_COMPLEX = _dt.COMPLEX
_PAIR = {"float32": "complex64", "float64": "complex128"}


def _complex_of(real_dtype) -> _dt.DType:
    return _dt.as_dtype(_PAIR[_dt.as_dtype(real_dtype).name])


# Complex, Real, Imag, Conj, Angle, ComplexAbs --------------------------------------------------
def _complex_infer(real, imag, *, Tout):
    from ._common import broadcast_shape

    return TensorSpec(_dt.as_dtype(Tout), broadcast_shape(real.shape, imag.shape))


def _complex_grad(op, grad):
    from ._common import reduce_to_shape

    re, im = op.inputs
    return [reduce_to_shape(real(grad), re), reduce_to_shape(imag(grad), im)]


register_op(
    OpDef(
        "Complex",
        inputs=["real: T", "imag: T"],
        outputs=["out: Tout"],
        types={"T": _REAL},
        attrs={"Tout": "complex64"},
        infer=_complex_infer,
        kernel=lambda real, imag, *, Tout: (np.asarray(real) + 1j * np.asarray(imag)).astype(
            _dt.as_dtype(Tout).np
        ),
        grad=_complex_grad,
    )
)


def _part_infer(input, *, Tout):
    return TensorSpec(_dt.as_dtype(Tout), input.shape)


def _zeros_like_real(t):
    return _array.zeros_like(t)


for _type, _fn, _grad in (
    ("Real", np.real, lambda op, g: [complex(g, _zeros_like_real(g))]),
    ("Imag", np.imag, lambda op, g: [complex(_zeros_like_real(g), g)]),
    ("ComplexAbs", np.abs, lambda op, g: [_complex_abs_grad(op, g)]),
    ("Angle", np.angle, lambda op, g: [_angle_grad(op, g)]),
):
    register_op(
        OpDef(
            _type,
            inputs=["input: T"],
            outputs=["output: Tout"],
            types={"T": _COMPLEX},
            attrs={"Tout": "float32"},
            infer=_part_infer,
            kernel=lambda input, *, Tout, _fn=_fn: np.asarray(_fn(input)).astype(
                _dt.as_dtype(Tout).np
            ),
            grad=_grad,
        )
    )


def _complex_abs_grad(op, grad):
    """grad * z / |z| (0 where z is 0)."""
    z, magnitude = op.inputs[0], op.outputs[0]
    nonzero = _math.greater(magnitude, _array.zeros_like(magnitude))
    safe = _math.where(nonzero, magnitude, _array.ones_like(magnitude))
    scale = _math.where(nonzero, _math.real_div(grad, safe), _array.zeros_like(grad))
    return _math.multiply(complex(scale, _array.zeros_like(scale)), z)


def _angle_grad(op, grad):
    """TF's: -grad / conj-free (im + i re), i.e. the gradient of atan2(im, re)."""
    z = op.inputs[0]
    re, im = real(z), imag(z)
    norm = _math.add(_math.square(re), _math.square(im))
    nonzero = _math.greater(norm, _array.zeros_like(norm))
    safe = _math.where(nonzero, norm, _array.ones_like(norm))
    d_re = _math.where(
        nonzero,
        _math.real_div(_math.negative(_math.multiply(grad, im)), safe),
        _array.zeros_like(norm),
    )
    d_im = _math.where(
        nonzero, _math.real_div(_math.multiply(grad, re), safe), _array.zeros_like(norm)
    )
    return complex(d_re, d_im)


register_op(
    OpDef(
        "Conj",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _COMPLEX + _REAL},
        infer=lambda input: TensorSpec(input.dtype, input.shape),
        kernel=np.conj,
        grad=lambda op, grad: [conj(grad)],
    )
)


def complex(real, imag, name=None) -> Tensor:  # noqa: A001 - TF's name
    """real + i * imag (float32 parts give complex64, float64 complex128)."""
    real = convert_to_tensor(real, preferred_dtype=_dt.float32)
    imag = convert_to_tensor(imag, dtype=real.dtype)
    if real.dtype not in _REAL:
        raise TypeError(f"real and imag must be float32 or float64, got {real.dtype.name}")
    attrs = {"Tout": _complex_of(real.dtype).name}
    return apply_op("Complex", [real, imag], attrs, name=name or "Complex").outputs[0]


def _part(op_type, x, name):
    x = convert_to_tensor(x)
    if x.dtype not in _COMPLEX:
        return None
    attrs = {"Tout": x.dtype.real_dtype.name}
    return apply_op(op_type, [x], attrs, name=name or op_type).outputs[0]


def real(input, name=None) -> Tensor:  # noqa: A002
    """The real part (a real tensor is returned as it is)."""
    out = _part("Real", input, name)
    return convert_to_tensor(input) if out is None else out


def imag(input, name=None) -> Tensor:  # noqa: A002
    """The imaginary part (zeros for a real tensor)."""
    out = _part("Imag", input, name)
    return _array.zeros_like(convert_to_tensor(input)) if out is None else out


def angle(input, name=None) -> Tensor:  # noqa: A002
    """The argument atan2(imag, real) (0 or pi for a real tensor, by its sign)."""
    out = _part("Angle", input, name)
    if out is not None:
        return out
    x = convert_to_tensor(input)
    pi = _math.multiply(_array.ones_like(x), np.pi)
    return _math.where(_math.less(x, _array.zeros_like(x)), pi, _array.zeros_like(x))


def conj(x, name=None) -> Tensor:
    """The complex conjugate (a real tensor is returned as it is)."""
    x = convert_to_tensor(x)
    if x.dtype not in _COMPLEX:
        return x
    return apply_op("Conj", [x], name=name or "Conj").outputs[0]


def complex_abs(x, name=None) -> Tensor:
    """|x| of a complex tensor (a real tensor of the matching precision)."""
    return _part("ComplexAbs", x, name)


def to_complex64(x, name="ToComplex64") -> Tensor:
    return _math.cast(x, _dt.complex64, name=name)


def to_complex128(x, name="ToComplex128") -> Tensor:
    return _math.cast(x, _dt.complex128, name=name)


# FFT ---------------------------------------------------------------------------------------------
def _size_of(x, rank, invert=False):
    """The number of elements in the innermost `rank` dimensions (or its reciprocal), as
    a scalar of x's complex dtype."""
    shape = _array.shape(x)
    start = _math.subtract(_array.size(shape), rank)
    inner = _math.reduce_prod(_manip.slice_(shape, _array.expand_dims(start, 0), [rank]))
    size = _math.cast(inner, x.dtype.real_dtype)
    if invert:
        size = _math.real_div(_array.ones_like(size), size)
    return _math.cast(size, x.dtype)


def _fft_kernel(inverse):
    def kernel(input, *, rank):
        axes = tuple(range(-rank, 0))
        fn = np.fft.ifftn if inverse else np.fft.fftn
        return fn(input, axes=axes).astype(np.asarray(input).dtype)

    return kernel


def _fft_grad(inverse):
    """FFT's adjoint is n * IFFT, IFFT's is FFT / n."""

    def grad(op, g):
        rank = op.get_attr("rank")
        if inverse:
            return [_math.multiply(_fftn(g, rank, False), _size_of(g, rank, invert=True))]
        return [_math.multiply(_fftn(g, rank, True), _size_of(g, rank))]

    return grad


def _fft_infer(input, *, rank):
    if input.shape.ndims is not None and input.shape.ndims < rank:
        raise ValueError(f"Shape must be at least rank {rank}, got {input.shape}")
    return TensorSpec(input.dtype, input.shape)


for _type, _inverse in (("FFTN", False), ("IFFTN", True)):
    register_op(
        OpDef(
            _type,
            inputs=["input: Tcomplex"],
            outputs=["output: Tcomplex"],
            types={"Tcomplex": _COMPLEX},
            attrs={"rank": 1},
            infer=_fft_infer,
            kernel=_fft_kernel(_inverse),
            grad=_fft_grad(_inverse),
        )
    )


def _fftn(x, rank, inverse, name=None):
    x = convert_to_tensor(x)
    if x.dtype not in _COMPLEX:
        raise TypeError(f"FFT needs a complex64 or complex128 input, got {x.dtype.name}")
    op_type = "IFFTN" if inverse else "FFTN"
    return apply_op(op_type, [x], {"rank": int(rank)}, name=name).outputs[0]


def fft(input, name=None) -> Tensor:  # noqa: A002
    """The discrete Fourier transform over the innermost dimension."""
    return _fftn(input, 1, False, name or "FFT")


def ifft(input, name=None) -> Tensor:  # noqa: A002
    """The inverse discrete Fourier transform over the innermost dimension."""
    return _fftn(input, 1, True, name or "IFFT")


def fft2d(input, name=None) -> Tensor:  # noqa: A002
    return _fftn(input, 2, False, name or "FFT2D")


def ifft2d(input, name=None) -> Tensor:  # noqa: A002
    return _fftn(input, 2, True, name or "IFFT2D")


def fft3d(input, name=None) -> Tensor:  # noqa: A002
    return _fftn(input, 3, False, name or "FFT3D")


def ifft3d(input, name=None) -> Tensor:  # noqa: A002
    return _fftn(input, 3, True, name or "IFFT3D")


def _innermost(input, fft_length, axes, what):
    input = convert_to_tensor(input)
    rank = input.shape.ndims
    if axes is None:
        count = len(fft_length) if fft_length is not None else rank
        axes = list(range(rank - count, rank))
    axes = [a % rank for a in axes]
    if axes != list(range(rank - len(axes), rank)):
        raise NotImplementedError(f"{what} over the innermost axes only, got axes {axes}")
    if fft_length is not None and list(fft_length) != input.shape.as_list()[-len(axes) :]:
        raise NotImplementedError(f"{what} with fft_length other than the input's sizes")
    return input, len(axes)


def fftnd(input, fft_length=None, axes=None, norm=None, name=None) -> Tensor:  # noqa: A002
    """The N-dimensional DFT over the innermost `axes` (all when None)."""
    if norm not in (None, "backward"):
        raise NotImplementedError("fftnd(norm=...) other than the default")
    x, rank = _innermost(input, fft_length, axes, "fftnd")
    return _fftn(x, rank, False, name or "FFTND")


def ifftnd(input, fft_length=None, axes=None, norm=None, name=None) -> Tensor:  # noqa: A002
    """The N-dimensional inverse DFT over the innermost `axes` (all when None)."""
    if norm not in (None, "backward"):
        raise NotImplementedError("ifftnd(norm=...) other than the default")
    x, rank = _innermost(input, fft_length, axes, "ifftnd")
    return _fftn(x, rank, True, name or "IFFTND")


# RFFT / IRFFT: real signals, the non-negative frequencies --------------------------------------
def _rfft_kernel(input, fft_length, *, rank, Tcomplex):
    lengths = [int(n) for n in np.asarray(fft_length)]
    out = np.fft.rfftn(input, s=lengths, axes=tuple(range(-rank, 0)))
    return out.astype(_dt.as_dtype(Tcomplex).np)


def _irfft_kernel(input, fft_length, *, rank, Treal):
    lengths = [int(n) for n in np.asarray(fft_length)]
    out = np.fft.irfftn(input, s=lengths, axes=tuple(range(-rank, 0)))
    return out.astype(_dt.as_dtype(Treal).np)


def _rfft_infer(input, fft_length, *, rank, Tcomplex):
    lengths = fft_length.value
    if input.shape.ndims is None or lengths is None:
        return TensorSpec(_dt.as_dtype(Tcomplex), TensorShape(None))
    dims = input.shape.as_list()[:-rank] + [int(n) for n in np.asarray(lengths)]
    dims[-1] = dims[-1] // 2 + 1
    return TensorSpec(_dt.as_dtype(Tcomplex), TensorShape(dims))


def _irfft_infer(input, fft_length, *, rank, Treal):
    lengths = fft_length.value
    if input.shape.ndims is None or lengths is None:
        return TensorSpec(_dt.as_dtype(Treal), TensorShape(None))
    dims = input.shape.as_list()[:-rank] + [int(n) for n in np.asarray(lengths)]
    return TensorSpec(_dt.as_dtype(Treal), TensorShape(dims))


def _rfft_grad(op, grad):
    """d_x = Re(n * IRFFT-like adjoint): the half spectrum's gradient spread back over the
    signal (for the 1-D transform: real(sum_k g_k e^{2 pi i j k / n}))."""
    x, fft_length = op.inputs
    rank = op.get_attr("rank")
    if rank != 1:
        raise NotImplementedError("The gradient of RFFT2D/RFFT3D")
    n = _array.reshape(_manip.slice_(fft_length, [0], [1]), [])
    full = _fit_last(grad, n)  # the negative frequencies get no gradient
    spread = _math.multiply(_fftn(full, 1, True), _math.cast(_math.cast(n, x.dtype), grad.dtype))
    length = _array.shape(x)[-1]
    signal = real(spread)
    return [_fit_last(signal, length), None]


def _fit_last(t, length):
    """`t` cut or zero-padded along its last dimension to `length`."""
    rank = t.shape.ndims
    have = _array.reshape(_manip.slice_(_array.shape(t), [rank - 1], [1]), [])
    keep = _math.minimum(have, length)
    size = _array.concat([-_array.ones([rank - 1], _dt.int32), _array.expand_dims(keep, 0)], 0)
    cut = _manip.slice_(t, _array.zeros([rank], _dt.int32), size)
    extra = _math.maximum(_math.subtract(length, have), 0)
    last = _array.expand_dims(_array.stack([_array.zeros_like(extra), extra]), 0)
    pads = _array.concat([_array.zeros([rank - 1, 2], _dt.int32), last], 0)
    return _manip.pad(cut, pads)


def _irfft_grad(op, grad):
    """d_X = rfft(grad) * [1, 2, ..., 2, (1 when n is even)] / n (the imaginary parts of
    the first and the Nyquist bins do not count)."""
    spectrum, fft_length = op.inputs
    if op.get_attr("rank") != 1:
        raise NotImplementedError("The gradient of IRFFT2D/IRFFT3D")
    n = _array.reshape(_manip.slice_(fft_length, [0], [1]), [])
    attrs = {"rank": 1, "Tcomplex": spectrum.dtype.name}
    g = apply_op("RFFTN", [grad, fft_length], attrs).outputs[0]
    bins = _math.add(_math.floordiv(n, 2), 1)
    k = _math.range_(bins)
    even = _math.equal(_math.floormod(n, 2), 0)
    last = _math.equal(k, _math.subtract(bins, 1))
    edge = _math.logical_or(_math.equal(k, 0), _math.logical_and(even, last))
    weights = _math.where(edge, _array.ones_like(k), _math.multiply(_array.ones_like(k), 2))
    weights = _math.real_div(_math.cast(weights, grad.dtype), _math.cast(n, grad.dtype))
    scaled = _math.multiply(g, _math.cast(weights, spectrum.dtype))
    return [_fit_last(scaled, _array.shape(spectrum)[-1]), None]


register_op(
    OpDef(
        "RFFTN",
        inputs=["input: Treal", "fft_length: int32"],
        outputs=["output: Tcomplex"],
        types={"Treal": _REAL},
        attrs={"rank": 1, "Tcomplex": "complex64"},
        infer=_rfft_infer,
        kernel=_rfft_kernel,
        grad=_rfft_grad,
    )
)
register_op(
    OpDef(
        "IRFFTN",
        inputs=["input: Tcomplex", "fft_length: int32"],
        outputs=["output: Treal"],
        types={"Tcomplex": _COMPLEX},
        attrs={"rank": 1, "Treal": "float32"},
        infer=_irfft_infer,
        kernel=_irfft_kernel,
        grad=_irfft_grad,
    )
)


def _lengths(x, fft_length, rank):
    if fft_length is None:
        dims = x.shape.as_list()[-rank:]
        if None in dims:
            raise ValueError("fft_length is needed for an input of unknown size")
        return convert_to_tensor(dims, dtype=_dt.int32)
    return convert_to_tensor(fft_length, dtype=_dt.int32)


def _rfft(input, fft_length, rank, name):
    x = convert_to_tensor(input, preferred_dtype=_dt.float32)
    attrs = {"rank": rank, "Tcomplex": _complex_of(x.dtype).name}
    return apply_op("RFFTN", [x, _lengths(x, fft_length, rank)], attrs, name=name).outputs[0]


def _irfft(input, fft_length, rank, name):
    x = convert_to_tensor(input)
    if x.dtype not in _COMPLEX:
        raise TypeError(f"irfft needs a complex input, got {x.dtype.name}")
    if fft_length is None:
        dims = x.shape.as_list()[-rank:]
        if None in dims:
            raise ValueError("fft_length is needed for an input of unknown size")
        dims[-1] = 2 * (dims[-1] - 1)
        fft_length = dims
    attrs = {"rank": rank, "Treal": x.dtype.real_dtype.name}
    lengths = convert_to_tensor(fft_length, dtype=_dt.int32)
    return apply_op("IRFFTN", [x, lengths], attrs, name=name).outputs[0]


def rfft(input_tensor, fft_length=None, name=None) -> Tensor:
    """The DFT of a real signal over its innermost dimension: fft_length // 2 + 1 bins."""
    return _rfft(input_tensor, fft_length, 1, name or "RFFT")


def irfft(input_tensor, fft_length=None, name=None) -> Tensor:
    """The real signal of a half spectrum (the inverse of rfft)."""
    return _irfft(input_tensor, fft_length, 1, name or "IRFFT")


def rfft2d(input_tensor, fft_length=None, name=None) -> Tensor:
    return _rfft(input_tensor, fft_length, 2, name or "RFFT2D")


def irfft2d(input_tensor, fft_length=None, name=None) -> Tensor:
    return _irfft(input_tensor, fft_length, 2, name or "IRFFT2D")


def rfft3d(input_tensor, fft_length=None, name=None) -> Tensor:
    return _rfft(input_tensor, fft_length, 3, name or "RFFT3D")


def irfft3d(input_tensor, fft_length=None, name=None) -> Tensor:
    return _irfft(input_tensor, fft_length, 3, name or "IRFFT3D")


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None) -> Tensor:
    """rfft over the innermost `axes` (all when None)."""
    x, rank = _innermost(input_tensor, fft_length, axes, "rfftnd")
    return _rfft(x, fft_length, rank, name or "RFFTND")


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None) -> Tensor:
    """irfft over the innermost `axes` (all when None; fft_length required)."""
    x = convert_to_tensor(input_tensor)
    rank = len(fft_length) if fft_length is not None else (len(axes) if axes else x.shape.ndims)
    return _irfft(x, fft_length, rank, name or "IRFFTND")
