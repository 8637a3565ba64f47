"""`tf.layers`: dense, flatten, dropout."""

from psflow.graph.layers import dense, dropout, flatten  # noqa: F401
