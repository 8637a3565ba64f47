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
from .ops import array as _array, linalg as _linalg, math as _math, state as _state
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
    labels,
    predictions,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """How often `predictions` equal `labels`."""
    with name_scope(name, "accuracy"):
        predictions = convert_to_tensor(predictions)
        labels = _math.cast(convert_to_tensor(labels), predictions.dtype)
        hits = _math.cast(_math.equal(predictions, labels), _dt.float32)
        return mean(hits, weights, metrics_collections, updates_collections)


def mean_squared_error(
    labels,
    predictions,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
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
    names = {
        "tp": "true_positives",
        "fn": "false_negatives",
        "tn": "true_negatives",
        "fp": "false_positives",
    }
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
    labels,
    predictions,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """True positives / predicted positives (predictions are bool, or positive above 0.5)."""
    with name_scope(name, "precision"):
        return _rate(labels, predictions, weights, (metrics_collections, updates_collections), "fp")


def recall(
    labels,
    predictions,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """True positives / actual positives."""
    with name_scope(name, "recall"):
        return _rate(labels, predictions, weights, (metrics_collections, updates_collections), "fn")


# Counts -----------------------------------------------------------------------------------------
def _count_metric(case: str, default_name: str):
    def metric(
        labels,
        predictions,
        weights=None,
        metrics_collections=None,
        updates_collections=None,
        name=None,
    ):
        with name_scope(name, default_name):
            predictions = _math.cast(convert_to_tensor(predictions), _dt.bool_)
            variables, updates = _counts(
                labels, _math.cast(predictions, _dt.float32), weights, [0.5], [case]
            )
            value = _array.reshape(variables[case], [])
            update = _array.reshape(updates[case], [])
        _collect(value, update, metrics_collections, updates_collections)
        return value, update

    metric.__name__ = default_name
    metric.__doc__ = f"The (weighted) number of {default_name.replace('_', ' ')} (bool inputs)."
    return metric


true_positives = _count_metric("tp", "true_positives")
false_positives = _count_metric("fp", "false_positives")
true_negatives = _count_metric("tn", "true_negatives")
false_negatives = _count_metric("fn", "false_negatives")


def _at_thresholds(case: str, default_name: str):
    def metric(
        labels,
        predictions,
        thresholds,
        weights=None,
        metrics_collections=None,
        updates_collections=None,
        name=None,
    ):
        with name_scope(name, default_name):
            variables, updates = _counts(labels, predictions, weights, list(thresholds), [case])
        _collect(variables[case], updates[case], metrics_collections, updates_collections)
        return variables[case], updates[case]

    metric.__name__ = default_name
    metric.__doc__ = (
        f"Per threshold, the (weighted) {default_name[:-14].replace('_', ' ')} of predictions "
        "above it."
    )
    return metric


true_positives_at_thresholds = _at_thresholds("tp", "true_positives_at_thresholds")
false_positives_at_thresholds = _at_thresholds("fp", "false_positives_at_thresholds")
true_negatives_at_thresholds = _at_thresholds("tn", "true_negatives_at_thresholds")
false_negatives_at_thresholds = _at_thresholds("fn", "false_negatives_at_thresholds")


def _rate_at_thresholds(other: str, default_name: str):
    def metric(
        labels,
        predictions,
        thresholds,
        weights=None,
        metrics_collections=None,
        updates_collections=None,
        name=None,
    ):
        with name_scope(name, default_name):
            v, u = _counts(labels, predictions, weights, list(thresholds), ["tp", other])
            value = _math.real_div(v["tp"], _math.add(_math.add(v["tp"], v[other]), EPSILON))
            update = _math.real_div(u["tp"], _math.add(_math.add(u["tp"], u[other]), EPSILON))
        _collect(value, update, metrics_collections, updates_collections)
        return value, update

    metric.__name__ = default_name
    metric.__doc__ = f"Per threshold, tp / (tp + {other}) of predictions above it (TF1's epsilon)."
    return metric


precision_at_thresholds = _rate_at_thresholds("fp", "precision_at_thresholds")
recall_at_thresholds = _rate_at_thresholds("fn", "recall_at_thresholds")


def _default_thresholds(num_thresholds: int) -> list[float]:
    if num_thresholds < 2:
        raise ValueError("num_thresholds must be > 1.")
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - EPSILON] + inner + [1.0 + EPSILON]


def sensitivity_at_specificity(
    labels,
    predictions,
    specificity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The sensitivity at the threshold whose specificity is closest to `specificity`."""
    if not 0 <= specificity <= 1:
        raise ValueError("`specificity` must be in the range [0, 1].")
    with name_scope(name, "sensitivity_at_specificity"):
        thresholds = _default_thresholds(num_thresholds)
        v, u = _counts(labels, predictions, weights, thresholds, ["tp", "fn", "tn", "fp"])

        def compute(c):
            specificities = _math.real_div(c["tn"], _math.add(_math.add(c["tn"], c["fp"]), EPSILON))
            index = _math.argmin(_math.abs(_math.subtract(specificities, specificity)), 0)
            tp, fn = _array.gather(c["tp"], index), _array.gather(c["fn"], index)
            return _math.real_div(tp, _math.add(_math.add(tp, fn), EPSILON))

        value, update = compute(v), compute(u)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def specificity_at_sensitivity(
    labels,
    predictions,
    sensitivity,
    weights=None,
    num_thresholds=200,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The specificity at the (last) threshold whose sensitivity is closest to
    `sensitivity`."""
    if not 0 <= sensitivity <= 1:
        raise ValueError("`sensitivity` must be in the range [0, 1].")
    with name_scope(name, "specificity_at_sensitivity"):
        thresholds = _default_thresholds(num_thresholds)
        v, u = _counts(labels, predictions, weights, thresholds, ["tp", "fn", "tn", "fp"])

        def compute(c):
            sens = _math.real_div(c["tp"], _math.add(_math.add(c["tp"], c["fn"]), EPSILON))
            distance = _math.abs(_math.subtract(sens, sensitivity))
            at_min = _math.cast(_math.equal(distance, _math.reduce_min(distance)), _dt.int64)
            index = _math.argmax(_math.cumsum(at_min), 0)
            tn, fp = _array.gather(c["tn"], index), _array.gather(c["fp"], index)
            return _math.real_div(tn, _math.add(_math.add(tn, fp), EPSILON))

        value, update = compute(v), compute(u)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


# Errors and means ------------------------------------------------------------------------------
def _float_pair(labels, predictions):
    return (
        _math.cast(convert_to_tensor(labels), _dt.float32),
        _math.cast(convert_to_tensor(predictions), _dt.float32),
    )


def mean_absolute_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    with name_scope(name, "mean_absolute_error"):
        labels, predictions = _float_pair(labels, predictions)
        return mean(
            _math.abs(_math.subtract(predictions, labels)),
            weights,
            metrics_collections,
            updates_collections,
        )


def mean_relative_error(
    labels,
    predictions,
    normalizer,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The mean of |predictions - labels| / normalizer (0 where the normalizer is)."""
    with name_scope(name, "mean_relative_error"):
        labels, predictions = _float_pair(labels, predictions)
        normalizer = _math.cast(convert_to_tensor(normalizer), _dt.float32)
        relative = _safe_div(_math.abs(_math.subtract(labels, predictions)), normalizer)
        return mean(relative, weights, metrics_collections, updates_collections)


def root_mean_squared_error(
    labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    with name_scope(name, "root_mean_squared_error"):
        value, update = mean_squared_error(labels, predictions, weights)
        value, update = _math.sqrt(value), _math.sqrt(update)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def mean_cosine_distance(
    labels,
    predictions,
    dim,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The mean of 1 - sum(labels * predictions, dim) (inputs unit-normalized along dim)."""
    with name_scope(name, "mean_cosine_distance"):
        labels, predictions = _float_pair(labels, predictions)
        products = _math.reduce_sum(_math.multiply(labels, predictions), axis=dim, keepdims=True)
        value, update = mean(products, weights)
        value, update = _math.subtract(1.0, value), _math.subtract(1.0, update)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def mean_tensor(
    values, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """The element-wise (weighted) mean over batches of `values` (a tensor of fixed shape)."""
    with name_scope(name, "mean"):
        values = _math.cast(convert_to_tensor(values), _dt.float32)
        if not values.shape.is_fully_defined():
            raise ValueError(f"mean_tensor needs a fully defined shape, got {values.shape}")
        w = _weights(weights, values)
        total = _local("total_tensor", values.shape.as_list())
        count = _local("count_tensor", values.shape.as_list())
        update_total = _state.assign_add(total, _math.multiply(values, w))
        update_count = _state.assign_add(count, w)
        value = _safe_div(total, count)
        update = _safe_div(update_total, update_count)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def percentage_below(
    values, threshold, weights=None, metrics_collections=None, updates_collections=None, name=None
):
    """The (weighted) fraction of values below `threshold`."""
    with name_scope(name, "percentage_below_threshold"):
        values = _math.cast(convert_to_tensor(values), _dt.float32)
        below = _math.cast(_math.less(values, threshold), _dt.float32)
        return mean(below, weights, metrics_collections, updates_collections)


# Per class ----------------------------------------------------------------------------------------
def _confusion(labels, predictions, num_classes, weights, name):
    """(variable, update) of the [num_classes, num_classes] confusion matrix (rows: labels)."""
    labels = _math.cast(_array.reshape(convert_to_tensor(labels), [-1]), _dt.int64)
    predictions = _math.cast(_array.reshape(convert_to_tensor(predictions), [-1]), _dt.int64)
    w = _array.reshape(_weights(weights, _math.cast(labels, _dt.float32)), [-1])
    cells = _math.add(_math.multiply(labels, num_classes), predictions)
    counted = _math.unsorted_segment_sum(w, cells, num_classes * num_classes)
    matrix = _local(name, [num_classes, num_classes])
    update = _state.assign_add(matrix, _array.reshape(counted, [num_classes, num_classes]))
    return matrix, update


def mean_iou(
    labels,
    predictions,
    num_classes,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The mean over classes seen of intersection / union, from a running confusion matrix
    (its update op returns the matrix, as TF1's)."""
    with name_scope(name, "mean_iou"):
        matrix, update = _confusion(
            labels, predictions, num_classes, weights, "total_confusion_matrix"
        )
        rows = _math.reduce_sum(matrix, 0)
        cols = _math.reduce_sum(matrix, 1)
        diag = _linalg.matrix_diag_part(matrix)
        denominator = _math.subtract(_math.add(rows, cols), diag)
        valid = _math.reduce_sum(_math.cast(_math.not_equal(denominator, 0), _dt.float32))
        iou = _safe_div(diag, denominator)
        value = _safe_div(_math.reduce_sum(iou), valid)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


def mean_per_class_accuracy(
    labels,
    predictions,
    num_classes,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The mean over all classes of each class's accuracy (0 for a class never seen); the
    update op returns the per-class accuracies, as TF1's."""
    with name_scope(name, "mean_accuracy"):
        labels = _math.cast(_array.reshape(convert_to_tensor(labels), [-1]), _dt.int64)
        predictions = _math.cast(_array.reshape(convert_to_tensor(predictions), [-1]), _dt.int64)
        w = _array.reshape(_weights(weights, _math.cast(labels, _dt.float32)), [-1])
        correct = _math.multiply(_math.cast(_math.equal(labels, predictions), _dt.float32), w)
        total = _local("total", [num_classes])
        count = _local("count", [num_classes])
        update_total = _state.assign_add(total, _math.unsorted_segment_sum(w, labels, num_classes))
        update_count = _state.assign_add(
            count, _math.unsorted_segment_sum(correct, labels, num_classes)
        )
        value = _math.reduce_mean(_safe_div(count, total))
        update = _safe_div(update_count, update_total)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


# Top-k precision and recall ------------------------------------------------------------------
def _dense_labels(labels):
    """(labels as a dense int64 [..., num_labels] tensor, which of them are labels): a
    SparseTensor's missing entries are -1 and not labels; every entry of a dense tensor is
    one (TF counts out-of-range ones as misses); [...] single labels get a last axis."""
    from .ops import sparse as _sparse
    from .sparse_tensor import SparseTensor

    if isinstance(labels, SparseTensor):
        values = _math.cast(labels.values, _dt.int64)
        dense = _sparse.sparse_tensor_to_dense(
            SparseTensor(labels.indices, values, labels.dense_shape), default_value=-1
        )
        present = _sparse.sparse_tensor_to_dense(
            SparseTensor(labels.indices, _array.ones_like(values, dtype=_dt.bool_),
                         labels.dense_shape), default_value=False,
        )  # fmt: skip
        return dense, present
    dense = _math.cast(convert_to_tensor(labels), _dt.int64)
    return dense, _array.ones_like(dense, dtype=_dt.bool_)


def _aligned(labels, predictions_idx):
    labels, present = _dense_labels(labels)
    idx = _math.cast(convert_to_tensor(predictions_idx), _dt.int64)
    if labels.shape.ndims == idx.shape.ndims - 1:
        labels, present = _array.expand_dims(labels, -1), _array.expand_dims(present, -1)
    return labels, present, idx


def _top_k_hits(labels, predictions_idx, class_id):
    """Per example: (true positives, false positives, false negatives) of the top-k
    predicted classes against the labels (only `class_id` when given)."""
    labels, present, idx = _aligned(labels, predictions_idx)
    # [..., k, num_labels]: does the i-th prediction match a label?
    match = _math.logical_and(
        _math.equal(_array.expand_dims(idx, -1), _array.expand_dims(labels, -2)),
        _array.expand_dims(present, -2),
    )

    def f(x):
        return _math.cast(x, _dt.float32)

    if class_id is None:
        predicted_hit = _math.reduce_any(match, axis=-1)  # [..., k]
        label_found = _math.reduce_any(match, axis=-2)  # [..., num_labels]
        missed = _math.logical_and(present, _math.logical_not(label_found))
        tp = _math.reduce_sum(f(predicted_hit), axis=-1)
        fp = _math.reduce_sum(f(_math.logical_not(predicted_hit)), axis=-1)
        return tp, fp, _math.reduce_sum(f(missed), axis=-1)
    cls = convert_to_tensor(class_id, dtype=_dt.int64)
    in_top = _math.reduce_any(_math.equal(idx, cls), axis=-1)
    in_labels = _math.reduce_any(_math.logical_and(_math.equal(labels, cls), present), axis=-1)
    both = _math.logical_and(in_top, in_labels)
    return (f(both), f(_math.logical_and(in_top, _math.logical_not(in_labels))),
            f(_math.logical_and(in_labels, _math.logical_not(in_top))))  # fmt: skip


def _streaming_rate(labels, predictions_idx, k, class_id, weights, collections, other, name):
    """TP / (TP + FP) (precision) or TP / (TP + FN) (recall) over every batch, in local
    variables named as TF's (true_positive_at_<k>, false_positive_at_<k>, ...)."""
    tp, fp, fn = _top_k_hits(labels, predictions_idx, class_id)
    w = _weights(weights, tp)
    suffix = f"at_{k}" if class_id is None else f"at_{k}_class{class_id}"
    tp_var = _local(f"true_positive_{suffix}", [])
    other_var = _local(f"false_{'positive' if other == 'fp' else 'negative'}_{suffix}", [])
    batch_other = fp if other == "fp" else fn
    update_tp = _state.assign_add(tp_var, _math.reduce_sum(_math.multiply(tp, w)))
    update_other = _state.assign_add(other_var, _math.reduce_sum(_math.multiply(batch_other, w)))
    value = _safe_div(tp_var, _math.add(tp_var, other_var))
    update = _safe_div(update_tp, _math.add(update_tp, update_other))
    _collect(value, update, *collections)
    return value, update


def _top_k_indices(predictions, k):
    from .ops.nn import top_k

    return top_k(convert_to_tensor(predictions), k)[1]


def precision_at_k(
    labels,
    predictions,
    k,
    class_id=None,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Of the k highest-scored classes of each example, the (weighted) fraction that are
    among its labels, over every batch (or only for `class_id`)."""
    with name_scope(name, f"precision_at_{k}"):
        return _streaming_rate(
            labels,
            _top_k_indices(predictions, k),
            k,
            class_id,
            weights,
            (metrics_collections, updates_collections),
            "fp",
            name,
        )


def precision_at_top_k(
    labels,
    predictions_idx,
    k=None,
    class_id=None,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """precision_at_k given the top-k class indices themselves."""
    idx = convert_to_tensor(predictions_idx)
    k = k if k is not None else idx.shape.as_list()[-1]
    with name_scope(name, f"precision_at_top_{k}"):
        return _streaming_rate(
            labels,
            idx,
            k,
            class_id,
            weights,
            (metrics_collections, updates_collections),
            "fp",
            name,
        )


def recall_at_k(
    labels,
    predictions,
    k,
    class_id=None,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """Of each example's labels, the (weighted) fraction among its k highest-scored
    classes, over every batch (labels outside the classes always count as misses)."""
    with name_scope(name, f"recall_at_{k}"):
        return _streaming_rate(
            labels,
            _top_k_indices(predictions, k),
            k,
            class_id,
            weights,
            (metrics_collections, updates_collections),
            "fn",
            name,
        )


def recall_at_top_k(
    labels,
    predictions_idx,
    k=None,
    class_id=None,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """recall_at_k given the top-k class indices themselves."""
    idx = convert_to_tensor(predictions_idx)
    k = k if k is not None else idx.shape.as_list()[-1]
    with name_scope(name, f"recall_at_top_{k}"):
        return _streaming_rate(
            labels,
            idx,
            k,
            class_id,
            weights,
            (metrics_collections, updates_collections),
            "fn",
            name,
        )


def average_precision_at_k(
    labels,
    predictions,
    k,
    weights=None,
    metrics_collections=None,
    updates_collections=None,
    name=None,
):
    """The mean over examples of AP@k: the precision at each rank i <= k where the i-th
    prediction is a label, summed and divided by min(k, the example's number of labels)
    (NaN for an example without labels, as TF). Local variables `total` and `max` (the
    number of examples, weighted), float64."""
    if k < 1:
        raise ValueError(f"Invalid k={k}.")
    with name_scope(name, f"average_precision_at_{k}"):
        labels, present, idx = _aligned(labels, _top_k_indices(predictions, k))
        match = _math.logical_and(
            _math.equal(_array.expand_dims(idx, -1), _array.expand_dims(labels, -2)),
            _array.expand_dims(present, -2),
        )
        relevant = _math.cast(_math.reduce_any(match, axis=-1), _dt.float64)  # [..., k]
        ranks = _math.cast(_math.range_(1, k + 1), _dt.float64)
        precision_at_i = _math.real_div(_math.cumsum(relevant, axis=-1), ranks)
        num_labels = _math.reduce_sum(_math.cast(present, _dt.float64), axis=-1)
        denominator = _math.minimum(num_labels, float(k))
        hits = _math.reduce_sum(_math.multiply(precision_at_i, relevant), axis=-1)
        some = _math.greater(denominator, 0.0)
        safe = _math.where(some, denominator, _array.ones_like(denominator))
        nan = _math.multiply(_array.ones_like(denominator), float("nan"))
        ap = _math.where(some, _math.real_div(hits, safe), nan)
        w = _math.cast(_weights(weights, _math.cast(ap, _dt.float32)), _dt.float64)
        total = _local("total", [], _dt.float64)
        count = _local("max", [], _dt.float64)
        update_total = _state.assign_add(total, _math.reduce_sum(_math.multiply(ap, w)))
        update_count = _state.assign_add(count, _math.reduce_sum(w))
        value = _safe_div(total, count)
        update = _safe_div(update_total, update_count)
    _collect(value, update, metrics_collections, updates_collections)
    return value, update


sparse_precision_at_k = precision_at_k
sparse_average_precision_at_k = average_precision_at_k
