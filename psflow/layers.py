"""`tf.layers`: dense, conv2d, pooling, batch_normalization, flatten, dropout."""

from psflow.graph.layers import (  # noqa: F401
    average_pooling2d,
    batch_normalization,
    conv2d,
    dense,
    dropout,
    flatten,
    max_pooling2d,
)
