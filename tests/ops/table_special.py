"""Op table, special functions (graph/ops/special.py, on scipy.special: references from
Python's own math and statistics modules and plain series, independent of scipy) and the
Cholesky-based linear algebra (graph/ops/linalg.py, against numpy)."""

from __future__ import annotations

import math
import statistics

import numpy as np
from psflow.graph.ops import linalg, special

import psflow as tf

from .table import Row

F64 = np.float64
X = np.array([[0.1, 0.5, 1.5], [2.0, 3.5, 0.8]], F64)
U = np.array([[-0.9, -0.3, 0.1], [0.4, 0.7, 0.95]], F64)  # in (-1, 1)
P = (U + 1) / 2  # in (0, 1)


def _each(fn):
    """fn elementwise in float64, in the first input's dtype."""
    return lambda *a: np.vectorize(fn, otypes=[F64])(*a).astype(np.asarray(a[0]).dtype)


def _digamma(x):
    h = 1e-5
    return (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)


def _trigamma(x):
    total = 0.0
    while x < 20:  # recurrence, then the asymptotic series
        total += 1 / (x * x)
        x += 1
    return total + 1 / x + 1 / (2 * x**2) + 1 / (6 * x**3) - 1 / (30 * x**5) + 1 / (42 * x**7)


def _erfinv(y):
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


def _bessel_i(order, x):
    return sum((x / 2) ** (2 * k + order) / (math.factorial(k) * math.factorial(k + order))
               for k in range(40))  # fmt: skip


def _rows(name, fn, ref, x):
    return [Row(f"{name}-float32", fn, ref, [x.astype(np.float32)], grad=False, rtol=1e-4),
            Row(f"{name}-float64", fn, ref, [x])]  # fmt: skip


ROWS: list[Row] = []
ROWS += _rows("Erf", special.erf, _each(math.erf), U * 2)
ROWS += _rows("Erfc", special.erfc, _each(math.erfc), U * 2)
ROWS += _rows("Erfinv", special.erfinv, _each(_erfinv), U)
ROWS += _rows("Ndtri", special.ndtri, _each(statistics.NormalDist().inv_cdf), P)
ROWS += _rows("Lgamma", special.lgamma, _each(math.lgamma), X)
ROWS += _rows("Digamma", special.digamma, _each(_digamma), X)
ROWS += _rows("BesselI0", special.bessel_i0, _each(lambda x: _bessel_i(0, x)), U * 3)
ROWS += _rows("BesselI1", special.bessel_i1, _each(lambda x: _bessel_i(1, x)), U * 3)
ROWS += _rows("BesselI0e", special.bessel_i0e,
              _each(lambda x: math.exp(-abs(x)) * _bessel_i(0, x)), U * 3)  # fmt: skip
ROWS += _rows("BesselI1e", special.bessel_i1e,
              _each(lambda x: math.exp(-abs(x)) * _bessel_i(1, x)), U * 3)  # fmt: skip


def _simpson(f, a, b, n=4000):
    t = np.linspace(a, b, n + 1)
    w = np.ones(n + 1)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return float((b - a) / (3 * n) * np.sum(w * f(t)))


def _bessel_j(order, x):  # (1/pi) int_0^pi cos(n t - x sin t) dt
    return _simpson(lambda t: np.cos(order * t - x * np.sin(t)), 0, np.pi) / np.pi


def _bessel_k(order, x):  # int_0^inf exp(-x cosh t) cosh(n t) dt
    return _simpson(lambda t: np.exp(-x * np.cosh(t)) * np.cosh(order * t), 0, 12)


def _bessel_y(order, x):
    first = _simpson(lambda t: np.sin(x * np.sin(t) - order * t), 0, np.pi)
    second = _simpson(lambda t: (np.exp(order * t) + (-1) ** order * np.exp(-order * t))
                      * np.exp(-x * np.sinh(t)), 0, 12)  # fmt: skip
    return (first - second) / np.pi


