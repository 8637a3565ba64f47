"""Checkpoints that move between TensorFlow and psflow (graph/tf_checkpoint.py): a checkpoint
TensorFlow 2.x's tf.compat.v1 Saver wrote (recorded below as bytes, no TensorFlow needed)
restores name for name in psflow, every dtype, with its checksums checked; converting it
back gives TensorFlow's bytes exactly; `Saver(checkpoint_format="tensorflow")` and
`psflow checkpoint convert` write files TensorFlow reads (checked with TensorFlow itself
when the `bench` extra is installed, skipped visibly otherwise)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from psflow.cluster.cli import main as cli
from psflow.graph import checkpoint as ckpt, tf_checkpoint

import psflow as tf

# tf.compat.v1.train.Saver().save(sess, ".../model", global_step=7) of
# a = arange(6).reshape(2, 3) float32, scope/b = [1, -2, 3] int64, c = 3.5 float64,
# s = [b"xy", b"", b"hello"], h = [True, False]:
TF_INDEX = bytes.fromhex(
    "00000608011a02080100011361080112081202080212020803281835c0db3d1700010d630802120020182808"
    "35722827bd00011168080a12041202080220202802355fb0ce810001117308071204120208032022280e3500"
    "7c85ee010611636f70652f6208091204120208032030281835b1e803b9000000000100000000a5cb86370000"
    "00000100000000c0f2a1b000010274007d000000000100000000cd9348d88201088f010e0000000000000000"
    "000000000000000000000000000000000000000000000000000057fb808b247547db"
)
TF_DATA = bytes.fromhex(
    "000000000000803f0000004000004040000080400000a0400000000000000c400100020005a1ca70af787968"
    "656c6c6f0100000000000000feffffffffffffff0300000000000000"
)
# ... and of tf.get_variable("emb", [130, 1], partitioner=tf.fixed_size_partitioner(2)), its
# parts assigned arange(0, 65) and arange(65, 130) (slices keyed by TF's OrderedCode):
TF_SLICED_INDEX = bytes.fromhex(
    "00000608011a020801000d1400656d620001010280c0418081080112081202084112020801288402355fa1a2"
    "52080617c041c04180810801120812020841120208012084022884023534f11587000323656d620801120912"
    "03088201120208013a080a0210410a0210013a0a0a04084110410a021001000000000100000000d5944ad500"
    "0000000100000000c0f2a1b000010266007e00000000010000000024daa2c383010890010e00000000000000"
    "00000000000000000000000000000000000000000000000000000057fb808b247547db"
)
TF_SLICED_DATA = bytes.fromhex(
    "000000000000803f0000004000004040000080400000a0400000c0400000e040000000410000104100002041"
    "0000304100004041000050410000604100007041000080410000884100009041000098410000a0410000a841"
    "0000b0410000b8410000c0410000c8410000d0410000d8410000e0410000e8410000f0410000f84100000042"
    "000004420000084200000c4200001042000014420000184200001c4200002042000024420000284200002c42"
    "00003042000034420000384200003c4200004042000044420000484200004c42000050420000544200005842"
    "00005c4200006042000064420000684200006c4200007042000074420000784200007c420000804200008242"
    "00008442000086420000884200008a4200008c4200008e420000904200009242000094420000964200009842"
    "00009a4200009c4200009e420000a0420000a2420000a4420000a6420000a8420000aa420000ac420000ae42"
    "0000b0420000b2420000b4420000b6420000b8420000ba420000bc420000be420000c0420000c2420000c442"
    "0000c6420000c8420000ca420000cc420000ce420000d0420000d2420000d4420000d6420000d8420000da42"
    "0000dc420000de420000e0420000e2420000e4420000e6420000e8420000ea420000ec420000ee420000f042"
    "0000f2420000f4420000f6420000f8420000fa420000fc420000fe420000004300000143"
)

VALUES = {
    "a": np.arange(6, dtype=np.float32).reshape(2, 3),
    "scope/b": np.array([1, -2, 3], np.int64),
    "c": np.float64(3.5),
    "s": np.array([b"xy", b"", b"hello"], dtype=object),
    "h": np.array([True, False]),
}


def _write(directory, prefix, index, data):
    (directory / f"{prefix}.index").write_bytes(index)
    (directory / f"{prefix}.data-00000-of-00001").write_bytes(data)
    (directory / "checkpoint").write_text(f'model_checkpoint_path: "{prefix}"\n')
    return str(directory / prefix)


def _variables():
    tf.reset_default_graph()
    return {
        "a": tf.Variable(np.zeros((2, 3), np.float32), name="a"),
        "scope/b": tf.Variable(np.zeros(3, np.int64), name="scope/b"),
        "c": tf.Variable(0.0, dtype=tf.float64, name="c"),
        "s": tf.Variable(np.array([b"", b"", b""], dtype=object), name="s"),
        "h": tf.Variable(np.array([False, False]), name="h"),
    }


def _assert_values(got):
    for name, want in VALUES.items():
        assert np.asarray(got[name]).dtype == np.asarray(want).dtype, name
        np.testing.assert_array_equal(got[name], want)


def test_a_tensorflow_checkpoint_restores_name_for_name(tmp_path):
    prefix = _write(tmp_path, "model-7", TF_INDEX, TF_DATA)
    variables = _variables()
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
        _assert_values(dict(zip(variables, sess.run(list(variables.values())))))
    assert dict(tf.train.list_variables(prefix)) == {
        "a": [2, 3], "c": [], "h": [2], "s": [3], "scope/b": [3]
    }  # fmt: skip
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "s"), VALUES["s"])


def test_converting_back_writes_tensorflows_bytes(tmp_path):
    prefix = _write(tmp_path, "model-7", TF_INDEX, TF_DATA)
    mid, back = str(tmp_path / "mid" / "model"), str(tmp_path / "back" / "model")
    os.makedirs(os.path.dirname(mid))
    os.makedirs(os.path.dirname(back))
    assert ckpt.convert(prefix, mid, "psflow") == 5
    assert not tf_checkpoint.is_tf_index((tmp_path / "mid" / "model.index").read_bytes())
    ckpt.convert(mid, back, "tensorflow")
    assert (tmp_path / "back" / "model.index").read_bytes() == TF_INDEX
    assert (tmp_path / "back" / "model.data-00000-of-00001").read_bytes() == TF_DATA


def test_a_corrupt_tensor_is_a_data_loss_error_and_restores_nothing(tmp_path):
    data = bytearray(TF_DATA)
    data[40] ^= 0x01  # inside "s"'s bytes
    prefix = _write(tmp_path, "model-7", TF_INDEX, bytes(data))
    variables = _variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.DataLossError, match="tensor s"):
            tf.train.Saver().restore(sess, prefix)
        assert sess.run(variables["a"]).tolist() == [[0.0] * 3] * 2  # left as they were
    broken = bytearray(TF_INDEX)
    broken[20] ^= 0x01  # inside the data block: its checksum no longer matches
    bad = _write(tmp_path, "bad", bytes(broken), TF_DATA)
    with pytest.raises(tf.errors.DataLossError, match="checksum"):
        tf.train.list_variables(bad)


def _partitioned():
    tf.reset_default_graph()
    return tf.get_variable(
        "emb", [130, 1], partitioner=tf.fixed_size_partitioner(2),
        initializer=tf.zeros_initializer(),
    )  # fmt: skip


def test_a_variable_tensorflow_saved_in_slices_restores_into_a_partitioned_one(tmp_path):
    prefix = _write(tmp_path, "model", TF_SLICED_INDEX, TF_SLICED_DATA)
    whole = np.arange(130, dtype=np.float32).reshape(130, 1)
    assert dict(tf.train.list_variables(prefix)) == {"emb": [130, 1]}  # as TF lists it
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "emb"), whole)
    emb = _partitioned()
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, prefix)
        np.testing.assert_array_equal(sess.run(tf.concat(list(emb), 0)), whole)


def test_a_partitioned_variable_saved_for_tensorflow_is_saved_in_slices(tmp_path):
    emb = _partitioned()
    saver = tf.train.Saver(checkpoint_format="tensorflow")
    with tf.Session() as sess:
        for k, part in enumerate(emb):
            sess.run(part.assign(np.arange(65 * k, 65 * k + 65, dtype=np.float32)[:, None]))
        saver.save(sess, str(tmp_path / "model"), write_meta_graph=False)
    assert (tmp_path / "model.index").read_bytes() == TF_SLICED_INDEX
    assert (tmp_path / "model.data-00000-of-00001").read_bytes() == TF_SLICED_DATA
    mid = str(tmp_path / "mid")
    ckpt.convert(str(tmp_path / "model"), mid, "psflow")  # and back, through psflow's format
    ckpt.convert(mid, str(tmp_path / "back"), "tensorflow")
    assert (tmp_path / "back.index").read_bytes() == TF_SLICED_INDEX


def test_slice_keys_are_tensorflows_ordered_code():
    assert (
        tf_checkpoint.slice_key("emb", [65, 0], [65, 1])
        == b"\x00emb\x00\x01\x01\x02\xc0A\xc0A\x80\x81"
    )
    for value in (0, 1, 63, 64, 8191, 8192, 10**6, 10**12, -1, -64, -65, -(10**6)):
        key = tf_checkpoint.slice_key("a/b", [value], [-1])
        assert tf_checkpoint.parse_slice_key(key) == ("a/b", [value], [-1])
    keys = [tf_checkpoint.slice_key("v", [s], [1]) for s in (-70, -1, 0, 5, 64, 10**4)]
    assert keys == sorted(keys)  # order-preserving, as the table needs


def test_a_saver_writing_tensorflows_format_round_trips(tmp_path):
    variables = _variables()
    saver = tf.train.Saver(checkpoint_format="tensorflow", max_to_keep=1)
    with tf.Session() as sess:
        for name, v in variables.items():
            sess.run(v.assign(VALUES[name]))
        saver.save(sess, str(tmp_path / "model"), global_step=1)
        prefix = saver.save(sess, str(tmp_path / "model"), global_step=7)
        assert sorted(os.listdir(tmp_path)) == [
            "checkpoint", "model-7.data-00000-of-00001", "model-7.index", "model-7.meta"
        ]  # fmt: skip
        assert (tmp_path / "model-7.index").read_bytes() == TF_INDEX
        assert (tmp_path / "model-7.data-00000-of-00001").read_bytes() == TF_DATA
        sess.run(tf.global_variables_initializer())
        saver.restore(sess, prefix)
        _assert_values(dict(zip(variables, sess.run(list(variables.values())))))
    with pytest.raises(ValueError, match="checkpoint_format"):
        tf.train.Saver(checkpoint_format="onnx")


def test_the_convert_command(tmp_path):
    _write(tmp_path, "model-7", TF_INDEX, TF_DATA)
    dest = str(tmp_path / "p" / "m")
    out = CliRunner().invoke(cli, ["checkpoint", "convert", str(tmp_path), dest, "--to", "psflow"])
    assert out.exit_code == 0, out.output
    assert "wrote 5 tensors" in out.output
    assert tf.train.latest_checkpoint(str(tmp_path / "p")) == str(tmp_path / "p" / "m")
    _assert_values({n: tf.train.load_variable(str(tmp_path / "p" / "m"), n) for n in VALUES})
    out = CliRunner().invoke(cli, ["checkpoint", "convert", str(tmp_path / "nowhere"), "x"])
    assert out.exit_code != 0


_TF_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
mode, prefix = sys.argv[1], sys.argv[2]
w = tf.Variable(np.zeros((2, 2), np.float32), name="layer/w")
n = tf.Variable(np.array([b"", b""], dtype=object), name="names")
saver = tf.train.Saver([w, n])
with tf.Session() as sess:
    if mode == "read":
        saver.restore(sess, prefix)
        print(sess.run(w).tolist(), sess.run(n).tolist())
    else:
        sess.run([w.assign([[5.0, 6.0], [7.0, 8.0]]), n.assign([b"p", b"q"])])
        saver.save(sess, prefix, write_meta_graph=False)
"""


def _tensorflow():
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pytest.skip("TensorFlow is not installed (the bench extra): interop checked on bytes only")


def test_tensorflow_itself_reads_psflows_and_writes_what_psflow_reads(tmp_path):
    _tensorflow()
    tf.reset_default_graph()
    w = tf.Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), name="layer/w")
    n = tf.Variable(np.array([b"a", b"bc"], dtype=object), name="names")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver(checkpoint_format="tensorflow").save(sess, str(tmp_path / "ps"))
    run = [sys.executable, "-c", _TF_SCRIPT]
    got = subprocess.run(run + ["read", prefix], capture_output=True, text=True, check=True)
    assert got.stdout.strip().splitlines()[-1] == "[[1.0, 2.0], [3.0, 4.0]] [b'a', b'bc']"
    theirs = str(tmp_path / "tf")
    subprocess.run(run + ["write", theirs], capture_output=True, check=True)
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, theirs)
        assert sess.run(w).tolist() == [[5.0, 6.0], [7.0, 8.0]]
        assert sess.run(n).tolist() == [b"p", b"q"]
