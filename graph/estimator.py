"""`tf.estimator`, TF 1.x's high-level training API: an Estimator builds a fresh graph for
each of train / evaluate / predict from the user's `model_fn(features, labels, mode,
params, config)` and `input_fn`, and keeps its model in checkpoints under `model_dir`
(training resumes from the latest one; evaluation and prediction restore it).

Training runs in a MonitoredTrainingSession (checkpoints, summaries, step counter, a stop
at `steps` / `max_steps` or when the input ends); evaluation runs the metrics' update ops
until the input ends (or `steps`), reads their values, and writes them as summaries under
`model_dir/eval[_name]`. The premade DNN and linear classifiers and regressors build their
model_fn on tf.feature_column, tf.layers and TF1's heads (losses summed over the batch).
"""

from __future__ import annotations

import collections
import inspect
import math
import os
import tempfile

import numpy as np

from . import dtypes as _dt, hooks as _hooks, metrics as _metrics
from .console import get_logger
from .framework import Graph, GraphKeys, convert_to_tensor, get_default_graph
from .monitored_session import (
    ChiefSessionCreator,
    MonitoredSession,
    MonitoredTrainingSession,
    Scaffold,
)
from .ops import array as _array, math as _math, nn as _nn, random as _random
from .saver import Saver, latest_checkpoint

# Modes -----------------------------------------------------------------------------------------


class ModeKeys:
    """The mode a model_fn is called in."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


class EstimatorSpec(
    collections.namedtuple(
        "EstimatorSpec",
        [
            "mode",
            "predictions",
            "loss",
            "train_op",
            "eval_metric_ops",
            "export_outputs",
            "training_chief_hooks",
            "training_hooks",
            "scaffold",
            "evaluation_hooks",
            "prediction_hooks",
        ],
    )
):
    """What a model_fn returns: the ops of its mode (TRAIN: loss and train_op; EVAL: loss
    and eval_metric_ops of (value, update_op); PREDICT: predictions)."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None,
                scaffold=None, evaluation_hooks=None, prediction_hooks=None):  # fmt: skip
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(f"mode={mode} unrecognized.")
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError("Missing train_op.")
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError("Missing loss.")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError("Missing predictions.")
        if loss is not None:
            loss = convert_to_tensor(loss)
            if loss.shape.ndims not in (None, 0):
                raise ValueError(f"Loss must be scalar, given: {loss}")
        metrics = dict(eval_metric_ops or {})
        for key, value in metrics.items():
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError(f"Values of eval_metric_ops must be (metric_value, update_op) "
                                f"tuples, given: {value} for key: {key}")  # fmt: skip
        return super().__new__(cls, mode, predictions, loss, train_op, metrics, export_outputs,
                               tuple(training_chief_hooks or ()), tuple(training_hooks or ()),
                               scaffold or Scaffold(), tuple(evaluation_hooks or ()),
                               tuple(prediction_hooks or ()))  # fmt: skip


