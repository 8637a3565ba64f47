"""graph/storage.py: direct-I/O writes and reads against plain files, spool paths, and
checkpoints whose index carries the older crc32 checksum."""

import os
import zlib
from pathlib import Path

import msgpack
import numpy as np
import pytest
from psflow.graph import checkpoint as ckpt, storage

import psflow as tf


def _data(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)


@pytest.mark.parametrize(
    "sizes",
    [
        [0],
        [1],
        [4095, 1, 4097],
        [storage.DirectFile.CHUNK - 3, 10, storage.DirectFile.CHUNK * 2 + 5],
        [3 * storage.DirectFile.CHUNK],
    ],
)
def test_direct_writes_produce_exactly_the_bytes_written(tmp_path, sizes):
    pieces = [_data(n, i) for i, n in enumerate(sizes)]
    path = str(tmp_path / "f")
    told = []

    def write(f):
        for p in pieces:
            assert f.write(p.data) == p.size
            told.append(f.tell())

    storage.atomic_write(path, write, direct=True)
    expected = b"".join(p.tobytes() for p in pieces)
    assert Path(path).read_bytes() == expected
    assert told == list(np.cumsum(sizes))
    assert [p for p in os.listdir(tmp_path)] == ["f"]  # no temporary left


def test_a_failed_direct_write_raises_and_publishes_nothing(tmp_path):
    path = str(tmp_path / "f")

    def write(f):
        f.write(_data(storage.DirectFile.CHUNK + 1).data)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.atomic_write(path, write, direct=True)
    assert os.listdir(tmp_path) == []


def test_a_filesystem_without_direct_io_falls_back(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "_open_direct", lambda path: None)
    path = str(tmp_path / "f")
    storage.atomic_write(path, lambda f: f.write(b"abc"), direct=True)
    assert Path(path).read_bytes() == b"abc"


@pytest.mark.parametrize("offset", [0, 4096, 100])
@pytest.mark.parametrize("length", [storage.DIRECT_MIN + 4096, storage.DIRECT_MIN + 7, 10])
def test_reads_at_any_offset_and_length_return_the_files_bytes(tmp_path, offset, length):
    data = _data(offset + length + 50)
    path = tmp_path / "f"
    path.write_bytes(data.tobytes())
    buf = storage.aligned_empty(length)
    assert storage.read_at_into(str(path), offset, buf) == length
    np.testing.assert_array_equal(buf, data[offset : offset + length])
    unaligned = np.empty(length + 1, np.uint8)[1:]  # an address direct I/O refuses
    assert storage.read_at_into(str(path), offset, unaligned) == length
    np.testing.assert_array_equal(unaligned, data[offset : offset + length])


def test_a_read_past_the_end_returns_what_there_is(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(_data(storage.DIRECT_MIN + 100).tobytes())
    buf = storage.aligned_empty(2 * storage.DIRECT_MIN)
    assert storage.read_at_into(str(path), 0, buf) == storage.DIRECT_MIN + 100


def test_spool_paths_stay_in_the_spool_directory(tmp_path):
    for bad in ["psflow-spool://../x", "psflow-spool://a/../../etc/passwd", "psflow-spool://a/b/c"]:
        with pytest.raises(tf.errors.InvalidArgumentError):
            storage.read_at(bad, 0, 10)
    with pytest.raises(tf.errors.InvalidArgumentError, match="spool files only"):
        storage.write_at(str(tmp_path / "f"), 0, b"x")
    ref = storage.spool_path("tok123", "part")
    storage.write_at(ref, 5, b"hello")
    assert storage.read_at(ref, 0, 100) == b"\0" * 5 + b"hello"
    storage.drop_spool("tok123")
    assert not storage.exists(ref)


def test_a_checkpoint_with_crc32_checksums_still_verifies(tmp_path):
    """Files saved before the xxh3 checksum carry crc32 in their index."""
    v = tf.Variable(np.arange(6.0).reshape(2, 3), name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        prefix = saver.save(sess, str(tmp_path / "m"))
        index = msgpack.unpackb(Path(prefix + ".index").read_bytes(), strict_map_key=False)
        entry = index["tensors"]["v"]
        payload = np.arange(6.0).reshape(2, 3).tobytes()
        assert entry.pop("xxh3") == ckpt.checksum(payload)
        entry["crc32"] = zlib.crc32(payload)
        Path(prefix + ".index").write_bytes(msgpack.packb(index))
        sess.run(tf.assign(v, tf.zeros([2, 3], tf.float64)))
        saver.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(v), np.arange(6.0).reshape(2, 3))
        entry["crc32"] += 1
        Path(prefix + ".index").write_bytes(msgpack.packb(index))
        with pytest.raises(tf.errors.DataLossError, match=r"\(crc32\) for tensor v"):
            saver.restore(sess, prefix)
