"""Special functions on scipy.special (the well-kept implementation of them): erf, erfc,
erfinv, ndtri, lgamma, digamma, polygamma, xlog1py, bessel_i0e, bessel_i1e, bessel_i0,
bessel_i1, each with TF's gradient."""

from __future__ import annotations

import functools
import math as _pymath

import numpy as np

from .. import dtypes as _dt
from ..framework import apply_op, convert_to_tensor
from ..registry import OpDef, TensorSpec, register_op
from . import array as _array, math as _math
from ._common import reduce_to_shape
from .math_more import div_no_nan as _div_no_nan

_FLOAT = _dt.FLOATS


@functools.cache
def _scipy():
    """scipy.special, imported on first use (it would add ~0.14 s to importing psflow)."""
    from scipy import special

    return special


def _typed(name):
    """scipy.special's `name` on the input's values, in the input's dtype."""

    def kernel(x):
        x = np.asarray(x)
        return np.asarray(getattr(_scipy(), name)(x), dtype=x.dtype)

    return kernel


def _c(value, like):
    return _math._scalar(value, like.dtype)


def _erf_grad(op, grad):
    x = op.inputs[0]
    return [grad * _c(2 / _pymath.sqrt(_pymath.pi), x) * _math.exp(-_math.square(x))]


def _erfc_grad(op, grad):
    x = op.inputs[0]
    return [grad * _c(-2 / _pymath.sqrt(_pymath.pi), x) * _math.exp(-_math.square(x))]


def _erfinv_grad(op, grad):
    return [grad * _c(_pymath.sqrt(_pymath.pi) / 2, op.outputs[0])
            * _math.exp(_math.square(op.outputs[0]))]  # fmt: skip


def _ndtri_grad(op, grad):
    return [grad * _c(_pymath.sqrt(2 * _pymath.pi), op.outputs[0])
            * _math.exp(_math.square(op.outputs[0]) / _c(2, op.outputs[0]))]  # fmt: skip


def _lgamma_grad(op, grad):
    return [grad * digamma(op.inputs[0])]


def _digamma_grad(op, grad):
    x = op.inputs[0]
    return [grad * polygamma(_array.ones_like(x), x)]


def _i0e_grad(op, grad):
    x = op.inputs[0]
    return [grad * (bessel_i1e(x) - _math.sign(x) * op.outputs[0])]


def _i1e_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    # d/dx i1e(x) = i0e(x) - i1e(x) * (sign(x) + 1/x); 1/2 at 0
    safe = _math.where(_math.equal(x, _array.zeros_like(x)), _array.ones_like(x), x)
    inner = bessel_i0e(x) - y * (_math.sign(x) + _math.reciprocal(safe))
    half = _array.zeros_like(x) + _c(0.5, x)
    return [grad * _math.where(_math.equal(x, _array.zeros_like(x)), half, inner)]


def _i0_grad(op, grad):
    return [grad * bessel_i1(op.inputs[0])]


def _i1_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    safe = _math.where(_math.equal(x, _array.zeros_like(x)), _array.ones_like(x), x)
    inner = bessel_i0(x) - y / safe
    half = _array.zeros_like(x) + _c(0.5, x)
    return [grad * _math.where(_math.equal(x, _array.zeros_like(x)), half, inner)]


_UNARY = {
    "Erf": ("erf", _erf_grad),
    "Erfc": ("erfc", _erfc_grad),
    "Erfinv": ("erfinv", _erfinv_grad),
    "Ndtri": ("ndtri", _ndtri_grad),
    "Lgamma": ("gammaln", _lgamma_grad),
    "Digamma": ("digamma", _digamma_grad),
    "BesselI0e": ("i0e", _i0e_grad),
    "BesselI1e": ("i1e", _i1e_grad),
    "BesselI0": ("i0", _i0_grad),
    "BesselI1": ("i1", _i1_grad),
}
for _type, (_fn, _grad) in _UNARY.items():
    register_op(
        OpDef(
            _type,
            inputs=["x: T"],
            outputs=["y: T"],
            types={"T": _FLOAT},
            infer=lambda x: TensorSpec(x.dtype, x.shape),
            kernel=_typed(_fn),
            grad=_grad,
        )  # fmt: skip
    )


def _binary_infer(a, b):
    from ._common import broadcast_shape

    return TensorSpec(a.dtype, broadcast_shape(a.shape, b.shape))


def _polygamma_kernel(a, x):
    x = np.asarray(x)
    return np.asarray(_scipy().polygamma(np.asarray(a).astype(np.int64), x), dtype=x.dtype)


def _polygamma_grad(op, grad):
    a, x = op.inputs
    d_x = grad * polygamma(a + _c(1, a), x)
    return [None, reduce_to_shape(d_x, x)]


def _xlog1py_kernel(x, y):
    x = np.asarray(x)
    return np.asarray(_scipy().xlog1py(x, y), dtype=x.dtype)


def _xlog1py_grad(op, grad):
    x, y = op.inputs
    zero = _array.zeros_like(x)
    nonzero = _math.cast(_math.not_equal(x, zero), x.dtype)
    d_x = grad * nonzero * _math.log1p(y)
    d_y = grad * _div_no_nan(x, _c(1, y) + y)
    return [reduce_to_shape(d_x, x), reduce_to_shape(d_y, y)]


register_op(OpDef("Polygamma", inputs=["a: T", "x: T"], outputs=["z: T"], types={"T": _FLOAT},
                  infer=_binary_infer, kernel=_polygamma_kernel, grad=_polygamma_grad))  # fmt: skip
register_op(OpDef("Xlog1py", inputs=["x: T", "y: T"], outputs=["z: T"], types={"T": _FLOAT},
                  infer=_binary_infer, kernel=_xlog1py_kernel, grad=_xlog1py_grad))  # fmt: skip


