"""Neural-network ops: activations, softmax and cross entropies, BiasAdd, L2Loss, and the
composites built on them (moments, batch_normalization, l2_normalize, dropout,
embedding_lookup). Convolution and pooling live in conv.py."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import (
    Tensor,
    apply_op,
    colocate_with,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import (
    array as _array,
    manip as _manip,
    math as _math,
    random as _random,
    torch_kernels as _torch,
)
from ._common import shape_str
from .clip import clip_by_norm

_NUM = _dt.NUMERIC
_FLOAT = _dt.FLOATS


def _relu_infer(features):
    return TensorSpec(features.dtype, features.shape)


def _relu_kernel(features):
    if _torch.wanted_large(features):
        return _torch.relu(features)
    return np.maximum(features, features.dtype.type(0))


def _relu_grad(op, grad):
    """d_features = grad where features > 0."""
    return [apply_op("ReluGrad", [grad, op.outputs[0]]).outputs[0]]


register_op(
    OpDef(
        "Relu",
        inputs=["features: T"],
        outputs=["activations: T"],
        types={"T": _NUM},
        infer=_relu_infer,
        kernel=_relu_kernel,
        grad=_relu_grad,
    )
)


def _relu_grad_infer(gradients, features):
    return TensorSpec(gradients.dtype, gradients.shape)


def _relu_grad_kernel(gradients, features):
    if _torch.wanted_large(gradients, features):
        return _torch.relu_grad(gradients, features)
    return gradients * (features > 0)


def _relu_grad_grad(op, grad):
    """d_gradients = grad where features > 0; features get none."""
    return [apply_op("ReluGrad", [grad, op.inputs[1]]).outputs[0], _array.zeros_like(op.inputs[1])]


register_op(
    OpDef(
        "ReluGrad",
        inputs=["gradients: T", "features: T"],
        outputs=["backprops: T"],
        types={"T": _NUM},
        infer=_relu_grad_infer,
        kernel=_relu_grad_kernel,
        grad=_relu_grad_grad,
    )
)


def relu(features, name=None) -> Tensor:
    """max(features, 0)."""
    return apply_op("Relu", [features], name=name).outputs[0]


def zero_fraction(value, name=None) -> Tensor:
    """The fraction of zeros in `value`, as a float32 scalar."""
    with name_scope(name, "zero_fraction"):
        value = convert_to_tensor(value)
        is_zero = _math.equal(value, np.zeros((), value.dtype.np))
        return _math.reduce_mean(_math.cast(is_zero, _dt.float32))


# Elementwise activations ---------------------------------------------------------------------
def _same(x, **_):
    return TensorSpec(x.dtype, x.shape)


def _register_activation(op_type, kernel, grad, attrs=None):
    register_op(
        OpDef(
            op_type,
            inputs=["features: T"],
            outputs=["activations: T"],
            types={"T": _FLOAT},
            attrs=attrs or {},
            infer=_same,
            kernel=kernel,
            grad=grad,
        )
    )


def _select_grad(mask, on, off):
    return _math._select(mask, on, off)


def _relu6_grad(op, grad):
    """d_x = grad where 0 < x < 6."""
    x = op.inputs[0]
    zero = _array.zeros_like(x)
    inside = _math.logical_and(_math.greater(x, zero), _math.less(x, _math._scalar(6, x.dtype)))
    return [_select_grad(inside, grad, _array.zeros_like(grad))]


def _elu_kernel(features):
    neg = np.expm1(np.minimum(features, 0))
    return np.where(features > 0, features, neg).astype(features.dtype, copy=False)


def _elu_grad(op, grad):
    """d_x = grad where x > 0, grad * (y + 1) elsewhere."""
    x, y = op.inputs[0], op.outputs[0]
    one = _math._scalar(1, y.dtype)
    return [
        _select_grad(
            _math.greater(x, _array.zeros_like(x)), grad, _math.multiply(grad, _math.add(y, one))
        )
    ]


def _leaky_relu_kernel(features, *, alpha):
    return np.where(features > 0, features, features * features.dtype.type(alpha))


def _leaky_relu_grad(op, grad):
    """d_x = grad where x > 0, alpha * grad elsewhere."""
    x = op.inputs[0]
    alpha = _math._scalar(op.get_attr("alpha"), grad.dtype)
    return [_select_grad(_math.greater(x, _array.zeros_like(x)), grad, _math.multiply(grad, alpha))]


def _softplus_kernel(features):
    return (np.log1p(np.exp(-np.abs(features))) + np.maximum(features, 0)).astype(
        features.dtype, copy=False
    )


def _softplus_grad(op, grad):
    """d_x = grad * sigmoid(x)."""
    return [_math.multiply(grad, _math.sigmoid(op.inputs[0]))]


_register_activation("Relu6", lambda features: np.clip(features, 0, 6), _relu6_grad)
_register_activation("Elu", _elu_kernel, _elu_grad)
_register_activation("LeakyRelu", _leaky_relu_kernel, _leaky_relu_grad, {"alpha": 0.2})
_register_activation("Softplus", _softplus_kernel, _softplus_grad)


def _softsign_grad(op, grad):
    """d_x = grad / (1 + |x|)^2."""
    x = op.inputs[0]
    return [_math.real_div(grad, _math.square(_math.add(_math._scalar(1, x.dtype), _math.abs(x))))]


_register_activation("Softsign", lambda features: features / (1 + np.abs(features)), _softsign_grad)


def relu6(features, name=None) -> Tensor:
    """min(max(features, 0), 6)."""
    return apply_op("Relu6", [features], name=name).outputs[0]


def elu(features, name=None) -> Tensor:
    """features if > 0, else exp(features) - 1."""
    return apply_op("Elu", [features], name=name).outputs[0]


def leaky_relu(features, alpha=0.2, name=None) -> Tensor:
    """features if > 0, else alpha * features."""
    return apply_op("LeakyRelu", [features], {"alpha": float(alpha)}, name=name).outputs[0]


def softplus(features, name=None) -> Tensor:
    """log(exp(features) + 1)."""
    return apply_op("Softplus", [features], name=name).outputs[0]


def softsign(features, name=None) -> Tensor:
    """features / (abs(features) + 1)."""
    return apply_op("Softsign", [features], name=name).outputs[0]


# Softmax, LogSoftmax --------------------------------------------------------------------------
def _logits_infer(logits):
    if logits.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0 for 'Softmax'")
    return TensorSpec(logits.dtype, logits.shape)


def _softmax_kernel(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _log_softmax_kernel(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _softmax_grad(op, grad):
    """d_x = (grad - sum(grad * y, -1)) * y."""
    y = op.outputs[0]
    inner = _math.reduce_sum(_math.multiply(grad, y), axis=-1, keepdims=True)
    return [_math.multiply(_math.subtract(grad, inner), y)]


def _log_softmax_grad(op, grad):
    """d_x = grad - sum(grad, -1) * exp(y)."""
    y = op.outputs[0]
    total = _math.reduce_sum(grad, axis=-1, keepdims=True)
    return [_math.subtract(grad, _math.multiply(total, _math.exp(y)))]


register_op(
    OpDef(
        "Softmax",
        inputs=["logits: T"],
        outputs=["softmax: T"],
        types={"T": _FLOAT},
        infer=_logits_infer,
        kernel=_softmax_kernel,
        grad=_softmax_grad,
    )
)
register_op(
    OpDef(
        "LogSoftmax",
        inputs=["logits: T"],
        outputs=["logsoftmax: T"],
        types={"T": _FLOAT},
        infer=_logits_infer,
        kernel=_log_softmax_kernel,
        grad=_log_softmax_grad,
    )
)


def _along_last(op_type, logits, axis, name):
    logits = convert_to_tensor(logits)
    rank = logits.shape.ndims
    if axis is None or axis == -1 or (rank is not None and axis == rank - 1):
        return apply_op(op_type, [logits], name=name).outputs[0]
    if rank is None:
        raise ValueError(f"{op_type} along axis {axis} needs the rank of logits")
    axis = axis % rank
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    moved = _manip.transpose(logits, perm)
    return _manip.transpose(apply_op(op_type, [moved]).outputs[0], perm, name=name)


def softmax(logits, axis=None, name=None, dim=None) -> Tensor:
    """exp(logits) / sum(exp(logits), axis) (the last axis by default)."""
    return _along_last("Softmax", logits, dim if axis is None else axis, name)


def log_softmax(logits, axis=None, name=None, dim=None) -> Tensor:
    """logits - log(sum(exp(logits), axis))."""
    return _along_last("LogSoftmax", logits, dim if axis is None else axis, name)


# BiasAdd ----------------------------------------------------------------------------------------
def _bias_add_infer(value, bias, *, data_format):
    if data_format != "NHWC":
        raise ValueError(f"BiasAdd supports data_format NHWC on CPU, got {data_format}")
    if value.shape.ndims is not None and value.shape.ndims < 2:
        raise ValueError(
            f"Shape must be at least rank 2 but is rank {value.shape.ndims} for "
            f"'BiasAdd' with input shapes: {shape_str(value.shape)}, "
            f"{shape_str(bias.shape)}."
        )
    if bias.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {bias.shape.ndims} for 'BiasAdd'")
    last = value.shape.as_list()[-1:] if value.shape.ndims else [None]
    b = bias.shape.as_list() if bias.shape.ndims is not None else [None]
    if last[0] is not None and b and b[0] is not None and last[0] != b[0]:
        raise ValueError(
            f"Dimensions must be equal, but are {last[0]} and {b[0]} for "
            f"'BiasAdd' with input shapes: {shape_str(value.shape)}, "
            f"{shape_str(bias.shape)}."
        )
    return TensorSpec(value.dtype, value.shape)


def _bias_add_kernel(value, bias, *, data_format):
    if value.shape[-1] != bias.shape[0]:
        raise InvalidArgumentError(
            None,
            None,
            f"Must provide as many biases as the last "
            f"dimension of the input tensor: {list(bias.shape)} vs. "
            f"{list(value.shape)}",
        )
    if _torch.wanted_large(value, bias):
        return _torch.bias_add(value, bias)
    return value + bias


def _bias_add_grad(op, grad):
    """d_value = grad, d_bias = grad summed over all but the last axis."""
    return [grad, apply_op("BiasAddGrad", [grad]).outputs[0]]


register_op(
    OpDef(
        "BiasAdd",
        inputs=["value: T", "bias: T"],
        outputs=["output: T"],
        types={"T": _NUM},
        attrs={"data_format": "NHWC"},
        infer=_bias_add_infer,
        kernel=_bias_add_kernel,
        grad=_bias_add_grad,
    )
)


def _bias_add_grad_infer(out_backprop):
    dims = out_backprop.shape.as_list() if out_backprop.shape.ndims else [None]
    return TensorSpec(out_backprop.dtype, TensorShape(dims[-1:]))


def _bias_add_grad_kernel(out_backprop):
    if _torch.wanted_large(out_backprop):
        return _torch.bias_add_grad(out_backprop)
    return out_backprop.reshape(-1, out_backprop.shape[-1]).sum(axis=0, dtype=out_backprop.dtype)


def _bias_add_grad_grad(op, grad):
    """d_out_backprop = grad broadcast over the leading axes."""
    return [_math.broadcast_to(grad, _array.shape(op.inputs[0]))]


register_op(
    OpDef(
        "BiasAddGrad",
        inputs=["out_backprop: T"],
        outputs=["output: T"],
        types={"T": _NUM},
        infer=_bias_add_grad_infer,
        kernel=_bias_add_grad_kernel,
        grad=_bias_add_grad_grad,
    )
)


def bias_add(value, bias, data_format=None, name=None) -> Tensor:
    """value + bias, bias a vector over the last dimension."""
    return apply_op(
        "BiasAdd", [value, bias], {"data_format": data_format or "NHWC"}, name=name
    ).outputs[0]


# L2Loss ------------------------------------------------------------------------------------------
def _l2_loss_grad(op, grad):
    """d_t = t * grad."""
    return [_math.multiply(op.inputs[0], grad)]


register_op(
    OpDef(
        "L2Loss",
        inputs=["t: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        infer=lambda t: TensorSpec(t.dtype, TensorShape([])),
        kernel=lambda t: np.asarray(np.sum(np.square(t)) / 2, dtype=t.dtype),
        grad=_l2_loss_grad,
    )
)


def l2_loss(t, name=None) -> Tensor:
    """sum(t ** 2) / 2."""
    return apply_op("L2Loss", [t], name=name).outputs[0]


# Cross entropies ---------------------------------------------------------------------------------
def _xent_infer(features, labels):
    for s, what in ((features.shape, "logits"), (labels.shape, "labels")):
        if s.ndims is not None and s.ndims != 2:
            raise ValueError(
                f"{what} must be 2-dimensional, but is rank {s.ndims} for "
                f"'SoftmaxCrossEntropyWithLogits'"
            )
    shape = (
        features.shape.merge_with(labels.shape)
        if features.shape.is_compatible_with(labels.shape)
        else None
    )
    if shape is None:
        raise ValueError(
            f"logits and labels must be broadcastable: logits_size="
            f"{shape_str(features.shape)} labels_size={shape_str(labels.shape)}"
        )
    batch = shape.as_list()[:1] if shape.ndims else [None]
    return [TensorSpec(features.dtype, TensorShape(batch)), TensorSpec(features.dtype, shape)]


def _xent_kernel(features, labels):
    if features.shape != labels.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"logits and labels must be broadcastable: "
            f"logits_size={list(features.shape)} "
            f"labels_size={list(labels.shape)}",
        )
    log_p = _log_softmax_kernel(features)
    loss = -(labels * log_p).sum(axis=-1)
    return loss, np.exp(log_p) * labels.sum(axis=-1, keepdims=True) - labels


def _logits_gradient(op, grad_loss, grad_grad):
    """For both cross-entropy ops: grad_loss * backprop, plus, when the backprop output is
    itself differentiated, (grad_grad - sum(grad_grad * p)) * p with p = softmax(logits)."""
    d_logits = _math.multiply(_array.expand_dims(grad_loss, -1), op.outputs[1])
    if grad_grad is not None:
        p = apply_op("Softmax", [op.inputs[0]]).outputs[0]
        inner = _math.reduce_sum(_math.multiply(grad_grad, p), axis=-1, keepdims=True)
        d_logits = _math.add(d_logits, _math.multiply(_math.subtract(grad_grad, inner), p))
    return d_logits


def _xent_grad(op, grad_loss, grad_grad=None):
    """d_logits = grad_loss * backprop (+ the second-order term when backprop itself is
    differentiated); d_labels = -grad_loss * log_softmax(logits)."""
    logits = op.inputs[0]
    g = _array.expand_dims(grad_loss, -1)
    d_logits = _logits_gradient(op, grad_loss, grad_grad)
    d_labels = _math.multiply(g, _math.negative(apply_op("LogSoftmax", [logits]).outputs[0]))
    return [d_logits, d_labels]


register_op(
    OpDef(
        "SoftmaxCrossEntropyWithLogits",
        inputs=["features: T", "labels: T"],
        outputs=["loss: T", "backprop: T"],
        types={"T": _FLOAT},
        infer=_xent_infer,
        kernel=_xent_kernel,
        grad=_xent_grad,
    )
)


def _sparse_xent_infer(features, labels):
    if features.shape.ndims is not None and features.shape.ndims != 2:
        raise ValueError(
            f"logits must be 2-D, but got shape {shape_str(features.shape)} for "
            f"'SparseSoftmaxCrossEntropyWithLogits'"
        )
    if labels.shape.ndims is not None and labels.shape.ndims != 1:
        raise ValueError(
            f"labels must be 1-D, but got shape {shape_str(labels.shape)} for "
            f"'SparseSoftmaxCrossEntropyWithLogits'"
        )
    batch = features.shape.as_list()[:1] if features.shape.ndims else [None]
    return [
        TensorSpec(features.dtype, TensorShape(batch)),
        TensorSpec(features.dtype, features.shape),
    ]


def _sparse_xent_kernel(features, labels):
    n, classes = features.shape
    if labels.shape[0] != n:
        raise InvalidArgumentError(
            None,
            None,
            f"logits and labels must have the same first "
            f"dimension, got logits shape {list(features.shape)} and "
            f"labels shape {list(labels.shape)}",
        )
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise InvalidArgumentError(
            None,
            None,
            f"Received a label value of "
            f"{int(labels[bad][0])} which is outside the valid range "
            f"of [0, {classes}).  Label values: "
            f"{' '.join(str(int(v)) for v in labels)}",
        )
    shifted = features - features.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=-1)
    rows = np.arange(n)
    loss = np.log(total) - shifted[rows, labels]
    e /= total[:, None]  # the softmax: backprop is it minus the one-hot labels
    e[rows, labels] -= 1
    return loss, e


def _sparse_xent_grad(op, grad_loss, grad_grad=None):
    """d_logits = grad_loss * backprop (+ the second-order term); labels get none."""
    return [_logits_gradient(op, grad_loss, grad_grad), None]


register_op(
    OpDef(
        "SparseSoftmaxCrossEntropyWithLogits",
        inputs=["features: T", "labels: Tlabels"],
        outputs=["loss: T", "backprop: T"],
        types={"T": _FLOAT, "Tlabels": (_dt.int32, _dt.int64)},
        infer=_sparse_xent_infer,
        kernel=_sparse_xent_kernel,
        grad=_sparse_xent_grad,
    )
)


def _named_only(fn_name, sentinel):
    if sentinel is not None:
        raise ValueError(
            f"Only call `{fn_name}` with named arguments (labels=..., logits=..., ...)"
        )


def _to_2d(t, classes_axis_last=True):
    rank = t.shape.ndims
    if rank == 2:
        return t, None
    dims = t.shape.as_list() if rank is not None else None
    if dims is None or dims[-1] is None:
        raise ValueError("cross entropy needs the class dimension of logits known")
    return _array.reshape(t, [-1, dims[-1]]), _array.shape(t)[:-1]


def softmax_cross_entropy_with_logits_v2(
    _sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None
) -> Tensor:
    """-sum(labels * log_softmax(logits)) over the class axis; labels get gradients."""
    _named_only("softmax_cross_entropy_with_logits_v2", _sentinel)
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    axis = dim if axis is None else axis
    with name_scope(name, "softmax_cross_entropy_with_logits"):
        logits = convert_to_tensor(logits)
        labels = _math.cast(convert_to_tensor(labels), logits.dtype)
        rank = logits.shape.ndims
        if rank is not None and axis not in (-1, rank - 1):
            perm = list(range(rank))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            logits = _manip.transpose(logits, perm)
            labels = _manip.transpose(labels, perm)
        flat_logits, lead = _to_2d(logits)
        flat_labels, _ = _to_2d(labels)
        loss = apply_op("SoftmaxCrossEntropyWithLogits", [flat_logits, flat_labels]).outputs[0]
        return loss if lead is None else _array.reshape(loss, lead)


def softmax_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None
) -> Tensor:
    """As the v2 op, with no gradient into labels (TF 1.x's deprecated behaviour)."""
    _named_only("softmax_cross_entropy_with_logits", _sentinel)
    if labels is not None:
        labels = _array.stop_gradient(labels)
    return softmax_cross_entropy_with_logits_v2(
        labels=labels, logits=logits, dim=dim, name=name, axis=axis
    )


def sparse_softmax_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, name=None
) -> Tensor:
    """-log_softmax(logits)[label] per example; labels are class indices."""
    _named_only("sparse_softmax_cross_entropy_with_logits", _sentinel)
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits"):
        logits = convert_to_tensor(logits)
        labels = convert_to_tensor(labels)
        lr, gr = labels.shape.ndims, logits.shape.ndims
        if lr is not None and gr is not None and lr != gr - 1:
            raise ValueError(
                f"Rank mismatch: Rank of labels (received {lr}) should equal rank "
                f"of logits minus 1 (received {gr})."
            )
        if gr in (2, None):
            return apply_op("SparseSoftmaxCrossEntropyWithLogits", [logits, labels]).outputs[0]
        flat_logits, lead = _to_2d(logits)
        flat_labels = _array.reshape(labels, [-1])
        loss = apply_op("SparseSoftmaxCrossEntropyWithLogits", [flat_logits, flat_labels]).outputs[
            0
        ]
        return _array.reshape(loss, lead)


