"""The parameter server: a task that owns a shard of the variables (its VariableStore) and
runs the PS stages of its clients' plans (variable reads, assigns, optimizer updates,
save/restore of its shard) with the shared task runner. Arrays arriving from Ray's object
store are read-only views; the store copies what it keeps (Assign copies its value,
updates compute fresh arrays). What only a PS does lives here: today the variable reports;
sync-replica accumulators, shard checkpoints and embedding tables as they come."""

from __future__ import annotations

from psflow.graph import dtypes
from psflow.workers.task import TaskRunner


class ParameterServer(TaskRunner):
    """A parameter-server task (see TaskRunner for the protocol)."""

    def variable_report(self) -> dict:
        """Name -> bytes of the variables this task holds."""
        return {name: int(value.nbytes) for name, value in self.store.items()}

    def variable_specs(self) -> dict:
        """Name -> (dtype name, shape) of the variables this task holds."""
        return {
            name: (dtypes.as_dtype(value.dtype).name, list(value.shape))
            for name, value in self.store.items()
        }
