"""`tf.metrics`: streaming metrics as TF1 builds them. Each returns `(value, update_op)`:
`update_op` folds a batch into local variables (LOCAL_VARIABLES and METRIC_VARIABLES,
not trainable, zeroed by `tf.local_variables_initializer()`), and `value` reads the
metric from them. AUC follows TF1's algorithm exactly: a confusion matrix at
`num_thresholds` thresholds evenly spaced in [0, 1] (the first just below 0, the last just
above 1), the ROC or PR curve from it with TF1's epsilon, and the trapezoidal rule.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .framework import GraphKeys, convert_to_tensor, get_default_graph, name_scope
from .ops import array as _array, math as _math, state as _state
from .variables import Variable

EPSILON = 1e-7  # TF1's, in the rates of `auc`


def _local(name: str, shape, dtype=_dt.float32):
    return Variable(
        _array.zeros(shape, dtype),
        trainable=False,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
        name=name,
    )


def _collect(value, update, metrics_collections, updates_collections) -> None:
    graph = get_default_graph()
    for key in metrics_collections or []:
        graph.add_to_collection(key, value)
    for key in updates_collections or []:
        graph.add_to_collection(key, update)


def _safe_div(num, den):
    """num / den where den > 0, else 0 (no division by zero is evaluated)."""
    positive = _math.greater(den, 0)
    safe = _math.where(positive, den, _array.ones_like(den))
    return _math.where(positive, _math.real_div(num, safe), _array.zeros_like(num))


def _weights(weights, like):
    if weights is None:
        return _array.ones_like(like)
    return _math.multiply(
        _math.cast(convert_to_tensor(weights), like.dtype), _array.ones_like(like)
    )


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of every value seen."""
    with name_scope(name, "mean"):
        values = _math.cast(convert_to_tensor(values), _dt.float32)
        w = _weights(weights, values)
        total = _local("total", [])
        count = _local("count", [])
        update_total = _state.assign_add(total, _math.reduce_sum(_math.multiply(values, w)))
        update_count = _state.assign_add(count, _math.reduce_sum(w))
        value = _safe_div(total, count)
        update = _safe_div(update_total, update_count)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def accuracy(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
    name=None,
):  # fmt: skip
    """How often `predictions` equal `labels`."""
    with name_scope(name, "accuracy"):
        predictions = convert_to_tensor(predictions)
        labels = _math.cast(convert_to_tensor(labels), predictions.dtype)
        hits = _math.cast(_math.equal(predictions, labels), _dt.float32)
        return mean(hits, weights, metrics_collections, updates_collections)


def mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
    name=None,
):  # fmt: skip
    with name_scope(name, "mean_squared_error"):
        predictions = _math.cast(convert_to_tensor(predictions), _dt.float32)
        labels = _math.cast(convert_to_tensor(labels), _dt.float32)
        return mean(
            _math.squared_difference(labels, predictions),
            weights,
            metrics_collections,
            updates_collections,
        )


def _counts(labels, predictions, weights, thresholds, wanted):
    """(variables, update ops) of the confusion-matrix counts in `wanted` ('tp', 'fn', 'tn',
    'fp') at each threshold: a prediction is positive when it is above the threshold."""
    predictions = _array.reshape(_math.cast(convert_to_tensor(predictions), _dt.float32), [1, -1])
    labels = _array.reshape(_math.cast(convert_to_tensor(labels), _dt.bool_), [1, -1])
    w = _array.reshape(_weights(weights, _math.cast(labels, _dt.float32)), [1, -1])
    above = _math.greater(predictions, np.asarray(thresholds, np.float32).reshape(-1, 1))
    below = _math.logical_not(above)
    negative = _math.logical_not(labels)
    cases = {
        "tp": _math.logical_and(labels, above),
        "fn": _math.logical_and(labels, below),
        "tn": _math.logical_and(negative, below),
        "fp": _math.logical_and(negative, above),
    }
    names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
             "fp": "false_positives"}  # fmt: skip
    variables, updates = {}, {}
    for key in wanted:
        variables[key] = _local(names[key], [len(thresholds)])
        counted = _math.reduce_sum(_math.multiply(_math.cast(cases[key], _dt.float32), w), 1)
        updates[key] = _state.assign_add(variables[key], counted)
    return variables, updates


def _auc_from(c, curve: str, summation_method: str):
    tp, fn, tn, fp = c["tp"], c["fn"], c["tn"], c["fp"]
    if curve == "ROC":
        x = _math.real_div(fp, _math.add(_math.add(fp, tn), EPSILON))
        y = _math.real_div(_math.add(tp, EPSILON), _math.add(_math.add(tp, fn), EPSILON))
    else:  # PR
        x = _math.real_div(_math.add(tp, EPSILON), _math.add(_math.add(tp, fn), EPSILON))
        y = _math.real_div(_math.add(tp, EPSILON), _math.add(_math.add(tp, fp), EPSILON))
    n = int(x.shape.as_list()[0])
    left_x, right_x = _array.strided_slice(x, [0], [n - 1]), _array.strided_slice(x, [1], [n])
    left_y, right_y = _array.strided_slice(y, [0], [n - 1]), _array.strided_slice(y, [1], [n])
    if summation_method in ("trapezoidal", "careful_interpolation"):
        height = _math.real_div(_math.add(left_y, right_y), 2.0)
    elif summation_method == "minoring":
        height = _math.minimum(left_y, right_y)
    else:  # majoring
        height = _math.maximum(left_y, right_y)
    return _math.reduce_sum(_math.multiply(_math.subtract(left_x, right_x), height))


def auc(
    labels,
    predictions,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    curve="ROC",
    name=None,
    summation_method="trapezoidal",
    thresholds=None,
):
    """Area under the ROC (or PR) curve of `predictions` in [0, 1] against bool `labels`."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"Invalid summation_method: {summation_method}")
    if thresholds is None:
        if num_thresholds < 2:
            raise ValueError("num_thresholds must be > 1.")
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
    else:
        thresholds = [0.0 - EPSILON] + list(thresholds) + [1.0 + EPSILON]
    with name_scope(name, "auc"):
        variables, updates = _counts(
            labels, predictions, weights, thresholds, ["tp", "fn", "tn", "fp"]
        )
        value = _auc_from(variables, curve, summation_method)
        update = _auc_from(updates, curve, summation_method)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def _rate(labels, predictions, weights, collections, other: str):
    predictions = _math.cast(convert_to_tensor(predictions), _dt.float32)
    variables, updates = _counts(labels, predictions, weights, [0.5], ["tp", other])
    tp, rest = _array.reshape(variables["tp"], []), _array.reshape(variables[other], [])
    value = _safe_div(tp, _math.add(tp, rest))
    up_tp, up_rest = _array.reshape(updates["tp"], []), _array.reshape(updates[other], [])
    update = _safe_div(up_tp, _math.add(up_tp, up_rest))
    _collect(value, update, *collections)
    return value, update


def precision(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
    name=None,
):  # fmt: skip
    """True positives / predicted positives (predictions are bool, or positive above 0.5)."""
    with name_scope(name, "precision"):
        return _rate(labels, predictions, weights,
                     (metrics_collections, updates_collections), "fp")  # fmt: skip


def recall(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
    name=None,
):  # fmt: skip
    """True positives / actual positives."""
    with name_scope(name, "recall"):
        return _rate(labels, predictions, weights,
                     (metrics_collections, updates_collections), "fn")  # fmt: skip