def _expint(x):  # Ei(x) = gamma + ln|x| + sum x^k / (k k!)
    return (
        0.5772156649015329
        + math.log(abs(x))
        + sum(x**k / (k * math.factorial(k)) for k in range(1, 60))
    )


def _spence_integrand(t):  # log(t) / (1 - t), -1 at t = 1
    return np.where(t == 1, -1.0, np.log(t) / np.where(t == 1, 2.0, 1 - t))


Q = np.array([[0.2, 0.7, 1.0], [1.6, 2.5, 3.3]], F64)  # in (0, 4)
ROWS += _rows("BesselJ0", special.bessel_j0, _each(lambda x: _bessel_j(0, x)), U * 3)
ROWS += _rows("BesselJ1", special.bessel_j1, _each(lambda x: _bessel_j(1, x)), U * 3)
ROWS += _rows("BesselK0", special.bessel_k0, _each(lambda x: _bessel_k(0, x)), Q)
ROWS += _rows("BesselK1", special.bessel_k1, _each(lambda x: _bessel_k(1, x)), Q)
ROWS += _rows("BesselK0e", special.bessel_k0e, _each(lambda x: math.exp(x) * _bessel_k(0, x)), Q)
ROWS += _rows("BesselK1e", special.bessel_k1e, _each(lambda x: math.exp(x) * _bessel_k(1, x)), Q)
ROWS += _rows("BesselY0", special.bessel_y0, _each(lambda x: _bessel_y(0, x)), Q)
ROWS += _rows("BesselY1", special.bessel_y1, _each(lambda x: _bessel_y(1, x)), Q)
ROWS += _rows(
    "Dawsn",
    special.dawsn,
    _each(lambda x: math.exp(-x * x) * _simpson(lambda t: np.exp(t * t), 0, x)),
    U * 3,
)
ROWS += _rows("Expint", special.expint, _each(_expint), Q)
ROWS += _rows(
    "FresnelCos",
    special.fresnel_cos,
    _each(lambda x: _simpson(lambda t: np.cos(np.pi * t * t / 2), 0, x)),
    U * 3,
)
ROWS += _rows(
    "FresnelSin",
    special.fresnel_sin,
    _each(lambda x: _simpson(lambda t: np.sin(np.pi * t * t / 2), 0, x)),
    U * 3,
)
ROWS += _rows("Spence", special.spence, _each(lambda x: _simpson(_spence_integrand, 1, x)), Q)
ROWS += [
    Row("Polygamma-1-float64", lambda x: special.polygamma(np.ones_like(X), x),
        _each(_trigamma), [X]),
    Row("Xlog1py-float64", special.xlog1py, lambda x, y: x * np.log1p(y),
        [X, P], diff=[0, 1]),
    Row("Xlog1py-zero-x-float64", special.xlog1py,
        lambda x, y: np.where(x == 0, 0.0, x * np.log1p(y)), [np.zeros((2, 3)), P], grad=False),
]  # fmt: skip

# Cholesky, triangular solves and what builds on them (graph/ops/linalg.py), against numpy.
_A = np.array([[0.9, 0.2, -0.3], [0.1, 1.1, 0.4], [-0.2, 0.3, 0.8]], F64)
_B = np.array([[1.0, -0.5], [0.3, 0.2], [-0.7, 0.9]], F64)


def _spd(x):
    """x x^T + 3 I: positive definite for any x, and symmetric in the gradient check."""
    return tf.matmul(x, x, transpose_b=True) + 3.0 * np.eye(3)


def _spd_np(x):
    return x @ x.T + 3.0 * np.eye(3)


