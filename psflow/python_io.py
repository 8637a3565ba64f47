"""`tf.python_io`: TFRecord files (graph/tfrecord.py)."""

from psflow.graph.tfrecord import (  # noqa: F401
    TFRecordCompressionType,
    TFRecordOptions,
    TFRecordWriter,
    tf_record_iterator,
)
