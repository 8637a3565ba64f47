"""Stateless random ops (`tf.random.stateless_*`): the same draws for the same `seed` (a
pair of integers, a tensor) and shape, on every run and every process, with no state kept.
One op, StatelessRandom, draws the standard variates from numpy's Philox generator keyed by
the seed; the distributions' parameters are applied by graph ops as TF does (so normal and
uniform draws are differentiable in their parameters, gamma by its implicit
reparameterization). The values are psflow's own: the same seed gives different numbers
than in TensorFlow, whose Philox stream psflow does not reproduce."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math
from .random import _gamma_grad, _shape_infer, _shape_tuple

_INDEX = (_dt.int32, _dt.int64)
_M64 = (1 << 64) - 1


def _generator(seed) -> np.random.Generator:
    seed = np.asarray(seed).ravel()
    if seed.size != 2:
        raise InvalidArgumentError(None, None, f"seed must have shape [2], not {list(seed.shape)}")
    key = [int(s) & _M64 for s in seed.tolist()]
    return np.random.Generator(np.random.Philox(key=key))


def _draw(kind, gen, shape, params, dtype):
    if kind == "uniform":
        return gen.random(shape).astype(dtype)
    if kind == "normal":
        return gen.standard_normal(shape).astype(dtype)
    if kind == "truncated_normal":
        out = gen.standard_normal(shape)
        bad = np.abs(out) > 2
        while bad.any():
            out[bad] = gen.standard_normal(int(bad.sum()))
            bad = np.abs(out) > 2
        return out.astype(dtype)
    if kind == "uniform_int":
        lo, hi = (int(np.asarray(p)) for p in params)
        if lo >= hi:
            raise InvalidArgumentError(None, None, f"Need minval < maxval, got {lo} >= {hi}")
        return gen.integers(lo, hi, shape, dtype=np.int64).astype(dtype)
    if kind == "gamma":
        alpha = np.broadcast_to(np.asarray(params[0]), shape)
        return gen.standard_gamma(alpha).astype(dtype)
    if kind == "poisson":
        return gen.poisson(np.broadcast_to(np.asarray(params[0]), shape)).astype(dtype)
    if kind == "binomial":
        counts, probs = (np.broadcast_to(np.asarray(p, np.float64), shape) for p in params)
        return gen.binomial(counts.astype(np.int64), probs).astype(dtype)
    if kind == "categorical":
        logits, num = np.asarray(params[0], np.float64), int(np.asarray(params[1]))
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        cdf = np.cumsum(p, axis=1)
        u = gen.random((logits.shape[0], num))
        picks = np.minimum((u[:, :, None] > cdf[:, None, :]).sum(axis=2), logits.shape[1] - 1)
        return picks.astype(dtype)
    raise InvalidArgumentError(None, None, f"Unknown stateless distribution {kind!r}")


def _stateless_kernel(shape, seed, *params, kind, dtype):
    dims = _shape_tuple(shape)
    return _draw(kind, _generator(seed), dims, params, _dt.as_dtype(dtype).np)


def _stateless_infer(shape, seed, *params, kind, dtype):
    if kind == "categorical":
        logits, num = params
        n = None if num.value is None else int(np.asarray(num.value))
        rows = logits.shape.as_list()[0] if logits.shape.ndims == 2 else None
        return TensorSpec(_dt.as_dtype(dtype), TensorShape([rows, n]))
    return _shape_infer(shape, _dt.as_dtype(dtype))


def _stateless_grad(op, grad):
    """Only gamma draws have a gradient (in alpha, the implicit one, as RandomGamma)."""
    if op.get_attr("kind") != "gamma":
        return [None] * len(op.inputs)

    class _AsGamma:  # RandomGamma's gradient reads inputs[1] (alpha) and outputs[0]
        inputs = [op.inputs[0], op.inputs[2]]
        outputs = op.outputs

    _, d_alpha = _gamma_grad(_AsGamma, grad)
    return [None, None, d_alpha]


register_op(
    OpDef(
        "StatelessRandom",
        inputs=["shape: S", "seed: Tseed", "params: N*any"],
        outputs=["output: dtype"],
        types={"S": _INDEX, "Tseed": _INDEX},
        attrs={"kind": "uniform", "dtype": "float32"},
        infer=lambda shape, seed, params, **kw: _stateless_infer(shape, seed, *params, **kw),
        kernel=_stateless_kernel,
        grad=_stateless_grad,
    )
)


def _stateless(kind, shape, seed, params, dtype):
    shape = convert_to_tensor(shape, dtype=_dt.int32)
    seed = convert_to_tensor(seed)
    if seed.dtype not in _INDEX:
        seed = _math.cast(seed, _dt.int64)
    attrs = {"kind": kind, "dtype": _dt.as_dtype(dtype).name}
    return apply_op("StatelessRandom", [shape, seed, list(params)], attrs).outputs[0]


def stateless_random_uniform(
    shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None, alg="auto_select"
) -> Tensor:
    """Uniform draws in [minval, maxval) (floats: maxval defaults to 1; integers need both
    bounds), determined by `seed` and the shape."""
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "stateless_random_uniform"):
        if dtype.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
            lo = convert_to_tensor(minval, dtype=dtype)
            hi = convert_to_tensor(maxval, dtype=dtype)
            return _stateless("uniform_int", shape, seed, [lo, hi], dtype)
        rnd = _stateless("uniform", shape, seed, [], dtype)
        maxval = 1 if maxval is None else maxval
        lo = convert_to_tensor(minval, dtype=dtype)
        hi = convert_to_tensor(maxval, dtype=dtype)
        return _math.add(_math.multiply(rnd, _math.subtract(hi, lo)), lo)


def stateless_random_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg="auto_select"
) -> Tensor:
    """Normal(mean, stddev) draws determined by `seed` and the shape."""
    with name_scope(name, "stateless_random_normal"):
        rnd = _stateless("normal", shape, seed, [], dtype)
        mean = convert_to_tensor(mean, dtype=rnd.dtype)
        stddev = convert_to_tensor(stddev, dtype=rnd.dtype)
        return _math.add(_math.multiply(rnd, stddev), mean)


def stateless_truncated_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg="auto_select"
) -> Tensor:
    """Normal(mean, stddev) draws within two standard deviations (redrawn beyond)."""
    with name_scope(name, "stateless_truncated_normal"):
        rnd = _stateless("truncated_normal", shape, seed, [], dtype)
        mean = convert_to_tensor(mean, dtype=rnd.dtype)
        stddev = convert_to_tensor(stddev, dtype=rnd.dtype)
        return _math.add(_math.multiply(rnd, stddev), mean)


def stateless_parameterized_truncated_normal(
    shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0, name=None
) -> Tensor:
    """Normal(means, stddevs) draws truncated to [minvals, maxvals] (by the inverse CDF of
    a stateless uniform draw, so differentiable in the parameters)."""
    from .special import erf, ndtri

    with name_scope(name, "stateless_parameterized_truncated_normal"):
        means = convert_to_tensor(means, preferred_dtype=_dt.float32)
        if not means.dtype.is_floating:
            means = _math.cast(means, _dt.float32)
        dtype = means.dtype
        stddevs, minvals, maxvals = (
            convert_to_tensor(v, dtype=dtype) for v in (stddevs, minvals, maxvals)
        )
        u = _stateless("uniform", shape, seed, [], dtype)
        root2 = _math.sqrt(convert_to_tensor(2.0, dtype=dtype))

        def cdf(v):
            z = _math.real_div(_math.subtract(v, means), stddevs)
            return _math.multiply(_math.add(erf(_math.real_div(z, root2)), 1.0), 0.5)

        lo, hi = cdf(minvals), cdf(maxvals)
        p = _math.add(lo, _math.multiply(u, _math.subtract(hi, lo)))
        eps = convert_to_tensor(np.finfo(dtype.np).tiny, dtype=dtype)
        p = _math.minimum(_math.maximum(p, eps), _math.subtract(1.0, eps))
        return _math.add(means, _math.multiply(stddevs, ndtri(p)))


def stateless_random_gamma(shape, seed, alpha, beta=None, dtype=_dt.float32, name=None) -> Tensor:
    """Gamma(alpha, beta) draws (beta the rate), differentiable in alpha and beta."""
    with name_scope(name, "stateless_random_gamma"):
        dtype = _dt.as_dtype(dtype)
        alpha = convert_to_tensor(alpha, dtype=dtype)
        if beta is not None:
            beta = convert_to_tensor(beta, dtype=dtype)
            alpha = _math.add(alpha, _array.zeros_like(beta))
        sample = _stateless("gamma", shape, seed, [alpha], dtype)
        return sample if beta is None else _math.real_div(sample, beta)


def stateless_random_poisson(shape, seed, lam, dtype=_dt.int32, name=None) -> Tensor:
    """Poisson(lam) draws determined by `seed` and the shape."""
    with name_scope(name, "stateless_random_poisson"):
        return _stateless("poisson", shape, seed, [convert_to_tensor(lam)], dtype)


def stateless_random_binomial(
    shape, seed, counts, probs, output_dtype=_dt.int32, name=None
) -> Tensor:
    """Binomial(counts, probs) draws determined by `seed` and the shape."""
    with name_scope(name, "stateless_random_binomial"):
        params = [convert_to_tensor(counts), convert_to_tensor(probs)]
        return _stateless("binomial", shape, seed, params, output_dtype)


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None) -> Tensor:
    """num_samples class indices per row of `logits`, determined by `seed`."""
    with name_scope(name, "stateless_categorical"):
        logits = convert_to_tensor(logits)
        num = convert_to_tensor(num_samples, dtype=_dt.int32)
        return _stateless("categorical", [0], seed, [logits, num], dtype)


def stateless_multinomial(logits, num_samples, seed, output_dtype=_dt.int64, name=None) -> Tensor:
    """stateless_categorical under its TF 1.x name."""
    return stateless_categorical(logits, num_samples, seed, output_dtype, name)
