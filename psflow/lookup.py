"""`tf.lookup`: static hash and vocabulary tables."""

from psflow.graph.ops.lookup import (  # noqa: F401
    KeyValueTensorInitializer,
    StaticHashTable,
    StaticVocabularyTable,
    TextFileIndex,
    TextFileInitializer,
)
