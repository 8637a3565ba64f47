"""`tf.strings`: string ops under their TF 1.x `tf.strings` names."""

from psflow.graph.ops.sparse import (  # noqa: F401
    string_to_hash_bucket_fast as to_hash_bucket_fast,
)
