"""A premade Estimator in the style of the TF 1.x "Get Started" tutorial (iris there, the
bundled digits here): feature columns, tf.estimator.DNNClassifier, numpy input functions,
train / evaluate / predict, and a LinearClassifier through train_and_evaluate. Prints
`dnn_accuracy VALUE`, `linear_accuracy VALUE` and `predicted CLASS expected LABEL`."""

import argparse
import os
import sys

import numpy as np

import psflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--model_dir", default=None)
parser.add_argument("--train_steps", type=int, default=600)
args = parser.parse_args()

(train_x, train_y), (test_x, test_y) = digits_data.load()
feature_columns = [tf.feature_column.numeric_column("pixels", shape=[64])]


def train_input():
    return tf.estimator.inputs.numpy_input_fn({"pixels": train_x}, train_y, batch_size=64,
                                              num_epochs=None, shuffle=True)()  # fmt: skip


def eval_input():
    return tf.estimator.inputs.numpy_input_fn({"pixels": test_x}, test_y, batch_size=128,
                                              shuffle=False)()  # fmt: skip


config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=200)
base = args.model_dir
dnn = tf.estimator.DNNClassifier(
    hidden_units=[32, 16], feature_columns=feature_columns, n_classes=10,
    optimizer=tf.train.AdamOptimizer(0.01),
    model_dir=os.path.join(base, "dnn") if base else None, config=config,
)  # fmt: skip
dnn.train(input_fn=train_input, steps=args.train_steps)
result = dnn.evaluate(input_fn=eval_input)
print(f"dnn_accuracy {result['accuracy']:.4f}")
print(f"dnn_global_step {result['global_step']}")

linear = tf.estimator.LinearClassifier(
    feature_columns=feature_columns, n_classes=10,
    model_dir=os.path.join(base, "linear") if base else None, config=config,
)  # fmt: skip
train_spec = tf.estimator.TrainSpec(input_fn=train_input, max_steps=args.train_steps)
eval_spec = tf.estimator.EvalSpec(input_fn=eval_input, steps=None)
metrics, _ = tf.estimator.train_and_evaluate(linear, train_spec, eval_spec)
print(f"linear_accuracy {metrics['accuracy']:.4f}")

predict_input = tf.estimator.inputs.numpy_input_fn({"pixels": test_x[:5]}, shuffle=False)
for prediction, expected in zip(dnn.predict(input_fn=predict_input), test_y[:5]):
    print(f"predicted {int(prediction['class_ids'][0])} expected {expected} "
          f"probability {float(np.max(prediction['probabilities'])):.3f}")  # fmt: skip
