"""`tf.bitwise`: bitwise operations on integer tensors."""

from psflow.graph.ops.math_more import (  # noqa: F401
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    invert,
    left_shift,
    right_shift,
)
