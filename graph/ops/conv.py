"""Convolution and pooling on NHWC tensors: Conv2D with its two backprop ops, MaxPool and
AvgPool with their gradient ops.

Every kernel works on the padded input through its KH*KW shifted strided views (one per
filter tap): Conv2D copies them into columns (im2col) and does a matrix product, a few
images at a time so that the columns stay in cache; Conv2DBackpropFilter does the same
with the transposed product; Conv2DBackpropInput multiplies the output gradient by each
tap's filter slice and adds that share back through the tap's view. Padding follows TF: SAME gives
ceil(in / stride) outputs with the extra padding after, VALID none. float32 Conv2D, its
backprops, MaxPool and MaxPoolGrad go to torch's kernels instead where torch is installed
(torch_kernels.py).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, torch_kernels as _torch

_FLOAT = _dt.FLOATS

# Columns are built for a few images at a time, about this many bytes: on the LeNet step
# (bench/conv_step.py) the second layer's 40 MB of columns built at once ran its forward
# product in ~16 ms, 5 MB at a time in ~9 ms.
_CHUNK_BYTES = 4 << 20


def _geometry(size, k, stride, dilation, padding):
    """(output size, pad before, pad after) along one spatial dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2, total - total // 2
    out = (size - eff) // stride + 1 if size >= eff else 0
    return out, 0, 0


def _check_attrs(op_type, strides, padding, data_format, dilations=(1, 1, 1, 1)):
    if data_format != "NHWC":
        raise InvalidArgumentError(
            None,
            None,
            f"{op_type} currently only supports the NHWC "
            f"tensor format on the CPU, got {data_format}",
        )
    if len(strides) != 4 or strides[0] != 1 or strides[3] != 1:
        raise ValueError(
            f"{op_type}: strides must have 4 elements with strides[0] = "
            f"strides[3] = 1, got {list(strides)}"
        )
    if len(dilations) != 4 or dilations[0] != 1 or dilations[3] != 1:
        raise ValueError(
            f"{op_type}: dilations must have 4 elements with dilations[0] = "
            f"dilations[3] = 1, got {list(dilations)}"
        )
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"{op_type}: padding must be SAME or VALID, got {padding}")


def _taps(kh, kw, dh, dw, sh, sw, oh, ow):
    """The (row slice, column slice) into the padded input for each filter tap."""
    return [
        (
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        )
        for i in range(kh)
        for j in range(kw)
    ]