ROWS += [
    Row("Cholesky-float64", lambda x: linalg.cholesky(_spd(x)),
        lambda x: np.linalg.cholesky(_spd_np(x)), [_A]),
    Row("MatrixTriangularSolve-lower-float64", linalg.matrix_triangular_solve,
        lambda a, b: np.linalg.solve(np.tril(a), b), [_A + 2 * np.eye(3), _B]),
    Row("MatrixTriangularSolve-upper-adjoint-float64",
        lambda a, b: linalg.matrix_triangular_solve(a, b, lower=False, adjoint=True),
        lambda a, b: np.linalg.solve(np.triu(a).T, b), [_A + 2 * np.eye(3), _B]),
    Row("cholesky_solve-float64", lambda x, b: linalg.cholesky_solve(linalg.cholesky(_spd(x)), b),
        lambda x, b: np.linalg.solve(_spd_np(x), b), [_A, _B]),
    Row("matrix_solve_ls-float64", linalg.matrix_solve_ls,
        lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
        [np.vstack([_A, _A[:2] * 0.5]), np.vstack([_B, _B[:2]])]),
    Row("LogMatrixDeterminant-float64", lambda x: linalg.slogdet(x)[1],
        lambda x: np.linalg.slogdet(x)[1], [_A + np.eye(3)]),
    Row("matrix_set_diag-float64", linalg.matrix_set_diag,
        lambda x, d: x - np.diag(np.diag(x)) + np.diag(d), [_A, np.array([1.0, 2.0, 3.0])]),
]  # fmt: skip


# Incomplete gamma and beta functions, Hurwitz zeta: references from series.
def _igamma_series(a, x):
    term = total = 1.0 / math.gamma(a + 1)
    for n in range(1, 200):
        term *= x / (a + n)
        total += term
    return x**a * math.exp(-x) * total


def _hurwitz(s, q, n=2000):
    head = sum((q + k) ** -s for k in range(n))
    return head + (q + n) ** (1 - s) / (s - 1) + (q + n) ** -s / 2 + s * (q + n) ** (-s - 1) / 12


def _betainc_int(a, b, x):
    """I_x(a, b) for whole a, b: a binomial tail."""
    m = int(a + b - 1)
    return sum(math.comb(m, j) * x**j * (1 - x) ** (m - j) for j in range(int(a), m + 1))


_A_G = np.array([[0.5, 1.0, 2.5], [3.0, 1.5, 0.8]], F64)
_X_G = np.array([[0.3, 1.2, 2.0], [4.0, 0.7, 1.1]], F64)
_AB = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 1.0]], F64)
ROWS += [
    Row("Igamma-float64", special.igamma, _each(_igamma_series), [_A_G, _X_G], diff=[1]),
    Row("Igammac-float64", special.igammac, _each(lambda a, x: 1 - _igamma_series(a, x)),
        [_A_G, _X_G], diff=[1]),
    Row("Igamma-float32", special.igamma, _each(_igamma_series),
        [_A_G.astype(np.float32), _X_G.astype(np.float32)], grad=False, rtol=1e-4),
    Row("Zeta-float64", special.zeta, _each(_hurwitz), [_A_G + 1.5, _X_G], diff=[1]),
    Row("Betainc-float64", special.betainc, _each(_betainc_int), [_AB, _AB[::-1], P * 0.9],
        diff=[2]),
    Row("lbeta-float64", special.lbeta,
        lambda x: np.array([sum(math.lgamma(v) for v in r) - math.lgamma(sum(r)) for r in x]),
        [X + 0.5]),
    Row("erfcinv-float64", special.erfcinv, _each(lambda y: _erfinv(1 - y)), [P * 1.8 + 0.05]),
]  # fmt: skip

# Decompositions and matrix functions (graph/ops/linalg_more.py): numpy's and scipy's values
# (the same LAPACK routines, so the same signs), finite-difference gradients.
from psflow.graph.ops import linalg_more  # noqa: E402

_T = np.array([[0.9, 0.2, -0.3], [0.1, 1.1, 0.4], [-0.2, 0.3, 0.8], [0.5, -0.6, 0.1]], F64)
_W = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0], [1.5, 0.3, 0.7]], F64)