class RunConfig:
    """Where and how an Estimator runs: model_dir, random seed, checkpoint and summary
    frequencies, session config."""

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=None, save_checkpoints_secs=None, session_config=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000,
                 log_step_count_steps=100, train_distribute=None, device_fn=None,
                 protocol=None, eval_distribute=None, experimental_distribute=None,
                 experimental_max_worker_delay_secs=None, session_creation_timeout_secs=7200,
                 checkpoint_save_graph_def=True):  # fmt: skip
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError("Can not specify both save_checkpoints_steps and "
                             "save_checkpoints_secs.")  # fmt: skip
        if save_checkpoints_steps is None and save_checkpoints_secs is None:
            save_checkpoints_secs = 600
        self.model_dir = model_dir
        self.tf_random_seed = tf_random_seed
        self.save_summary_steps = save_summary_steps
        self.save_checkpoints_steps = save_checkpoints_steps
        self.save_checkpoints_secs = save_checkpoints_secs
        self.session_config = session_config
        self.keep_checkpoint_max = keep_checkpoint_max
        self.keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self.log_step_count_steps = log_step_count_steps
        self.device_fn = device_fn
        self._read_tf_config()

    def _read_tf_config(self) -> None:
        """The cluster and this process's task from TF_CONFIG, as TF's RunConfig reads it:
        the chief is the "chief" task, or worker 0 when the cluster has no chief."""
        from .placement import parse_tf_config

        spec, task_type, task_id = parse_tf_config()
        self.cluster_spec = spec
        self.task_type = task_type or "worker"
        self.task_id = task_id or 0
        counts = {j: spec.num_tasks(j) for j in spec.jobs} if spec is not None else {}
        jobs = list(counts)
        self.num_ps_replicas = counts.get("ps", 0)
        self.num_worker_replicas = counts.get("chief", 0) + counts.get("worker", 0) or 1
        if "chief" in jobs:
            self.is_chief = self.task_type == "chief"
        else:
            self.is_chief = self.task_type in ("worker", "master") and self.task_id == 0
        self.master = ""

    @property
    def distributed(self) -> bool:
        """Whether this process is a task of a cluster with parameter servers."""
        return self.cluster_spec is not None and self.num_ps_replicas > 0

    def replace(self, **kwargs) -> RunConfig:
        out = RunConfig.__new__(RunConfig)
        out.__dict__.update(self.__dict__)
        for key, value in kwargs.items():
            if key not in out.__dict__:
                raise ValueError(f"Replacing {key} is not supported.")
            setattr(out, key, value)
        if "save_checkpoints_steps" in kwargs and kwargs["save_checkpoints_steps"] is not None:
            out.save_checkpoints_secs = kwargs.get("save_checkpoints_secs")
        return out


# Estimator -------------------------------------------------------------------------------------
# Set by the psflow.estimator facade (the cluster layer is above this one): starts this
# process's tf.train.Server for (cluster, job, task) and returns it.
server_factory = None


def _accepts(fn) -> set:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _summary_dir(model_dir, name):
    return os.path.join(model_dir, "eval" if not name else f"eval_{name}")