class _Window:
    """Geometry of one windowed op on an [N, H, W, C] input."""

    def __init__(self, in_shape, kh, kw, strides, dilations, padding):
        n, h, w, c = in_shape
        sh, sw = strides[1], strides[2]
        dh, dw = dilations[1], dilations[2]
        self.oh, self.top, self.bottom = _geometry(h, kh, sh, dh, padding)
        self.ow, self.left, self.right = _geometry(w, kw, sw, dw, padding)
        self.in_shape = (n, h, w, c)
        self.kernel, self.strides, self.dilations = (kh, kw), (sh, sw), (dh, dw)
        self.taps = _taps(kh, kw, dh, dw, sh, sw, self.oh, self.ow)

    def windows(self, xp):
        """[N, OH, OW, KH, KW, C] view of the padded input under each filter position."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.strides, self.dilations
        view = np.lib.stride_tricks.sliding_window_view(
            xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2)
        )
        view = view[:, ::sh, ::sw][:, : self.oh, : self.ow, :, ::dh, ::dw]
        return view.transpose(0, 1, 2, 4, 5, 3)

    def image_chunks(self, row_bytes):
        """(start, stop) ranges of images whose rows of `row_bytes` each fit _CHUNK_BYTES."""
        n = self.in_shape[0]
        step = max(1, _CHUNK_BYTES // max(1, row_bytes * self.oh * self.ow))
        return [(lo, min(n, lo + step)) for lo in range(0, n, step)]

    def check_grad(self, op_type, what, grad, channels):
        """A backprop's output gradient (its input `what`) has the forward output's shape,
        or an InvalidArgumentError says so (before any kernel sees it)."""
        want = (self.in_shape[0], self.oh, self.ow, channels)
        if grad.shape != want:
            raise InvalidArgumentError(
                None,
                None,
                f"{op_type}: {what} shape {list(grad.shape)} does not match "
                f"the computed output shape {list(want)}",
            )

    def pad(self, x, value=0):
        if not (self.top or self.bottom or self.left or self.right):
            return x
        widths = ((0, 0), (self.top, self.bottom), (self.left, self.right), (0, 0))
        return np.pad(x, widths, constant_values=value)

    def padded_zeros(self, c, dtype):
        n, h, w, _ = self.in_shape
        return np.zeros((n, h + self.top + self.bottom, w + self.left + self.right, c), dtype)

    def crop(self, xp):
        n, h, w, _ = self.in_shape
        return xp[:, self.top : self.top + h, self.left : self.left + w, :]


def _conv_out_spec(x, f_dims, strides, padding, dilations, dtype):
    if x.ndims is None:
        return TensorSpec(dtype, TensorShape([None, None, None, f_dims[3]]))
    n, h, w, c = x.as_list()
    oh = (
        None
        if h is None or f_dims[0] is None
        else _geometry(h, f_dims[0], strides[1], dilations[1], padding)[0]
    )
    ow = (
        None
        if w is None or f_dims[1] is None
        else _geometry(w, f_dims[1], strides[2], dilations[2], padding)[0]
    )
    return TensorSpec(dtype, TensorShape([n, oh, ow, f_dims[3]]))


# Conv2D ------------------------------------------------------------------------------------
def _conv2d_infer(input, filter, *, strides, padding, data_format, dilations):
    _check_attrs("Conv2D", strides, padding, data_format, dilations)
    for s, what in ((input.shape, "input"), (filter.shape, "filter")):
        if s.ndims is not None and s.ndims != 4:
            raise ValueError(f"Shape must be rank 4 but is rank {s.ndims} for 'Conv2D' ({what})")
    f = filter.shape.as_list() if filter.shape.ndims else [None] * 4
    c = input.shape.as_list()[3] if input.shape.ndims else None
    if c is not None and f[2] is not None and c != f[2]:
        raise ValueError(
            f"Depth of input ({c}) is not a multiple of input depth of filter ({f[2]}) for 'Conv2D'"
        )
    return _conv_out_spec(input.shape, f, strides, padding, dilations, input.dtype)


def _column_chunks(xp, win):
    """(start, stop, columns) per chunk of images: columns is [images*OH*OW, KH*KW*C], for
    each output position the input values under the filter (one buffer, reused)."""
    view = win.windows(xp)
    k = int(np.prod(view.shape[3:]))
    chunks = win.image_chunks(k * xp.itemsize)
    buf = np.empty((chunks[0][1] - chunks[0][0], *view.shape[1:]), xp.dtype)
    for lo, hi in chunks:
        cols = buf[: hi - lo]
        np.copyto(cols, view[lo:hi])
        yield lo, hi, cols.reshape(-1, k)


def _check_depth(depth, filter_depth):
    if depth != filter_depth:
        raise InvalidArgumentError(
            None,
            None,
            f"input depth must be evenly divisible by filter depth: {depth} vs {filter_depth}",
        )


def _conv2d_kernel(input, filter, *, strides, padding, data_format, dilations):
    kh, kw, c, o = filter.shape
    _check_depth(input.shape[3], c)
    win = _Window(input.shape, kh, kw, strides, dilations, padding)
    if _torch.wanted(input, filter):
        return _torch.conv2d(input, filter, win)
    out = np.zeros((input.shape[0], win.oh, win.ow, o), np.result_type(input, filter))
    if out.size == 0 or filter.size == 0:
        return out
    weights = filter.reshape(-1, o)
    for lo, hi, cols in _column_chunks(win.pad(input), win):
        np.matmul(cols, weights, out=out[lo:hi].reshape(-1, o))
    return out


def _conv_attrs(op):
    return {k: op.get_attr(k) for k in ("strides", "padding", "data_format", "dilations")}


def _conv2d_grad(op, grad):
    """d_input = Conv2DBackpropInput, d_filter = Conv2DBackpropFilter."""
    x, f = op.inputs
    attrs = _conv_attrs(op)
    return [
        apply_op("Conv2DBackpropInput", [_array.shape(x), f, grad], attrs).outputs[0],
        apply_op("Conv2DBackpropFilter", [x, _array.shape(f), grad], attrs).outputs[0],
    ]


_CONV_ATTRS = {"strides": None, "padding": None, "data_format": "NHWC", "dilations": [1, 1, 1, 1]}


register_op(
    OpDef(
        "Conv2D",
        inputs=["input: T", "filter: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_CONV_ATTRS),
        infer=_conv2d_infer,
        kernel=_conv2d_kernel,
        grad=_conv2d_grad,
    )
)


def _backprop_input_infer(input_sizes, filter, out_backprop, **attrs):
    value = input_sizes.value
    return TensorSpec(filter.dtype, TensorShape(None if value is None else value.tolist()))


def _backprop_input_kernel(
    input_sizes, filter, out_backprop, *, strides, padding, data_format, dilations
):
    kh, kw, c, o = filter.shape
    win = _Window(tuple(int(d) for d in input_sizes), kh, kw, strides, dilations, padding)
    _check_depth(win.in_shape[3], c)
    win.check_grad("Conv2DBackpropInput", "out_backprop", out_backprop, o)
    if _torch.wanted(filter, out_backprop):
        return _torch.conv2d_backprop_input(filter, out_backprop, win)
    dxp = win.padded_zeros(c, filter.dtype)
    if out_backprop.size == 0 or filter.size == 0:
        return win.crop(dxp)
    # One product per tap, added through that tap's view (the LeNet step's second layer:
    # 11.5 ms, against 19 ms for all taps' columns at once and then their scatter).
    grads = out_backprop.reshape(-1, o)
    weights = filter.transpose(0, 1, 3, 2).reshape(kh * kw, o, c)
    share = np.empty((*out_backprop.shape[:3], c), np.result_type(out_backprop, filter))
    for t, (rs, cs) in enumerate(win.taps):
        np.matmul(grads, weights[t], out=share.reshape(-1, c))
        dxp[:, rs, cs, :] += share
    return win.crop(dxp)


def _backprop_input_grad(op, grad):
    """d_filter = Conv2DBackpropFilter(grad, out_backprop), d_out_backprop = Conv2D(grad)."""
    _, f, dy = op.inputs
    attrs = _conv_attrs(op)
    return [
        None,
        apply_op("Conv2DBackpropFilter", [grad, _array.shape(f), dy], attrs).outputs[0],
        apply_op("Conv2D", [grad, f], attrs).outputs[0],
    ]


register_op(
    OpDef(
        "Conv2DBackpropInput",
        inputs=["input_sizes: int32", "filter: T", "out_backprop: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_CONV_ATTRS),
        infer=_backprop_input_infer,
        kernel=_backprop_input_kernel,
        grad=_backprop_input_grad,
    )
)


def _backprop_filter_infer(input, filter_sizes, out_backprop, **attrs):
    value = filter_sizes.value
    return TensorSpec(input.dtype, TensorShape(None if value is None else value.tolist()))


def _backprop_filter_kernel(
    input, filter_sizes, out_backprop, *, strides, padding, data_format, dilations
):
    kh, kw, c, o = (int(d) for d in filter_sizes)
    win = _Window(input.shape, kh, kw, strides, dilations, padding)
    _check_depth(input.shape[3], c)
    win.check_grad("Conv2DBackpropFilter", "out_backprop", out_backprop, o)
    if _torch.wanted(input, out_backprop):
        return _torch.conv2d_backprop_filter(input, (kh, kw, c, o), out_backprop, win)
    total = np.zeros((kh * kw * c, o), np.result_type(input, out_backprop))
    if out_backprop.size and total.size:
        for lo, hi, cols in _column_chunks(win.pad(input), win):
            total += cols.T @ out_backprop[lo:hi].reshape(-1, o)
    return total.reshape(kh, kw, c, o)


def _backprop_filter_grad(op, grad):
    """d_input = Conv2DBackpropInput(grad, out_backprop), d_out_backprop = Conv2D(input,
    grad)."""
    x, _, dy = op.inputs
    attrs = _conv_attrs(op)
    return [
        apply_op("Conv2DBackpropInput", [_array.shape(x), grad, dy], attrs).outputs[0],
        None,
        apply_op("Conv2D", [x, grad], attrs).outputs[0],
    ]


register_op(
    OpDef(
        "Conv2DBackpropFilter",
        inputs=["input: T", "filter_sizes: int32", "out_backprop: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_CONV_ATTRS),
        infer=_backprop_filter_infer,
        kernel=_backprop_filter_kernel,
        grad=_backprop_filter_grad,
    )
)


def _list4(v, what):
    v = [v] * 4 if isinstance(v, int) else list(v)
    if len(v) == 2:
        v = [1] + v + [1]
    if len(v) != 4:
        raise ValueError(f"{what} must have 4 elements, got {v}")
    return [int(i) for i in v]


def conv2d(
    input,
    filter=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
) -> Tensor:
    """2-D convolution of an NHWC `input` with a [KH, KW, C, O] `filter`."""
    filter = filters if filter is None else filter
    if filter is None or strides is None or padding is None:
        raise TypeError("conv2d() needs input, filter, strides and padding")
    attrs = {
        "strides": _list4(strides, "strides"),
        "padding": str(padding).upper(),
        "data_format": data_format,
        "dilations": _list4(dilations, "dilations"),
    }
    return apply_op("Conv2D", [input, filter], attrs, name=name).outputs[0]


def conv2d_backprop_input(
    input_sizes,
    filter,
    out_backprop,
    strides,
    padding,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    attrs = {
        "strides": _list4(strides, "strides"),
        "padding": padding,
        "data_format": data_format,
        "dilations": _list4(dilations, "dilations"),
    }
    return apply_op(
        "Conv2DBackpropInput", [input_sizes, filter, out_backprop], attrs, name=name
    ).outputs[0]


def conv2d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    attrs = {
        "strides": _list4(strides, "strides"),
        "padding": padding,
        "data_format": data_format,
        "dilations": _list4(dilations, "dilations"),
    }
    return apply_op(
        "Conv2DBackpropFilter", [input, filter_sizes, out_backprop], attrs, name=name
    ).outputs[0]


# Pooling -------------------------------------------------------------------------------------
_POOL_ATTRS = {"ksize": None, "strides": None, "padding": None, "data_format": "NHWC"}
_ONES = (1, 1, 1, 1)


def _pool_infer(op_type):
    def infer(value, *, ksize, strides, padding, data_format):
        _check_attrs(op_type, strides, padding, data_format)
        if len(ksize) != 4 or ksize[0] != 1 or ksize[3] != 1:
            raise ValueError(
                f"{op_type}: ksize must have 4 elements with ksize[0] = "
                f"ksize[3] = 1, got {list(ksize)}"
            )
        if value.shape.ndims is not None and value.shape.ndims != 4:
            raise ValueError(
                f"Shape must be rank 4 but is rank {value.shape.ndims} for '{op_type}'"
            )
        c = value.shape.as_list()[3] if value.shape.ndims else None
        return _conv_out_spec(
            value.shape, [ksize[1], ksize[2], None, c], strides, padding, _ONES, value.dtype
        )

    return infer


def _pool_window(shape, ksize, strides, padding):
    return _Window(shape, ksize[1], ksize[2], strides, _ONES, padding)


def _max_pool_kernel_padded(xp, win):
    out = None
    for rs, cs in win.taps:
        tap = xp[:, rs, cs, :]
        out = tap.copy() if out is None else np.maximum(out, tap, out=out)
    return out


def _max_pool_kernel(value, *, ksize, strides, padding, data_format):
    win = _pool_window(value.shape, ksize, strides, padding)
    if _torch.wanted(value):
        return _torch.max_pool(value, win)
    return _max_pool_kernel_padded(win.pad(value, -np.inf), win)


def _pool_attrs(op):
    return {k: op.get_attr(k) for k in ("ksize", "strides", "padding", "data_format")}


def _max_pool_grad(op, grad):
    """d_value: each window's gradient goes to its (first) maximum."""
    return [
        apply_op("MaxPoolGrad", [op.inputs[0], op.outputs[0], grad], _pool_attrs(op)).outputs[0]
    ]


