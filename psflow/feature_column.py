"""`tf.feature_column` essentials (see psflow/graph/feature_column.py)."""

from psflow.graph.feature_column import (  # noqa: F401
    bucketized_column,
    categorical_column_with_hash_bucket,
    categorical_column_with_identity,
    categorical_column_with_vocabulary_list,
    embedding_column,
    indicator_column,
    input_layer,
    linear_model,
    numeric_column,
)
