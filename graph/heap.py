"""Freed arrays' memory stays in the process heap, for the next step's arrays.

A step allocates its intermediate arrays afresh. glibc serves a large allocation (above a
threshold that starts at 128 KiB) with a new mapping and unmaps it when freed, so every step
paid the page faults and the kernel's zeroing of each large array again. Raising the
mapping threshold to 32 MiB and the trim threshold to 128 MiB lets freed blocks be reused:
the LeNet step of bench/conv_step.py went from ~59 to ~49 ms on numpy's kernels and from ~35
to ~26 ms on torch's, the MLP step at batch 512 ~3% faster. The cost is a resident heap
that keeps its high-water mark, as TF1's allocators do. Set once per process, by the first
executor; `PSFLOW_KEEP_HEAP=0` leaves glibc's defaults.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's upper bound for it on 64-bit machines
TRIM_THRESHOLD = 128 << 20

_done = False


def keep_freed_memory() -> None:
    """Sets glibc's thresholds, once per process (nothing without glibc or when off)."""
    global _done
    if _done:
        return
    _done = True
    if not sys.platform.startswith("linux") or os.environ.get("PSFLOW_KEEP_HEAP") == "0":
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
