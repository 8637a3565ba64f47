"""`psflow.timeline`: Chrome traces of traced steps (TF1's `client.timeline`)."""

from psflow.graph.timeline import Timeline  # noqa: F401
