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
        labels, logits = convert_to_tensor(labels), convert_to_tensor(logits)
        weights = convert_to_tensor(weights, dtype=logits.dtype)
        # As TF: labels [batch, 1] beside logits [batch, classes] lose their last axis, and
        # so do weights one rank above the labels.
        lr, pr = labels.shape.ndims, logits.shape.ndims
        if lr is not None and lr == pr and labels.shape.as_list()[-1] == 1:
            labels = _array.squeeze(labels, [-1])
            lr -= 1
        if lr is not None and weights.shape.ndims == lr + 1:
            weights = _array.squeeze(weights, [-1])
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


def _pair(labels, predictions, what):
    if labels is None or predictions is None:
        raise ValueError(f"{what}: labels and predictions must not be None.")
    predictions = convert_to_tensor(predictions)
    labels = _math.cast(convert_to_tensor(labels), predictions.dtype)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    return labels, predictions


def hinge_loss(
    labels,
    logits,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """max(0, 1 - (2 * labels - 1) * logits), labels in {0, 1}."""
    with name_scope(scope, "hinge_loss"):
        labels, logits = _pair(labels, logits, "hinge_loss")
        signs = _math.subtract(_math.multiply(2.0, labels), 1.0)
        losses = _math.maximum(
            _math.subtract(1.0, _math.multiply(signs, logits)), _array.zeros_like(logits)
        )
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def huber_loss(
    labels,
    predictions,
    weights=1.0,
    delta=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """0.5 * e^2 where |e| <= delta, delta * (|e| - 0.5 * delta) beyond (e the error)."""
    with name_scope(scope, "huber_loss"):
        labels, predictions = _pair(labels, predictions, "huber_loss")
        error = _math.abs(_math.subtract(predictions, labels))
        quadratic = _math.minimum(error, _math._scalar(delta, error.dtype))
        linear = _math.subtract(error, quadratic)
        losses = _math.add(
            _math.multiply(0.5, _math.square(quadratic)),
            _math.multiply(_math._scalar(delta, error.dtype), linear),
        )
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def log_loss(
    labels,
    predictions,
    weights=1.0,
    epsilon=1e-7,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
):
    """-labels * log(p + eps) - (1 - labels) * log(1 - p + eps)."""
    with name_scope(scope, "log_loss"):
        labels, predictions = _pair(labels, predictions, "log_loss")
        eps = _math._scalar(epsilon, predictions.dtype)
        losses = _math.subtract(
            _math.negative(_math.multiply(labels, _math.log(_math.add(predictions, eps)))),
            _math.multiply(
                _math.subtract(1.0, labels),
                _math.log(_math.add(_math.subtract(1.0, predictions), eps)),
            ),
        )
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def cosine_distance(
    labels,
    predictions,
    axis=None,
    weights=1.0,
    scope=None,
    loss_collection=GraphKeys.LOSSES,
    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS,
    dim=None,
):
    """1 - sum(labels * predictions, axis) (inputs unit-normalized along axis)."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    with name_scope(scope, "cosine_distance_loss"):
        labels, predictions = _pair(labels, predictions, "cosine_distance")
        products = _math.reduce_sum(_math.multiply(predictions, labels), axis=axis, keepdims=True)
        losses = _math.subtract(1.0, products)
        return compute_weighted_loss(losses, weights, None, loss_collection, reduction)


def mean_pairwise_squared_error(
    labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES
):
    """Per batch element, the mean over pairs (i, j) of its elements of
    ((p_i - p_j) - (l_i - l_j))^2, weighted per batch element and summed (TF1's formula)."""
    with name_scope(scope, "mean_pairwise_squared_error"):
        labels, predictions = _pair(labels, predictions, "mean_pairwise_squared_error")
        diffs = _math.subtract(predictions, labels)
        rank = diffs.shape.ndims
        if rank is None or rank < 2:
            raise ValueError("mean_pairwise_squared_error needs predictions of rank >= 2")
        axis = list(range(1, rank))
        n = _math.cast(_math.reduce_prod(_array.gather(_array.shape(diffs), axis)), diffs.dtype)
        sum_squares = _math.reduce_sum(_math.square(diffs), axis=axis, keepdims=True)
        term1 = _math.multiply(
            2.0, _safe_div(sum_squares, _math.maximum(_math.subtract(n, 1.0), 0.0))
        )
        sum_diff = _math.reduce_sum(diffs, axis=axis, keepdims=True)
        term2 = _math.multiply(
            2.0,
            _safe_div(
                _math.square(sum_diff),
                _math.maximum(_math.multiply(n, _math.subtract(n, 1.0)), 0.0),
            ),
        )
        weights = _math.cast(convert_to_tensor(weights), diffs.dtype)
        loss = _math.reduce_sum(_math.multiply(_math.subtract(term1, term2), weights))
        if loss_collection:
            get_default_graph().add_to_collection(loss_collection, loss)
        return loss
