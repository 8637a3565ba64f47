"""Special functions on scipy.special (the well-kept implementation of them): erf, erfc,
erfinv, ndtri, lgamma, digamma, polygamma, xlog1py, the Bessel functions I, J, K, Y of
orders 0 and 1 (and the scaled I/K), dawsn, expint, fresnel_cos/sin, spence, each with TF's
gradient; igamma, igammac, betainc, zeta with the gradients TF has."""

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


def _where_zero(x, at_zero, elsewhere):
    """`elsewhere` (built on x with zeros replaced by ones), `at_zero` where x is 0."""
    zero = _math.equal(x, _array.zeros_like(x))
    safe = _math.where(zero, _array.ones_like(x), x)
    return _math.where(zero, _array.zeros_like(x) + _c(at_zero, x), elsewhere(safe))


def _j0_grad(op, grad):
    return [-grad * bessel_j1(op.inputs[0])]


def _k0_grad(op, grad):
    return [-grad * bessel_k1(op.inputs[0])]


def _k0e_grad(op, grad):
    return [grad * (op.outputs[0] - bessel_k1e(op.inputs[0]))]


def _y0_grad(op, grad):
    return [-grad * bessel_y1(op.inputs[0])]


def _expint_grad(op, grad):
    return [grad * _math.exp(op.inputs[0]) / op.inputs[0]]


def _j1_grad(op, grad):
    y = op.outputs[0]
    return [grad * _where_zero(op.inputs[0], 0.5, lambda x: bessel_j0(x) - y / x)]


def _k1_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    return [grad * (-bessel_k0(x) - y / x)]


def _k1e_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    return [grad * (-bessel_k0e(x) - y * (_math.reciprocal(x) - _c(1.0, x)))]


def _y1_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    return [grad * (bessel_y0(x) - y / x)]


def _dawsn_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    return [grad * (_c(1.0, x) - _c(2.0, x) * x * y)]


def _fresnel_grad(trig):
    def grad_fn(op, grad):
        x = op.inputs[0]
        return [grad * trig(_c(np.pi / 2, x) * x * x)]

    return grad_fn


def _spence_grad(op, grad):
    x = op.inputs[0]
    one = _math.equal(x, _array.ones_like(x))
    safe = _math.where(one, _array.zeros_like(x) + _c(2.0, x), x)
    partial = _math.log(safe) / (_c(1.0, x) - safe)
    return [grad * _math.where(one, _array.zeros_like(x) - _c(1.0, x), partial)]


def _fresnel(part):
    def kernel(x):
        x = np.asarray(x)
        return np.asarray(_scipy().fresnel(x)[part], dtype=x.dtype)

    return kernel


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
    "BesselJ0": ("j0", _j0_grad),
    "BesselJ1": ("j1", _j1_grad),
    "BesselK0": ("k0", _k0_grad),
    "BesselK0e": ("k0e", _k0e_grad),
    "BesselK1": ("k1", _k1_grad),
    "BesselK1e": ("k1e", _k1e_grad),
    "BesselY0": ("y0", _y0_grad),
    "BesselY1": ("y1", _y1_grad),
    "Dawsn": ("dawsn", _dawsn_grad),
    "Expint": ("expi", _expint_grad),
    "FresnelCos": (_fresnel(1), _fresnel_grad(_math.cos)),
    "FresnelSin": (_fresnel(0), _fresnel_grad(_math.sin)),
    "Spence": ("spence", _spence_grad),
}
for _type, (_fn, _grad) in _UNARY.items():
    register_op(
        OpDef(
            _type,
            inputs=["x: T"],
            outputs=["y: T"],
            types={"T": _FLOAT},
            infer=lambda x: TensorSpec(x.dtype, x.shape),
            kernel=_typed(_fn) if isinstance(_fn, str) else _fn,
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
bessel_j0 = _unary_fn("BesselJ0", "The Bessel function of the first kind J0, elementwise.")
bessel_j1 = _unary_fn("BesselJ1", "The Bessel function of the first kind J1, elementwise.")
bessel_k0 = _unary_fn("BesselK0", "The modified Bessel function K0, elementwise.")
bessel_k0e = _unary_fn("BesselK0e", "exp(x) K0(x), elementwise.")
bessel_k1 = _unary_fn("BesselK1", "The modified Bessel function K1, elementwise.")
bessel_k1e = _unary_fn("BesselK1e", "exp(x) K1(x), elementwise.")
bessel_y0 = _unary_fn("BesselY0", "The Bessel function of the second kind Y0, elementwise.")
bessel_y1 = _unary_fn("BesselY1", "The Bessel function of the second kind Y1, elementwise.")
dawsn = _unary_fn("Dawsn", "Dawson's integral exp(-x^2) * integral_0^x exp(t^2) dt.")
expint = _unary_fn("Expint", "The exponential integral Ei(x), elementwise.")
fresnel_cos = _unary_fn("FresnelCos", "integral_0^x cos(pi t^2 / 2) dt, elementwise.")
fresnel_sin = _unary_fn("FresnelSin", "integral_0^x sin(pi t^2 / 2) dt, elementwise.")
spence = _unary_fn("Spence", "Spence's integral integral_1^x log(t) / (1 - t) dt.")


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
