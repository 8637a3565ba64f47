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
    in_dim = inputs.shape.as_list()[-1]
    dtype = inputs.dtype if inputs.dtype.is_floating else _dt.float32
    with variable_scope(name, default_name="dense", reuse=reuse):
        kernel = get_variable(
            "kernel",
            [in_dim, units],
            dtype=dtype,
            initializer=kernel_initializer or init_ops.GlorotUniform(),
            regularizer=kernel_regularizer,
            trainable=trainable,
            constraint=kernel_constraint,
        )
        bias = (
            get_variable(
                "bias",
                [units],
                dtype=dtype,
                initializer=bias_initializer or init_ops.Zeros(),
                regularizer=bias_regularizer,
                trainable=trainable,
                constraint=bias_constraint,
            )
            if use_bias
            else None
        )
        x = inputs if inputs.dtype is dtype else _math.cast(inputs, dtype)
        if x.shape.ndims > 2:
            out = _linalg.tensordot(x, kernel, [[x.shape.ndims - 1], [0]])
        else:
            out = _math.matmul(x, kernel)
        if bias is not None:
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
