"""Random ops with TF1's seed semantics.

`tf.set_random_seed(s)` sets the graph-level seed; an op's `seed=` the op-level one. As in
TF1 (`get_seed`): both set -> (graph, op); only the graph seed -> (graph, the op's creation
index); only the op seed -> (a fixed default graph seed, op); neither -> fresh entropy.
Each op draws from its own generator, created on first use from its (seed, seed2) and
kept by the VariableStore of the process running it (keyed by op name), so a run of the
same program in a fresh session reproduces the same values step after step, and the
sequence continues across run signatures as TF1's kernel cache does.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, get_default_graph, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, math as _math

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
_INDEX = (_dt.int32, _dt.int64)


def set_random_seed(seed) -> None:
    """Sets the graph-level random seed of the default graph."""
    get_default_graph().seed = seed


def get_seed(op_seed):
    """(seed, seed2) for an op, from the graph-level and op-level seeds (TF1's rules)."""
    graph_seed = get_default_graph().seed
    if graph_seed is not None:
        if op_seed is None:
            op_seed = get_default_graph().version
        seeds = (int(graph_seed), int(op_seed))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, int(op_seed))
    else:
        return None, None
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def generator(state, op_name: str, seed: int, seed2: int) -> np.random.Generator:
    """The op's generator in the running process's store, created on first use."""
    return state.store.generator(op_name, seed, seed2)


def _shape_infer(shape, dtype):
    value = shape.value
    if value is None:
        n = shape.shape.as_list()[0] if shape.shape.ndims == 1 else None
        return TensorSpec(dtype, TensorShape(None if n is None else [None] * n))
    return TensorSpec(dtype, TensorShape([int(d) for d in np.ravel(value)]))


def _random_infer(shape, *, dtype, seed, seed2):
    return _shape_infer(shape, _dt.as_dtype(dtype))


def _shape_tuple(shape):
    dims = tuple(int(d) for d in np.ravel(shape))
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(None, None, f"Dimension -1 must be >= 0; shape {list(dims)}")
    return dims


def _normal_kernel(state, shape, *, dtype, seed, seed2, op_name):
    gen = generator(state, op_name, seed, seed2)
    return gen.standard_normal(_shape_tuple(shape)).astype(dtype)


def _uniform_kernel(state, shape, *, dtype, seed, seed2, op_name):
    gen = generator(state, op_name, seed, seed2)
    return gen.random(_shape_tuple(shape)).astype(dtype)


def _truncated_kernel(state, shape, *, dtype, seed, seed2, op_name):
    """Standard normal values, redrawn where |x| > 2 (TF's truncation)."""
    gen = generator(state, op_name, seed, seed2)
    out = gen.standard_normal(_shape_tuple(shape))
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out.astype(dtype)


def _prepare_dtype(kw):
    return {**kw, "dtype": _dt.as_dtype(kw["dtype"]).np}


for _type, _kernel in (
    ("RandomStandardNormal", _normal_kernel),
    ("RandomUniform", _uniform_kernel),
    ("TruncatedNormal", _truncated_kernel),
):
    register_op(
        OpDef(
            _type,
            inputs=["shape: T"],
            outputs=["output: dtype"],
            types={"T": _INDEX},
            attrs={"dtype": None, "seed": 0, "seed2": 0},
            infer=_random_infer,
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
            keeps_op_state=True,
            prepare=_prepare_dtype,
        )
    )


def _seed_attrs(seed):
    s1, s2 = get_seed(seed)
    return {"seed": s1 or 0, "seed2": s2 or 0}


def _draw(op_type, shape, dtype, seed, name):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype!r} for {op_type}: a float type is needed")
    shape = convert_to_tensor(shape, dtype=_dt.int32) if not isinstance(shape, Tensor) else shape
    return apply_op(
        op_type, [shape], {"dtype": dtype.name, **_seed_attrs(seed)}, name=name
    ).outputs[0]


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None) -> Tensor:
    """Values from a normal distribution."""
    with name_scope(name, "random_normal") as scope:
        rnd = _draw("RandomStandardNormal", shape, dtype, seed, None)
        return _scale(rnd, mean, stddev, scope)


def truncated_normal(
    shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None
) -> Tensor:
    """Normal values redrawn beyond two standard deviations."""
    with name_scope(name, "truncated_normal") as scope:
        rnd = _draw("TruncatedNormal", shape, dtype, seed, None)
        return _scale(rnd, mean, stddev, scope)


def _scale(rnd, mean, stddev, scope):
    mul = _math.multiply(rnd, convert_to_tensor(stddev, dtype=rnd.dtype, name="stddev"))
    return _math.add(
        mul,
        convert_to_tensor(mean, dtype=rnd.dtype, name="mean"),
        name=scope[:-1] + "/" if scope else None,
    )


