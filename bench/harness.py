"""Shared benchmark helpers: time a callable, take medians over repeats, print ratios.

Every benchmark runs its anchor in the same run (these machines are shared and noisy) and
ends with one `ratio METRIC VALUE GOAL` line per comparison.
"""

from __future__ import annotations

import gc
import socket
import statistics
import time


def per_call_seconds(fn, min_time: float = 0.2, warmup: int = 3) -> float:
    """Mean seconds per call of `fn` over a batch lasting at least `min_time`."""
    for _ in range(warmup):
        fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n
        n = max(n * 2, int(n * min_time / max(elapsed, 1e-9) * 1.2))


def interleaved_medians(fns: dict, repeats: int = 7, min_time: float = 0.2) -> dict:
    """Median seconds per call for each named callable, repeats interleaved so that noise
    hits every contestant alike."""
    # Everything built so far (both frameworks' graphs, TensorFlow's own modules) is moved
    # out of the garbage collector's generations: otherwise each full collection rescans
    # it, and whichever contestant allocates more small objects pays for the other's heap.
    gc.collect()
    gc.freeze()
    try:
        samples: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(repeats):
            for name, fn in fns.items():
                samples[name].append(per_call_seconds(fn, min_time))
    finally:
        gc.unfreeze()
    return {name: statistics.median(v) for name, v in samples.items()}


def ratio_line(metric: str, value: float, goal: str) -> str:
    return f"ratio {metric} {value:.3f} {goal}"


def blas_kernels() -> str:
    """The BLAS library and kernel numpy runs (threadpoolctl, when installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    return (
        ", ".join(
            f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        )
        or "none"
    )


def free_port() -> int:
    """A free TCP port on loopback (for TF1's gRPC servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