class Estimator:
    """`tf.estimator.Estimator(model_fn, model_dir=None, config=None, params=None,
    warm_start_from=None)`."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None,
                 warm_start_from=None):  # fmt: skip
        if not callable(model_fn):
            raise ValueError("model_fn must be provided to Estimator.")
        args = _accepts(model_fn)
        if "features" not in args and not any(a in args for a in ("self",)):
            raise ValueError(f"model_fn ({model_fn}) must include features argument.")
        if params is not None and "params" not in args:
            raise ValueError(f"model_fn ({model_fn}) does not include params argument, but "
                             f"params ({params}) is passed to Estimator.")  # fmt: skip
        config = config if config is not None else RunConfig()
        if not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of `RunConfig`, but provided {config}.")
        if model_dir and config.model_dir and model_dir != config.model_dir:
            raise ValueError(f"`model_dir` are set both in constructor and `RunConfig`, but "
                             f"with different values. In constructor: '{model_dir}', in "
                             f"`RunConfig`: '{config.model_dir}' ")  # fmt: skip
        model_dir = model_dir or config.model_dir
        if not model_dir:
            model_dir = tempfile.mkdtemp()
            get_logger().warning("Using temporary folder as model directory: %s", model_dir)
        self._model_dir = str(model_dir)
        self._config = config.replace(model_dir=self._model_dir)
        self._params = dict(params or {})
        self._model_fn = model_fn
        if warm_start_from is not None:
            raise NotImplementedError("Estimator(warm_start_from=...): use "
                                      "tf.train.init_from_checkpoint in the model_fn")  # fmt: skip

    @property
    def model_dir(self) -> str:
        return self._model_dir

    @property
    def config(self) -> RunConfig:
        return self._config

    @property
    def params(self) -> dict:
        return dict(self._params)

    @property
    def model_fn(self):
        return self._model_fn

    def latest_checkpoint(self):
        return latest_checkpoint(self._model_dir)

    def get_variable_names(self) -> list[str]:
        from .saver import list_variables

        return [name for name, _ in list_variables(self._need_checkpoint())]

    def get_variable_value(self, name) -> np.ndarray:
        from .saver import load_variable

        return load_variable(self._need_checkpoint(), name)

    def _need_checkpoint(self):
        path = self.latest_checkpoint()
        if path is None:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}.")
        return path

    # Building
    def _input(self, input_fn, mode):
        from . import data as _data

        kwargs = {}
        args = _accepts(input_fn)
        if "params" in args:
            kwargs["params"] = self._params
        if "config" in args:
            kwargs["config"] = self._config
        if "mode" in args:
            kwargs["mode"] = mode
        result = input_fn(**kwargs)
        if isinstance(result, _data.Dataset):
            result = result.make_one_shot_iterator().get_next()
        if isinstance(result, (tuple, list)) and len(result) == 2:
            return result[0], result[1]
        return result, None

    def _model(self, features, labels, mode) -> EstimatorSpec:
        args = _accepts(self._model_fn)
        kwargs = {}
        if "labels" in args:
            kwargs["labels"] = labels
        elif labels is not None and mode != ModeKeys.PREDICT:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self._params
        if "config" in args:
            kwargs["config"] = self._config
        spec = self._model_fn(features=features, **kwargs)
        if not isinstance(spec, EstimatorSpec):
            raise ValueError(f"model_fn should return an EstimatorSpec. Given: {spec}")
        return spec

    def _graph(self):
        graph = Graph()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                _random.set_random_seed(self._config.tf_random_seed)
        return graph

    def _saver_scaffold(self, spec):
        scaffold = spec.scaffold
        if scaffold.saver is None and not get_default_graph().get_collection(GraphKeys.SAVERS):
            scaffold._saver = Saver(max_to_keep=self._config.keep_checkpoint_max,
                                    keep_checkpoint_every_n_hours=(
                                        self._config.keep_checkpoint_every_n_hours))  # fmt: skip
        return scaffold

    # Training
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains for `steps` more steps, up to global step `max_steps`, or until the input
        ends; resumes from the latest checkpoint in model_dir."""
        from .optimizers import get_or_create_global_step

        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None and self._global_step() >= max_steps:
            get_logger().info("Skipping training since max_steps has already saved.")
            return self
        master, device_fn = self._cluster_session()
        if master is None:  # a parameter server: serves until the cluster ends
            return self
        with self._graph().as_default(), _device(device_fn):
            global_step = get_or_create_global_step()
            features, labels = self._input(input_fn, ModeKeys.TRAIN)
            spec = self._model(features, labels, ModeKeys.TRAIN)
            from .ops import summary as _summary

            _summary.scalar("loss", spec.loss)
            all_hooks = [
                _hooks.StopAtStepHook(num_steps=steps, last_step=max_steps)
                if steps is not None or max_steps is not None else None,
                _hooks.NanTensorHook(spec.loss),
                _hooks.LoggingTensorHook({"loss": spec.loss, "step": global_step},
                                         every_n_iter=self._config.log_step_count_steps)
                if self._config.log_step_count_steps else None,
            ] + list(spec.training_hooks) + list(hooks or [])  # fmt: skip
            chief_hooks = list(spec.training_chief_hooks)
            if saving_listeners:
                chief_hooks.append(_hooks.CheckpointSaverHook(
                    self._model_dir, save_secs=self._config.save_checkpoints_secs,
                    save_steps=self._config.save_checkpoints_steps, listeners=saving_listeners,
                    scaffold=spec.scaffold))  # fmt: skip
            scaffold = self._saver_scaffold(spec)
            with MonitoredTrainingSession(
                master=master,
                is_chief=self._config.is_chief,
                checkpoint_dir=self._model_dir,
                scaffold=scaffold,
                hooks=[h for h in all_hooks if h is not None],
                chief_only_hooks=chief_hooks,
                save_checkpoint_secs=None if saving_listeners
                else self._config.save_checkpoints_secs,
                save_checkpoint_steps=None if saving_listeners
                else self._config.save_checkpoints_steps,
                save_summaries_steps=self._config.save_summary_steps,
                config=self._config.session_config,
                log_step_count_steps=self._config.log_step_count_steps,
            ) as sess:  # fmt: skip
                loss = None
                while not sess.should_stop():
                    _, loss = sess.run([spec.train_op, spec.loss])
            if loss is not None:
                get_logger().info("Loss for final step: %s.", loss)
        return self

    def _cluster_session(self):
        """(session target, device function) for this process: in-process when the config
        has no cluster; with one, this task's Server and TF's replica_device_setter (a PS
        task serves and returns (None, None))."""
        config = self._config
        if not config.distributed:
            return "", config.device_fn
        if server_factory is None:
            raise RuntimeError("Distributed Estimator training needs psflow.estimator")
        server = server_factory(config.cluster_spec, config.task_type, config.task_id)
        if config.task_type == "ps":
            server.join()
            return None, None
        from .placement import replica_device_setter

        device_fn = config.device_fn or replica_device_setter(
            ps_tasks=config.num_ps_replicas,
            worker_device=f"/job:{config.task_type}/task:{config.task_id}",
            cluster=config.cluster_spec,
        )
        config.master = server.target
        return server.target, device_fn

    def _global_step(self) -> int:
        path = self.latest_checkpoint()
        if path is None:
            return 0
        from .saver import load_variable

        try:
            return int(load_variable(path, GraphKeys.GLOBAL_STEP))
        except (ValueError, KeyError):
            return 0

    # Evaluation
    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Runs the metrics' update ops over the input (or `steps` batches) with the model of
        the latest checkpoint (or `checkpoint_path`); returns the metrics' values with
        "loss" and "global_step", also written as summaries to model_dir/eval[_name]."""
        from .optimizers import get_or_create_global_step
        from .summary_writer import FileWriterCache

        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        checkpoint = checkpoint_path or self.latest_checkpoint()
        if checkpoint is None:
            get_logger().info("Could not find trained model in model_dir: %s, running "
                              "initialization to evaluate.", self._model_dir)  # fmt: skip
        with self._graph().as_default():
            global_step = get_or_create_global_step()
            features, labels = self._input(input_fn, ModeKeys.EVAL)
            spec = self._model(features, labels, ModeKeys.EVAL)
            metrics = dict(spec.eval_metric_ops)
            if "loss" not in metrics:
                metrics["loss"] = _metrics.mean(spec.loss)
            values = {k: v[0] for k, v in metrics.items()}
            values["global_step"] = global_step
            update = _group([v[1] for v in metrics.values()])
            final = _hooks.FinalOpsHook(values)
            all_hooks = list(spec.evaluation_hooks) + list(hooks or []) + [final]
            if steps is not None:
                all_hooks.insert(0, _StopAfterNEvalsHook(steps))
            creator = ChiefSessionCreator(scaffold=spec.scaffold,
                                          checkpoint_filename_with_path=checkpoint,
                                          config=self._config.session_config)  # fmt: skip
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as sess:
                while not sess.should_stop():
                    sess.run(update)
            results = {k: _plain(v) for k, v in final.final_ops_values.items()}
        writer = FileWriterCache.get(_summary_dir(self._model_dir, name))
        writer.add_summary(_scalars_summary(results), results["global_step"])
        writer.flush()
        return results

    # Prediction
    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None,
                yield_single_examples=True):  # fmt: skip
        """Yields the model's predictions for the input, one example at a time (or one batch
        at a time), with the model of the latest checkpoint."""
        checkpoint = checkpoint_path or self.latest_checkpoint()
        if checkpoint is None:
            get_logger().info("Could not find trained model in model_dir: %s, running "
                              "initialization to predict.", self._model_dir)  # fmt: skip
        with self._graph().as_default():
            from .optimizers import get_or_create_global_step

            get_or_create_global_step()
            features, _ = self._input(input_fn, ModeKeys.PREDICT)
            spec = self._model(features, None, ModeKeys.PREDICT)
            predictions = spec.predictions
            single = not isinstance(predictions, dict)
            if not single and predict_keys is not None:
                missing = [k for k in predict_keys if k not in predictions]
                if missing:
                    raise ValueError(f"Expected to run at least one output from "
                                     f"{list(predictions)}, provided {predict_keys}.")  # fmt: skip
                predictions = {k: predictions[k] for k in predict_keys}
            creator = ChiefSessionCreator(scaffold=spec.scaffold,
                                          checkpoint_filename_with_path=checkpoint,
                                          config=self._config.session_config)  # fmt: skip
            all_hooks = list(spec.prediction_hooks) + list(hooks or [])
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as sess:
                while not sess.should_stop():
                    batch = sess.run(predictions)
                    if not yield_single_examples:
                        yield batch
                        continue
                    rows = len(batch) if single else len(next(iter(batch.values())))
                    for i in range(rows):
                        yield batch[i] if single else {k: v[i] for k, v in batch.items()}


class _StopAfterNEvalsHook(_hooks.SessionRunHook):
    def __init__(self, num_evals):
        self._num_evals = num_evals
        self._done = 0

    def after_run(self, run_context, run_values):
        self._done += 1
        if self._done >= self._num_evals:
            run_context.request_stop()


def _device(device_fn):
    from contextlib import nullcontext

    from .framework import device

    return device(device_fn) if device_fn is not None else nullcontext()


def _group(ops):
    from .ops.control_flow import group

    return group(*ops)


def _plain(value):
    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value


def _scalars_summary(results):
    from tensorboard.compat.proto import summary_pb2

    summary = summary_pb2.Summary()
    for key, value in results.items():
        if key == "global_step" or np.ndim(value) != 0:
            continue
        summary.value.add(tag=key, simple_value=float(value))
    return summary


# input_fn helpers and train_and_evaluate ------------------------------------------------------
def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                   num_threads=1):  # fmt: skip
    """An input_fn feeding numpy arrays (x: a dict of arrays, or one array) in batches, for
    `num_epochs` passes (None: forever), shuffled when `shuffle`."""
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided and explicitly set as boolean (it is "
                         f"recommended to set it as True for training); got {shuffle}")  # fmt: skip
    single = not isinstance(x, dict)
    columns = {"__x": x} if single else dict(x)
    lengths = {len(v) for v in columns.values()} | ({len(y)} if y is not None else set())
    if len(lengths) != 1:
        raise ValueError(f"Length of tensors in x and y is mismatched: {sorted(lengths)}")

    def input_fn():
        from . import data as _data

        parts = (columns, y) if y is not None else columns
        dataset = _data.Dataset.from_tensor_slices(parts)
        if shuffle:
            dataset = dataset.shuffle(queue_capacity)
        dataset = dataset.repeat(num_epochs).batch(batch_size)
        out = dataset.make_one_shot_iterator().get_next()
        features, labels = out if y is not None else (out, None)
        if single:
            features = features["__x"]
        return (features, labels) if y is not None else features

    return input_fn


TrainSpec = collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks"])
TrainSpec.__new__.__defaults__ = (None, ())
EvalSpec = collections.namedtuple("EvalSpec", ["input_fn", "steps", "name", "hooks", "exporters",
                                               "start_delay_secs", "throttle_secs"])  # fmt: skip
EvalSpec.__new__.__defaults__ = (100, None, (), None, 120, 600)


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains to train_spec.max_steps, then evaluates: returns (the evaluation's metrics,
    export results). With TF_CONFIG naming a cluster, every worker trains between-graph
    against the parameter servers and the chief evaluates the final checkpoint."""
    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: "
                        f"{type(estimator)}")  # fmt: skip
    estimator.train(train_spec.input_fn, hooks=list(train_spec.hooks),
                    max_steps=train_spec.max_steps)  # fmt: skip
    if not estimator.config.is_chief or estimator.config.task_type == "ps":
        return None, []  # on a cluster the chief evaluates
    result = estimator.evaluate(eval_spec.input_fn, steps=eval_spec.steps,
                                hooks=list(eval_spec.hooks), name=eval_spec.name)  # fmt: skip
    return result, []


