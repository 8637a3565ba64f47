"""`tf.layers` basics: dense, flatten, dropout (functional forms, variables through
get_variable under a variable scope named after the layer)."""

from __future__ import annotations

from . import dtypes as _dt, init_ops
from .framework import GraphKeys, convert_to_tensor, get_default_graph
from .ops import array as _array, linalg as _linalg, math as _math, nn as _nn
from .ops.control_flow import cond
from .variable_scope import get_variable, variable_scope


def dense(
    inputs,
    units,
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=None,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """activation(inputs @ kernel + bias), with `kernel` [in, units] and `bias` [units]
    created (or reused) as `NAME/kernel` and `NAME/bias`."""
    inputs = convert_to_tensor(inputs)
    if inputs.shape.ndims is None or inputs.shape.as_list()[-1] is None:
        raise ValueError(
            "The last dimension of the inputs to `Dense` should be defined. Found `None`."
        )
    if not isinstance(units, int) or units <= 0:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    with variable_scope(name, default_name="dense", reuse=reuse):
        return dense_body(
            inputs,
            units,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            trainable,
        )


def dense_body(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
               trainable=True):  # fmt: skip
    """dense in the current variable scope."""
    inputs = convert_to_tensor(inputs)
    in_dim = inputs.shape.as_list()[-1]
    dtype = inputs.dtype if inputs.dtype.is_floating else _dt.float32
    kernel = get_variable(
        "kernel",
        [in_dim, units],
        dtype=dtype,
        initializer=kernel_initializer or init_ops.GlorotUniform(),
        regularizer=kernel_regularizer,
        trainable=trainable,
        constraint=kernel_constraint,
    )
    x = inputs if inputs.dtype is dtype else _math.cast(inputs, dtype)
    if x.shape.ndims > 2:
        out = _linalg.tensordot(x, kernel, [[x.shape.ndims - 1], [0]])
    else:
        out = _math.matmul(x, kernel)
    bias_args = (use_bias, bias_initializer, bias_regularizer, bias_constraint, trainable)
    return finish(out, bias_args, activation, activity_regularizer, units, dtype)


def finish(out, bias_args, activation, activity_regularizer, units, dtype):
    """A layer's output: + its bias `bias` [units] (bias_args: use_bias, initializer,
    regularizer, constraint, trainable), through `activation`, its activity regularizer's
    loss added to REGULARIZATION_LOSSES."""
    use_bias, initializer, regularizer, constraint, trainable = bias_args
    if use_bias:
        bias = get_variable("bias", [units], dtype=dtype,
                            initializer=initializer or init_ops.Zeros(), regularizer=regularizer,
                            trainable=trainable, constraint=constraint)  # fmt: skip
        out = _nn.bias_add(out, bias)
    if activation is not None:
        out = activation(out)
    if activity_regularizer is not None:
        get_default_graph().add_to_collection(
            GraphKeys.REGULARIZATION_LOSSES, activity_regularizer(out)
        )
    return out


def flatten(inputs, name=None, data_format="channels_last"):
    """`inputs` reshaped to [batch, -1]."""
    inputs = convert_to_tensor(inputs)
    dims = inputs.shape.as_list() if inputs.shape.ndims is not None else None
    if dims is not None and all(d is not None for d in dims[1:]):
        rest = 1
        for d in dims[1:]:
            rest *= d
        return _array.reshape(inputs, [-1, rest], name=name)
    return _array.reshape(inputs, [_array.shape(inputs)[0], -1], name=name)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Dropout at `rate` when `training` (a bool or a bool tensor), identity otherwise."""
    if training is False:
        return _array.identity(inputs, name=name)
    if training is True:
        return _nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed, name=name)
    return cond(
        training,
        lambda: _nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed),
        lambda: _array.identity(inputs),
        name=name,
    )


def _pair(value, what) -> list[int]:
    pair = [value, value] if isinstance(value, int) else list(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(
            f"The `{what}` argument must be a tuple of 2 positive integers, got {value}"
        )
    return pair


def _channels_last(data_format, layer) -> None:
    if data_format != "channels_last":
        raise ValueError(
            f"{layer}: data_format {data_format!r} is not supported on CPU (use 'channels_last')"
        )


def conv2d(
    inputs,
    filters,
    kernel_size,
    strides=(1, 1),
    padding="valid",
    data_format="channels_last",
    dilation_rate=(1, 1),
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=None,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """activation(conv2d(inputs, kernel) + bias) over NHWC `inputs`, with `kernel`
    [kh, kw, in, filters] and `bias` [filters] as `NAME/kernel` and `NAME/bias`."""
    from .ops import conv as _conv

    _channels_last(data_format, "conv2d")
    inputs = convert_to_tensor(inputs)
    if inputs.shape.ndims != 4 or inputs.shape.as_list()[-1] is None:
        raise ValueError(
            f"Input 0 of layer conv2d is incompatible with the layer: expected ndim=4 with a "
            f"known channel dimension, found shape {inputs.shape}"
        )
    if not isinstance(filters, int) or filters <= 0:
        raise ValueError(f"filters must be a positive integer, got {filters!r}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    dh, dw = _pair(dilation_rate, "dilation_rate")
    if str(padding).lower() not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be 'valid' or 'same', got {padding!r}")
    dtype = inputs.dtype if inputs.dtype.is_floating else _dt.float32
    with variable_scope(name, default_name="conv2d", reuse=reuse):
        kernel = get_variable(
            "kernel",
            [kh, kw, inputs.shape.as_list()[-1], filters],
            dtype=dtype,
            initializer=kernel_initializer or init_ops.GlorotUniform(),
            regularizer=kernel_regularizer,
            trainable=trainable,
            constraint=kernel_constraint,
        )
        out = _conv.conv2d(
            inputs if inputs.dtype is dtype else _math.cast(inputs, dtype),
            kernel,
            strides=[1, sh, sw, 1],
            padding=str(padding).upper(),
            dilations=[1, dh, dw, 1],
        )
        bias_args = (use_bias, bias_initializer, bias_regularizer, bias_constraint, trainable)
        return finish(out, bias_args, activation, activity_regularizer, filters, dtype)


def _pooling2d(pool, default_name):
    def layer(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        _channels_last(data_format, default_name)
        ph, pw = _pair(pool_size, "pool_size")
        sh, sw = _pair(strides, "strides")
        if str(padding).lower() not in ("valid", "same"):
            raise ValueError(f"The `padding` argument must be 'valid' or 'same', got {padding!r}")
        return pool(
            convert_to_tensor(inputs),
            ksize=[1, ph, pw, 1],
            strides=[1, sh, sw, 1],
            padding=str(padding).upper(),
            name=name or default_name,
        )

    layer.__name__ = default_name
    layer.__doc__ = f"{default_name} over NHWC `inputs` (windows `pool_size`, `strides`)."
    return layer


def max_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Max pooling over NHWC `inputs` (windows `pool_size`, steps `strides`)."""
    from .ops.conv import max_pool

    return _pooling2d(max_pool, "max_pooling2d")(
        inputs, pool_size, strides, padding, data_format, name
    )


def average_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Average pooling over NHWC `inputs` (windows `pool_size`, steps `strides`)."""
    from .ops.conv import avg_pool

    return _pooling2d(avg_pool, "average_pooling2d")(
        inputs, pool_size, strides, padding, data_format, name
    )


def batch_normalization(
    inputs,
    axis=-1,
    momentum=0.99,
    epsilon=1e-3,
    center=True,
    scale=True,
    beta_initializer=None,
    gamma_initializer=None,
    moving_mean_initializer=None,
    moving_variance_initializer=None,
    beta_regularizer=None,
    gamma_regularizer=None,
    beta_constraint=None,
    gamma_constraint=None,
    training=False,
    trainable=True,
    name=None,
    reuse=None,
    renorm=False,
    renorm_clipping=None,
    renorm_momentum=0.99,
    fused=None,
    virtual_batch_size=None,
    adjustment=None,
):
    """Batch normalization over every axis but `axis`, as TF1's layer: in training the
    batch's mean and variance normalize and the moving averages (`NAME/moving_mean`,
    `NAME/moving_variance`, not trainable) get update ops in UPDATE_OPS -- run them with the
    train op (`tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS))`); in
    inference the moving averages normalize. `training` is a bool or a bool tensor. As
    TF1's fused kernel (the default for 4-D inputs), the moving variance of a 4-D input
    takes the batch variance with Bessel's correction; otherwise the batch variance."""
    with variable_scope(name, default_name="batch_normalization", reuse=reuse):
        return batch_normalization_body(
            inputs,
            axis,
            momentum,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            moving_mean_initializer,
            moving_variance_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            training,
            trainable,
            renorm,
            renorm_clipping,
            renorm_momentum,
            fused,
            virtual_batch_size,
            adjustment,
        )


