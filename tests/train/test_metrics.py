"""tf.metrics: values equal to TF1's on the same batches (recorded from TF1's tf.metrics,
so that no test needs TensorFlow), streaming over several update_op runs, local
variables reset by local_variables_initializer, in-process and on a cluster."""

import numpy as np
import pytest

import psflow as tf

# TF1 (tensorflow.compat.v1, 2.x) on the batches below: auc, auc PR weighted with 50
# thresholds, accuracy, weighted mean, precision, recall, mean squared error, auc minoring.
TF1 = [0.82843465, 0.80400735, 0.698, 0.48600253, 0.62992126, 0.7373272, 0.1683109, 0.826448]


def _data():
    rng = np.random.default_rng(0)
    labels = rng.random(500) > 0.6
    preds = np.clip(labels * 0.3 + rng.random(500) * 0.7, 0, 1).astype(np.float32)
    weights = rng.random(500).astype(np.float32)
    return labels, preds, weights


def _auc_reference(labels, preds, num_thresholds=200):
    """TF1's ROC AUC from its definition: counts at thresholds, rates, trapezoids."""
    eps = 1e-7
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-eps] + inner + [1 + eps])
    above = preds[None, :] > thresholds[:, None]
    tp = (above & labels).sum(1)
    fp = (above & ~labels).sum(1)
    fn = (~above & labels).sum(1)
    tn = (~above & ~labels).sum(1)
    tpr = (tp + eps) / (tp + fn + eps)
    fpr = fp / (fp + tn + eps)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def test_metrics_equal_tf1s_over_streamed_batches(target):
    labels, preds, weights = _data()
    lab = tf.placeholder(tf.bool, [None])
    pr = tf.placeholder(tf.float32, [None])
    w = tf.placeholder(tf.float32, [None])
    metrics = [
        tf.metrics.auc(lab, pr),
        tf.metrics.auc(lab, pr, weights=w, curve="PR", num_thresholds=50),
        tf.metrics.accuracy(lab, pr > 0.5),
        tf.metrics.mean(pr, weights=w),
        tf.metrics.precision(lab, pr > 0.5),
        tf.metrics.recall(lab, pr > 0.5),
        tf.metrics.mean_squared_error(tf.cast(lab, tf.float32), pr),
        tf.metrics.auc(lab, pr, summation_method="minoring"),
    ]
    assert all(not v.trainable for v in tf.local_variables())
    assert set(tf.local_variables()) == set(tf.get_collection(tf.GraphKeys.METRIC_VARIABLES))
    with tf.Session(target) as sess:
        sess.run(tf.local_variables_initializer())
        for i in range(0, 500, 100):
            updated = sess.run(
                [m[1] for m in metrics],
                {lab: labels[i : i + 100], pr: preds[i : i + 100], w: weights[i : i + 100]},
            )
        values = sess.run([m[0] for m in metrics])
        np.testing.assert_allclose(values, TF1, rtol=2e-6)
        np.testing.assert_allclose(updated, TF1, rtol=2e-6)
        assert values[0] == pytest.approx(_auc_reference(labels, preds), rel=1e-6)
        sess.run(tf.local_variables_initializer())  # a fresh evaluation
        sess.run([m[1] for m in metrics], {lab: labels[:100], pr: preds[:100], w: weights[:100]})
        first = sess.run(metrics[0][0])
    assert first == pytest.approx(_auc_reference(labels[:100], preds[:100]), rel=1e-6)


def test_metric_arguments_are_checked():
    lab, pr = tf.constant([True]), tf.constant([0.5])
    with pytest.raises(ValueError, match="curve must be either ROC or PR"):
        tf.metrics.auc(lab, pr, curve="XY")
    with pytest.raises(ValueError, match="num_thresholds must be > 1"):
        tf.metrics.auc(lab, pr, num_thresholds=1)
    with pytest.raises(ValueError, match="Invalid summation_method"):
        tf.metrics.auc(lab, pr, summation_method="simpson")


# TF1 (tensorflow.compat.v1) on the same batches, for the metrics of the test below.
TF1_MORE = [
    79.85063934,
    94.0,
    189.0,
    28.78643227,
    [217.0, 160.0, 51.0],
    [100.36734772, 49.0026741, 0.0],
    [79.0, 189.0, 283.0],
    [0.0, 57.0, 166.0],
    [0.51543945, 0.62992126, 1.0],
    [1.0, 0.73502201, 0.21775757],
    0.70046085,
    0.57597172,
    0.37056968,
    0.65663207,
    0.4102571,
    0.37,
    0.54256278,
    0.70334274,
]


