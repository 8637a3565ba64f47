"""tf.io.decode_proto / encode_proto: sizes and padded values as TensorFlow 1.x gave them
for the same messages, messages of a FileDescriptorSet, text format, and TF's errors."""

import numpy as np
import pytest
from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import tensor_shape_pb2, versions_pb2

import psflow as tf

A = versions_pb2.VersionDef(producer=5, bad_consumers=[1, 2, 3]).SerializeToString()
B = versions_pb2.VersionDef(min_consumer=7).SerializeToString()


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_sizes_and_padded_values_are_tfs():
    batch = np.array([[A, B], [b"", A]], dtype=object)
    sizes, values = tf.io.decode_proto(
        batch,
        "tensorflow.VersionDef",
        ["producer", "min_consumer", "bad_consumers"],
        [tf.int32, tf.int64, tf.int32],
    )
    assert sizes.shape.as_list() == [2, 2, 3] and values[2].shape.as_list() == [2, 2, None]
    got_sizes, got = _run([sizes, values])
    np.testing.assert_array_equal(got_sizes, [[[1, 0, 3], [0, 1, 0]], [[0, 0, 0], [1, 0, 3]]])  # TF
    np.testing.assert_array_equal(got[0], [[[5], [0]], [[0], [5]]])  # TF
    np.testing.assert_array_equal(got[1], [[[0], [7]], [[0], [0]]])  # TF
    assert got[1].dtype == np.int64
    np.testing.assert_array_equal(got[2], [[[1, 2, 3], [0, 0, 0]], [[0, 0, 0], [1, 2, 3]]])  # TF


def test_message_fields_are_serialized_and_encode_inverts_decode():
    dims = [
        tensor_shape_pb2.TensorShapeProto.Dim(size=3, name="a"),
        tensor_shape_pb2.TensorShapeProto.Dim(size=4),
    ]
    shape = tensor_shape_pb2.TensorShapeProto(dim=dims).SerializeToString()
    sizes, values = tf.io.decode_proto(
        [shape, b""], "tensorflow.TensorShapeProto", ["dim", "unknown_rank"], [tf.string, tf.bool]
    )
    encoded = tf.io.encode_proto(
        sizes, values, ["dim", "unknown_rank"], "tensorflow.TensorShapeProto"
    )
    got_sizes, got, back = _run([sizes, values, encoded])
    np.testing.assert_array_equal(got_sizes, [[2, 0], [0, 0]])  # TF
    assert got[0].tolist() == [[b"\x08\x03\x12\x01a", b"\x08\x04"], [b"", b""]]  # TF
    np.testing.assert_array_equal(got[1], [[False], [False]])  # TF
    assert back.tolist() == [shape, b""]
    example = tf.train.Example(
        features=tf.train.Features(
            feature={"a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2]))}
        )
    )
    _, (features,) = tf.io.decode_proto(
        [example.SerializeToString()], "tensorflow.Example", ["features"], [tf.string]
    )
    assert _run(features)[0, 0] == example.features.SerializeToString()


def test_a_descriptor_set_file_and_text_format(tmp_path):
    file = descriptor_pb2.FileDescriptorProto(name="point.proto", package="demo", syntax="proto3")
    point = file.message_type.add(name="Point")
    point.field.add(
        name="x",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    point.field.add(
        name="tags",
        number=2,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
    )
    path = tmp_path / "point.desc"
    path.write_bytes(descriptor_pb2.FileDescriptorSet(file=[file]).SerializeToString())
    sizes, (x, tags) = tf.io.decode_proto(
        ['x: 1.5 tags: "a" tags: "bc"', "tags: 'z'"],
        "demo.Point",
        ["x", "tags"],
        [tf.float64, tf.string],
        descriptor_source=str(path),
        message_format="text",
    )
    encoded = tf.io.encode_proto(
        [[1, 2]],
        [[[2.5]], [[b"p", b"q"]]],
        ["x", "tags"],
        "demo.Point",
        descriptor_source=str(path),
    )
    again = tf.io.decode_proto(
        encoded, "demo.Point", ["x", "tags"], [tf.float32, tf.string], descriptor_source=str(path)
    )
    got = _run([sizes, x, tags, again])
    np.testing.assert_array_equal(got[0], [[1, 2], [0, 1]])
    np.testing.assert_array_equal(got[1], [[1.5], [0.0]])
    assert got[2].tolist() == [[b"a", b"bc"], [b"z", b""]]
    np.testing.assert_array_equal(got[3][1][0], [[2.5]])
    assert got[3][1][1].tolist() == [[b"p", b"q"]]


def test_errors_are_tfs():
    def decode(data, message_type, field, dtype):
        return _run(tf.io.decode_proto(data, message_type, [field], [dtype])[0])

    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match="Unknown field: nope in message type tensorflow.VersionDef",
    ):
        decode([B], "tensorflow.VersionDef", "nope", tf.int32)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="No descriptor found for message type tensorflow.Nope"
    ):
        decode([B], "tensorflow.Nope", "producer", tf.int32)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match="Unexpected output type for tensorflow.VersionDef.producer: int32 to DT_STRING",
    ):
        decode([A], "tensorflow.VersionDef", "producer", tf.string)
    with pytest.raises(tf.errors.DataLossError):
        decode([b"\xff\xff"], "tensorflow.VersionDef", "producer", tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least one value"):
        decode(np.zeros([0], dtype=object), "tensorflow.VersionDef", "producer", tf.int32)
