"""3-D convolution and pooling on NDHWC tensors: Conv3D with its two backprop ops
(Conv3DBackpropInputV2, Conv3DBackpropFilterV2), MaxPool3D and AvgPool3D with their
gradient ops. The same way as the 2-D ops (graph/ops/conv.py): the padded input's strided
view under each filter tap; Conv3D one product over the taps' columns, its input gradient
one product per tap added back through the tap's view. Padding as TF's (SAME: the extra
after)."""

from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array
from .conv import _geometry

_FLOAT = _dt.FLOATS


class _Window3:
    """Geometry of a windowed op on an [N, D, H, W, C] input."""

    def __init__(self, in_shape, ksize, strides, dilations, padding):
        self.in_shape = tuple(int(d) for d in in_shape)
        self.k, self.s, self.d = list(ksize), list(strides), list(dilations)
        geo = [
            _geometry(n, k, s, d, padding)
            for n, k, s, d in zip(self.in_shape[1:4], self.k, self.s, self.d)
        ]
        self.out = [g[0] for g in geo]
        self.before = [g[1] for g in geo]
        self.after = [g[2] for g in geo]

    def pad(self, x, value=0):
        widths = [(0, 0)] + list(zip(self.before, self.after)) + [(0, 0)]
        return np.pad(x, widths, constant_values=value) if any(self.before + self.after) else x

    def padded_zeros(self, c, dtype):
        n = self.in_shape[0]
        dims = [m + b + a for m, b, a in zip(self.in_shape[1:4], self.before, self.after)]
        return np.zeros((n, *dims, c), dtype)

    def crop(self, xp):
        idx = tuple(slice(b, b + m) for b, m in zip(self.before, self.in_shape[1:4]))
        return xp[(slice(None), *idx)]

    def taps(self):
        """(tap index tuple, slices into the padded input) for each filter tap."""
        for tap in itertools.product(*(range(k) for k in self.k)):
            yield (
                tap,
                tuple(
                    slice(t * d, t * d + s * (o - 1) + 1, s)
                    for t, d, s, o in zip(tap, self.d, self.s, self.out)
                ),
            )


def _attrs_of(strides, padding, data_format, dilations, what):
    if data_format != "NDHWC":
        raise InvalidArgumentError(None, None, f"{what}: only data_format NDHWC on CPU")
    for name, v in (("strides", strides), ("dilations", dilations)):
        if len(v) != 5 or v[0] != 1 or v[4] != 1:
            raise ValueError(
                f"{what}: {name} must have 5 elements with the first and last 1, got {list(v)}"
            )
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"{what}: padding must be SAME or VALID, got {padding}")


def _columns(xp, win, c):
    """[N * OD * OH * OW, taps * C]: the input values under the filter at each output."""
    n = xp.shape[0]
    cols = np.empty((n, *win.out, int(np.prod(win.k)) * c), xp.dtype)
    for t, (_, sl) in enumerate(win.taps()):
        cols[..., t * c : (t + 1) * c] = xp[(slice(None), *sl)]
    return cols.reshape(-1, cols.shape[-1])


def _conv3d_kernel(input, filter, *, strides, padding, data_format, dilations):
    kd, kh, kw, c, o = filter.shape
    if input.shape[4] != c:
        raise InvalidArgumentError(
            None,
            None,
            f"input depth must be evenly divisible by filter depth: {input.shape[4]} vs {c}",
        )
    win = _Window3(input.shape, (kd, kh, kw), strides[1:4], dilations[1:4], padding)
    out = _columns(win.pad(input), win, c) @ filter.reshape(-1, o)
    return out.reshape(input.shape[0], *win.out, o)


