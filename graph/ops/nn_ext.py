"""More of tf.nn, built on the convolution and pooling ops: atrous (dilated) convolutions
and their transposes, conv1d_transpose/conv_transpose, the native depthwise convolution
and its two backprops (one 2-D convolution per input channel), 1-D pooling and the generic
`pool`, MaxPoolWithArgmax, approx_max_k/approx_min_k (exact here), and the old
batch_norm_with_global_normalization."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import Tensor, apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from . import array as _array, conv as _conv, manip as _manip, math as _math, nn as _nn


# Dilated and transposed convolutions ----------------------------------------------------------
def atrous_conv2d(value, filters, rate, padding, name=None) -> Tensor:
    """conv2d with the filter's taps `rate` apart (stride 1)."""
    return _conv.conv2d(
        value, filters, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1], name=name
    )


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None) -> Tensor:
    """The transpose (gradient) of atrous_conv2d: `value` spread back to `output_shape`."""
    with name_scope(name, "atrous_conv2d_transpose"):
        shape = convert_to_tensor(output_shape, dtype=_dt.int32)
        return _conv.conv2d_backprop_input(
            shape, filters, value, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1]
        )


def conv1d_transpose(
    input,
    filters,
    output_shape,
    strides,
    padding="SAME",  # noqa: A002
    data_format="NWC",
    dilations=None,
    name=None,
) -> Tensor:
    """The transpose of conv1d: `input` [batch, width, out_channels] spread back to
    `output_shape` [batch, width', in_channels] through `filters` [k, in, out]."""
    if data_format not in ("NWC", None):
        raise ValueError("conv1d_transpose: only data_format NWC")
    stride = strides if isinstance(strides, int) else list(strides)[-2 if len(strides) == 3 else 0]
    rate = dilations if isinstance(dilations, int) or dilations is None else list(dilations)[-2]
    with name_scope(name, "conv1d_transpose"):
        x = _array.expand_dims(convert_to_tensor(input), 1)
        f = _array.expand_dims(convert_to_tensor(filters), 0)
        shape = convert_to_tensor(output_shape, dtype=_dt.int32)
        head, tail = _manip.slice_(shape, [0], [1]), _manip.slice_(shape, [1], [-1])
        shape = _array.concat([head, [1], tail], 0)
        out = _conv.conv2d_backprop_input(
            shape, f, x, [1, 1, int(stride), 1], padding, dilations=[1, 1, int(rate or 1), 1]
        )
        return _array.squeeze(out, [1])


def conv_transpose(
    input,
    filters,
    output_shape,
    strides,
    padding="SAME",  # noqa: A002
    data_format=None,
    dilations=None,
    name=None,
) -> Tensor:
    """conv1d_transpose or conv2d_transpose by the rank of `output_shape` (3 or 4)."""
    shape = convert_to_tensor(output_shape, dtype=_dt.int32)
    rank = shape.shape.as_list()[0]
    if rank == 3:
        return conv1d_transpose(
            input, filters, output_shape, strides, padding, data_format or "NWC", dilations, name
        )
    if rank == 4:
        stride = [1, strides, strides, 1] if isinstance(strides, int) else strides
        return _conv.conv2d_transpose(
            input,
            filters,
            output_shape,
            stride,
            padding,
            data_format or "NHWC",
            name,
            dilations=dilations,
        )
    raise ValueError(f"conv_transpose supports 1-D and 2-D, got output rank {rank}")


# The native depthwise convolution and its backprops -----------------------------------------
def _channels(shape, what):
    value = shape.as_list()[2] if shape.ndims == 4 else None
    if value is None:
        raise ValueError(f"{what} needs the filter's in_channels known")
    return value


