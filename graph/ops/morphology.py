"""Grayscale morphology and fractional pooling, as TF's kernels: Dilation2D (with its two
backprops: the gradient goes to the tap that won each max), erosion2d (a dilation of the
negated input by the reflected filter), FractionalMaxPool / FractionalAvgPool (pooling
regions from a random or pseudo-random sequence, as TF generates them; the sequences are
outputs, so a step's regions are known) and their gradients."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import manip as _manip, math as _math
from .random import generator, get_seed

_REAL = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)


# Dilation2D ------------------------------------------------------------------------------------
def _window(size, k, stride, rate, padding):
    """(output size, padding before) of one spatial axis."""
    eff = (k - 1) * rate + 1
    if padding == "VALID":
        out = (size - eff) // stride + 1
        return max(out, 0), 0
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return out, total // 2


def _dilation_geometry(input_shape, filter_shape, strides, rates, padding):
    _, h, w, _ = input_shape
    kh, kw, _ = filter_shape
    oh, top = _window(h, kh, strides[1], rates[1], padding)
    ow, left = _window(w, kw, strides[2], rates[2], padding)
    return oh, ow, top, left


def _dilation_taps(x, f, strides, rates, padding):
    """[taps, B, OH, OW, C] of input + filter per tap (-inf outside the input), and the
    input rows and cols each tap reads."""
    b, h, w, c = x.shape
    kh, kw, _ = f.shape
    oh, ow, top, left = _dilation_geometry(x.shape, f.shape, strides, rates, padding)
    sh, sw = strides[1], strides[2]
    rh, rw = rates[1], rates[2]
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    bottom = max(0, (oh - 1) * sh + (kh - 1) * rh - top - (h - 1))
    right = max(0, (ow - 1) * sw + (kw - 1) * rw - left - (w - 1))
    padded = np.pad(
        x.astype(np.float64),
        ((0, 0), (top, bottom), (left, right), (0, 0)),
        constant_values=-np.inf,
    )
    taps = np.empty((kh * kw, b, oh, ow, c))
    rows_of, cols_of = [], []
    for dy in range(kh):
        for dx in range(kw):
            r0, c0 = dy * rh, dx * rw
            window = padded[:, r0 : r0 + (oh - 1) * sh + 1 : sh, c0 : c0 + (ow - 1) * sw + 1 : sw]
            taps[dy * kw + dx] = window + f[dy, dx].astype(np.float64)
            rows_of.append(np.arange(oh) * sh + r0 - top)
            cols_of.append(np.arange(ow) * sw + c0 - left)
    return taps, rows_of, cols_of, low


def _attrs(strides, rates, padding):
    return [int(s) for s in strides], [int(r) for r in rates], padding


def _dilation_kernel(input, filter, *, strides, rates, padding):  # noqa: A002
    strides, rates, padding = _attrs(strides, rates, padding)
    taps, _, _, low = _dilation_taps(input, filter, strides, rates, padding)
    out = taps.max(axis=0) if len(taps) else np.zeros(taps.shape[1:])
    out = np.where(np.isneginf(out), low, out)
    return out.astype(input.dtype)


def _winners(input, filter, strides, rates, padding):  # noqa: A002
    taps, rows_of, cols_of, _ = _dilation_taps(input, filter, strides, rates, padding)
    return taps.argmax(axis=0), rows_of, cols_of, filter.shape[1]


def _backprop_input_kernel(input, filter, out_backprop, *, strides, rates, padding):  # noqa: A002
    strides, rates, padding = _attrs(strides, rates, padding)
    win, rows_of, cols_of, kw = _winners(input, filter, strides, rates, padding)
    b, oh, ow, c = win.shape
    grad = np.zeros(input.shape, np.float64)
    bi, yi, xi, ci = np.indices(win.shape)
    tap = win
    rows = np.stack(rows_of)[tap, yi]
    cols = np.stack(cols_of)[tap, xi]
    inside = (rows >= 0) & (rows < input.shape[1]) & (cols >= 0) & (cols < input.shape[2])
    np.add.at(grad, (bi[inside], rows[inside], cols[inside], ci[inside]), out_backprop[inside])
    return grad.astype(input.dtype)


def _backprop_filter_kernel(input, filter, out_backprop, *, strides, rates, padding):  # noqa: A002
    strides, rates, padding = _attrs(strides, rates, padding)
    win, _, _, kw = _winners(input, filter, strides, rates, padding)
    grad = np.zeros(filter.shape, np.float64)
    ci = np.broadcast_to(np.arange(win.shape[-1]), win.shape)
    np.add.at(grad, (win // kw, win % kw, ci), out_backprop)
    return grad.astype(filter.dtype)


def _dilation_infer(input, filter, *, strides, rates, padding):  # noqa: A002
    if input.shape.ndims not in (None, 4):
        raise ValueError(f"input must be 4-dimensional for 'Dilation2D', got {input.shape}")
    if filter.shape.ndims not in (None, 3):
        raise ValueError(f"filter must be 3-dimensional for 'Dilation2D', got {filter.shape}")
    if input.shape.ndims is None or filter.shape.ndims is None:
        return TensorSpec(input.dtype, TensorShape(None))
    b, h, w, c = input.shape.as_list()
    kh, kw, fc = filter.shape.as_list()
    if c is not None and fc is not None and c != fc:
        raise ValueError(f"input and filter must have the same depth for 'Dilation2D': {c} vs {fc}")
    strides, rates, padding = _attrs(strides, rates, padding)
    dims = [b, None, None, c]
    if None not in (h, w, kh, kw):
        oh, ow, _, _ = _dilation_geometry((b, h, w, c), (kh, kw, c), strides, rates, padding)
        dims = [b, oh, ow, c]
    return TensorSpec(input.dtype, TensorShape(dims))


def _dilation_grad(op, grad):
    attrs = {k: op.get_attr(k) for k in ("strides", "rates", "padding")}
    x, f = op.inputs
    return [
        apply_op("Dilation2DBackpropInput", [x, f, grad], attrs).outputs[0],
        apply_op("Dilation2DBackpropFilter", [x, f, grad], attrs).outputs[0],
    ]


_DILATION_ATTRS = {"strides": None, "rates": None, "padding": "SAME"}
register_op(
    OpDef(
        "Dilation2D",
        inputs=["input: T", "filter: T"],
        outputs=["output: T"],
        types={"T": _REAL},
        attrs=dict(_DILATION_ATTRS),
        infer=_dilation_infer,
        kernel=_dilation_kernel,
        grad=_dilation_grad,
    )
)
for _type, _out, _like, _kernel in (
    ("Dilation2DBackpropInput", "in_backprop", 0, _backprop_input_kernel),
    ("Dilation2DBackpropFilter", "filter_backprop", 1, _backprop_filter_kernel),
):
    register_op(
        OpDef(
            _type,
            inputs=["input: T", "filter: T", "out_backprop: T"],
            outputs=[f"{_out}: T"],
            types={"T": _REAL},
            attrs=dict(_DILATION_ATTRS),
            infer=lambda *specs, _k=_like, **_: TensorSpec(specs[_k].dtype, specs[_k].shape),
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
        )
    )


def _check_4(name, values, what):
    values = [int(v) for v in values]
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        raise ValueError(f"{name}: {what} must be [1, r, c, 1], got {values}")
    return values


def dilation2d(
    input,
    filter=None,
    strides=None,
    rates=None,
    padding=None,
    name=None,  # noqa: A002
    filters=None,
    dilations=None,
) -> Tensor:
    """Grayscale dilation: out[b, y, x, c] = max over (dy, dx) of
    input[b, y*sy + dy*ry, x*sx + dx*rx, c] + filter[dy, dx, c] (NHWC; SAME or VALID)."""
    filter = filters if filter is None else filter
    rates = dilations if rates is None else rates
    if filter is None or strides is None or rates is None or padding is None:
        raise TypeError("dilation2d needs filter, strides, rates and padding")
    padding = padding.decode() if isinstance(padding, bytes) else str(padding)
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be SAME or VALID, got {padding!r}")
    attrs = {
        "strides": _check_4("dilation2d", strides, "strides"),
        "rates": _check_4("dilation2d", rates, "rates"),
        "padding": padding,
    }
    x = convert_to_tensor(input, name="input")
    f = convert_to_tensor(filter, dtype=x.dtype, name="filter")
    return apply_op("Dilation2D", [x, f], attrs, name=name).outputs[0]


def erosion2d(value, kernel, strides, rates, padding, name=None) -> Tensor:
    """Grayscale erosion: out[b, y, x, c] = min over (dy, dx) of
    value[b, y*sy + dy*ry, x*sx + dx*rx, c] - kernel[dy, dx, c]."""
    with name_scope(name, "erosion2d"):
        value = convert_to_tensor(value, name="value")
        kernel = convert_to_tensor(kernel, dtype=value.dtype, name="kernel")
        flipped = _manip.reverse(kernel, [0, 1])
        return _math.negative(dilation2d(_math.negative(value), flipped, strides, rates, padding))


# Fractional pooling ---------------------------------------------------------------------------
def _pooling_sequence(gen, n_in, n_out, pseudo_random):
    """TF's GeneratePoolingSequence: cumulative region bounds, n_out + 1 of them."""
    if n_in % n_out == 0:
        return np.arange(n_out + 1, dtype=np.int64) * (n_in // n_out)
    if pseudo_random:
        alpha = n_in / n_out
        u = gen.random() * 0.999  # TF's u in [0, 1)
        seq = [math.ceil(alpha * (i + u)) - math.ceil(alpha * u) for i in range(n_out + 1)]
        seq[-1] = n_in
        return np.asarray(seq, np.int64)
    k = n_in // n_out
    steps = np.full(n_out, k, np.int64)
    steps[: n_in % n_out] += 1
    gen.shuffle(steps)
    return np.concatenate([[0], np.cumsum(steps)])


def _fractional_geometry(shape, pooling_ratio):
    ratios = [float(r) for r in pooling_ratio]
    if len(ratios) != 4 or ratios[0] != 1.0 or ratios[3] != 1.0:
        raise ValueError(f"pooling_ratio must be [1.0, r, c, 1.0], got {ratios}")
    if ratios[1] < 1.0 or ratios[2] < 1.0:
        raise ValueError(f"pooling_ratio must be >= 1.0 for rows and cols, got {ratios}")
    return [int(math.floor(d / r)) if d is not None else None for d, r in zip(shape, ratios)]


def _regions(seq, n_in, overlapping):
    """(start, end) of each region: [seq[i], seq[i + 1]) (+1 row/col when overlapping)."""
    starts = seq[:-1]
    ends = np.minimum(seq[1:] + (1 if overlapping else 0), n_in)
    return starts, ends


def _pool_with(x, rows, cols, overlapping, reduce):
    b, h, w, c = x.shape
    rs, re = _regions(rows, h, overlapping)
    cs, ce = _regions(cols, w, overlapping)
    out = np.empty((b, len(rs), len(cs), c), x.dtype)
    for i, (r0, r1) in enumerate(zip(rs, re)):
        for j, (c0, c1) in enumerate(zip(cs, ce)):
            out[:, i, j] = reduce(x[:, r0:r1, c0:c1].reshape(b, -1, c), axis=1)
    return out


def _fractional_kernel(reduce):
    def kernel(
        state,
        value,
        *,
        pooling_ratio,
        pseudo_random,
        overlapping,
        deterministic,
        seed,
        seed2,
        op_name,
    ):
        _, oh, ow, _ = _fractional_geometry(value.shape, pooling_ratio)
        if oh < 1 or ow < 1:
            raise InvalidArgumentError(
                None,
                None,
                "outputRows and outputCols must be > 0: "
                f"the pooling ratio is too large for {value.shape}",
            )
        gen = generator(state, op_name, seed, seed2)
        rows = _pooling_sequence(gen, value.shape[1], oh, pseudo_random)
        cols = _pooling_sequence(gen, value.shape[2], ow, pseudo_random)
        out = _pool_with(value, rows, cols, overlapping, reduce)
        return out, rows, cols

    return kernel


def _fractional_infer(value, *, pooling_ratio, **_):
    if value.shape.ndims not in (None, 4):
        raise ValueError(f"value must be 4-dimensional, got {value.shape}")
    dims = _fractional_geometry(value.shape.as_list(), pooling_ratio) if value.shape.ndims else None
    rows = None if dims is None or dims[1] is None else dims[1] + 1
    cols = None if dims is None or dims[2] is None else dims[2] + 1
    return [
        TensorSpec(value.dtype, TensorShape(dims)),
        TensorSpec(_dt.int64, TensorShape([rows])),
        TensorSpec(_dt.int64, TensorShape([cols])),
    ]


def _max_pool_grad_kernel(orig_input, orig_output, out_backprop, rows, cols, *, overlapping):
    """The gradient of each region's max to the first input element equal to it."""
    b, h, w, c = orig_input.shape
    rs, re = _regions(rows, h, overlapping)
    cs, ce = _regions(cols, w, overlapping)
    grad = np.zeros(orig_input.shape, np.float64)
    bi, ci = np.meshgrid(np.arange(b), np.arange(c), indexing="ij")
    for i, (r0, r1) in enumerate(zip(rs, re)):
        for j, (c0, c1) in enumerate(zip(cs, ce)):
            block = orig_input[:, r0:r1, c0:c1].reshape(b, -1, c)
            first = block.argmax(axis=1)  # the first maximum, as TF's
            width = c1 - c0
            np.add.at(
                grad, (bi, r0 + first // width, c0 + first % width, ci), out_backprop[:, i, j]
            )
    return grad.astype(orig_input.dtype)


def _avg_pool_grad_kernel(orig_input_tensor_shape, out_backprop, rows, cols, *, overlapping):
    b, h, w, c = (int(d) for d in orig_input_tensor_shape)
    rs, re = _regions(rows, h, overlapping)
    cs, ce = _regions(cols, w, overlapping)
    grad = np.zeros((b, h, w, c), np.float64)
    for i, (r0, r1) in enumerate(zip(rs, re)):
        for j, (c0, c1) in enumerate(zip(cs, ce)):
            share = out_backprop[:, i, j] / ((r1 - r0) * (c1 - c0))
            grad[:, r0:r1, c0:c1] += share[:, None, None, :]
    return grad.astype(out_backprop.dtype)


def _fractional_max_grad(op, grad, _rows, _cols):
    value = op.inputs[0]
    rows, cols = op.outputs[1], op.outputs[2]
    out = apply_op(
        "FractionalMaxPoolGrad",
        [value, op.outputs[0], grad, rows, cols],
        {"overlapping": op.get_attr("overlapping")},
    ).outputs[0]
    return [out]


def _fractional_avg_grad(op, grad, _rows, _cols):
    from . import array as _array

    shape = _array.shape(op.inputs[0], out_type=_dt.int64)
    out = apply_op(
        "FractionalAvgPoolGrad",
        [shape, grad, op.outputs[1], op.outputs[2]],
        {"overlapping": op.get_attr("overlapping")},
    ).outputs[0]
    return [out]


_FRACTIONAL_ATTRS = {
    "pooling_ratio": None,
    "pseudo_random": False,
    "overlapping": False,
    "deterministic": False,
    "seed": 0,
    "seed2": 0,
}
for _type, _reduce, _grad in (
    ("FractionalMaxPool", np.max, _fractional_max_grad),
    ("FractionalAvgPool", np.mean, _fractional_avg_grad),
):
    register_op(
        OpDef(
            _type,
            inputs=["value: T"],
            outputs=["output: T", "row_pooling_sequence: int64", "col_pooling_sequence: int64"],
            types={"T": _REAL},
            attrs=dict(_FRACTIONAL_ATTRS),
            infer=_fractional_infer,
            kernel=_fractional_kernel(_reduce),
            grad=_grad,
            stateful=True,
            keeps_op_state=True,
        )
    )
register_op(
    OpDef(
        "FractionalMaxPoolGrad",
        inputs=[
            "orig_input: T",
            "orig_output: T",
            "out_backprop: T",
            "row_pooling_sequence: int64",
            "col_pooling_sequence: int64",
        ],
        outputs=["output: T"],
        types={"T": _REAL},
        attrs={"overlapping": False},
        infer=lambda orig_input, *_, **__: TensorSpec(orig_input.dtype, orig_input.shape),
        kernel=_max_pool_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "FractionalAvgPoolGrad",
        inputs=[
            "orig_input_tensor_shape: int64",
            "out_backprop: T",
            "row_pooling_sequence: int64",
            "col_pooling_sequence: int64",
        ],
        outputs=["output: T"],
        types={"T": _REAL},
        attrs={"overlapping": False},
        infer=lambda shape, out_backprop, *_, **__: TensorSpec(
            out_backprop.dtype,
            TensorShape(None if shape.value is None else [int(d) for d in shape.value]),
        ),
        kernel=_avg_pool_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _fractional(
    op_type, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, name
):
    if seed == 0 and seed2 == 0:
        s1, s2 = get_seed(None)
        seed, seed2 = s1 or 0, s2 or 0
    attrs = {
        "pooling_ratio": [float(r) for r in pooling_ratio],
        "pseudo_random": bool(pseudo_random),
        "overlapping": bool(overlapping),
        "deterministic": bool(deterministic),
        "seed": int(seed),
        "seed2": int(seed2),
    }
    value = convert_to_tensor(value, name="value")
    out = apply_op(op_type, [value], attrs, name=name).outputs
    return out[0], out[1], out[2]


def fractional_max_pool(
    value,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
    name=None,
):
    """Max pooling over regions of 1 or 2 rows/cols (a random sequence, or a pseudo-random
    one), shrinking by the (non-integer) pooling ratio: (output, row_pooling_sequence,
    col_pooling_sequence)."""
    return _fractional(
        "FractionalMaxPool",
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        deterministic,
        seed,
        seed2,
        name,
    )


def fractional_avg_pool(
    value,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
    name=None,
):
    """Average pooling over fractional regions, as fractional_max_pool."""
    return _fractional(
        "FractionalAvgPool",
        value,
        pooling_ratio,
        pseudo_random,
        overlapping,
        deterministic,
        seed,
        seed2,
        name,
    )