register_op(
    OpDef(
        "MaxPool",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL_ATTRS),
        infer=_pool_infer("MaxPool"),
        kernel=_max_pool_kernel,
        grad=_max_pool_grad,
    )
)


def _first_maxima(orig_input, win):
    """(row slice, column slice, mask) per tap: mask marks the output positions whose
    window's first maximum (in tap order, as np.argmax picks it) is under that tap."""
    xp = win.pad(orig_input, -np.inf)
    best = _max_pool_kernel_padded(xp, win)
    nan = np.isnan(best)
    taken = np.zeros(best.shape, bool)
    for rs, cs in win.taps:
        tap = xp[:, rs, cs, :]
        hit = tap == best
        if nan.any():
            hit |= nan & np.isnan(tap)
        hit &= ~taken
        taken |= hit
        yield rs, cs, hit


def _max_pool_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding, data_format):
    win = _pool_window(orig_input.shape, ksize, strides, padding)
    win.check_grad("MaxPoolGrad", "grad", grad, orig_input.shape[3])
    if _torch.wanted(orig_input, grad):
        return _torch.max_pool_grad(orig_input, grad, win)
    dxp = win.padded_zeros(orig_input.shape[3], grad.dtype)
    # Windows that do not overlap (stride = window) write their cells; others add up.
    tiled = win.strides == win.kernel
    for rs, cs, hit in _first_maxima(orig_input, win):
        if tiled:
            np.multiply(grad, hit, out=dxp[:, rs, cs, :])
        else:
            dxp[:, rs, cs, :] += grad * hit
    return win.crop(dxp)