def _logits_and_labels(logits, labels):
    """Both as tensors of the logits' dtype; ValueError unless their shapes agree."""
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels, dtype=logits.dtype)
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(
            f"logits and labels must have the same shape ({logits.shape} vs {labels.shape})"
        )
    return logits, labels


def sigmoid_cross_entropy_with_logits(
    _sentinel=None, labels=None, logits=None, name=None
) -> Tensor:
    """max(x, 0) - x * z + log(1 + exp(-|x|)), the stable form of the logistic loss."""
    _named_only("sigmoid_cross_entropy_with_logits", _sentinel)
    with name_scope(name, "logistic_loss"):
        logits, labels = _logits_and_labels(logits, labels)
        zeros = _array.zeros_like(logits)
        relu_logits = _math._select(_math.greater_equal(logits, zeros), logits, zeros)
        neg_abs = _math._select(_math.greater_equal(logits, zeros), _math.negative(logits), logits)
        return _math.add(
            _math.subtract(relu_logits, _math.multiply(logits, labels)),
            _math.log1p(_math.exp(neg_abs)),
        )


def weighted_cross_entropy_with_logits(
    labels=None, logits=None, pos_weight=None, name=None, targets=None
) -> Tensor:
    """The logistic loss with the positive term weighted by `pos_weight`, in TF's stable
    form: (1 - z) * x + (1 + (q - 1) * z) * (log(1 + exp(-|x|)) + max(-x, 0))."""
    if labels is None:
        labels = targets
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("labels (or targets), logits and pos_weight are required")
    with name_scope(name, "logistic_loss"):
        logits, labels = _logits_and_labels(logits, labels)
        q = convert_to_tensor(pos_weight, dtype=logits.dtype)
        one = _array.ones_like(logits)
        log_weight = _math.add(one, _math.multiply(_math.subtract(q, 1.0), labels))
        zeros = _array.zeros_like(logits)
        neg_abs = _math.negative(_math.abs(logits))
        relu_neg = _math.maximum(_math.negative(logits), zeros)
        return _math.add(
            _math.multiply(_math.subtract(one, labels), logits),
            _math.multiply(log_weight, _math.add(_math.log1p(_math.exp(neg_abs)), relu_neg)),
        )


