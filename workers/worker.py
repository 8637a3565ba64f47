"""The worker: runs the compute stages of compiled plans (forward, gradients, summaries)."""

from __future__ import annotations

from psflow.graph.stage_runner import StageRunner


class Worker(StageRunner):
    role = "worker"