def _sym(x):
    return tf.matmul(x, x, transpose_b=True) + tf.matrix_transpose(x) + x


def _sym_np(x):
    return x @ x.T + x.T + x


def _expm_np(x):
    from scipy.linalg import expm

    return expm(x)


def _sqrtm_np(x):
    from scipy.linalg import sqrtm

    return np.real(sqrtm(x))


ROWS += [
    Row("SelfAdjointEigV2-values-float64", lambda x: linalg_more.self_adjoint_eig(_sym(x))[0],
        lambda x: np.linalg.eigh(_sym_np(x))[0], [_A]),
    Row("SelfAdjointEigV2-vectors-float64",
        lambda x: linalg_more.self_adjoint_eig(_sym(x))[1] * _W,
        lambda x: np.linalg.eigh(_sym_np(x))[1] * _W, [_A]),
    Row("SelfAdjointEigV2-eigvalsh-float32",
        lambda x: linalg_more.self_adjoint_eigvals(x + tf.matrix_transpose(x)),
        lambda x: np.linalg.eigvalsh(x + x.T), [_A.astype(np.float32)], grad=False, rtol=1e-4),
    Row("Qr-r-float64", lambda x: linalg_more.qr(x)[1], lambda x: np.linalg.qr(x)[1], [_T]),
    Row("Qr-q-float64", lambda x: linalg_more.qr(x)[0] * _W[:, :1].T,
        lambda x: np.linalg.qr(x)[0] * _W[:, :1].T, [_T]),
    Row("Qr-full-square-float64", lambda x: linalg_more.qr(x, full_matrices=True)[0],
        lambda x: np.linalg.qr(x, mode="complete")[0], [_A]),
    Row("Svd-values-float64", lambda x: linalg_more.svd(x, compute_uv=False),
        lambda x: np.linalg.svd(x, compute_uv=False), [_T]),
    Row("Svd-u-float64", lambda x: linalg_more.svd(x)[1] * _W[:, :1].T,
        lambda x: np.linalg.svd(x, full_matrices=False)[0] * _W[:, :1].T, [_T]),
    Row("Svd-v-wide-float64", lambda x: linalg_more.svd(tf.matrix_transpose(x))[2] * _W[:, :1].T,
        lambda x: np.linalg.svd(x.T, full_matrices=False)[2].T * _W[:, :1].T, [_T]),
    Row("matrix_rank-float64", linalg_more.matrix_rank,
        lambda x: np.int32(np.linalg.matrix_rank(x)),
        [np.array([[1.0, 2.0], [2.0, 4.0]])], grad=False),
    Row("pinv-float64", linalg_more.pinv, np.linalg.pinv, [_T]),
    Row("MatrixExponential-float64", lambda x: linalg_more.matrix_exponential(x * 0.5),
        lambda x: _expm_np(x * 0.5), [_A]),
    Row("MatrixSquareRoot-float64", lambda x: linalg_more.matrix_square_root(_spd(x)),
        lambda x: _sqrtm_np(_spd_np(x)), [_A]),
    Row("tridiagonal_matmul-float64", linalg_more.tridiagonal_matmul,
        lambda d, b: (np.diag(d[1]) + np.diag(d[0, :-1], 1) + np.diag(d[2, 1:], -1)) @ b,
        [np.array([[1.0, 2, 3, 0], [4, 5, 6, 7], [0, 8, 9, 10]]) * 0.1,
         np.arange(8.0).reshape(4, 2)]),
    Row("tridiagonal_solve-float64", linalg_more.tridiagonal_solve,
        lambda d, b: np.linalg.solve(np.diag(d[1]) + np.diag(d[0, :-1], 1)
                                     + np.diag(d[2, 1:], -1), b),
        [np.array([[1.0, 2, 3, 0], [4, 5, 6, 7], [0, 8, 9, 10]]) * 0.1,
         np.arange(8.0).reshape(4, 2)]),
]  # fmt: skip
