"""`tf.metrics`: streaming metrics (value, update_op) over local variables."""

from psflow.graph.metrics import (  # noqa: F401
    accuracy,
    auc,
    mean,
    mean_squared_error,
    precision,
    recall,
)
