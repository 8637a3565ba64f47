"""Summaries written with FileWriter, read back with tensorboard's own EventAccumulator."""

import glob
import os

import numpy as np
import pytest

import psflow as tf


def _accumulator(logdir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(
        str(logdir),
        size_guidance={"scalars": 0, "histograms": 0, "images": 0, "audio": 0, "tensors": 0},
    )
    acc.Reload()
    return acc


def test_every_kind_of_summary_reads_back(tmp_path, target):
    x = tf.placeholder(tf.float32, [None, 2, 2, 1])
    with tf.name_scope("layer"):
        tf.summary.scalar("mean", tf.reduce_mean(x))
        tf.summary.histogram("values", x)
    tf.summary.image("img", x, max_outputs=2)
    tf.summary.image("img_u8", tf.cast(tf.ones([1, 2, 3, 3]) * 200.0, tf.uint8), max_outputs=1)
    tf.summary.audio("clip", tf.constant([[0.0, 0.5, -0.5, 1.0]]), 8000, max_outputs=1)
    tf.summary.text("note", tf.constant("hello"))
    tf.summary.tensor_summary("raw", tf.constant([[1, 2], [3, 4]]))
    merged = tf.summary.merge_all()
    batch = np.array(
        [[[[1.0], [0.0]], [[3.0], [0.0]]], [[[-1.0], [2.0]], [[0.0], [1.0]]]], np.float32
    )
    with tf.Session(target) as sess:
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        for step in range(3):
            writer.add_summary(sess.run(merged, {x: batch * (step + 1)}), step)
        writer.close()
    acc = _accumulator(tmp_path)
    tags = acc.Tags()
    # "layer/mean_1", as TF 1.x tags it: the name scope "mean" is unique against the op
    # "layer/Mean" (reduce_mean's) case-insensitively.
    assert tags["scalars"] == ["layer/mean_1"]
    assert [round(e.value, 5) for e in acc.Scalars("layer/mean_1")] == [0.75, 1.5, 2.25]
    hist = acc.Histograms("layer/values")[1].histogram_value
    assert (hist.num, hist.min, hist.max, hist.sum) == (8, -2.0, 6.0, 12.0)
    assert sum(hist.bucket) == 8
    assert sorted(tags["images"]) == ["img/image/0", "img/image/1", "img_u8/image"]
    img = acc.Images("img/image/0")[0]
    assert (img.width, img.height) == (2, 2)
    decoded = _decode_png(img.encoded_image_string)
    # All >= 0: scaled so the largest value (3) is 255.
    np.testing.assert_array_equal(decoded[..., 0], [[85, 0], [255, 0]])
    signed = _decode_png(acc.Images("img/image/1")[0].encoded_image_string)
    # Negative values: |max| = 2 maps to 127 around 128.
    np.testing.assert_array_equal(signed[..., 0], [[64, 255], [128, 191]])
    u8 = _decode_png(acc.Images("img_u8/image")[0].encoded_image_string)
    assert u8.shape == (2, 3, 3) and (u8 == 200).all()
    assert tags["audio"] == ["clip/audio"]
    clip = acc.Audio("clip/audio")[0]
    assert clip.sample_rate == 8000 and clip.length_frames == 4
    assert "note" in tags["tensors"] and "raw" in tags["tensors"]
    raw = acc.Tensors("raw")[0]
    np.testing.assert_array_equal(
        np.frombuffer(raw.tensor_proto.tensor_content, np.int32), [1, 2, 3, 4]
    )
    assert acc.Tensors("note")[0].tensor_proto.string_val == [b"hello"]
    assert tags["graph"] is True


def _decode_png(data: bytes) -> np.ndarray:
    import struct
    import zlib

    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks.setdefault(kind, b"")
        chunks[kind] += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, _, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [
        raw[r * (width * channels + 1) + 1 : (r + 1) * (width * channels + 1)]
        for r in range(height)
    ]
    return np.frombuffer(b"".join(rows), np.uint8).reshape(height, width, channels)


def test_old_names_and_merge_with_key(tmp_path):
    a = tf.constant([1.0, 2.0])
    tf.scalar_summary(["first", "second"], a)
    tf.histogram_summary("h", a)
    tf.scalar_summary("other", tf.constant(5.0), collections=["mine"])
    merged = tf.merge_all_summaries()
    mine = tf.summary.merge_all(key="mine")
    assert tf.summary.merge_all(key="empty") is None
    with tf.Session() as sess:
        writer = tf.train.SummaryWriter(str(tmp_path))
        writer.add_summary(sess.run(merged), 1)
        writer.add_summary(sess.run(tf.merge_summary([mine])), 2)
        writer.flush()
        writer.close()
    acc = _accumulator(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["first", "other", "second"]
    assert acc.Scalars("second")[0].value == 2.0
    assert acc.Scalars("other")[0].step == 2


def test_duplicate_tags_in_merge_fail():
    s1 = tf.summary.scalar("same", tf.constant(1.0))
    s2 = tf.summary.scalar("same", tf.constant(2.0))
    with tf.Session() as sess:
        assert sess.run(s1)  # serialized bytes
        with pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag"):
            sess.run(tf.summary.merge([s1, tf.scalar_summary("same", tf.constant(3.0))]))
    assert s2.op.name == "same_1"


def test_graph_def_has_devices_control_inputs_and_attrs():
    with tf.device("/job:ps/task:0"):
        v = tf.Variable([1.0, 2.0], name="v")
    with tf.control_dependencies([v.initializer]):
        out = tf.identity(v.value(), name="out")
    gd = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert nodes["v"].device == "/job:ps/task:0"
    assert nodes["v"].op == "VariableV2"
    assert "^v/Assign" in nodes["out"].input
    assert nodes["v/read"].input == ["v"]
    assert nodes["v/initial_value"].attr["dtype"].type == tf.float32.enum
    assert list(nodes["v"].attr["shape"].shape.dim)[0].size == 2
    assert out.op.name == "out"


def test_writer_lifecycle_session_log_and_run_metadata(tmp_path):
    from tensorboard.compat.proto import event_pb2

    writer = tf.summary.FileWriter(str(tmp_path), filename_suffix=".sfx")
    assert writer.get_logdir() == str(tmp_path)
    writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START), 0)
    meta = tf.RunMetadata()
    meta.step_stats.dev_stats.add(device="/cpu:0")
    writer.add_run_metadata(meta, "step0", 0)
    writer.close()
    with pytest.raises(RuntimeError):
        writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.STOP), 1)
    writer.reopen()
    writer.add_summary(
        tf.summary.Summary(value=[tf.summary.Summary.Value(tag="t", simple_value=1.0)]), 3
    )
    writer.close()
    files = sorted(glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*")))
    assert len(files) == 2 and all(f.endswith(".sfx") for f in files)
    events = [e for f in files for e in tf.summary.summary_iterator(f)]
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds.count("file_version") == 2
    assert "session_log" in kinds and "tagged_run_metadata" in kinds and "summary" in kinds
    cache_a = tf.summary.FileWriterCache.get(str(tmp_path / "c"))
    assert tf.summary.FileWriterCache.get(str(tmp_path / "c")) is cache_a
    tf.summary.FileWriterCache.clear()


def test_tensorboard_server_serves_scalars_and_graph(tmp_path):
    """Starts the real `tensorboard --logdir` on a loopback port and reads its data API."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    loss = tf.placeholder(tf.float32, [], name="loss_in")
    summary = tf.summary.scalar("loss", loss * 1.0)
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        for step, value in enumerate([3.0, 2.0, 1.0]):
            writer.add_summary(sess.run(summary, {loss: value}), step)
        writer.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    proc = subprocess.Popen(
        [
            exe,
            "--logdir",
            str(tmp_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--load_fast",
            "false",
            "--reload_interval",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        scalars = None
        while time.monotonic() < deadline:
            try:
                url = f"{base}/data/plugin/scalars/scalars?run=.&tag=loss"
                with urllib.request.urlopen(url, timeout=5) as r:
                    scalars = json.loads(r.read())
                if scalars:
                    break
            except Exception:  # the server is still starting
                time.sleep(0.5)
        assert scalars is not None, "tensorboard did not serve the scalars"
        assert [(row[1], row[2]) for row in scalars] == [(0, 3.0), (1, 2.0), (2, 1.0)]
        with urllib.request.urlopen(f"{base}/data/plugin/graphs/graph?run=.", timeout=10) as r:
            graph_text = r.read().decode()
        assert 'name: "loss_in"' in graph_text and 'op: "ScalarSummary"' in graph_text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_summary_tags_are_uniquified_as_tf1_names_them():
    """As TF 1.x: a summary's tag is its unique name scope (a second 'accuracy' is
    'accuracy_1'; names are unique against op names case-insensitively)."""
    first = tf.summary.scalar("accuracy", tf.constant(1.0))
    second = tf.summary.scalar("accuracy", tf.constant(2.0))
    tf.constant(0.0, name="Loss")
    with tf.name_scope("layer1/weights/summaries"):
        means = [tf.summary.scalar("mean", 1.0), tf.summary.histogram("mean", [1.0])]
    loss = tf.summary.scalar("loss", 3.0)
    old = tf.scalar_summary("accuracy", 4.0)  # the TF 0.x form keeps its tag as given
    with tf.Session() as sess:
        tags = [
            tf.Summary.FromString(sess.run(t)).value[0].tag
            for t in (first, second, *means, loss, old)
        ]
    assert tags == [
        "accuracy",
        "accuracy_1",
        "layer1/weights/summaries/mean",
        "layer1/weights/summaries/mean_1",
        "loss_1",
        "accuracy",
    ]
    assert second.op.name == "accuracy_1"


def test_tf2_summary_names_in_graph_mode_and_summary_descriptions():
    assert tf.summary.all_v2_summary_ops() == []
    with tf.Session() as sess:
        assert tf.summary.initialize(session=sess) is None
    node = tf.NodeDef(name="s", op="TensorSummaryV2")
    assert tf.summary.get_summary_description(node).type_hint == ""
    described = tf.summary.SummaryDescription(type_hint="scalar")
    node.attr["description"].s = described.SerializeToString()
    assert tf.summary.get_summary_description(node).type_hint == "scalar"


def test_raise_exception_on_not_ok_status():
    with tf.errors.raise_exception_on_not_ok_status() as status:
        pass  # OK: nothing raised
    with pytest.raises(tf.errors.NotFoundError, match="no such file"):
        with tf.errors.raise_exception_on_not_ok_status() as status:
            status.code = tf.errors.NOT_FOUND
            status.message = "no such file"