# Composites: moments, batch_normalization, l2_normalize, dropout ---------------------------------
def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "moments"):
        x = convert_to_tensor(x)
        mean = _math.reduce_mean(x, axis=axes, keepdims=True, name="mean")
        variance = _math.reduce_mean(
            _math.squared_difference(x, _array.stop_gradient(mean)),
            axis=axes,
            keepdims=True,
            name="variance",
        )
        if not keep:
            mean = _array.squeeze(mean, list(axes))
            variance = _array.squeeze(variance, list(axes))
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + epsilon) + offset (offset/scale may be None)."""
    with name_scope(name, "batchnorm"):
        x = convert_to_tensor(x)
        inv = _math.rsqrt(
            _math.add(
                convert_to_tensor(variance, dtype=x.dtype), _math._scalar(variance_epsilon, x.dtype)
            )
        )
        if scale is not None:
            inv = _math.multiply(inv, scale)
        shift = _math.negative(_math.multiply(mean, inv))
        if offset is not None:
            shift = _math.add(offset, shift)
        return _math.add(_math.multiply(x, inv), shift)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize"):
        x = convert_to_tensor(x)
        square_sum = _math.reduce_sum(_math.square(x), axis=axis, keepdims=True)
        inv = _math.rsqrt(_math.maximum(square_sum, _math._scalar(epsilon, x.dtype)))
        return _math.multiply(x, inv)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """x / keep_prob where a uniform draw keeps it, 0 elsewhere (give keep_prob or rate)."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("Exactly one of keep_prob and rate must be given to dropout")
    with name_scope(name, "dropout"):
        x = convert_to_tensor(x)
        if rate is not None:
            keep_prob = _math.subtract(
                _math._scalar(1, x.dtype), convert_to_tensor(rate, dtype=x.dtype)
            )
        elif isinstance(keep_prob, (int, float)) and not 0 < keep_prob <= 1:
            raise ValueError(
                f"keep_prob must be a scalar tensor or a float in the range (0, 1], got {keep_prob}"
            )
        keep_prob = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        shape = _array.shape(x) if noise_shape is None else noise_shape
        draw = _random.random_uniform(shape, seed=seed, dtype=x.dtype)
        keep = _math.floor(_math.add(keep_prob, draw))
        return _math.multiply(_math.real_div(x, keep_prob), keep)


