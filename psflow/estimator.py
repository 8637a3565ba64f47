"""`tf.estimator`: Estimator, EstimatorSpec, ModeKeys, RunConfig, TrainSpec, EvalSpec,
train_and_evaluate, the premade DNN and linear classifiers and regressors, and
`tf.estimator.inputs.numpy_input_fn`."""

from psflow._modules import namespace as _namespace
from psflow.graph import estimator as _estimator
from psflow.graph.estimator import (  # noqa: F401
    DNNClassifier,
    DNNRegressor,
    Estimator,
    EstimatorSpec,
    EvalSpec,
    LinearClassifier,
    LinearRegressor,
    ModeKeys,
    RunConfig,
    TrainSpec,
    numpy_input_fn,
    train_and_evaluate,
)

inputs = _namespace(
    __name__ + ".inputs", "input_fn helpers, as tf.estimator.inputs.", _estimator,
    ("numpy_input_fn",),
)  # fmt: skip


def _start_server(cluster_spec, job_name, task_index):
    from psflow.cluster.server import Server

    return Server(cluster_spec, job_name=job_name, task_index=task_index)


_estimator.server_factory = _start_server
