"""`tf.nn`: re-exports of the nn op wrappers."""

from psflow.graph.ops.math import sigmoid, tanh  # noqa: F401
from psflow.graph.ops.nn import *  # noqa: F403
from psflow.graph.ops.nn import relu, zero_fraction  # noqa: F401