# Embeddings ---------------------------------------------------------------------------------------
def embedding_lookup(
    params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None
):
    """Rows of `params` at `ids`. `params` may be a list of shards (a partitioned variable):
    each id is routed to its shard ('mod': id % n, 'div': contiguous ranges), gathered where
    the shard lives, and the rows are stitched back in order."""
    if hasattr(params, "_embedding_lookup"):  # a dynamic table (graph/dynamic_embedding.py)
        return params._embedding_lookup(ids, name=name, max_norm=max_norm)
    if isinstance(params, (list, tuple)) and len(params) == 1:
        params = params[0]
    if hasattr(params, "_get_variable_list"):
        params = params._get_variable_list()
        if len(params) == 1:
            params = params[0]
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    with name_scope(name, "embedding_lookup"):
        if not isinstance(params, (list, tuple)):
            source = params._ref() if hasattr(params, "_ref") else convert_to_tensor(params)
            with colocate_with(source.op):
                result = _array.gather(params, ids)
            return _clip_rows(result, max_norm)
        n = len(params)
        ids = convert_to_tensor(ids)
        flat_ids = _array.reshape(ids, [-1])
        if partition_strategy == "mod":
            assignment = _math.floormod(flat_ids, n)
            new_ids = _math.floor_div(flat_ids, n)
        else:
            sizes = [p.shape.as_list()[0] for p in params]
            if any(s is None for s in sizes):
                raise ValueError("the 'div' strategy needs the first dimension of every shard")
            bounds = np.cumsum(sizes)[:-1].astype(np.int64)
            ids64 = _math.cast(flat_ids, _dt.int64)
            assignment = _math.reduce_sum(
                _math.cast(_math.greater_equal(_array.expand_dims(ids64, -1), bounds), _dt.int32),
                axis=1,
            )
            starts = np.concatenate([[0], bounds]).astype(np.int64)
            new_ids = _math.cast(
                _math.subtract(ids64, _array.gather(starts, assignment)), flat_ids.dtype
            )
        assignment = _math.cast(assignment, _dt.int32)
        original = _math.range_(0, _array.size(flat_ids))
        id_parts = _manip.dynamic_partition(new_ids, assignment, n)
        index_parts = _manip.dynamic_partition(original, assignment, n)
        rows = []
        for p, part in zip(params, id_parts):
            source = p._ref() if hasattr(p, "_ref") else convert_to_tensor(p)
            with colocate_with(source.op):
                rows.append(_array.gather(p, part))
        stitched = _manip.dynamic_stitch(index_parts, rows)
        inner = params[0].shape.as_list()[1:]
        out_shape = (
            _array.concat([_array.shape(ids), np.asarray(inner, np.int32)], 0)
            if all(d is not None for d in inner)
            else None
        )
        result = stitched if out_shape is None else _array.reshape(stitched, out_shape)
        return _clip_rows(result, max_norm)


