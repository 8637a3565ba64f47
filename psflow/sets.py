"""`tf.sets`: set operations along the last dimension."""

from psflow.graph.ops.sets import (  # noqa: F401
    set_difference,
    set_difference as difference,
    set_intersection,
    set_intersection as intersection,
    set_size,
    set_size as size,
    set_union,
    set_union as union,
)
