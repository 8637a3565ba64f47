"""Neural-network ops: activations, losses and layers' building blocks."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import Tensor, apply_op
from ..registry import OpDef, TensorSpec, register_op

_NUM = _dt.NUMERIC


def _relu_infer(features):
    return TensorSpec(features.dtype, features.shape)


def _relu_kernel(features):
    return np.maximum(features, features.dtype.type(0))


def _relu_grad(op, grad):
    """d_features = grad where features > 0."""
    return [apply_op("ReluGrad", [grad, op.outputs[0]]).outputs[0]]


register_op(OpDef("Relu", inputs=["features: T"], outputs=["activations: T"], types={"T": _NUM},
                  infer=_relu_infer, kernel=_relu_kernel, grad=_relu_grad))


def _relu_grad_infer(gradients, features):
    return TensorSpec(gradients.dtype, gradients.shape)


def _relu_grad_kernel(gradients, features):
    return gradients * (features > 0)


def _relu_grad_grad(op, grad):
    """d_gradients = grad where features > 0; features get none."""
    from . import array as _array

    return [apply_op("ReluGrad", [grad, op.inputs[1]]).outputs[0],
            _array.zeros_like(op.inputs[1])]


register_op(OpDef("ReluGrad", inputs=["gradients: T", "features: T"], outputs=["backprops: T"],
                  types={"T": _NUM}, infer=_relu_grad_infer, kernel=_relu_grad_kernel,
                  grad=_relu_grad_grad))


def relu(features, name=None) -> Tensor:
    """max(features, 0)."""
    return apply_op("Relu", [features], name=name).outputs[0]


def zero_fraction(value, name=None) -> Tensor:
    """The fraction of zeros in `value`, as a float32 scalar."""
    from ..framework import convert_to_tensor, name_scope
    from .math import cast, equal, reduce_mean

    with name_scope(name, "zero_fraction"):
        value = convert_to_tensor(value)
        is_zero = equal(value, np.zeros((), value.dtype.np))
        return reduce_mean(cast(is_zero, _dt.float32))
