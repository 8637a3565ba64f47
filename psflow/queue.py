"""`tf.queue`: TF1's queues."""

from psflow.graph.ops.queues import (  # noqa: F401
    FIFOQueue,
    PaddingFIFOQueue,
    PriorityQueue,
    QueueBase,
    RandomShuffleQueue,
)