def test_more_metrics_equal_tf1s(target):
    labels, preds, weights = _data()
    rng = np.random.default_rng(1)
    cls_l = rng.integers(0, 4, 500)
    cls_p = np.where(rng.random(500) < 0.6, cls_l, rng.integers(0, 4, 500))
    lab, pr, w = (tf.placeholder(t, [None]) for t in (tf.bool, tf.float32, tf.float32))
    cl, cp = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
    th = [0.2, 0.5, 0.8]
    m = tf.metrics
    metrics = [
        m.true_positives(lab, pr > 0.5, weights=w),
        m.false_positives(lab, pr > 0.5),
        m.true_negatives(lab, pr > 0.5),
        m.false_negatives(lab, pr > 0.5, weights=w),
        m.true_positives_at_thresholds(lab, pr, th),
        m.false_positives_at_thresholds(lab, pr, th, weights=w),
        m.true_negatives_at_thresholds(lab, pr, th),
        m.false_negatives_at_thresholds(lab, pr, th),
        m.precision_at_thresholds(lab, pr, th),
        m.recall_at_thresholds(lab, pr, th, weights=w),
        m.sensitivity_at_specificity(lab, pr, 0.7),
        m.specificity_at_sensitivity(lab, pr, 0.8),
        m.mean_absolute_error(tf.cast(lab, tf.float32), pr, weights=w),
        m.mean_relative_error(tf.cast(lab, tf.float32) + 1.0, pr, tf.cast(lab, tf.float32) + 1.0),
        m.root_mean_squared_error(tf.cast(lab, tf.float32), pr),
        m.percentage_below(pr, 0.4),
        m.mean_iou(cl, cp, 4),
        m.mean_per_class_accuracy(cl, cp, 4),
    ]
    with tf.Session(target) as sess:
        sess.run(tf.local_variables_initializer())
        for i in range(0, 500, 100):
            s = slice(i, i + 100)
            sess.run(
                [u for _, u in metrics],
                {lab: labels[s], pr: preds[s], w: weights[s], cl: cls_l[s], cp: cls_p[s]},
            )
        values = sess.run([v for v, _ in metrics])
    for got, want in zip(values, TF1_MORE):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_mean_tensor_and_mean_cosine_distance():
    values = tf.placeholder(tf.float32, [2, 2])
    mean_t, update_t = tf.metrics.mean_tensor(values)
    a = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    b = np.array([[0.6, 0.8], [1.0, 0.0]], np.float32)
    dist, update_d = tf.metrics.mean_cosine_distance(a, b, dim=1)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(update_t, {values: a})
        sess.run([update_t, update_d], {values: b})
        got_t, got_d = sess.run([mean_t, dist])
    np.testing.assert_allclose(got_t, (a + b) / 2)
    assert got_d == pytest.approx(1 - (0.6 + 0.0) / 2)


def test_top_k_precision_recall_and_average_precision_are_tfs():
    """Values TensorFlow 1.x gave for the same labels and scores (dense labels with a -1
    pad, sparse labels, class_id, weights; an example without labels makes the average
    precision NaN, as in TF)."""
    rng = np.random.RandomState(0)
    pred = rng.rand(6, 5).astype(np.float32)
    labels = np.array([[0, 3], [1, -1], [4, 2], [2, 2], [0, 1], [3, 4]], np.int64)
    sp = tf.SparseTensor([[0, 0], [1, 0], [2, 0], [2, 1], [4, 0]],
                         np.array([1, 2, 3, 0, 4], np.int64), [6, 3])  # fmt: skip
    w = np.array([1, 2, 0.5, 1, 1, 3], np.float32)
    top2 = tf.constant(np.argsort(-pred, 1)[:, :2])
    top3 = tf.constant(np.argsort(-pred, 1)[:, :3])
    metrics = [
        tf.metrics.precision_at_k(labels, pred, 2),
        tf.metrics.recall_at_k(labels, pred, 2),
        tf.metrics.precision_at_k(labels, pred, 3, class_id=2),
        tf.metrics.recall_at_k(labels, pred, 3, class_id=4, weights=w),
        tf.metrics.precision_at_top_k(labels, top2),
        tf.metrics.recall_at_top_k(sp, top3),
        tf.metrics.average_precision_at_k(labels, pred, 3),
        tf.metrics.sparse_average_precision_at_k(sp, pred, 2, weights=w),
        tf.metrics.sparse_precision_at_k(sp, pred, 1, weights=w),
    ]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([update for _, update in metrics])
        got = [float(sess.run(value)) for value, _ in metrics]
    want = [0.25, 0.272727, 0.4, 0.0, 0.25, 0.8, 0.291667, float("nan"), 0.176471]
    np.testing.assert_allclose(got, want, rtol=1e-5)
