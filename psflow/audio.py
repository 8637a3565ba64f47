"""`tf.audio`: WAV files as float32 samples."""

from psflow.graph.ops.audio import decode_wav, encode_wav  # noqa: F401