def _adjoint_grad(adjoint_type):
    """The gradient of a pooling-gradient op, linear in its third input: the adjoint op on
    the incoming gradient (the original input and output get zeros)."""

    def grad_fn(op, grad):
        x, y, _ = op.inputs
        return [
            _array.zeros_like(x),
            _array.zeros_like(y),
            apply_op(adjoint_type, [x, y, grad], _pool_attrs(op)).outputs[0],
        ]

    return grad_fn


_max_pool_grad_grad = _adjoint_grad("MaxPoolGradGrad")


register_op(
    OpDef(
        "MaxPoolGrad",
        inputs=["orig_input: T", "orig_output: T", "grad: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL_ATTRS),
        infer=lambda orig_input, orig_output, grad, **_: TensorSpec(grad.dtype, orig_input.shape),
        kernel=_max_pool_grad_kernel,
        grad=_max_pool_grad_grad,
    )
)


def _max_pool_grad_grad_kernel(
    orig_input, orig_output, grad, *, ksize, strides, padding, data_format
):
    win = _pool_window(orig_input.shape, ksize, strides, padding)
    gp = win.pad(grad)
    picked = np.zeros((grad.shape[0], win.oh, win.ow, grad.shape[3]), grad.dtype)
    for rs, cs, hit in _first_maxima(orig_input, win):
        picked += gp[:, rs, cs, :] * hit
    return picked


_max_pool_grad_grad_grad = _adjoint_grad("MaxPoolGrad")


register_op(
    OpDef(
        "MaxPoolGradGrad",
        inputs=["orig_input: T", "orig_output: T", "grad: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL_ATTRS),
        infer=lambda orig_input, orig_output, grad, **_: TensorSpec(grad.dtype, orig_output.shape),
        kernel=_max_pool_grad_grad_kernel,
        grad=_max_pool_grad_grad_grad,
    )
)


def _window_counts(win, dtype):
    """How many real (unpadded) input cells each output window covers."""
    n, h, w, _ = win.in_shape
    ones = win.pad(np.ones((1, h, w, 1), dtype))
    return sum(ones[:, rs, cs, :] for rs, cs in win.taps)


def _avg_pool_kernel(value, *, ksize, strides, padding, data_format):
    win = _pool_window(value.shape, ksize, strides, padding)
    xp = win.pad(value)
    total = sum(xp[:, rs, cs, :] for rs, cs in win.taps)
    return (total / _window_counts(win, value.dtype)).astype(value.dtype, copy=False)


def _avg_pool_grad(op, grad):
    """d_value: each window's gradient spread evenly over its cells."""
    x = op.inputs[0]
    return [apply_op("AvgPoolGrad", [_array.shape(x), grad], _pool_attrs(op)).outputs[0]]


register_op(
    OpDef(
        "AvgPool",
        inputs=["value: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL_ATTRS),
        infer=_pool_infer("AvgPool"),
        kernel=_avg_pool_kernel,
        grad=_avg_pool_grad,
    )
)


def _avg_pool_grad_kernel(orig_input_shape, grad, *, ksize, strides, padding, data_format):
    shape = tuple(int(d) for d in orig_input_shape)
    win = _pool_window(shape, ksize, strides, padding)
    share = grad / _window_counts(win, grad.dtype)
    dxp = win.padded_zeros(shape[3], grad.dtype)
    for rs, cs in win.taps:
        dxp[:, rs, cs, :] += share
    return win.crop(dxp)


def _avg_pool_grad_grad(op, grad):
    """AvgPoolGrad's adjoint is AvgPool."""
    return [None, apply_op("AvgPool", [grad], _pool_attrs(op)).outputs[0]]


register_op(
    OpDef(
        "AvgPoolGrad",
        inputs=["orig_input_shape: int32", "grad: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs=dict(_POOL_ATTRS),
        infer=lambda orig_input_shape, grad, **_: TensorSpec(
            grad.dtype,
            TensorShape(
                None if orig_input_shape.value is None else orig_input_shape.value.tolist()
            ),
        ),
        kernel=_avg_pool_grad_kernel,
        grad=_avg_pool_grad_grad,
    )
)


def _pool(op_type, value, ksize, strides, padding, data_format, name):
    attrs = {
        "ksize": _list4(ksize, "ksize"),
        "strides": _list4(strides, "strides"),
        "padding": str(padding).upper(),
        "data_format": data_format,
    }
    return apply_op(op_type, [convert_to_tensor(value)], attrs, name=name).outputs[0]


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None) -> Tensor:
    """The maximum of each ksize window of an NHWC tensor."""
    return _pool(
        "MaxPool", value if input is None else input, ksize, strides, padding, data_format, name
    )


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None) -> Tensor:
    """The mean of each ksize window of an NHWC tensor (padding cells not counted)."""
    return _pool(
        "AvgPool", value if input is None else input, ksize, strides, padding, data_format, name
    )


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NHWC", name=None, input=None,  # noqa: A002
                     filters=None, dilations=None) -> Tensor:  # fmt: skip
    """The transpose (gradient) of conv2d: `value` [batch, h, w, out_channels] spread back
    to `output_shape` [batch, H, W, in_channels] through `filter` [kh, kw, in_channels,
    out_channels] (the `filter` conv2d would take to go from the output back to `value`)."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    with name_scope(name, "conv2d_transpose"):
        value = convert_to_tensor(value, name="value")
        filter = convert_to_tensor(filter, name="filter")
        axis = 3 if data_format == "NHWC" else 1
        channels = value.shape.as_list()[axis] if value.shape.ndims == 4 else None
        out_channels = filter.shape.as_list()[3] if filter.shape.ndims == 4 else None
        if None not in (channels, out_channels) and channels != out_channels:
            raise ValueError(
                f"input channels does not match filter's input channels, {channels} != "
                f"{out_channels}"
            )
        output_shape = convert_to_tensor(output_shape, dtype=_dt.int32, name="output_shape")
        return conv2d_backprop_input(output_shape, filter, value, strides, padding,
                                     data_format=data_format,
                                     dilations=dilations or (1, 1, 1, 1))  # fmt: skip


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None) -> Tensor:  # fmt: skip
    """Each input channel convolved with its own `channel_multiplier` filters: `filter` is
    [kh, kw, in_channels, channel_multiplier], the output has in_channels *
    channel_multiplier channels (channel c's k-th filter at c * multiplier + k). One conv2d
    per input channel (NHWC)."""
    if data_format not in (None, "NHWC"):
        raise ValueError("depthwise_conv2d: only data_format NHWC")
    rates = rate if rate is not None else (dilations[1:3] if dilations else None)
    dil = (1, *rates, 1) if rates is not None else (1, 1, 1, 1)
    with name_scope(name, "depthwise"):
        input = convert_to_tensor(input, name="input")
        filter = convert_to_tensor(filter, name="filter")
        channels = filter.shape.as_list()[2]
        if channels is None:
            raise ValueError("depthwise_conv2d needs the filter's in_channels known")
        outs = [
            conv2d(
                input[:, :, :, c : c + 1],
                filter[:, :, c : c + 1, :],
                strides,
                padding,
                dilations=dil,
            )  # fmt: skip
            for c in range(channels)
        ]
        return _array.concat(outs, 3) if len(outs) > 1 else outs[0]


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     rate=None, name=None, data_format=None, dilations=None) -> Tensor:  # fmt: skip
    """depthwise_conv2d, then a 1x1 conv2d with `pointwise_filter` [1, 1, in *
    multiplier, out_channels]."""
    with name_scope(name, "separable_conv2d"):
        depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=rate,
                                     data_format=data_format, dilations=dilations)  # fmt: skip
        return conv2d(depthwise, pointwise_filter, [1, 1, 1, 1], "VALID")


def conv2d_backprop_filter_v2(
    input,
    filter,
    out_backprop,
    strides,
    padding,  # noqa: A002
    use_cudnn_on_gpu=True,
    explicit_paddings=(),
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """conv2d_backprop_filter given the filter itself (its shape is what is used)."""
    from .array import shape as _shape

    return conv2d_backprop_filter(
        input,
        _shape(filter),
        out_backprop,
        strides,
        padding,
        data_format=data_format,
        dilations=dilations,
        name=name,
    )


def conv2d_backprop_input_v2(
    input,
    filter,
    out_backprop,
    strides,
    padding,  # noqa: A002
    use_cudnn_on_gpu=True,
    explicit_paddings=(),
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """conv2d_backprop_input given the input itself (its shape is what is used)."""
    from .array import shape as _shape

    return conv2d_backprop_input(
        _shape(input),
        filter,
        out_backprop,
        strides,
        padding,
        data_format=data_format,
        dilations=dilations,
        name=name,
    )


def extract_image_patches(
    images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None
) -> Tensor:
    """The ksize patches of NHWC images, each flattened (rows, columns, depth) into the
    last dimension: [batch, out_rows, out_cols, kh * kw * depth]. A convolution with a
    one-hot filter, so it has the convolution's gradient."""
    ksizes = ksizes if ksizes is not None else sizes
    kh, kw = _list4(ksizes, "ksizes")[1:3]
    with name_scope(name, "ExtractImagePatches"):
        images = convert_to_tensor(images)
        depth = images.shape.as_list()[3] if images.shape.ndims == 4 else None
        if depth is None:
            raise ValueError("extract_image_patches needs the images' depth known")
        eye = np.eye(kh * kw * depth, dtype=images.dtype.np).reshape(kh, kw, depth, -1)
        return conv2d(images, eye, strides, padding, dilations=_list4(rates, "rates"))
