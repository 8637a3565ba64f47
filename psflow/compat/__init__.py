"""`tf.compat`: `psflow.compat.v1` is psflow itself (programs written for TF 1.13+ import
`tensorflow.compat.v1 as tf`), and the bytes/text helpers TF1 programs call."""

import sys

import psflow as _psflow
from psflow.graph.dtypes import as_bytes, as_str, as_str_any, as_text, path_to_str  # noqa: F401

v1 = _psflow
sys.modules[__name__ + ".v1"] = _psflow
