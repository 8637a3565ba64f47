"""More math: Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh and Atan2, each with
TF's gradient, and the composites div_no_nan and count_nonzero (graph/ops/math.py has the
rest of the family)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from ._common import reduce_to_shape

_FLOAT = _dt.FLOATS


def _derivative(fn):
    """A gradient d_x = grad * fn(x) (fn builds the derivative from x and the output)."""

    def grad(op, g):
        return [_math.multiply(g, fn(op.inputs[0], op.outputs[0]))]

    grad.__doc__ = fn.__doc__
    return grad


def _one(x):
    return _math._scalar(1, x.dtype)


def _inv_sqrt(v):
    return _math.rsqrt(v)


_UNARY = {
    # name: (numpy kernel, d(out)/dx from (x, out))
    "Tan": (np.tan, lambda x, y: _math.add(_one(x), _math.square(y))),
    "Asin": (np.arcsin, lambda x, y: _inv_sqrt(_math.subtract(_one(x), _math.square(x)))),
    "Acos": (np.arccos,
             lambda x, y: _math.negative(_inv_sqrt(_math.subtract(_one(x), _math.square(x))))),
    "Atan": (np.arctan, lambda x, y: _math.reciprocal(_math.add(_one(x), _math.square(x)))),
    "Sinh": (np.sinh, lambda x, y: _math._unary("Cosh", x, None)),
    "Cosh": (np.cosh, lambda x, y: _math._unary("Sinh", x, None)),
    "Asinh": (np.arcsinh, lambda x, y: _inv_sqrt(_math.add(_math.square(x), _one(x)))),
    "Acosh": (np.arccosh, lambda x, y: _inv_sqrt(_math.subtract(_math.square(x), _one(x)))),
    "Atanh": (np.arctanh, lambda x, y: _math.reciprocal(_math.subtract(_one(x), _math.square(x)))),
}  # fmt: skip

for _name, (_kernel, _d) in _UNARY.items():
    _math._register_unary(_name, _kernel, _derivative(_d), types=_FLOAT)


def _unary_op(op_type):
    def op(x, name=None) -> Tensor:
        return _math._unary(op_type, x, name)

    op.__name__ = op_type.lower()
    return op


tan = _unary_op("Tan")
asin = _unary_op("Asin")
acos = _unary_op("Acos")
atan = _unary_op("Atan")
sinh = _unary_op("Sinh")
cosh = _unary_op("Cosh")
asinh = _unary_op("Asinh")
acosh = _unary_op("Acosh")
atanh = _unary_op("Atanh")


def _atan2_grad(op, grad):
    """d_y = grad * x / (x^2 + y^2), d_x = -grad * y / (x^2 + y^2)."""
    y, x = op.inputs
    denom = _math.add(_math.square(x), _math.square(y))
    return [
        reduce_to_shape(_math.real_div(_math.multiply(grad, x), denom), y),
        reduce_to_shape(_math.negative(_math.real_div(_math.multiply(grad, y), denom)), x),
    ]


_math._register_binary("Atan2", np.arctan2, _atan2_grad, types=_FLOAT)


def atan2(y, x, name=None) -> Tensor:
    """The angle of (x, y): arctan(y / x) in the right quadrant."""
    return _math._binary("Atan2", y, x, name)


def div_no_nan(x, y, name=None) -> Tensor:
    """x / y, and 0 where y is 0 (no division by zero is evaluated)."""
    from ..framework import convert_to_tensor
    from . import array as _array

    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype)
    zero = _math.equal(y, _array.zeros_like(y))
    safe = _math._select(zero, _array.ones_like(y), y) if y.shape == x.shape else None
    if safe is None:  # shapes differ: broadcast both first
        y = _math.add(y, _array.zeros_like(x))
        x = _math.add(x, _array.zeros_like(y))
        zero = _math.equal(y, _array.zeros_like(y))
        safe = _math._select(zero, _array.ones_like(y), y)
    return _math._select(zero, _array.zeros_like(x), _math.real_div(x, safe), name=name)


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=_dt.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # fmt: skip
    """How many elements are not zero (along `axis`)."""
    from ..framework import convert_to_tensor
    from . import array as _array

    x = convert_to_tensor(input_tensor if input_tensor is not None else input)
    axis = axis if axis is not None else reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    nonzero = _math.cast(_math.not_equal(x, _array.zeros_like(x)), _dt.int64)
    return _math.cast(_math.reduce_sum(nonzero, axis=axis, keepdims=keep), dtype, name=name)


# More tf.math compositions ------------------------------------------------------------------
def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The variance of the elements along `axis` (all when None)."""
    with name_scope(name, "reduce_variance"):
        x = convert_to_tensor(input_tensor)
        mean = _math.reduce_mean(x, axis=axis, keepdims=True)
        return _math.reduce_mean(_math.squared_difference(x, mean), axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The standard deviation of the elements along `axis` (all when None)."""
    with name_scope(name, "reduce_std"):
        return _math.sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x^2)) along `axis` (all when None)."""
    with name_scope(name, "reduce_euclidean_norm"):
        x = convert_to_tensor(input_tensor)
        return _math.sqrt(_math.reduce_sum(_math.square(x), axis=axis, keepdims=keepdims))


def _zero_where(mask, value):
    return _math.where(mask, _array.zeros_like(value), value)


def xlogy(x, y, name=None):
    """x * log(y), 0 where x is 0."""
    with name_scope(name, "xlogy"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=x.dtype)
        zero = _math.equal(x, _array.zeros_like(x))
        safe_y = _math.where(zero, _array.ones_like(y) * _array.ones_like(x), y)
        return _zero_where(zero, _math.multiply(x, _math.log(safe_y)))


def xdivy(x, y, name=None):
    """x / y, 0 where x is 0."""
    with name_scope(name, "xdivy"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=x.dtype)
        zero = _math.equal(x, _array.zeros_like(x))
        safe_y = _math.where(zero, _array.ones_like(y) * _array.ones_like(x), y)
        return _zero_where(zero, _math.real_div(x, safe_y))


def multiply_no_nan(x, y, name=None):
    """x * y, 0 where y is 0 (even if x is inf or nan)."""
    with name_scope(name, "multiply_no_nan"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, dtype=x.dtype)
        zero = _math.equal(y, _array.zeros_like(y))
        safe_x = _math.where(zero, _array.zeros_like(x) * _array.ones_like(y), x)
        return _math.multiply(safe_x, y)


def reciprocal_no_nan(x, name=None):
    """1 / x, 0 where x is 0."""
    with name_scope(name, "reciprocal_no_nan"):
        x = convert_to_tensor(x)
        return div_no_nan(_array.ones_like(x), x)


def polyval(coeffs, x, name=None):
    """coeffs[0] * x^(n-1) + ... + coeffs[n-1], by Horner's rule (coeffs a list)."""
    with name_scope(name, "polyval"):
        x = convert_to_tensor(x)
        if not coeffs:
            return _array.zeros_like(x)
        out = convert_to_tensor(coeffs[0], dtype=x.dtype) * _array.ones_like(x)
        for c in coeffs[1:]:
            out = _math.add(_math.multiply(out, x), convert_to_tensor(c, dtype=x.dtype))
        return out


# Bitwise ops on integers (tf.bitwise) -------------------------------------------------------------
def _shift(np_shift):
    def kernel(x, y):
        bits = x.dtype.itemsize * 8
        # TF's rule: a shift by a negative amount or by the width or more is undefined; here
        # it gives what numpy gives for the amount clipped into [0, width - 1].
        return np_shift(x, np.clip(y, 0, bits - 1).astype(x.dtype))

    return kernel


_BITWISE: tuple = (
    ("BitwiseAnd", np.bitwise_and),
    ("BitwiseOr", np.bitwise_or),
    ("BitwiseXor", np.bitwise_xor),
    ("LeftShift", _shift(np.left_shift)),
    ("RightShift", _shift(np.right_shift)),
)
for _bit_type, _bit_kernel in _BITWISE:
    _math._register_binary(_bit_type, _bit_kernel, NOT_DIFFERENTIABLE, types=_dt.INTEGERS)
register_op(
    OpDef(
        "Invert",
        inputs=["x: T"],
        outputs=["y: T"],
        types={"T": _dt.INTEGERS},
        infer=lambda x: TensorSpec(x.dtype, x.shape),
        kernel=np.invert,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _bitwise(op_type, doc):
    def fn(x, y, name=None) -> Tensor:
        return _math._binary(op_type, x, y, name)

    fn.__doc__ = doc
    return fn


bitwise_and = _bitwise("BitwiseAnd", "Elementwise x & y of integers.")
bitwise_or = _bitwise("BitwiseOr", "Elementwise x | y of integers.")
bitwise_xor = _bitwise("BitwiseXor", "Elementwise x ^ y of integers.")
left_shift = _bitwise("LeftShift", "Elementwise x << y of integers.")
right_shift = _bitwise("RightShift", "Elementwise x >> y of integers (arithmetic if signed).")


def invert(x, name=None) -> Tensor:
    """Elementwise ~x (every bit flipped) of integers."""
    return apply_op("Invert", [x], name=name).outputs[0]


# NextAfter, cumulative_logsumexp, confusion_matrix ------------------------------------------------
register_op(
    OpDef(
        "NextAfter",
        inputs=["x1: T", "x2: T"],
        outputs=["output: T"],
        types={"T": (_dt.float32, _dt.float64)},
        infer=_math._binary_infer("NextAfter"),
        kernel=np.nextafter,
        grad=NOT_DIFFERENTIABLE,
    )
)


def nextafter(x1, x2, name=None) -> Tensor:
    """The next representable value after x1 towards x2, elementwise."""
    return _math._binary("NextAfter", x1, x2, name)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """log(cumsum(exp(x))) along `axis`, computed stably (shifted by the maximum)."""
    with name_scope(name, "CumulativeLogsumexp"):
        x = convert_to_tensor(x)
        shift = _array.stop_gradient(_math.reduce_max(x, axis=axis, keepdims=True))
        total = _math.cumsum(_math.exp(x - shift), axis=axis, exclusive=exclusive,
                             reverse=reverse)  # fmt: skip
        return _math.add(_math.log(total), shift)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=_dt.int32,
                     name=None) -> Tensor:  # fmt: skip
    """[num_classes, num_classes] counts (or summed `weights`) of each (label, prediction)
    pair; num_classes defaults to the largest label or prediction plus one."""
    from . import manip as _manip

    with name_scope(name, "confusion_matrix"):
        labels = _math.cast(convert_to_tensor(labels), _dt.int64)
        predictions = _math.cast(convert_to_tensor(predictions), _dt.int64)
        if num_classes is None:
            num_classes = _math.add(
                _math.maximum(_math.reduce_max(labels), _math.reduce_max(predictions)),
                _math.cast(1, _dt.int64),
            )
        n = _math.cast(num_classes, _dt.int64)
        indices = _array.stack([labels, predictions], axis=1)
        values = (
            _array.ones_like(labels, dtype=dtype)
            if weights is None
            else _math.cast(convert_to_tensor(weights), dtype)
        )
        return _manip.scatter_nd(indices, values, _array.stack([n, n]))


# SobolSample --------------------------------------------------------------------------------
def _sobol_infer(dim, num_results, skip, *, dtype):
    for spec, what in ((dim, "dim"), (num_results, "num_results"), (skip, "skip")):
        if spec.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} for "
                             f"'SobolSample' ({what})")  # fmt: skip
    rows = None if num_results.value is None else int(num_results.value)
    cols = None if dim.value is None else int(dim.value)
    return TensorSpec(_dt.as_dtype(dtype), TensorShape([rows, cols]))


