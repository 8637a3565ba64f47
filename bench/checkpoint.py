"""Checkpoint throughput: psflow's Saver saving and restoring 1 GiB in 8 float32 variables,
beside, in the same run:

- the physical limit of this disk: a raw write of the same bytes followed by fsync (psflow
  fsyncs every file before renaming it), and a raw `readinto` of them into preallocated
  arrays;
- TensorFlow 1's own `tf.train.Saver` save and restore of the same variables.

Medians of several repeats. Ends with `ratio ckpt.save_vs_fsync_raw VALUE >=0.8` and
`ratio ckpt.restore_vs_raw VALUE >=0.8` (raw time / psflow time), `ratio ckpt.save_vs_tf1
VALUE <=1.0` and `ratio ckpt.restore_vs_tf1 VALUE <=1.0` (psflow time / TF1 time), and
prints a 2-PS cluster save and restore of the same bytes for the record. Needs the `bench`
extra. BENCH_DIR chooses the disk (default: the system's temporary directory).
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402

NUM_VARS = 8
TOTAL_BYTES = 1 << 30
REPEATS = 5


def _raw(arrays, directory) -> tuple[float, float]:
    """(seconds to write and fsync every array, seconds to readinto preallocated arrays)."""
    os.makedirs(directory)
    _warm_memory()
    start = time.perf_counter()
    for i, a in enumerate(arrays):
        with open(os.path.join(directory, f"w{i}.bin"), "wb") as f:
            f.write(a.data)
            f.flush()
            os.fsync(f.fileno())
    write = time.perf_counter() - start
    out = [np.empty_like(a) for a in arrays]
    _drop_cache(directory)
    _warm_memory()
    start = time.perf_counter()
    for i, o in enumerate(out):
        with open(os.path.join(directory, f"w{i}.bin"), "rb") as f:
            f.readinto(o.data.cast("B"))
    read = time.perf_counter() - start
    assert all(np.array_equal(a, o) for a, o in zip(arrays, out))
    shutil.rmtree(directory)
    return write, read


def _warm_memory() -> None:
    """Touches and frees twice the checkpoint's size of memory before each timed phase, for
    everyone alike. On a virtual machine, memory the guest has not touched lately costs a
    host-side fault on first use (1 GiB of fresh arrays filled in 1.1 s cold, 0.11 s warm
    here), and a restore allocates 1 GiB of arrays: without this, whoever happened to free
    memory (page cache, an old session) just before its phase was measured as faster."""
    np.ones(2 * TOTAL_BYTES, np.uint8)


def _drop_cache(directory) -> None:
    """Asks the kernel to forget the files' cached pages (so that a read measures the disk
    the same way for everyone), where it can. The files are fsynced first: the kernel keeps
    dirty pages, so a save that does not fsync (TF1's) would otherwise be read back from
    memory."""
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and hasattr(os, "posix_fadvise"):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _saver_times(tf, arrays, directory, session_target=None, setter=None):
    """(save seconds, restore seconds) of one framework's Saver on `arrays`."""
    graph = tf.Graph()
    with graph.as_default(), tf.device(setter):
        variables = [tf.Variable(tf.zeros([a.size]), name=f"w{i}") for i, a in enumerate(arrays)]
        saver = tf.train.Saver(max_to_keep=1)
        sess = tf.Session(session_target) if session_target else tf.Session()
        try:
            for v, a in zip(variables, arrays):
                v.load(a, sess)
            os.makedirs(directory)
            _warm_memory()
            start = time.perf_counter()
            path = saver.save(sess, os.path.join(directory, "model.ckpt"), write_meta_graph=False)
            save = time.perf_counter() - start
            sess.run(variables[0].assign(tf.zeros([arrays[0].size])))
            _drop_cache(directory)
            _warm_memory()
            start = time.perf_counter()
            saver.restore(sess, path)
            restore = time.perf_counter() - start
            assert np.array_equal(sess.run(variables[0]), arrays[0])
        finally:
            sess.close()
            shutil.rmtree(directory, ignore_errors=True)
    return save, restore


def main() -> None:
    import tensorflow.compat.v1 as tf1

    import psflow as tf

    tf1.disable_eager_execution()
    per_var = TOTAL_BYTES // NUM_VARS // 4
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(per_var, dtype=np.float32) for _ in range(NUM_VARS)]
    root = tempfile.mkdtemp(prefix="psflow-ckpt-bench-", dir=os.environ.get("BENCH_DIR"))
    times: dict[str, list[float]] = {}

    def add(key, seconds):
        times.setdefault(key, []).append(seconds)

    try:
        for r in range(REPEATS):
            write, read = _raw(arrays, os.path.join(root, f"raw{r}"))
            add("raw_write_fsync", write)
            add("raw_readinto", read)
            save, restore = _saver_times(tf, arrays, os.path.join(root, f"psflow{r}"))
            add("psflow_save", save)
            add("psflow_restore", restore)
            save, restore = _saver_times(tf1, arrays, os.path.join(root, f"tf1{r}"))
            add("tf1_save", save)
            add("tf1_restore", restore)
        from psflow import cluster as pscluster

        with pscluster.launch(
            num_ps=2, num_workers=1, ps={"num_cpus": 0}, worker={"num_cpus": 0}
        ) as cluster:
            save, restore = _saver_times(
                tf, arrays, os.path.join(root, "cluster"), cluster.target, cluster.device_setter()
            )
            add("cluster_2ps_save", save)
            add("cluster_2ps_restore", restore)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    gib = TOTAL_BYTES / (1 << 30)
    med = {k: statistics.median(v) for k, v in times.items()}
    for key, seconds in med.items():
        runs = " ".join(f"{t:.3f}" for t in times[key])
        print(f"{key:20s} {seconds:7.3f} s  {gib / seconds:6.2f} GiB/s   (runs: {runs})")
    print(
        harness.ratio_line(
            "ckpt.save_vs_fsync_raw", med["raw_write_fsync"] / med["psflow_save"], ">=0.8"
        )
    )
    print(
        harness.ratio_line(
            "ckpt.restore_vs_raw", med["raw_readinto"] / med["psflow_restore"], ">=0.8"
        )
    )
    print(harness.ratio_line("ckpt.save_vs_tf1", med["psflow_save"] / med["tf1_save"], "<=1.0"))
    print(
        harness.ratio_line(
            "ckpt.restore_vs_tf1", med["psflow_restore"] / med["tf1_restore"], "<=1.0"
        )
    )


if __name__ == "__main__":
    main()
