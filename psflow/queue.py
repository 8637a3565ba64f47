"""`tf.queue`: TF1's queues."""

from psflow.graph.ops.queues import FIFOQueue, QueueBase, RandomShuffleQueue  # noqa: F401