def embedding_lookup_sparse(
    params,
    sp_ids,
    sp_weights,
    partition_strategy="mod",
    name=None,
    combiner=None,
    max_norm=None,
):
    """Per row of the SparseTensor `sp_ids` ([batch, k] ids), the combination of the
    embeddings of its ids: "sum", "mean" (weighted average) or "sqrtn" (sum divided by
    the root of the summed squared weights), weighted by `sp_weights` (a SparseTensor with
    the same indices, or None for weight 1). As TF: each id's row is looked up once (ids
    are deduplicated first), the output has as many rows as the last row holding an id
    plus one, and an empty row in between is zeros. `params` may be partitioned."""
    from ..sparse_tensor import SparseTensor

    combiner = "mean" if combiner is None else combiner
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError(f"sp_ids must be SparseTensor, got {type(sp_ids).__name__}")
    if sp_weights is not None and not isinstance(sp_weights, SparseTensor):
        raise TypeError(f"sp_weights must be either None or SparseTensor, got {sp_weights!r}")
    with name_scope(name, "embedding_lookup_sparse"):
        segment_ids, ids, idx = _sparse_ids_parts(sp_ids)
        embeddings = embedding_lookup(params, ids, partition_strategy, max_norm=max_norm)
        if sp_weights is None:  # gather and combine in one op (TF's sparse_segment_*)
            from .segment import sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum

            combine = {"sum": sparse_segment_sum, "mean": sparse_segment_mean,
                       "sqrtn": sparse_segment_sqrt_n}[combiner]  # fmt: skip
            # num_segments -1: the last segment id + 1, found by the op (TF's row count)
            out = combine(embeddings, idx, segment_ids, num_segments=-1)
            if embeddings.shape.ndims is not None:
                out.set_shape([None] + embeddings.shape.as_list()[1:])
            return out
        num_rows = _math.maximum(_math.add(_math.reduce_max(segment_ids), 1), 0)
        rows = _array.gather(embeddings, idx)
        weights = _math.cast(sp_weights.values, rows.dtype)
        rows = _math.multiply(rows, _array.expand_dims(weights, -1))
        total = _math.unsorted_segment_sum(rows, segment_ids, num_rows)
        if embeddings.shape.ndims is not None:
            total.set_shape([None] + embeddings.shape.as_list()[1:])
        if combiner == "sum":
            return total
        if combiner == "mean":
            scale = _math.unsorted_segment_sum(weights, segment_ids, num_rows)
        else:
            scale = _math.sqrt(
                _math.unsorted_segment_sum(_math.square(weights), segment_ids, num_rows)
            )
        # An empty row between others has total 0 and scale 0: it stays 0.
        safe = _math.maximum(scale, _array.ones_like(scale) * np.finfo(np.float32).tiny)
        return _math.real_div(total, _array.expand_dims(safe, -1))