def batch_normalization_body(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True,
                             scale=True, beta_initializer=None, gamma_initializer=None,
                             moving_mean_initializer=None, moving_variance_initializer=None,
                             beta_regularizer=None, gamma_regularizer=None,
                             beta_constraint=None, gamma_constraint=None, training=False,
                             trainable=True, renorm=False, renorm_clipping=None,
                             renorm_momentum=0.99, fused=None, virtual_batch_size=None,
                             adjustment=None):  # fmt: skip
    """batch_normalization in the current variable scope."""
    from .ops import state as _state

    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise NotImplementedError("batch_normalization: renorm, virtual batches and adjustment")
    inputs = convert_to_tensor(inputs)
    ndims = inputs.shape.ndims
    if ndims is None:
        raise ValueError("Input has undefined rank.")
    axis = axis + ndims if axis < 0 else axis
    if not 0 <= axis < ndims or inputs.shape.as_list()[axis] is None:
        raise ValueError(f"Invalid axis {axis} (or unknown size there) for input {inputs.shape}")
    depth = inputs.shape.as_list()[axis]
    reduce = [i for i in range(ndims) if i != axis]
    bessel = ndims == 4 and fused is not False
    dtype = inputs.dtype if inputs.dtype.is_floating else _dt.float32

    def var(name, init, default, trainable_, regularizer=None, constraint=None):
        return get_variable(
            name,
            [depth],
            dtype=dtype,
            initializer=init or default,
            regularizer=regularizer,
            constraint=constraint,
            trainable=trainable_,
        )

    gamma = (
        var(
            "gamma",
            gamma_initializer,
            init_ops.Ones(),
            trainable,
            gamma_regularizer,
            gamma_constraint,
        )
        if scale
        else None
    )
    beta = (
        var(
            "beta",
            beta_initializer,
            init_ops.Zeros(),
            trainable,
            beta_regularizer,
            beta_constraint,
        )
        if center
        else None
    )
    moving_mean = var("moving_mean", moving_mean_initializer, init_ops.Zeros(), False)
    moving_var = var("moving_variance", moving_variance_initializer, init_ops.Ones(), False)
    shape = [1] * ndims
    shape[axis] = depth

    def broadcast(v):
        return None if v is None else _array.reshape(v, shape)

    def normalize(mean, variance):
        return _nn.batch_normalization(
            inputs,
            broadcast(mean),
            broadcast(variance),
            broadcast(beta),
            broadcast(gamma),
            epsilon,
        )

    if training is False:
        return normalize(moving_mean.value(), moving_var.value())
    mean, variance = _nn.moments(inputs, reduce)
    if bessel:
        count = _math.cast(_math.reduce_prod(_array.gather(_array.shape(inputs), reduce)), dtype)
        moving_target = _math.multiply(
            variance, _math.real_div(count, _math.maximum(_math.subtract(count, 1.0), 1.0))
        )
    else:
        moving_target = variance
    decay = _math._scalar(1.0 - momentum, dtype)
    if training is True:
        batch_mean, batch_var = mean, variance
    else:
        batch_mean = cond(training, lambda: mean, lambda: moving_mean.value())
        batch_var = cond(training, lambda: variance, lambda: moving_var.value())
        decay = cond(training, lambda: decay, lambda: _math._scalar(0.0, dtype))
    updates = [
        _state.assign_sub(
            moving_mean, _math.multiply(_math.subtract(moving_mean.value(), mean), decay)
        ),
        _state.assign_sub(
            moving_var, _math.multiply(_math.subtract(moving_var.value(), moving_target), decay)
        ),
    ]
    graph = get_default_graph()
    for update in updates:
        graph.add_to_collection(GraphKeys.UPDATE_OPS, update.op)
    return normalize(batch_mean, batch_var)