def depthwise_conv2d_native(
    input,
    filter,
    strides,
    padding,
    data_format="NHWC",  # noqa: A002
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """Each input channel convolved with its own filters (TF's DepthwiseConv2dNative)."""
    dilations = list(dilations or (1, 1, 1, 1))
    return _conv.depthwise_conv2d(
        input, filter, strides, padding, name=name, data_format=data_format, dilations=dilations
    )


def depthwise_conv2d_native_backprop_input(
    input_sizes,
    filter,
    out_backprop,
    strides,  # noqa: A002
    padding,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of depthwise_conv2d_native with respect to its input."""
    with name_scope(name, "DepthwiseConv2dNativeBackpropInput"):
        filter = convert_to_tensor(filter)
        out_backprop = convert_to_tensor(out_backprop)
        channels = _channels(filter.shape, "depthwise_conv2d_native_backprop_input")
        mult = filter.shape.as_list()[3]
        sizes = convert_to_tensor(input_sizes, dtype=_dt.int32)
        one_channel = _array.concat([_manip.slice_(sizes, [0], [3]), [1]], 0)
        parts = [
            _conv.conv2d_backprop_input(
                one_channel,
                filter[:, :, c : c + 1, :],
                out_backprop[:, :, :, c * mult : (c + 1) * mult],
                strides,
                padding,
                data_format=data_format,
                dilations=list(dilations),
            )
            for c in range(channels)
        ]
        return _array.concat(parts, 3) if len(parts) > 1 else parts[0]


def depthwise_conv2d_native_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,  # noqa: A002
    padding,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of depthwise_conv2d_native with respect to its filter."""
    with name_scope(name, "DepthwiseConv2dNativeBackpropFilter"):
        input = convert_to_tensor(input)
        out_backprop = convert_to_tensor(out_backprop)
        sizes = np.asarray(filter_sizes).tolist() if not hasattr(filter_sizes, "op") else None
        if sizes is None:
            raise ValueError("depthwise_conv2d_native_backprop_filter needs static filter_sizes")
        kh, kw, channels, mult = (int(v) for v in sizes)
        parts = [
            _conv.conv2d_backprop_filter(
                input[:, :, :, c : c + 1],
                [kh, kw, 1, mult],
                out_backprop[:, :, :, c * mult : (c + 1) * mult],
                strides,
                padding,
                data_format=data_format,
                dilations=list(dilations),
            )
            for c in range(channels)
        ]
        return _array.concat(parts, 2) if len(parts) > 1 else parts[0]


# Pooling: 1-D, generic, with argmax ----------------------------------------------------------
def _pool1d(pool_fn, input, ksize, strides, padding, data_format, name):  # noqa: A002
    if data_format not in ("NWC", None):
        raise ValueError("1-D pooling: only data_format NWC")

    def one(v):
        return int(v if isinstance(v, int) else list(v)[-2 if len(v) == 3 else 0])

    x = _array.expand_dims(convert_to_tensor(input), 1)
    out = pool_fn(x, [1, 1, one(ksize), 1], [1, 1, one(strides), 1], padding, name=name)
    return _array.squeeze(out, [1])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None) -> Tensor:  # noqa: A002
    """The maximum of each window of a [batch, width, channels] tensor."""
    return _pool1d(_conv.max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None) -> Tensor:  # noqa: A002
    """The mean of each window of a [batch, width, channels] tensor."""
    return _pool1d(_conv.avg_pool, input, ksize, strides, padding, data_format, name)


def pool(
    input,
    window_shape,
    pooling_type,
    padding,
    dilation_rate=None,
    strides=None,  # noqa: A002
    name=None,
    data_format=None,
    dilations=None,
) -> Tensor:
    """MAX or AVG pooling of a 1-D or 2-D (N-, channels-last) input."""
    if (dilation_rate or dilations) and any(d != 1 for d in (dilation_rate or dilations)):
        raise NotImplementedError("pool with dilation_rate other than 1")
    kind = {"MAX": "max", "AVG": "avg"}.get(str(pooling_type).upper())
    if kind is None:
        raise ValueError(f"pooling_type must be MAX or AVG, got {pooling_type}")
    window = list(window_shape)
    strides = list(strides or [1] * len(window))
    if len(window) == 1:
        pool1d = max_pool1d if kind == "max" else avg_pool1d
        return pool1d(input, window, strides, padding, name=name)
    if len(window) == 2:
        pool2d = _conv.max_pool if kind == "max" else _conv.avg_pool
        return pool2d(input, [1, *window, 1], [1, *strides, 1], padding, name=name)
    raise NotImplementedError("pool over more than 2 spatial dimensions")


def _argmax_kernel(input, *, ksize, strides, padding, Targmax, include_batch_in_index):
    """Each window's (first) maximum and its flat index ((y * width + x) * channels + c,
    plus the batch's offset when include_batch_in_index)."""
    win = _conv._pool_window(input.shape, ksize, strides, padding)
    n, h, w, c = input.shape
    xp = win.pad(input, -np.inf)
    best = _conv._max_pool_kernel_padded(xp, win)
    flat = np.zeros(best.shape, np.int64)
    rows = np.arange(win.oh)[:, None] * strides[1] - win.top
    cols = np.arange(win.ow)[None, :] * strides[2] - win.left
    for t, (_, _, hit) in enumerate(_conv._first_maxima(input, win)):
        i, j = divmod(t, ksize[2])
        y, x = rows + i, cols + j
        index = ((y * w + x) * c)[None, :, :, None] + np.arange(c)
        if include_batch_in_index:
            index = index + (np.arange(n) * h * w * c)[:, None, None, None]
        flat = np.where(hit, index, flat)
    return best, flat.astype(_dt.as_dtype(Targmax).np)


def _argmax_infer(input, *, ksize, strides, padding, Targmax, include_batch_in_index):
    spec = _conv._pool_infer("MaxPoolWithArgmax")(
        input, ksize=ksize, strides=strides, padding=padding, data_format="NHWC"
    )
    return [spec, TensorSpec(_dt.as_dtype(Targmax), spec.shape)]


def _argmax_grad(op, grad, _):
    """The gradient goes to each window's maximum (the argmax output's positions)."""
    x = op.inputs[0]
    argmax = op.outputs[1]
    flat_size = _math.reduce_prod(_array.shape(x))
    if op.get_attr("include_batch_in_index"):
        index = _array.reshape(argmax, [-1])
    else:
        per_image = _math.reduce_prod(_array.shape(x)[1:])
        batch = _array.shape(x)[0]
        offsets = _math.multiply(_math.range_(batch), per_image)
        index = _math.add(_math.cast(argmax, _dt.int32), _array.reshape(offsets, [-1, 1, 1, 1]))
        index = _array.reshape(index, [-1])
    summed = _math.unsorted_segment_sum(
        _array.reshape(grad, [-1]), _math.cast(index, _dt.int32), flat_size
    )
    return [_array.reshape(summed, _array.shape(x))]


register_op(
    OpDef(
        "MaxPoolWithArgmax",
        inputs=["input: T"],
        outputs=["output: T", "argmax: Targmax"],
        types={"T": _dt.NUMERIC},
        attrs={
            "ksize": None,
            "strides": None,
            "padding": None,
            "Targmax": "int64",
            "include_batch_in_index": False,
        },
        infer=_argmax_infer,
        kernel=_argmax_kernel,
        grad=_argmax_grad,
    )
)


def max_pool_with_argmax(
    input,
    ksize,
    strides,
    padding,
    data_format="NHWC",  # noqa: A002
    Targmax=None,
    name=None,
    output_dtype=None,  # noqa: N803
    include_batch_in_index=False,
):
    """(max_pool output, the flat index of each window's maximum)."""
    if data_format != "NHWC":
        raise ValueError("max_pool_with_argmax: only data_format NHWC")
    attrs = {
        "ksize": _conv._list4(ksize, "ksize"),
        "strides": _conv._list4(strides, "strides"),
        "padding": str(padding).upper(),
        "Targmax": _dt.as_dtype(Targmax or output_dtype or _dt.int64).name,
        "include_batch_in_index": bool(include_batch_in_index),
    }
    op = apply_op("MaxPoolWithArgmax", [convert_to_tensor(input)], attrs, name=name)
    return op.outputs[0], op.outputs[1]


# approx_max_k / approx_min_k, batch_norm_with_global_normalization -----------------------------
def _approx_k(operand, k, reduction_dimension, largest, name):
    x = convert_to_tensor(operand)
    rank = x.shape.ndims
    axis = reduction_dimension % rank
    if axis != rank - 1:
        perm = [a for a in range(rank) if a != axis] + [axis]
        x = _manip.transpose(x, perm)
    values, indices = _nn.top_k(x if largest else _math.negative(x), k, name=name)
    values = values if largest else _math.negative(values)
    if axis != rank - 1:
        back = list(np.argsort(perm))
        values, indices = _manip.transpose(values, back), _manip.transpose(indices, back)
    return values, indices


def approx_max_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
    name=None,
):
    """(values, indices) of the k largest along `reduction_dimension` (exact here, as TF
    is on CPUs)."""
    return _approx_k(operand, k, reduction_dimension, True, name)