# Premade estimators -------------------------------------------------------------------------
def _optimizer(optimizer, default_lr):
    from . import optimizers as _opt, train_util as _tu

    if callable(optimizer) and not hasattr(optimizer, "minimize"):
        optimizer = optimizer()
    if not isinstance(optimizer, str):
        return optimizer
    table = {
        "Adagrad": lambda: _opt.AdagradOptimizer(default_lr),
        "Adam": lambda: _opt.AdamOptimizer(default_lr),
        "Ftrl": lambda: _opt.FtrlOptimizer(default_lr),
        "RMSProp": lambda: _opt.RMSPropOptimizer(default_lr),
        "SGD": lambda: _opt.GradientDescentOptimizer(default_lr),
        "ProximalAdagrad": lambda: _tu.ProximalAdagradOptimizer(default_lr),
    }
    if optimizer not in table:
        raise ValueError(f"Unsupported optimizer name: {optimizer}. Supported names are: "
                         f"{sorted(table)}")  # fmt: skip
    return table[optimizer]()


def _head_spec(mode, logits, labels, n_classes, label_dimension, train_op_fn, weights=None,
               reduction=None):  # fmt: skip
    """TF1's heads: binary logistic (n_classes 2), multi-class softmax, or regression; the
    training loss is the (weighted) sum over the batch, or its mean with
    SUM_OVER_BATCH_SIZE."""
    from . import losses as _losses

    predictions: dict
    if n_classes is None:  # regression
        predictions = {"predictions": logits}
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions)
        labels = _math.cast(convert_to_tensor(labels), logits.dtype)
        labels = _array.reshape(labels, [-1, label_dimension])
        unreduced = _math.squared_difference(logits, labels)
        per_example = _math.reduce_sum(unreduced, axis=1)
        metrics = {"average_loss": _metrics.mean(per_example),
                   "label/mean": _metrics.mean(labels),
                   "prediction/mean": _metrics.mean(logits)}  # fmt: skip
    else:
        if n_classes == 2:
            probability = _math.sigmoid(logits)
            probabilities = _array.concat([1.0 - probability, probability], 1)
            class_ids = _math.cast(_math.greater(logits, 0.0), _dt.int64)
            predictions = {"logits": logits, "logistic": probability}
        else:
            probabilities = _nn.softmax(logits)
            class_ids = _array.expand_dims(_math.argmax(logits, 1), 1)
            predictions = {"logits": logits}
        predictions.update(probabilities=probabilities, class_ids=class_ids,
                           classes=_as_string(class_ids))  # fmt: skip
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions)
        labels = _array.reshape(_math.cast(convert_to_tensor(labels), _dt.int64), [-1, 1])
        if n_classes == 2:
            per_example = _array.squeeze(_nn.sigmoid_cross_entropy_with_logits(
                labels=_math.cast(labels, logits.dtype), logits=logits), [1])  # fmt: skip
        else:
            per_example = _nn.sparse_softmax_cross_entropy_with_logits(
                labels=_array.squeeze(labels, [1]), logits=logits
            )
        metrics = {"accuracy": _metrics.accuracy(labels, class_ids),
                   "average_loss": _metrics.mean(per_example)}  # fmt: skip
        if n_classes == 2:
            float_labels = _math.cast(labels, logits.dtype)
            metrics.update({
                "auc": _metrics.auc(float_labels, probability),
                "auc_precision_recall": _metrics.auc(float_labels, probability, curve="PR"),
                "precision": _metrics.precision(labels, class_ids),
                "recall": _metrics.recall(labels, class_ids),
                "label/mean": _metrics.mean(float_labels),
                "prediction/mean": _metrics.mean(probability),
            })  # fmt: skip
            label_mean, label_update = metrics["label/mean"]
            baseline = _math.maximum(label_mean, _math.subtract(1.0, label_mean))
            metrics["accuracy_baseline"] = (baseline, label_update)
    if weights is not None:
        weights = _array.reshape(_math.cast(convert_to_tensor(weights), per_example.dtype), [-1])
        metrics["average_loss"] = _metrics.mean(per_example, weights=weights)  # TF's weighted
        per_example = _math.multiply(per_example, weights)
    if reduction in (None, _losses.Reduction.SUM):
        loss = _math.reduce_sum(per_example)
    elif reduction == _losses.Reduction.SUM_OVER_BATCH_SIZE:
        loss = _math.reduce_mean(per_example)
    else:
        raise ValueError(f"Invalid loss_reduction: {reduction}")
    if mode == ModeKeys.EVAL:
        return EstimatorSpec(mode, predictions=predictions, loss=loss,
                             eval_metric_ops=metrics)  # fmt: skip
    return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op_fn(loss))


