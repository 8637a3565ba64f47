"""`tf.nest`: nested structures flattened to their leaves and packed back."""

from psflow.graph.nest import (  # noqa: F401
    assert_same_structure,
    flatten,
    is_nested,
    map_structure,
    pack_sequence_as,
)