def _unary_fn(op_type, doc):
    def fn(x, name=None):
        return apply_op(op_type, [convert_to_tensor(x)], name=name or op_type).outputs[0]

    fn.__doc__ = doc
    return fn


erf = _unary_fn("Erf", "The error function, elementwise.")
erfc = _unary_fn("Erfc", "1 - erf(x), elementwise (accurate where erf is near 1).")
erfinv = _unary_fn("Erfinv", "The inverse of erf, elementwise.")
ndtri = _unary_fn("Ndtri", "The inverse of the standard normal CDF, elementwise.")
lgamma = _unary_fn("Lgamma", "log |Gamma(x)|, elementwise.")
digamma = _unary_fn("Digamma", "The derivative of lgamma, elementwise.")
bessel_i0e = _unary_fn("BesselI0e", "exp(-|x|) I0(x), elementwise.")
bessel_i1e = _unary_fn("BesselI1e", "exp(-|x|) I1(x), elementwise.")
bessel_i0 = _unary_fn("BesselI0", "The modified Bessel function I0, elementwise.")
bessel_i1 = _unary_fn("BesselI1", "The modified Bessel function I1, elementwise.")


def polygamma(a, x, name=None):
    """The a-th derivative of digamma at x (a: whole numbers, as floats)."""
    x = convert_to_tensor(x)
    a = convert_to_tensor(a, dtype=x.dtype)
    return apply_op("Polygamma", [a, x], name=name or "Polygamma").outputs[0]


def xlog1py(x, y, name=None):
    """x * log1p(y), 0 where x is 0."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype)
    return apply_op("Xlog1py", [x, y], name=name or "Xlog1py").outputs[0]


# Incomplete gamma and beta functions, Hurwitz zeta (gradients where TF has them: x for
# igamma/igammac/betainc, q for zeta) ----------------------------------------------------------
def _typed2(name):
    def kernel(*args):
        first = np.asarray(args[-1])
        return np.asarray(getattr(_scipy(), name)(*args), dtype=first.dtype)

    return kernel


def _igamma_dx(a, x):
    """d/dx of the regularized lower incomplete gamma: exp(-x) x^(a-1) / Gamma(a)."""
    return _math.exp(-x + (a - _c(1, a)) * _math.log(x) - lgamma(a))


def _igamma_grad(op, grad):
    a, x = op.inputs
    return [None, reduce_to_shape(grad * _igamma_dx(a, x), x)]


def _igammac_grad(op, grad):
    a, x = op.inputs
    return [None, reduce_to_shape(-grad * _igamma_dx(a, x), x)]


def _betainc_grad(op, grad):
    a, b, x = op.inputs
    one = _c(1, x)
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    dx = _math.exp((a - one) * _math.log(x) + (b - one) * _math.log1p(-x) - log_beta)
    return [None, None, reduce_to_shape(grad * dx, x)]


def _zeta_grad(op, grad):
    x, q = op.inputs
    return [None, reduce_to_shape(grad * -x * zeta(x + _c(1, x), q), q)]


def _ternary_infer(a, b, x):
    from ._common import broadcast_shape

    return TensorSpec(x.dtype, broadcast_shape(broadcast_shape(a.shape, b.shape), x.shape))


for _type, _fn, _grad in (
    ("Igamma", "gammainc", _igamma_grad),
    ("Igammac", "gammaincc", _igammac_grad),
    ("Zeta", "zeta", _zeta_grad),
):
    register_op(OpDef(_type, inputs=["a: T", "x: T"], outputs=["z: T"], types={"T": _FLOAT},
                      infer=_binary_infer, kernel=_typed2(_fn), grad=_grad))  # fmt: skip
register_op(OpDef("Betainc", inputs=["a: T", "b: T", "x: T"], outputs=["z: T"],
                  types={"T": _FLOAT}, infer=_ternary_infer, kernel=_typed2("betainc"),
                  grad=_betainc_grad))  # fmt: skip


def _binary_fn(op_type, doc):
    def fn(a, x, name=None):
        x = convert_to_tensor(x)
        a = convert_to_tensor(a, dtype=x.dtype)
        return apply_op(op_type, [a, x], name=name or op_type).outputs[0]

    fn.__doc__ = doc
    return fn


igamma = _binary_fn("Igamma", "The regularized lower incomplete gamma function P(a, x).")
igammac = _binary_fn("Igammac", "The regularized upper incomplete gamma function Q(a, x).")
zeta = _binary_fn("Zeta", "The Hurwitz zeta function zeta(x, q) (x > 1).")


def betainc(a, b, x, name=None):
    """The regularized incomplete beta function I_x(a, b)."""
    x = convert_to_tensor(x)
    a, b = convert_to_tensor(a, dtype=x.dtype), convert_to_tensor(b, dtype=x.dtype)
    return apply_op("Betainc", [a, b, x], name=name or "Betainc").outputs[0]


def lbeta(x, name=None):
    """log |Beta(x)| over the last axis: sum(lgamma(x)) - lgamma(sum(x)) (0 for an empty
    last axis, as TF)."""
    from ..framework import name_scope

    with name_scope(name, "lbeta"):
        x = convert_to_tensor(x)
        return _math.subtract(
            _math.reduce_sum(lgamma(x), axis=-1), lgamma(_math.reduce_sum(x, axis=-1))
        )


def erfcinv(x, name=None):
    """The inverse of erfc: -ndtri(x / 2) / sqrt(2)."""
    from ..framework import name_scope

    with name_scope(name, "erfcinv"):
        x = convert_to_tensor(x)
        return _math.multiply(ndtri(_math.multiply(x, _c(0.5, x))), _c(-1 / _pymath.sqrt(2), x))