def _as_string(ids):
    from .ops import strings as _strings

    return _strings.as_string(ids)


def _train_op_fn(optimizer):
    def build(loss):
        from .optimizers import get_global_step

        update_ops = get_default_graph().get_collection(GraphKeys.UPDATE_OPS)
        from .framework import control_dependencies

        with control_dependencies(update_ops):
            return optimizer.minimize(loss, global_step=get_global_step())

    return build


def _dnn_logits(features, feature_columns, hidden_units, units, activation_fn, dropout,
                mode, batch_norm):  # fmt: skip
    from . import feature_column as _fc, layers as _layers
    from .variable_scope import variable_scope

    with variable_scope("dnn"):
        with variable_scope("input_from_feature_columns"):
            net = _fc.input_layer(features, feature_columns)
        for i, width in enumerate(hidden_units):
            with variable_scope(f"hiddenlayer_{i}"):
                net = _layers.dense_body(net, width, activation=activation_fn,
                                         kernel_initializer=_glorot())  # fmt: skip
                if dropout is not None and mode == ModeKeys.TRAIN:
                    net = _layers.dropout(net, rate=dropout, training=True)
                if batch_norm:
                    net = _layers.batch_normalization_body(
                        net, momentum=0.999, training=mode == ModeKeys.TRAIN
                    )
        with variable_scope("logits"):
            return _layers.dense_body(net, units, kernel_initializer=_glorot())


