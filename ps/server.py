"""The parameter server: a task that owns a shard of the variables (its VariableStore) and
runs the PS stages of its clients' plans (variable reads, assigns, optimizer updates,
save/restore of its shard) with the shared task runner. Arrays arriving from Ray's object
store are read-only views; the store copies what it keeps (Assign copies its value,
updates compute fresh arrays). What only a PS does lives here: today the variable reports;
sync-replica accumulators, shard checkpoints and embedding tables as they come."""

from __future__ import annotations

import ctypes
import ctypes.util

from psflow.graph import dtypes
from psflow.workers.task import TaskRunner

_M_MMAP_THRESHOLD = -3  # mallopt parameter numbers (glibc's malloc.h)
MMAP_THRESHOLD = 256 << 10


def release_large_frees() -> bool:
    """Makes glibc serve every allocation of MMAP_THRESHOLD bytes or more with its own
    mapping, returned to the system when freed. By default glibc raises that threshold to
    the size of the last mapped block freed (up to 32 MiB), so a PS's table-sized
    temporaries (initial values, copies made by the first row update) came from the heap
    afterwards and stayed resident once freed: 180 MB over 337 MB of tables after
    initialization, measured, and as much again after the first updates. Setting the
    threshold explicitly turns that adjustment off. False where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


class ParameterServer(TaskRunner):
    """A parameter-server task (see TaskRunner for the protocol)."""

    def __init__(self, *args, **kwargs):
        release_large_frees()
        super().__init__(*args, **kwargs)

    def variable_report(self) -> dict:
        """Name -> bytes of the variables this task holds."""
        return {name: int(value.nbytes) for name, value in self.store.items()}

    def variable_specs(self) -> dict:
        """Name -> (dtype name, shape) of the variables this task holds."""
        return {
            name: (dtypes.as_dtype(value.dtype).name, list(value.shape))
            for name, value in self.store.items()
        }
