"""tf.gfile on local paths and a file:// URI; tf.random's TF 1.x names."""

import numpy as np
import pytest

import psflow as tf


@pytest.mark.parametrize("uri", [False, True], ids=["path", "file-uri"])
def test_gfile_reads_writes_lists_and_removes(tmp_path, uri):
    root = f"file://{tmp_path}" if uri else str(tmp_path)
    d = f"{root}/a/b"
    tf.gfile.MakeDirs(d)
    assert tf.gfile.IsDirectory(d) and tf.gfile.Exists(d)
    with tf.gfile.GFile(f"{d}/x.txt", "w") as f:
        f.write("hello\n")
    with tf.gfile.Open(f"{d}/x.txt") as f:
        assert f.read() == "hello\n"
    assert tf.gfile.Stat(f"{d}/x.txt").length == 6
    assert not tf.gfile.Stat(f"{d}/x.txt").is_directory
    tf.gfile.Copy(f"{d}/x.txt", f"{d}/y.txt")
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(f"{d}/x.txt", f"{d}/y.txt")
    tf.gfile.Rename(f"{d}/y.txt", f"{d}/z.txt")
    assert sorted(tf.gfile.ListDirectory(d)) == ["x.txt", "z.txt"]
    assert sorted(p.rsplit("/", 1)[1] for p in tf.gfile.Glob(f"{d}/*.txt")) == ["x.txt", "z.txt"]
    assert any(files for _, _, files in tf.gfile.Walk(root))
    tf.gfile.Remove(f"{d}/z.txt")
    with pytest.raises(tf.errors.NotFoundError):
        tf.gfile.Remove(f"{d}/z.txt")
    with pytest.raises(tf.errors.NotFoundError):
        tf.gfile.GFile(f"{d}/missing.txt")
    tf.gfile.DeleteRecursively(f"{root}/a")
    assert not tf.gfile.Exists(f"{root}/a")


def test_random_namespace_names():
    tf.random.set_random_seed(3)
    draws = [
        tf.random.normal([1000], seed=1),
        tf.random.uniform([1000], seed=2),
        tf.random.truncated_normal([1000], seed=3),
        tf.random.categorical(tf.math.log([[0.2, 0.8]]), 2000, seed=4),
        tf.random.shuffle(tf.range(10), seed=5),
    ]
    with tf.Session() as sess:
        normal, uniform, truncated, picks, shuffled = sess.run(draws)
    assert abs(normal.mean()) < 0.15 and uniform.min() >= 0.0 and uniform.max() < 1.0
    assert np.abs(truncated).max() <= 2.0
    assert picks.dtype == np.int64 and 0.75 < picks.mean() < 0.85
    assert sorted(shuffled) == list(range(10))