def _sparse_ids_parts(sp_ids):
    """(segment ids, unique ids, each id's place among them) of a
    SparseTensor of ids: computed once per SparseTensor and graph, so that the tables one
    feature looks up (a wide & deep model's embedding and wide weight) share them -- and
    the unique ids travel to a parameter server once for both."""
    from . import sparse as _sparse

    graph = get_default_graph()
    cached = getattr(sp_ids, "_lookup_parts", None)
    if cached is not None and cached[0] is graph:
        return cached[1]
    segment_ids = _array.strided_slice(
        sp_ids.indices, [0, 0], [0, 1], begin_mask=1, end_mask=1, shrink_axis_mask=2
    )
    ids, idx = _sparse.unique(sp_ids.values)
    parts = (segment_ids, ids, idx)
    sp_ids._lookup_parts = (graph, parts)
    return parts


def safe_embedding_lookup_sparse(
    embedding_weights,
    sparse_ids,
    sparse_weights=None,
    combiner="mean",
    default_id=None,
    name=None,
    partition_strategy="div",
    max_norm=None,
):
    """`embedding_lookup_sparse` made safe as TF's: ids < 0 (and weights <= 0) are dropped,
    every row of the batch gets an output (an empty row is zeros, or the embedding of
    `default_id`), and ids of rank > 2 are flattened to [batch..., k]."""
    from ..sparse_tensor import SparseTensor
    from . import sparse as _sparse

    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    with name_scope(name, "embedding_lookup"):
        shape = sparse_ids.dense_shape
        rank = sparse_ids.shape.ndims or 2
        batch_dims = _array.strided_slice(shape, [0], [rank - 1])
        batch = _math.reduce_prod(batch_dims)
        flat_shape = _array.concat(
            [_array.reshape(batch, [1]), _array.strided_slice(shape, [rank - 1], [rank])], 0
        )
        ids = _sparse.reshape(sparse_ids, flat_shape) if rank != 2 else sparse_ids
        weights = None
        if sparse_weights is not None:
            weights = _sparse.reshape(sparse_weights, flat_shape) if rank != 2 else sparse_weights
        keep = _math.greater_equal(ids.values, 0)
        if weights is not None:
            keep = _math.logical_and(keep, _math.greater(weights.values, 0))
        where = _array.reshape(_math.where(keep), [-1])
        ids = SparseTensor(
            _array.gather(ids.indices, where), _array.gather(ids.values, where), ids.dense_shape
        )
        if weights is not None:
            weights = SparseTensor(
                ids.indices, _array.gather(weights.values, where), weights.dense_shape
            )
        ids, empty = _sparse.fill_empty_rows(ids, default_id if default_id is not None else 0)
        if weights is not None:
            weights, _ = _sparse.fill_empty_rows(weights, 1.0)
        result = embedding_lookup_sparse(
            embedding_weights,
            ids,
            weights,
            combiner=combiner,
            partition_strategy=partition_strategy,
            max_norm=max_norm,
        )
        if default_id is None:
            mask = _array.expand_dims(_math.logical_not(empty), -1)
            result = _math.multiply(result, _math.cast(mask, result.dtype))
        inner = _array.strided_slice(_array.shape(result, out_type=_dt.int64), [1], [2])
        out_shape = _array.concat([batch_dims, inner], 0)
        final = _array.reshape(result, _math.cast(out_shape, _dt.int32))
        known = sparse_ids.shape  # as TF: the ids' batch dimensions, then the embedding's
        if known.ndims is not None and result.shape.ndims is not None:
            final.set_shape(known.as_list()[:-1] + result.shape.as_list()[1:])
        return final


