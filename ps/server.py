"""The parameter server: owns a shard of the variables (its VariableStore) and runs the PS
stages of compiled plans (variable reads, assigns, optimizer updates, save/restore of its
shard). Arrays arriving from Ray's object store are read-only views; the store copies what
it keeps (Assign copies its value, updates compute fresh arrays)."""

from __future__ import annotations

from psflow.graph.stage_runner import StageRunner


class ParameterServer(StageRunner):
    role = "ps"