def random_uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None) -> Tensor:
    """Values uniform in [minval, maxval) (maxval defaults to 1 for floats)."""
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "random_uniform") as scope:
        if dtype.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
            shape = (
                convert_to_tensor(shape, dtype=_dt.int32)
                if not isinstance(shape, Tensor)
                else shape
            )
            lo = convert_to_tensor(minval, dtype=dtype, name="min")
            hi = convert_to_tensor(maxval, dtype=dtype, name="max")
            return apply_op(
                "RandomUniformInt", [shape, lo, hi], _seed_attrs(seed), name=scope[:-1] + "/"
            ).outputs[0]
        rnd = _draw("RandomUniform", shape, dtype, seed, None)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        return _math.add(_math.multiply(rnd, _math.subtract(hi, lo)), lo, name=scope[:-1] + "/")


def _uniform_int_infer(shape, minval, maxval, *, seed, seed2):
    return _shape_infer(shape, minval.dtype)


def _uniform_int_kernel(state, shape, minval, maxval, *, seed, seed2, op_name):
    if not minval < maxval:
        raise InvalidArgumentError(None, None, f"Need minval < maxval: {minval} >= {maxval}")
    gen = generator(state, op_name, seed, seed2)
    return gen.integers(minval, maxval, _shape_tuple(shape)).astype(np.asarray(minval).dtype)


