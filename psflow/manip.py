"""`tf.manip`: array manipulation under its TF 1.x names."""

from psflow import (  # noqa: F401
    batch_to_space_nd,
    gather_nd,
    reshape,
    reverse,
    roll,
    scatter_nd,
    space_to_batch_nd,
    tile,
)
