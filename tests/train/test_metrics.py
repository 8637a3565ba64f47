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
                [m[1] for m in metrics], {lab: labels[i : i + 100], pr: preds[i : i + 100],
                                          w: weights[i : i + 100]},
            )  # fmt: skip
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