def _glorot():
    from . import init_ops

    return init_ops.GlorotUniform()


def _linear_logits(features, feature_columns, units, sparse_combiner):
    from . import feature_column as _fc
    from .variable_scope import variable_scope

    with variable_scope("linear"):
        return _fc.linear_model(features, feature_columns, units=units,
                                sparse_combiner=sparse_combiner)  # fmt: skip


def _weights(features, weight_column):
    if weight_column is None:
        return None
    key = weight_column if isinstance(weight_column, str) else weight_column.key
    return features[key]


def _reject(**arguments) -> None:
    """Premade estimator arguments psflow does not implement: an error naming them."""
    given = sorted(k for k, v in arguments.items() if v is not None)
    if given:
        raise NotImplementedError(f"psflow's premade estimators do not take {given}")


def _premade_model_fn(logits_fn, n_classes, label_dimension, optimizer, learning_rate,
                      weight_column, loss_reduction):  # fmt: skip
    """A premade estimator's model_fn: logits_fn(features, mode) through TF1's head, trained
    by `optimizer` (a name takes `learning_rate`) after the UPDATE_OPS."""

    def model_fn(features, labels, mode, config):
        logits = logits_fn(features, mode)
        return _head_spec(mode, logits, labels, n_classes, label_dimension,
                          _train_op_fn(_optimizer(optimizer, learning_rate)),
                          _weights(features, weight_column), loss_reduction)  # fmt: skip

    return model_fn


