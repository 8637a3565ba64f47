"""`tf.losses` basics: weighted losses with TF1's reductions, added to the LOSSES
collection, and `get_total_loss` with the regularization losses."""

from __future__ import annotations

from . import dtypes as _dt
from .framework import GraphKeys, convert_to_tensor, get_default_graph, name_scope
from .ops import array as _array, math as _math, nn as _nn


class Reduction:
    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_OVER_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_BY_NONZERO_WEIGHTS = SUM_OVER_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


def _safe_div(num, den):
    zero = _array.zeros_like(den)
    positive = _math.greater(den, zero)
    return _math._select(
        positive,
        _math.real_div(num, _math._select(positive, den, _array.ones_like(den))),
        _array.zeros_like(num),
    )


def compute_weighted_loss(
    losses,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """losses * weights, reduced as `reduction` says; added to `loss_collection`."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss"):
        losses = convert_to_tensor(losses)
        dtype = losses.dtype
        if not dtype.is_floating:
            losses = _math.cast(losses, _dt.float32)
        weights = _math.cast(convert_to_tensor(weights), losses.dtype)
        weighted = _math.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = _math.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = _safe_div(
                    loss, _math.reduce_sum(_math.multiply(_array.ones_like(losses), weights))
                )
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _safe_div(loss, _math.cast(_array.size(losses), losses.dtype))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                nonzero = _math.cast(
                    _math.not_equal(weights, _array.zeros_like(weights)), losses.dtype
                )
                count = _math.reduce_sum(_math.multiply(_array.ones_like(losses), nonzero))
                loss = _safe_div(loss, count)
        if loss.dtype is not dtype and dtype.is_floating:
            loss = _math.cast(loss, dtype)
        if loss_collection:
            get_default_graph().add_to_collection(loss_collection, loss)
        return loss


def mean_squared_error(
    labels,
    predictions,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weighted mean of (labels - predictions)^2."""
    if labels is None or predictions is None:
        raise ValueError("labels and predictions must not be None.")
    with name_scope(scope, "mean_squared_error"):
        predictions = convert_to_tensor(predictions)
        labels = _math.cast(convert_to_tensor(labels), predictions.dtype)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        losses = _math.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def absolute_difference(
    labels,
    predictions,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weighted mean of |labels - predictions|."""
    with name_scope(scope, "absolute_difference"):
        predictions = convert_to_tensor(predictions)
        labels = _math.cast(convert_to_tensor(labels), predictions.dtype)
        losses = _math.abs(_math.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels,
    logits,
    weights=1.0,
    label_smoothing=0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weighted softmax cross entropy of one-hot labels (optionally smoothed)."""
    if onehot_labels is None or logits is None:
        raise ValueError("onehot_labels and logits must not be None.")
    with name_scope(scope, "softmax_cross_entropy_loss"):
        logits = convert_to_tensor(logits)
        labels = _math.cast(convert_to_tensor(onehot_labels), logits.dtype)
        if not logits.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {logits.shape} and {labels.shape} are incompatible")
        if label_smoothing > 0:
            classes = _math.cast(_array.shape(labels)[-1], logits.dtype)
            smooth = _math._scalar(label_smoothing, logits.dtype)
            labels = _math.add(
                _math.multiply(labels, _math._scalar(1 - label_smoothing, logits.dtype)),
                _math.real_div(smooth, classes),
            )
        losses = _nn.softmax_cross_entropy_with_logits_v2(
            labels=_array.stop_gradient(labels), logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def sparse_softmax_cross_entropy(
    labels,
    logits,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weighted softmax cross entropy of class-index labels."""
    if labels is None or logits is None:
        raise ValueError("labels and logits must not be None.")
    with name_scope(scope, "sparse_softmax_cross_entropy_loss"):
        losses = _nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels,
    logits,
    weights=1.0,
    label_smoothing=0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """Weighted logistic loss of 0/1 labels."""
    with name_scope(scope, "sigmoid_cross_entropy_loss"):
        logits = convert_to_tensor(logits)
        labels = _math.cast(convert_to_tensor(multi_class_labels), logits.dtype)
        if label_smoothing > 0:
            labels = _math.add(
                _math.multiply(labels, _math._scalar(1 - label_smoothing, logits.dtype)),
                _math._scalar(0.5 * label_smoothing, logits.dtype),
            )
        losses = _nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def add_loss(loss, loss_collection=GraphKeys.LOSSES) -> None:
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES) -> list:
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses (0.0 if there are none)."""
    losses = get_regularization_losses(scope)
    if losses:
        return _math.add_n(losses, name=name)
    return _array.constant(0.0, name=name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the LOSSES collection, plus the regularization losses if asked."""
    losses = get_losses(scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope)
    if not losses:
        raise ValueError("No losses found in collections")
    return _math.add_n(losses, name=name)
