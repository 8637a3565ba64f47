"""The worker task: runs the compute stages of the plans its clients register (forward,
gradients, summaries) with the shared task runner. What only a worker does -- hosting a
training client of its own -- grows here."""

from __future__ import annotations

from .task import TaskRunner


class Worker(TaskRunner):
    """A worker task (see TaskRunner for the protocol)."""
