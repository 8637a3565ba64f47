"""tf.estimator: a custom model_fn trained, resumed from its checkpoints, evaluated (metrics
and the events TensorBoard reads) and used to predict; the premade regressors; TF's errors
for bad specs and arguments."""

import numpy as np
import pytest

import psflow as tf

RNG = np.random.RandomState(0)
X = RNG.randn(256, 3).astype(np.float32)
W_TRUE = np.array([[1.5], [-2.0], [0.5]], np.float32)
Y = (X @ W_TRUE + 0.25).astype(np.float32)


def _model_fn(features, labels, mode, params):
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(features["x"], w) + b
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
    loss = tf.losses.mean_squared_error(labels, pred)
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step()
    )
    metrics = {"mae": tf.metrics.mean_absolute_error(labels, pred)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def _input(shuffle=True, epochs=None, x=X, y=Y):
    return tf.estimator.inputs.numpy_input_fn(
        {"x": x}, y, batch_size=32, num_epochs=epochs, shuffle=shuffle
    )


def test_a_custom_model_trains_resumes_evaluates_and_predicts(tmp_path):
    config = tf.estimator.RunConfig(save_checkpoints_steps=50, log_step_count_steps=None)
    est = tf.estimator.Estimator(_model_fn, str(tmp_path), config=config, params={"lr": 0.1})
    assert est.latest_checkpoint() is None
    est.train(_input(), steps=150)
    assert est.latest_checkpoint().endswith("model.ckpt-150")
    est.train(_input(), steps=50)  # resumes at 150
    assert est.latest_checkpoint().endswith("model.ckpt-200")
    est.train(_input(), max_steps=100)  # already past: skipped
    assert est.latest_checkpoint().endswith("model.ckpt-200")
    np.testing.assert_allclose(est.get_variable_value("w"), W_TRUE, atol=1e-2)
    assert est.get_variable_names() == ["b", "global_step", "w"]
    result = est.evaluate(_input(shuffle=False, epochs=1))
    assert result["global_step"] == 200 and result["loss"] < 1e-3 and result["mae"] < 0.03
    short = est.evaluate(_input(shuffle=False, epochs=1), steps=2, name="short")
    assert short["global_step"] == 200
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "eval"))
    events.Reload()
    assert events.Scalars("mae")[-1].step == 200
    assert events.Scalars("loss")[-1].value == pytest.approx(result["loss"], rel=1e-5)
    assert (tmp_path / "eval_short").is_dir()
    preds = list(est.predict(_input(shuffle=False, epochs=1, x=X[:5], y=None)))
    assert len(preds) == 5
    np.testing.assert_allclose([p["y"][0] for p in preds], Y[:5, 0], atol=0.05)
    batches = list(
        est.predict(_input(shuffle=False, epochs=1, x=X[:5], y=None), yield_single_examples=False)
    )
    assert batches[0]["y"].shape == (5, 1)


def test_premade_regressors_fit_a_line(tmp_path):
    columns = [tf.feature_column.numeric_column("x", shape=[3])]
    config = tf.estimator.RunConfig(tf_random_seed=3, log_step_count_steps=None)
    linear = tf.estimator.LinearRegressor(
        columns,
        model_dir=str(tmp_path / "l"),
        config=config,
        optimizer=tf.train.GradientDescentOptimizer(0.002),
    )
    linear.train(_input(), steps=300)
    assert linear.evaluate(_input(shuffle=False, epochs=1))["average_loss"] < 1e-3
    assert "linear/linear_model/x/weights" in linear.get_variable_names()
    dnn = tf.estimator.DNNRegressor(
        [16], columns, model_dir=str(tmp_path / "d"), config=config, optimizer="Adam"
    )
    dnn.train(_input(), steps=300)
    metrics = dnn.evaluate(_input(shuffle=False, epochs=1))
    assert metrics["average_loss"] < 0.5 and set(metrics) >= {"label/mean", "prediction/mean"}


def test_binary_classifier_metrics():
    columns = [tf.feature_column.numeric_column("x", shape=[3])]
    labels = (Y > 0).astype(np.int64)
    est = tf.estimator.DNNClassifier(
        [8], columns, optimizer="Adam", config=tf.estimator.RunConfig(log_step_count_steps=None)
    )
    est.train(_input(y=labels), steps=200)
    metrics = est.evaluate(_input(shuffle=False, epochs=1, y=labels))
    assert metrics["accuracy"] > 0.9 and metrics["auc"] > 0.95
    assert metrics["accuracy_baseline"] == pytest.approx(max(labels.mean(), 1 - labels.mean()))
    assert {"precision", "recall", "auc_precision_recall", "average_loss"} <= set(metrics)


def test_bad_specs_and_arguments_are_tfs_errors(tmp_path):
    with pytest.raises(ValueError, match="Missing train_op"):
        tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.TRAIN, loss=tf.constant(1.0))
    with pytest.raises(ValueError, match="Missing predictions"):
        tf.estimator.EstimatorSpec(tf.estimator.ModeKeys.PREDICT)
    with pytest.raises(ValueError, match="Loss must be scalar"):
        tf.estimator.EstimatorSpec("eval", loss=tf.ones([2]))
    with pytest.raises(TypeError, match="metric_value, update_op"):
        tf.estimator.EstimatorSpec("eval", loss=tf.constant(1.0), eval_metric_ops={"m": 1})
    est = tf.estimator.Estimator(_model_fn, str(tmp_path), params={"lr": 0.1})
    with pytest.raises(ValueError, match="Can not provide both steps and max_steps"):
        est.train(_input(), steps=1, max_steps=2)
    with pytest.raises(ValueError, match="Must specify steps > 0"):
        est.train(_input(), steps=0)
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.numpy_input_fn({"x": X}, Y)
    with pytest.raises(ValueError, match="does not include params"):
        tf.estimator.Estimator(lambda features, labels, mode: None, params={"a": 1})
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        tf.estimator.DNNClassifier([4], [], n_classes=1)


def test_weights_and_loss_reduction_of_the_premade_heads(tmp_path):
    columns = [tf.feature_column.numeric_column("x", shape=[3])]
    weights = np.where(np.arange(256) < 128, 1.0, 0.0).astype(np.float32)
    config = tf.estimator.RunConfig(log_step_count_steps=None)
    est = tf.estimator.LinearRegressor(
        columns,
        weight_column="w",
        config=config,
        model_dir=str(tmp_path),
        loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE,
    )
    fn = tf.estimator.inputs.numpy_input_fn(
        {"x": X, "w": weights}, Y, batch_size=256, shuffle=False
    )
    metrics = est.evaluate(fn)  # the initial (zero) model: predictions 0
    per_example = Y[:, 0] ** 2
    assert metrics["average_loss"] == pytest.approx(per_example[:128].mean(), rel=1e-5)
    assert metrics["loss"] == pytest.approx((per_example * weights).mean(), rel=1e-5)
    with pytest.raises(NotImplementedError, match="label_vocabulary"):
        tf.estimator.LinearClassifier(columns, label_vocabulary=["a", "b"])
    with pytest.raises(NotImplementedError, match="warm_start_from"):
        tf.estimator.Estimator(_model_fn, params={"lr": 0.1}, warm_start_from="/x")