def _backprop_input_kernel(
    input_sizes, filter, out_backprop, *, strides, padding, data_format, dilations
):
    kd, kh, kw, c, o = filter.shape
    win = _Window3(
        [int(d) for d in input_sizes], (kd, kh, kw), strides[1:4], dilations[1:4], padding
    )
    dxp = win.padded_zeros(c, filter.dtype)
    grads = out_backprop.reshape(-1, o)
    weights = filter.reshape(-1, c, o)
    for t, (_, sl) in enumerate(win.taps()):
        share = (grads @ weights[t].T).reshape(*out_backprop.shape[:4], c)
        dxp[(slice(None), *sl)] += share
    return win.crop(dxp)


def _backprop_filter_kernel(
    input, filter_sizes, out_backprop, *, strides, padding, data_format, dilations
):
    kd, kh, kw, c, o = (int(d) for d in filter_sizes)
    win = _Window3(input.shape, (kd, kh, kw), strides[1:4], dilations[1:4], padding)
    cols = _columns(win.pad(input), win, c)
    return (cols.T @ out_backprop.reshape(-1, o)).reshape(kd, kh, kw, c, o)


def _attrs(op):
    return {k: op.get_attr(k) for k in ("strides", "padding", "data_format", "dilations")}


def _conv3d_grad(op, grad):
    x, f = op.inputs
    attrs = _attrs(op)
    return [
        apply_op("Conv3DBackpropInputV2", [_array.shape(x), f, grad], attrs).outputs[0],
        apply_op("Conv3DBackpropFilterV2", [x, _array.shape(f), grad], attrs).outputs[0],
    ]


def _backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    attrs = _attrs(op)
    return [
        None,
        apply_op("Conv3DBackpropFilterV2", [grad, _array.shape(f), dy], attrs).outputs[0],
        apply_op("Conv3D", [grad, f], attrs).outputs[0],
    ]


def _backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    attrs = _attrs(op)
    return [
        apply_op("Conv3DBackpropInputV2", [_array.shape(x), grad, dy], attrs).outputs[0],
        None,
        apply_op("Conv3D", [x, grad], attrs).outputs[0],
    ]


def _conv3d_infer(input, filter, *, strides, padding, data_format, dilations):
    _attrs_of(strides, padding, data_format, dilations, "Conv3D")
    f = filter.shape.as_list() if filter.shape.ndims == 5 else [None] * 5
    if input.shape.ndims != 5:
        return TensorSpec(input.dtype, TensorShape([None] * 4 + [f[4]]))
    n, *spatial, _ = input.shape.as_list()
    out = [
        None if m is None or k is None else _geometry(m, k, s, d, padding)[0]
        for m, k, s, d in zip(spatial, f[:3], strides[1:4], dilations[1:4])
    ]
    return TensorSpec(input.dtype, TensorShape([n, *out, f[4]]))


_ATTRS = {"strides": None, "padding": None, "data_format": "NDHWC", "dilations": [1, 1, 1, 1, 1]}


def _sized_infer(sizes, dtype_of):
    value = sizes.value
    return TensorShape(None if value is None else [int(v) for v in np.ravel(value)])