def approx_min_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
    name=None,
):
    """(values, indices) of the k smallest along `reduction_dimension` (exact here)."""
    return _approx_k(operand, k, reduction_dimension, False, name)


def batch_norm_with_global_normalization(
    t=None,
    m=None,
    v=None,
    beta=None,
    gamma=None,
    variance_epsilon=None,
    scale_after_normalization=None,
    name=None,
    input=None,
    mean=None,
    variance=None,
):  # noqa: A002
    """TF 0.x's batch normalization: (t - m) / sqrt(v + eps) * gamma (when
    scale_after_normalization) + beta."""
    t = input if t is None else t
    m = mean if m is None else m
    v = variance if v is None else v
    return _nn.batch_normalization(
        t, m, v, beta, gamma if scale_after_normalization else None, variance_epsilon, name=name
    )


def approx_top_k(
    input,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    is_max_k=True,  # noqa: A002
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
    name=None,
):
    """(values, indices) of the k largest (is_max_k) or smallest along a dimension."""
    return _approx_k(input, k, reduction_dimension, bool(is_max_k), name)


def with_space_to_batch(
    input,
    dilation_rate,
    padding,
    op,
    filter_shape=None,  # noqa: A002
    spatial_dims=None,
    data_format=None,
):
    """op(converted, num_spatial_dims, padding) on the space-to-batch form of `input`
    (channels last): a dilated operation computed as an undilated one on rearranged
    batches, as TF's helper does; with rate 1 simply op(input, num_spatial_dims, padding)."""
    from .array_ext import batch_to_space_nd, required_space_to_batch_paddings, space_to_batch_nd

    rates = [int(r) for r in np.ravel(dilation_rate)]
    n = len(rates)
    if spatial_dims not in (None, list(range(1, n + 1))):
        raise NotImplementedError("with_space_to_batch over the dimensions after the batch only")
    input = convert_to_tensor(input)
    if all(r == 1 for r in rates):
        return op(input, n, padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("filter_shape must be specified for SAME padding")
        effective = [(int(k) - 1) * r + 1 for k, r in zip(np.ravel(filter_shape)[:n], rates)]
        total = [e - 1 for e in effective]
        base = [[t // 2, t - t // 2] for t in total]
    elif padding == "VALID":
        base = [[0, 0]] * n
    else:
        raise ValueError(f"Invalid padding method {padding!r}")
    shape = _array.shape(input)
    spatial = _manip.slice_(shape, [1], [n])
    paddings, crops = required_space_to_batch_paddings(spatial, rates, base)
    converted = space_to_batch_nd(input, rates, paddings)
    result = op(converted, n, "VALID")
    return batch_to_space_nd(result, rates, crops)


def conv(
    input,
    filter,
    strides,
    padding,
    explicit_paddings=(),
    data_format="CHANNELS_LAST",  # noqa: A002
    dilations=(),
    batch_dims=1,
    groups=1,
    name=None,
):
    """TF's generic convolution op: conv1d, conv2d or conv3d by the input's rank
    (channels last, one batch dimension, one group)."""
    from .conv3d import conv3d

    if data_format != "CHANNELS_LAST" or batch_dims != 1 or groups != 1 or explicit_paddings:
        raise NotImplementedError("conv: channels last, one batch dimension, one group only")
    input = convert_to_tensor(input)
    rank = input.shape.ndims - 2
    dil = list(dilations) or [1] * (rank + 2)
    if rank == 1:
        from .nn_more import conv1d

        return conv1d(input, filter, list(strides)[1], padding, dilations=dil[1], name=name)
    if rank == 2:
        return _conv.conv2d(input, filter, strides, padding, dilations=dil, name=name)
    if rank == 3:
        return conv3d(input, filter, strides, padding, dilations=dil, name=name)
    raise ValueError(f"conv: 1 to 3 spatial dimensions, got input rank {rank + 2}")
