"""A distributed Estimator as TF 1.x ran one: the same script on every task, its role from
TF_CONFIG (set here by `psflow submit`), tf.estimator.train_and_evaluate training
between-graph against the parameter servers, the chief evaluating the final checkpoint.
The chief prints `eval_loss VALUE`, `eval_global_step VALUE` and `w VALUES`."""

import argparse

import numpy as np

import psflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--model_dir", required=True)
parser.add_argument("--max_steps", type=int, default=200)
args = parser.parse_args()

W = np.array([[2.0], [-1.0]], np.float32)
config = tf.estimator.RunConfig(save_checkpoints_steps=100, log_step_count_steps=None)
rng = np.random.RandomState(config.task_id)  # each worker reads its own data
x = rng.randn(512, 2).astype(np.float32)
y = x @ W + 0.5


def model_fn(features, labels, mode):
    w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(features["x"], w) + b
    loss = tf.losses.mean_squared_error(labels, pred)
    train_op = tf.train.GradientDescentOptimizer(0.05).minimize(
        loss, global_step=tf.train.get_global_step()
    )
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


estimator = tf.estimator.Estimator(model_fn, model_dir=args.model_dir, config=config)
train_input = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=32, num_epochs=None,
                                                 shuffle=True)  # fmt: skip
eval_input = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=128, shuffle=False)
metrics, _ = tf.estimator.train_and_evaluate(
    estimator, tf.estimator.TrainSpec(train_input, max_steps=args.max_steps),
    tf.estimator.EvalSpec(eval_input, steps=None))  # fmt: skip
print(f"task {config.task_type}:{config.task_id} chief {config.is_chief} "
      f"ps {config.num_ps_replicas}")  # fmt: skip
if metrics is not None:
    print(f"eval_loss {metrics['loss']:.6f}")
    print(f"eval_global_step {metrics['global_step']}")
    print("w " + " ".join(f"{v:.3f}" for v in estimator.get_variable_value("w").ravel()))