def _check_classes(n_classes):
    if n_classes is None or n_classes < 2:
        raise ValueError(f"n_classes must be > 1: {n_classes}")
    return n_classes


class DNNClassifier(Estimator):
    """A feed-forward network classifier over feature columns (hidden layers of
    `hidden_units`, ReLU by default; Adagrad at 0.05 by default)."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2,
                 weight_column=None, label_vocabulary=None, optimizer="Adagrad",
                 activation_fn=_nn.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=None,
                 batch_norm=False):  # fmt: skip
        n_classes = _check_classes(n_classes)
        _reject(label_vocabulary=label_vocabulary, warm_start_from=warm_start_from)
        units = 1 if n_classes == 2 else n_classes

        def logits(features, mode):
            return _dnn_logits(features, feature_columns, hidden_units, units, activation_fn,
                               dropout, mode, batch_norm)  # fmt: skip

        model_fn = _premade_model_fn(logits, n_classes, None, optimizer, 0.05, weight_column,
                                     loss_reduction)  # fmt: skip
        super().__init__(model_fn, model_dir=model_dir, config=config)


class DNNRegressor(Estimator):
    """A feed-forward network regressor over feature columns (squared error summed over the
    batch)."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1,
                 weight_column=None, optimizer="Adagrad", activation_fn=_nn.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=None, batch_norm=False):  # fmt: skip
        _reject(warm_start_from=warm_start_from)

        def logits(features, mode):
            return _dnn_logits(features, feature_columns, hidden_units, label_dimension,
                               activation_fn, dropout, mode, batch_norm)  # fmt: skip

        model_fn = _premade_model_fn(logits, None, label_dimension, optimizer, 0.05,
                                     weight_column, loss_reduction)  # fmt: skip
        super().__init__(model_fn, model_dir=model_dir, config=config)