def selu(features, name=None) -> Tensor:
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), TF's constants."""
    with name_scope(name, "Selu"):
        x = convert_to_tensor(features)
        return _math.multiply(_selu_inner(x), np.asarray(1.0507009873554805, x.dtype.np))


def _selu_inner(x):
    alpha = np.asarray(1.6732632423543772, x.dtype.np)
    zeros = _array.zeros_like(x)
    positive = _math.greater(x, zeros)
    negative_part = _math.multiply(_math.expm1(_math.minimum(x, zeros)), alpha)
    return _math._select(positive, x, negative_part)


def swish(features, beta=1.0, name=None) -> Tensor:
    """x * sigmoid(beta * x) (also tf.nn.silu)."""
    with name_scope(name, "swish"):
        x = convert_to_tensor(features)
        return _math.multiply(x, _math.sigmoid(_math.multiply(x, np.asarray(beta, x.dtype.np))))


silu = swish


def crelu(features, name=None, axis=-1) -> Tensor:
    """concat(relu(x), relu(-x)) along `axis`."""
    with name_scope(name, "CRelu"):
        x = convert_to_tensor(features)
        return _array.concat([relu(x), relu(_math.negative(x))], axis)


def log_sigmoid(x, name=None) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    with name_scope(name, "LogSigmoid"):
        return _math.negative(softplus(_math.negative(convert_to_tensor(x))))