register_op(
    OpDef(
        "RandomUniformInt",
        inputs=["shape: T", "minval: Tout", "maxval: Tout"],
        outputs=["output: Tout"],
        types={"T": _INDEX, "Tout": _INDEX},
        attrs={"seed": 0, "seed2": 0},
        infer=_uniform_int_infer,
        kernel=_uniform_int_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def _shuffle_kernel(state, value, *, seed, seed2, op_name):
    gen = generator(state, op_name, seed, seed2)
    if np.ndim(value) == 0:
        return value
    return value[gen.permutation(len(value))]


register_op(
    OpDef(
        "RandomShuffle",
        inputs=["value: T"],
        outputs=["output: T"],
        types={"T": ()},
        attrs={"seed": 0, "seed2": 0},
        infer=lambda value, **_: TensorSpec(value.dtype, value.shape),
        kernel=_shuffle_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def random_shuffle(value, seed=None, name=None) -> Tensor:
    """`value` with its first dimension shuffled."""
    return apply_op("RandomShuffle", [value], _seed_attrs(seed), name=name).outputs[0]


def _multinomial_infer(logits, num_samples, *, seed, seed2, output_dtype):
    batch = logits.shape.as_list()[:1] if logits.shape.ndims else [None]
    n = None if num_samples.value is None else int(num_samples.value)
    if logits.shape.ndims is not None and logits.shape.ndims != 2:
        raise ValueError(f"logits should be a matrix, got shape {logits.shape}")
    return TensorSpec(_dt.as_dtype(output_dtype), TensorShape(batch + [n]))


def _multinomial_kernel(state, logits, num_samples, *, seed, seed2, output_dtype, op_name):
    if logits.ndim != 2:
        raise InvalidArgumentError(
            None, None, f"logits should be a matrix, got shape {list(logits.shape)}"
        )
    gen = generator(state, op_name, seed, seed2)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    draws = gen.random((logits.shape[0], int(num_samples)))
    out = np.empty(draws.shape, dtype=output_dtype)
    for i in range(logits.shape[0]):
        out[i] = np.minimum(np.searchsorted(cdf[i], draws[i], side="right"), logits.shape[1] - 1)
    return out


register_op(
    OpDef(
        "Multinomial",
        inputs=["logits: T", "num_samples: int32"],
        outputs=["output: output_dtype"],
        types={"T": _dt.FLOATS},
        attrs={"seed": 0, "seed2": 0, "output_dtype": "int64"},
        infer=_multinomial_infer,
        kernel=_multinomial_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
        prepare=lambda kw: {**kw, "output_dtype": np.dtype(kw["output_dtype"])},
    )
)


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None) -> Tensor:
    """`num_samples` class indices per row, drawn with probabilities softmax(logits)."""
    attrs = {**_seed_attrs(seed), "output_dtype": _dt.as_dtype(output_dtype or _dt.int64).name}
    return apply_op("Multinomial", [logits, num_samples], attrs, name=name).outputs[0]


def _orthogonal_kernel(state, shape, *, dtype, gain, seed, seed2, op_name):
    gen = generator(state, op_name, seed, seed2)
    dims = [int(d) for d in shape]
    rows, cols = int(np.prod(dims[:-1])), dims[-1]
    flat = gen.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(dims).astype(dtype)


register_op(
    OpDef(
        "RandomOrthogonal",
        inputs=["shape: int32"],
        outputs=["output: dtype"],
        attrs={"dtype": None, "gain": 1.0, "seed": 0, "seed2": 0},
        infer=lambda shape, *, dtype, **_: _shape_infer(shape, _dt.as_dtype(dtype)),
        kernel=_orthogonal_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
        prepare=_prepare_dtype,
    )
)


# Gamma and Poisson draws --------------------------------------------------------------------------
def _params_infer(shape, param, *, seed=0, seed2=0, dtype=None, **_):
    out = _shape_infer(shape, _dt.as_dtype(dtype) if dtype else param.dtype)
    if out.shape.ndims is None or param.shape.ndims is None:
        return TensorSpec(out.dtype, TensorShape(None))
    return TensorSpec(out.dtype, TensorShape(out.shape.as_list() + param.shape.as_list()))


def _gamma_kernel(state, shape, alpha, *, seed, seed2, op_name):
    gen = generator(state, op_name, seed, seed2)
    alpha = np.asarray(alpha)
    out = gen.standard_gamma(alpha, size=_shape_tuple(shape) + alpha.shape)
    return out.astype(alpha.dtype)


def _gamma_grad_kernel(alpha, sample):
    """d sample / d alpha at fixed uniform noise (implicit reparameterization): -(dF/dalpha)
    / f, F the Gamma(alpha, 1) CDF (its alpha-derivative by central differences)."""
    from scipy import special, stats

    a = np.broadcast_to(np.asarray(alpha, np.float64), np.shape(sample))
    x = np.asarray(sample, np.float64)
    h = 1e-5 * np.maximum(a, 1.0)
    d_cdf = (special.gammainc(a + h, x) - special.gammainc(a - h, x)) / (2 * h)
    pdf = stats.gamma.pdf(x, a)
    return (-d_cdf / np.maximum(pdf, np.finfo(np.float64).tiny)).astype(np.asarray(sample).dtype)


def _gamma_grad(op, grad):
    alpha = op.inputs[1]
    partial = apply_op("RandomGammaGrad", [alpha, op.outputs[0]]).outputs[0]
    extra = (op.outputs[0].shape.ndims or 0) - (alpha.shape.ndims or 0)
    d_alpha = _math.reduce_sum(grad * partial, axis=list(range(extra))) if extra else grad * partial
    return [None, d_alpha]


register_op(
    OpDef(
        "RandomGamma",
        inputs=["shape: S", "alpha: T"],
        outputs=["output: T"],
        types={"S": _INDEX, "T": _dt.FLOATS},
        attrs={"seed": 0, "seed2": 0},
        infer=_params_infer,
        kernel=_gamma_kernel,
        grad=_gamma_grad,
        stateful=True,
        keeps_op_state=True,
    )
)
register_op(
    OpDef(
        "RandomGammaGrad",
        inputs=["alpha: T", "sample: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        infer=lambda alpha, sample: TensorSpec(sample.dtype, sample.shape),
        kernel=_gamma_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def random_gamma(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None) -> Tensor:
    """Gamma(alpha, beta) draws of shape `shape` + the broadcast shape of alpha and beta
    (beta is the rate: the mean is alpha / beta); differentiable in alpha and beta (the
    implicit reparameterization gradient, as TF)."""
    with name_scope(name, "random_gamma"):
        dtype = _dt.as_dtype(dtype)
        alpha = convert_to_tensor(alpha, dtype=dtype)
        if beta is not None:
            beta = convert_to_tensor(beta, dtype=dtype)
            alpha = alpha + _array.zeros_like(beta)
        shape = convert_to_tensor(shape, dtype=_dt.int32)
        sample = apply_op("RandomGamma", [shape, alpha], _seed_attrs(seed)).outputs[0]
        return sample if beta is None else sample / beta


def _poisson_kernel(state, shape, rate, *, seed, seed2, dtype, op_name):
    gen = generator(state, op_name, seed, seed2)
    rate = np.asarray(rate)
    return gen.poisson(rate, size=_shape_tuple(shape) + rate.shape).astype(_dt.as_dtype(dtype).np)


register_op(
    OpDef(
        "RandomPoissonV2",
        inputs=["shape: S", "rate: R"],
        outputs=["output: dtype"],
        types={"S": _INDEX, "R": _dt.FLOATS + (_dt.int32, _dt.int64)},
        attrs={"seed": 0, "seed2": 0, "dtype": "float32"},
        infer=_params_infer,
        kernel=_poisson_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def random_poisson(lam, shape, dtype=_dt.float32, seed=None, name=None) -> Tensor:
    """Poisson(lam) draws of shape `shape` + lam's shape (not differentiable, as in TF)."""
    lam = convert_to_tensor(lam)
    shape = convert_to_tensor(shape, dtype=_dt.int32)
    attrs = {"dtype": _dt.as_dtype(dtype).name, **_seed_attrs(seed)}
    return apply_op("RandomPoissonV2", [shape, lam], attrs, name=name or "random_poisson").outputs[
        0
    ]