def _linear_lr(feature_columns):
    return min(0.2, 1.0 / math.sqrt(max(len(list(feature_columns)), 1)))


class LinearClassifier(Estimator):
    """A linear classifier over feature columns (FTRL by default, as TF's)."""

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Ftrl", config=None, partitioner=None,
                 warm_start_from=None, loss_reduction=None, sparse_combiner="sum"):  # fmt: skip
        n_classes = _check_classes(n_classes)
        _reject(label_vocabulary=label_vocabulary, warm_start_from=warm_start_from)
        units = 1 if n_classes == 2 else n_classes
        feature_columns = list(feature_columns)

        def logits(features, mode):
            return _linear_logits(features, feature_columns, units, sparse_combiner)

        model_fn = _premade_model_fn(logits, n_classes, None, optimizer,
                                     _linear_lr(feature_columns), weight_column,
                                     loss_reduction)  # fmt: skip
        super().__init__(model_fn, model_dir=model_dir, config=config)


class LinearRegressor(Estimator):
    """A linear regressor over feature columns (FTRL by default)."""

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=None, sparse_combiner="sum"):  # fmt: skip
        feature_columns = list(feature_columns)
        _reject(warm_start_from=warm_start_from)

        def logits(features, mode):
            return _linear_logits(features, feature_columns, label_dimension, sparse_combiner)

        model_fn = _premade_model_fn(logits, None, label_dimension, optimizer,
                                     _linear_lr(feature_columns), weight_column,
                                     loss_reduction)  # fmt: skip
        super().__init__(model_fn, model_dir=model_dir, config=config)