register_op(
    OpDef(
        "Conv3D",
        inputs=["input: T", "filter: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_ATTRS),
        infer=_conv3d_infer,
        kernel=_conv3d_kernel,
        grad=_conv3d_grad,
    )
)
register_op(
    OpDef(
        "Conv3DBackpropInputV2",
        inputs=["input_sizes: int32", "filter: T", "out_backprop: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_ATTRS),
        infer=lambda sizes, f, dy, **_: TensorSpec(f.dtype, _sized_infer(sizes, f)),
        kernel=_backprop_input_kernel,
        grad=_backprop_input_grad,
    )
)
register_op(
    OpDef(
        "Conv3DBackpropFilterV2",
        inputs=["input: T", "filter_sizes: int32", "out_backprop: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_ATTRS),
        infer=lambda x, sizes, dy, **_: TensorSpec(x.dtype, _sized_infer(sizes, x)),
        kernel=_backprop_filter_kernel,
        grad=_backprop_filter_grad,
    )
)


def _list5(v, what):
    v = [v] * 5 if isinstance(v, int) else list(v)
    if len(v) == 3:
        v = [1, *v, 1]
    if len(v) != 5:
        raise ValueError(f"{what} must have 5 elements, got {v}")
    return [int(i) for i in v]


def _conv_attrs(strides, padding, data_format, dilations):
    return {
        "strides": _list5(strides, "strides"),
        "padding": str(padding).upper(),
        "data_format": data_format,
        "dilations": _list5(dilations or 1, "dilations"),
    }


def conv3d(
    input,
    filter=None,
    strides=None,
    padding=None,
    data_format="NDHWC",  # noqa: A002
    dilations=(1, 1, 1, 1, 1),
    name=None,
    filters=None,
) -> Tensor:
    """3-D convolution of an NDHWC input with a [KD, KH, KW, C, O] filter."""
    filter = filters if filter is None else filter
    attrs = _conv_attrs(strides, padding, data_format, dilations)
    return apply_op("Conv3D", [input, filter], attrs, name=name).outputs[0]


def conv3d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,  # noqa: A002
    data_format="NDHWC",
    dilations=(1, 1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of conv3d with respect to its filter (of shape filter_sizes)."""
    attrs = _conv_attrs(strides, padding, data_format, dilations)
    sizes = convert_to_tensor(filter_sizes, dtype=_dt.int32)
    return apply_op(
        "Conv3DBackpropFilterV2", [input, sizes, out_backprop], attrs, name=name
    ).outputs[0]


def conv3d_transpose(
    value=None,
    filter=None,
    output_shape=None,
    strides=None,  # noqa: A002
    padding="SAME",
    data_format="NDHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
) -> Tensor:
    """The transpose (gradient) of conv3d: `value` spread back to `output_shape` through
    `filter` [kd, kh, kw, in_channels, out_channels]."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    attrs = _conv_attrs(strides, padding, data_format, dilations)
    sizes = convert_to_tensor(output_shape, dtype=_dt.int32)
    return apply_op(
        "Conv3DBackpropInputV2", [sizes, filter, value], attrs, name=name or "conv3d_transpose"
    ).outputs[0]


# Pooling -----------------------------------------------------------------------------------------
def _pool_window(shape, ksize, strides, padding):
    return _Window3(shape, ksize[1:4], strides[1:4], (1, 1, 1), padding)


def _max_pool3d_kernel(input, *, ksize, strides, padding, data_format):
    win = _pool_window(input.shape, ksize, strides, padding)
    xp = win.pad(input, -np.inf)
    out = None
    for _, sl in win.taps():
        tap = xp[(slice(None), *sl)]
        out = tap.copy() if out is None else np.maximum(out, tap, out=out)
    return out


def _counts(win, dtype):
    ones = win.pad(np.ones((1, *win.in_shape[1:4], 1), dtype))
    return sum(ones[(slice(None), *sl)] for _, sl in win.taps())


def _avg_pool3d_kernel(input, *, ksize, strides, padding, data_format):
    win = _pool_window(input.shape, ksize, strides, padding)
    xp = win.pad(input)
    total = sum(xp[(slice(None), *sl)] for _, sl in win.taps())
    return (total / _counts(win, input.dtype)).astype(input.dtype, copy=False)


def _max_pool3d_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding, data_format):
    win = _pool_window(orig_input.shape, ksize, strides, padding)
    xp = win.pad(orig_input, -np.inf)
    best = _max_pool3d_kernel(
        orig_input, ksize=ksize, strides=strides, padding=padding, data_format=data_format
    )
    taken = np.zeros(best.shape, bool)
    dxp = win.padded_zeros(orig_input.shape[4], grad.dtype)
    for _, sl in win.taps():
        hit = (xp[(slice(None), *sl)] == best) & ~taken
        taken |= hit
        dxp[(slice(None), *sl)] += grad * hit
    return win.crop(dxp)


def _avg_pool3d_grad_kernel(orig_input_shape, grad, *, ksize, strides, padding, data_format):
    win = _pool_window([int(d) for d in orig_input_shape], ksize, strides, padding)
    share = grad / _counts(win, grad.dtype)
    dxp = win.padded_zeros(win.in_shape[4], grad.dtype)
    for _, sl in win.taps():
        dxp[(slice(None), *sl)] += share
    return win.crop(dxp)


def _pool_attrs(op):
    return {k: op.get_attr(k) for k in ("ksize", "strides", "padding", "data_format")}


def _pool_infer(value, *, ksize, strides, padding, data_format):
    _attrs_of(strides, padding, data_format, [1] * 5, "Pool3D")
    if value.shape.ndims != 5:
        return TensorSpec(value.dtype, TensorShape(None))
    n, *spatial, c = value.shape.as_list()
    out = [
        None if m is None else _geometry(m, k, s, 1, padding)[0]
        for m, k, s in zip(spatial, ksize[1:4], strides[1:4])
    ]
    return TensorSpec(value.dtype, TensorShape([n, *out, c]))


_POOL = {"ksize": None, "strides": None, "padding": None, "data_format": "NDHWC"}
register_op(
    OpDef(
        "MaxPool3D",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL),
        infer=_pool_infer,
        kernel=_max_pool3d_kernel,
        grad=lambda op, g: [
            apply_op("MaxPool3DGrad", [op.inputs[0], op.outputs[0], g], _pool_attrs(op)).outputs[0]
        ],
    )
)
register_op(
    OpDef(
        "AvgPool3D",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL),
        infer=_pool_infer,
        kernel=_avg_pool3d_kernel,
        grad=lambda op, g: [
            apply_op("AvgPool3DGrad", [_array.shape(op.inputs[0]), g], _pool_attrs(op)).outputs[0]
        ],
    )
)
register_op(
    OpDef(
        "MaxPool3DGrad",
        inputs=["orig_input: T", "orig_output: T", "grad: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL),
        infer=lambda x, y, g, **_: TensorSpec(g.dtype, x.shape),
        kernel=_max_pool3d_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "AvgPool3DGrad",
        inputs=["orig_input_shape: int32", "grad: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL),
        infer=lambda s, g, **_: TensorSpec(g.dtype, _sized_infer(s, g)),
        kernel=_avg_pool3d_grad_kernel,
        grad=lambda op, g: [None, apply_op("AvgPool3D", [g], _pool_attrs(op)).outputs[0]],
    )
)


def _pool3d(op_type, input, ksize, strides, padding, data_format, name):  # noqa: A002
    attrs = {
        "ksize": _list5(ksize, "ksize"),
        "strides": _list5(strides, "strides"),
        "padding": str(padding).upper(),
        "data_format": data_format,
    }
    return apply_op(op_type, [convert_to_tensor(input)], attrs, name=name).outputs[0]


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None) -> Tensor:  # noqa: A002
    """The maximum of each window of an NDHWC tensor."""
    return _pool3d("MaxPool3D", input, ksize, strides, padding, data_format, name)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None) -> Tensor:  # noqa: A002
    """The mean of each window of an NDHWC tensor (padding cells not counted)."""
    return _pool3d("AvgPool3D", input, ksize, strides, padding, data_format, name)


def extract_volume_patches(input, ksizes, strides, padding, name=None) -> Tensor:  # noqa: A002
    """The ksize patches of NDHWC volumes flattened into the last dimension: a 3-D
    convolution with a one-hot filter (so differentiable)."""
    with name_scope(name, "ExtractVolumePatches"):
        input = convert_to_tensor(input)
        kd, kh, kw = _list5(ksizes, "ksizes")[1:4]
        depth = input.shape.as_list()[-1]
        if depth is None:
            raise ValueError("extract_volume_patches needs the input's depth known")
        eye = np.eye(kd * kh * kw * depth, dtype=input.dtype.np).reshape(kd, kh, kw, depth, -1)
        return conv3d(input, eye, strides, padding)