def xw_plus_b(x, weights, biases, name=None) -> Tensor:
    """matmul(x, weights) + biases."""
    with name_scope(name, "xw_plus_b"):
        return bias_add(_math.matmul(x, weights), biases)


def relu_layer(x, weights, biases, name=None) -> Tensor:
    """relu(matmul(x, weights) + biases)."""
    with name_scope(name, "relu_layer"):
        return relu(bias_add(_math.matmul(x, weights), biases))


def _clip_rows(rows, max_norm):
    if max_norm is None:
        return rows
    rank = rows.shape.ndims
    return clip_by_norm(rows, max_norm, axes=[rank - 1] if rank else None)


# TopKV2, InTopKV2 -------------------------------------------------------------------------------
def _top_k_infer(input, k, *, sorted):
    kv = None if k.value is None else int(k.value)
    if input.shape.ndims is None:
        return [
            TensorSpec(input.dtype, TensorShape(None)),
            TensorSpec(_dt.int32, TensorShape(None)),
        ]
    dims = input.shape.as_list()
    if not dims:
        raise ValueError("Shape must be at least rank 1 but is rank 0 for 'TopKV2'")
    if kv is not None and dims[-1] is not None and kv > dims[-1]:
        raise ValueError(
            f"input must have at least k columns. Had {dims[-1]}, needed {kv} for 'TopKV2'"
        )
    out = TensorShape(dims[:-1] + [kv])
    return [TensorSpec(input.dtype, out), TensorSpec(_dt.int32, out)]


def _top_k_kernel(input, k, *, sorted):
    k = int(k)
    if k < 0 or k > input.shape[-1]:
        raise InvalidArgumentError(
            None, None, f"input must have at least k columns. Had {input.shape[-1]}, needed {k}"
        )
    order = np.argsort(-input, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(input, order, axis=-1), order.astype(np.int32)


def _top_k_grad(op, grad_values, grad_indices=None):
    """d_input: each value's gradient scattered back to the position it came from."""
    x = op.inputs[0]
    indices = op.outputs[1]
    if grad_values is None:
        return [None, None]
    n = _array.shape(x)[-1]
    rows = _math.floor_div(_array.size(x), n)
    k = _array.shape(indices)[-1]
    offsets = _array.expand_dims(_math.multiply(_math.range_(0, rows), n), -1)
    flat = _math.add(_array.reshape(indices, _array.stack([rows, k])), offsets)
    scattered = _manip.scatter_nd(
        _array.reshape(flat, [-1, 1]),
        _array.reshape(grad_values, [-1]),
        _array.reshape(_array.size(x), [1]),
    )
    return [_array.reshape(scattered, _array.shape(x)), None]


register_op(
    OpDef(
        "TopKV2",
        inputs=["input: T", "k: int32"],
        outputs=["values: T", "indices: int32"],
        types={"T": _NUM},
        attrs={"sorted": True},
        infer=_top_k_infer,
        kernel=_top_k_kernel,
        grad=_top_k_grad,
    )
)


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):  # TF's name
    """The k largest entries of the last dimension and their indices (ties: lower index
    first)."""
    values, indices = apply_op("TopKV2", [input, k], {"sorted": bool(sorted)}, name=name).outputs
    return TopKV2(values, indices)


def _in_top_k_infer(predictions, targets, k):
    batch = predictions.shape.as_list()[:1] if predictions.shape.ndims else [None]
    return TensorSpec(_dt.bool_, TensorShape(batch))


def _in_top_k_kernel(predictions, targets, k):
    n, classes = predictions.shape
    if targets.shape != (n,):
        raise InvalidArgumentError(
            None, None, f"targets must be a vector of length {n}, got shape {list(targets.shape)}"
        )
    valid = (targets >= 0) & (targets < classes)
    safe = np.where(valid, targets, 0)
    target_values = predictions[np.arange(n), safe]
    finite = np.isfinite(target_values) & valid
    higher = (predictions > target_values[:, None]).sum(axis=1)
    return finite & (higher < int(k))


register_op(
    OpDef(
        "InTopKV2",
        inputs=["predictions: float32", "targets: T", "k: T"],
        outputs=["precision: bool"],
        types={"T": (_dt.int32, _dt.int64)},
        infer=_in_top_k_infer,
        kernel=_in_top_k_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def in_top_k(predictions, targets, k, name=None) -> Tensor:
    """Whether each target's prediction is among the k highest of its row."""
    targets = convert_to_tensor(targets)
    k = convert_to_tensor(k, dtype=targets.dtype)
    return apply_op("InTopKV2", [predictions, targets, k], name=name).outputs[0]
