"""graph/heap.py: once set, a freed large array's memory is the heap's to reuse (glibc's
mapping threshold raised), where glibc's default maps it afresh for every array."""

import subprocess
import sys

import pytest

CODE = """
import sys, numpy as np
from psflow.graph import heap
if sys.argv[1] == "keep":
    heap.keep_freed_memory()
a = np.ones(20 << 18, np.float32)  # 20 MiB
for line in open("/proc/self/maps"):
    fields = line.split()
    lo, hi = (int(v, 16) for v in fields[0].split("-"))
    if lo <= a.ctypes.data < hi:
        print(fields[5] if len(fields) > 5 else "anonymous")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize("mode,region", [("keep", "[heap]"), ("default", "anonymous")])
def test_a_large_array_comes_from_the_heap_once_set(mode, region):
    out = subprocess.run(
        [sys.executable, "-c", CODE, mode], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == region


def test_every_executor_sets_it():
    code = (
        "from unittest import mock; from psflow.graph import heap; import psflow as tf\n"
        "with mock.patch.object(heap, 'keep_freed_memory') as keep:\n"
        "    tf.Session().run(tf.constant(1.0))\n"
        "print(keep.call_count)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) >= 1