def _sobol_kernel(dim, num_results, skip, *, dtype):
    """The points of the unscrambled Sobol sequence (Joe and Kuo's direction numbers, as TF
    uses) after the all-zeros first point and `skip` more."""
    import warnings

    from scipy.stats import qmc

    dim, num_results, skip = int(dim), int(num_results), int(skip)
    if dim < 1 or num_results < 0 or skip < 0:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(
            None, None, f"SobolSample: dim must be >= 1, num_results and skip >= 0 (got "
            f"dim={dim}, num_results={num_results}, skip={skip})")  # fmt: skip
    engine = qmc.Sobol(dim, scramble=False)
    engine.fast_forward(1 + skip)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balance holds for powers of 2 only; TF has none
        return engine.random(num_results).astype(_dt.as_dtype(dtype).np)


register_op(
    OpDef(
        "SobolSample",
        inputs=["dim: int32", "num_results: int32", "skip: int32"],
        outputs=["samples: dtype"],
        attrs={"dtype": "float32"},
        infer=_sobol_infer,
        kernel=_sobol_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def sobol_sample(dim, num_results, skip=0, dtype=_dt.float32, name=None) -> Tensor:
    """[num_results, dim] points of the Sobol low-discrepancy sequence in [0, 1)^dim,
    starting after the first `skip` (the zero point is never returned), as TF's."""
    dtype = _dt.as_dtype(dtype)
    if dtype not in (_dt.float32, _dt.float64):
        raise TypeError(f"sobol_sample: dtype must be float32 or float64, got {dtype.name}")
    args = [convert_to_tensor(v, dtype=_dt.int32) for v in (dim, num_results, skip)]
    return apply_op("SobolSample", args, attrs={"dtype": dtype.name}, name=name).outputs[0]
