"""Checkpoint throughput: psflow Saver save/restore of 1 GiB of float32 variables against a
raw numpy write/read of the same bytes (`ndarray.tofile` / `np.fromfile`) in the same run.

Ends with `ratio ckpt.save_vs_raw VALUE >=0.7` and `ratio ckpt.restore_vs_raw VALUE >=0.7`
(psflow bytes/s over raw bytes/s; medians of several repeats). psflow's save also fsyncs
and checksums every tensor; the raw anchor does neither.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import harness  # noqa: E402

NUM_VARS = 8
TOTAL_BYTES = 1 << 30


def main(repeats: int = 3) -> None:
    import psflow as tf

    per_var = TOTAL_BYTES // NUM_VARS // 4
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(per_var, dtype=np.float32) for _ in range(NUM_VARS)]
    variables = [tf.Variable(tf.zeros([per_var]), name=f"w{i}") for i in range(NUM_VARS)]
    saver = tf.train.Saver(max_to_keep=1)
    sess = tf.Session()
    for v, a in zip(variables, arrays):
        v.load(a, sess)
    root = tempfile.mkdtemp(prefix="psflow-ckpt-bench-", dir=os.environ.get("BENCH_DIR"))
    times: dict[str, list[float]] = {"save": [], "restore": [], "raw_write": [], "raw_read": []}
    try:
        for r in range(repeats):
            raw_dir = os.path.join(root, f"raw{r}")
            os.makedirs(raw_dir)
            start = time.perf_counter()
            for i, a in enumerate(arrays):
                a.tofile(os.path.join(raw_dir, f"w{i}.bin"))
            times["raw_write"].append(time.perf_counter() - start)
            start = time.perf_counter()
            loaded = [
                np.fromfile(os.path.join(raw_dir, f"w{i}.bin"), np.float32) for i in range(NUM_VARS)
            ]
            times["raw_read"].append(time.perf_counter() - start)
            del loaded
            shutil.rmtree(raw_dir)

            start = time.perf_counter()
            path = saver.save(
                sess, os.path.join(root, "model.ckpt"), global_step=r, write_meta_graph=False
            )
            times["save"].append(time.perf_counter() - start)
            sess.run([tf.assign(v, tf.zeros([per_var])) for v in variables[:1]])
            start = time.perf_counter()
            saver.restore(sess, path)
            times["restore"].append(time.perf_counter() - start)
            assert np.array_equal(sess.run(variables[0]), arrays[0])
    finally:
        sess.close()
        shutil.rmtree(root, ignore_errors=True)
    gib = TOTAL_BYTES / (1 << 30)
    med = {k: statistics.median(v) for k, v in times.items()}
    for key, seconds in med.items():
        print(f"{key:10s} {seconds:7.3f} s  {gib / seconds:6.2f} GiB/s")
    print(harness.ratio_line("ckpt.save_vs_raw", med["raw_write"] / med["save"], ">=0.7"))
    print(harness.ratio_line("ckpt.restore_vs_raw", med["raw_read"] / med["restore"], ">=0.7"))


if __name__ == "__main__":
    main()
