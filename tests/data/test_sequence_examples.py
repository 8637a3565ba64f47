"""SequenceExample parsing, SparseFeature and decode_json_example, with the values
TensorFlow 1.x gave for the same protos (recorded with tensorflow.compat.v1)."""

import pytest
from psflow.graph import example_proto as ep

import psflow as tf


def _sequence(length, tokens, scores):
    s = ep.SequenceExample()
    s.context.feature["length"].int64_list.value.append(length)
    s.context.feature["name"].bytes_list.value.append(b"n%d" % length)
    for t in tokens:
        s.feature_lists.feature_list["tokens"].feature.add().int64_list.value.extend(t)
    for x in scores:
        s.feature_lists.feature_list["scores"].feature.add().float_list.value.extend(x)
    return s.SerializeToString()


A = _sequence(3, [[1], [2, 3], [4]], [[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]])
B = _sequence(1, [[7, 8, 9]], [[9.0, 8.0]])
CONTEXT = {"length": tf.FixedLenFeature([], tf.int64), "name": tf.VarLenFeature(tf.string)}
SEQUENCE = {"tokens": tf.VarLenFeature(tf.int64),
            "scores": tf.FixedLenSequenceFeature([2], tf.float32)}  # fmt: skip


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_single_sequence_example():
    context, steps = _run(tf.io.parse_single_sequence_example(A, CONTEXT, SEQUENCE))
    assert context["length"] == 3 and context["name"].values.tolist() == [b"n3"]
    assert steps["scores"].tolist() == [[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]
    assert steps["tokens"].indices.tolist() == [[0, 0], [1, 0], [1, 1], [2, 0]]
    assert steps["tokens"].values.tolist() == [1, 2, 3, 4]
    assert steps["tokens"].dense_shape.tolist() == [3, 2]


def test_batched_sequence_examples_pad_and_report_lengths():
    context, steps, lengths = _run(tf.io.parse_sequence_example([A, B], CONTEXT, SEQUENCE))
    assert context["length"].tolist() == [3, 1]
    assert steps["scores"].tolist() == [[[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]],
                                        [[9.0, 8.0], [0.0, 0.0], [0.0, 0.0]]]  # fmt: skip
    assert lengths["scores"].tolist() == [3, 1]
    assert steps["tokens"].dense_shape.tolist() == [2, 3, 3]
    assert steps["tokens"].indices.tolist()[-3:] == [[1, 0, 0], [1, 0, 1], [1, 0, 2]]


def test_a_missing_required_list_is_an_error():
    sequence = {"absent": tf.FixedLenSequenceFeature([], tf.int64)}
    with pytest.raises(tf.errors.InvalidArgumentError, match="'absent' is required"):
        _run(tf.io.parse_single_sequence_example(A, None, sequence))
    allowed = {"absent": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}
    assert _run(tf.io.parse_single_sequence_example(A, None, allowed))[1]["absent"].size == 0


def test_sparse_feature_and_json_examples():
    example = ep.Example()
    example.features.feature["idx"].int64_list.value.extend([3, 0])
    example.features.feature["val"].float_list.value.extend([1.5, 2.5])
    features = {"sp": tf.SparseFeature("idx", "val", tf.float32, 5)}
    parsed = tf.parse_example([example.SerializeToString()], features)["sp"]
    sp = _run(parsed)
    assert sp.indices.tolist() == [[0, 0], [0, 3]] and sp.values.tolist() == [2.5, 1.5]
    assert sp.dense_shape.tolist() == [1, 5]
    text = '{"features": {"feature": {"x": {"floatList": {"value": [1.5]}}}}}'
    binary = _run(tf.io.decode_json_example([text]))
    assert ep.Example.FromString(binary[0]).features.feature["x"].float_list.value[:] == [1.5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="parsing JSON"):
        _run(tf.decode_json_example(["{not json"]))
