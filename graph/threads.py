"""How many threads BLAS may use for an in-process session's steps (TF1's
`ConfigProto.intra_op_parallelism_threads`), through threadpoolctl.

Measured on 2 cores (the MLP step of bench/train_step.py, steps/s): quiet, OpenBLAS with 2
threads ran batch 64 at 1413 and batch 512 at 244 (1 thread: 1098, 165); beside two busy
processes, 2 threads fell to 194 and 53 -- its threads spin for the cores the others hold
-- where 1 thread ran 728 and 114 (TF1: 416 and 111 there, 843 and 249 quiet). So with no
setting, a governor picks per interval: every core while the others are idle, one thread
as soon as other processes keep about half a core busy (from /proc/stat, less this
process's own CPU time). `intra_op_parallelism_threads=N` (N > 0) fixes N threads instead.
Worker and PS tasks keep what Ray gives an actor (OMP_NUM_THREADS = its num_cpus).
"""

from __future__ import annotations

import os
import threading
import time

CHECK_SECS = 0.25  # how often the governor looks at the machine
BUSY_OTHERS = 0.5  # cores other processes keep busy from which BLAS gets one thread


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is counted in user already
    return total - idle, total


class BlasThreads:
    """Sets BLAS's thread count before a step: a fixed count, or the governor's choice."""

    def __init__(self):
        self._lock = threading.Lock()
        self._controller = None  # threadpoolctl's, made on first use (it scans libraries)
        self._current: int | None = None
        self._torch = None  # torch, once its kernels are loaded (graph/ops/torch_kernels.py)
        self._next = 0.0
        self._sample = None
        self._hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.cores = os.cpu_count() or 1

    def before_run(self, requested: int) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        with self._lock:
            if now < self._next:
                return
            self._next = now + CHECK_SECS
            want = requested if requested > 0 else self._governed(now)
            if want is not None and want != self._current:
                self._set(want)

    def _governed(self, now: float) -> int | None:
        jiffies = _cpu_jiffies()
        times = os.times()
        own = times.user + times.system
        previous, self._sample = self._sample, (now, jiffies, own)
        if jiffies is None or previous is None:
            return None
        then, before, own_before = previous
        elapsed = now - then
        if elapsed <= 0:
            return None
        busy = (jiffies[0] - before[0]) / self._hz
        others = (busy - (own - own_before)) / elapsed
        return 1 if others >= BUSY_OTHERS else self.cores

    def share_with(self, torch) -> None:
        """From now on torch's pool gets the threads and OpenBLAS one: a product's idle
        OpenBLAS threads spin for a while, and beside torch's busy pool they doubled a
        convolution's time. Called when torch's kernels load (in a Ray task too, whose
        count is what Ray gave it)."""
        with self._lock:
            self._torch = torch
            self._set(self._current or torch.get_num_threads())

    def _set(self, threads: int) -> None:
        try:
            if self._torch is not None:
                self._torch.set_num_threads(threads)
            if self._controller is None:
                from threadpoolctl import ThreadpoolController

                self._controller = ThreadpoolController()
            blas = 1 if self._torch is not None else threads
            self._controller.limit(limits=blas, user_api="blas")
        except Exception:  # noqa: BLE001 -- no threadpoolctl, or a BLAS it cannot drive
            self._next = float("inf")  # leave BLAS as it is from now on
            return
        self._current = threads

    @property
    def current(self) -> int | None:
        """The thread count last set (None: never set)."""
        return self._current


BLAS = BlasThreads()
