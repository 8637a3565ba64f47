"""Top-level TF1 names added for fidelity: switch_case, register_tensor_conversion_function,
custom_gradient, timestamp, fingerprint, extract_image_patches, the v2 conv backprops,
approx_top_k, PaddingFIFOQueue and PriorityQueue, serialize_sparse and its batch forms,
edit_distance, create_partitioned_variables, decode_compressed, the unsigned dtypes.
Expected values marked "TF" are what TensorFlow 1.x gave for the same calls."""

import gzip
import zlib

import numpy as np
import pytest

import psflow as tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_switch_case_runs_the_indexed_branch_or_the_default():
    i = tf.placeholder(tf.int32, [])
    listed = tf.switch_case(i, [lambda: tf.constant(10), lambda: tf.constant(20)],
                            default=lambda: tf.constant(-1))  # fmt: skip
    keyed = tf.switch_case(i, {1: lambda: tf.constant(5.0), 3: lambda: tf.constant(7.0)})
    with tf.Session() as sess:
        assert [sess.run(listed, {i: k}) for k in (0, 1, 5)] == [10, 20, -1]
        assert [sess.run(keyed, {i: k}) for k in (1, 3, 0)] == [5.0, 7.0, 7.0]  # last: default


def test_registered_tensor_conversion():
    class Celsius:
        def __init__(self, degrees):
            self.degrees = degrees

    tf.register_tensor_conversion_function(
        Celsius, lambda v, dtype=None, name=None, as_ref=False: tf.constant(v.degrees, dtype)
    )
    assert _run(tf.add(Celsius(20.0), 1.0)) == 21.0
    with pytest.raises(TypeError, match="Python numeric types"):
        tf.register_tensor_conversion_function(float, lambda v, **_: v)


def test_custom_gradient_replaces_the_gradient():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(dy):
            return dy * (1 - 1 / (1 + e))

        return tf.log(1 + e), grad

    x = tf.constant([0.0, 2.0, 100.0])
    y = log1pexp(x)
    with np.errstate(over="ignore"):
        values, grads = _run([y, tf.gradients(tf.reduce_sum(y), x)[0]])
    assert values[:2] == pytest.approx(np.log1p(np.exp([0.0, 2.0])))
    assert grads.tolist() == pytest.approx([0.5, 1 - 1 / (1 + np.exp(2.0)), 1.0])  # finite


def test_timestamp_and_fingerprint():
    import time

    before = time.time()
    stamp = _run(tf.timestamp())
    assert before <= stamp <= time.time() and isinstance(stamp, np.float64)
    ints, strings = _run([tf.fingerprint(np.arange(6, dtype=np.int32).reshape(2, 3)),
                          tf.fingerprint(tf.constant([["a", "b"], ["cd", ""]]))])  # fmt: skip
    assert ints.tolist() == [[226, 97, 231, 35, 137, 217, 164, 52],
                             [135, 205, 247, 214, 112, 21, 177, 81]]  # TF  # fmt: skip
    assert strings.tolist() == [[122, 64, 59, 169, 136, 60, 55, 83],
                                [76, 28, 95, 120, 37, 106, 38, 75]]  # TF  # fmt: skip


def test_extract_image_patches_and_its_gradient():
    x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
    valid = tf.extract_image_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    same = tf.image.extract_patches(x, [1, 3, 2, 1], [1, 1, 2, 1], [1, 1, 2, 1], "SAME")
    v, s = _run([valid, same])
    assert v[0, 0, 1].tolist() == [4, 5, 6, 7, 12, 13, 14, 15]  # TF
    assert s[1, 2, 1].tolist() == [44, 45, 0, 0, 52, 53, 0, 0, 60, 61, 0, 0]  # TF
    xt = tf.constant(x.astype(np.float64))
    patches = tf.extract_image_patches(xt, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    grad = _run(tf.gradients(tf.reduce_sum(patches), xt)[0])
    counts = np.ones((4, 4)) * 4
    counts[[0, -1], :] /= 2
    counts[:, [0, -1]] /= 2  # each pixel is in as many 2x2 windows as cover it
    np.testing.assert_allclose(grad[0, :, :, 0], counts)


def test_v2_conv_backprops_take_the_tensor_itself():
    x = np.random.RandomState(0).randn(1, 5, 5, 2)
    f = np.random.RandomState(1).randn(3, 3, 2, 4)
    dy = np.random.RandomState(2).randn(1, 5, 5, 4)
    a, b, c, d = _run([
        tf.conv2d_backprop_filter_v2(x, f, dy, [1, 1, 1, 1], "SAME"),
        tf.nn.conv2d_backprop_filter(x, [3, 3, 2, 4], dy, [1, 1, 1, 1], "SAME"),
        tf.conv2d_backprop_input_v2(x, f, dy, [1, 1, 1, 1], "SAME"),
        tf.nn.conv2d_backprop_input([1, 5, 5, 2], f, dy, [1, 1, 1, 1], "SAME"),
    ])  # fmt: skip
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(c, d)
    values, indices = _run(tf.approx_top_k(np.array([[3.0, 1.0, 2.0]]), 2))
    assert values.tolist() == [[3.0, 2.0]] and indices.tolist() == [[0, 2]]


def test_padding_and_priority_queues():
    padded = tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
    fills = [padded.enqueue([[1, 2, 3]]), padded.enqueue([[4]])]
    batch = padded.dequeue_many(2)
    ranked = tf.PriorityQueue(5, [tf.string], shapes=[[]])
    puts = [
        ranked.enqueue([tf.constant(p, tf.int64), s]) for p, s in ((3, "c"), (1, "a"), (2, "b"))
    ]
    out = ranked.dequeue_many(3)
    assert batch.shape.as_list() == [2, None]
    with tf.Session() as sess:
        for op in fills + puts:
            sess.run(op)
        assert sess.run(batch).tolist() == [[1, 2, 3], [4, 0, 0]]
        priorities, items = sess.run(out)
    assert priorities.tolist() == [1, 2, 3] and items.tolist() == [b"a", b"b", b"c"]
    with pytest.raises(ValueError, match="needs shapes"):
        tf.PaddingFIFOQueue(2, [tf.int32], shapes=None)


def test_serialized_sparse_tensors_are_tfs_bytes():
    sp = tf.SparseTensor([[0, 1], [1, 0], [1, 2]], np.array([1.5, 2.5, 3.5], np.float32), [3, 4])
    one, many = _run([tf.serialize_sparse(sp), tf.serialize_many_sparse(sp)])
    assert [bytes(b).hex() for b in one][1] == "0801120412020803220c0000c03f0000204000006040"  # TF
    assert many.shape == (3, 3)
    assert [bytes(b).hex() for b in many[0]] == [  # TF
        "08091208120208011202080122080100000000000000", "080112041202080122040000c03f",
        "080912041202080122080400000000000000",
    ]  # fmt: skip
    back = _run(tf.deserialize_many_sparse(tf.serialize_many_sparse(sp), tf.float32))
    assert back.indices.tolist() == [[0, 1], [1, 0], [1, 2]]
    assert back.values.tolist() == [1.5, 2.5, 3.5] and back.dense_shape.tolist() == [3, 4]


def test_edit_distance_is_tfs():
    hyp = tf.SparseTensor([[0, 0, 0], [1, 0, 0], [1, 0, 1]], ["a", "b", "c"], [2, 2, 2])
    truth = tf.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]], ["a", "b", "d", "x"],
                            [2, 2, 3])  # fmt: skip
    normalized, raw = _run([tf.edit_distance(hyp, truth),
                            tf.edit_distance(hyp, truth, normalize=False)])  # fmt: skip
    assert normalized.tolist() == [[np.inf, 1.0], [0.5, 1.0]]  # TF
    assert raw.tolist() == [[1.0, 1.0], [1.0, 1.0]]  # TF
    both_empty = tf.edit_distance(tf.SparseTensor([[0, 0]], ["a"], [3, 1]),
                                  tf.SparseTensor([[0, 0]], ["a"], [2, 1]))  # fmt: skip
    assert _run(both_empty).tolist() == [0.0, 0.0, 0.0]  # TF


def test_create_partitioned_variables_and_unsigned_dtypes():
    parts = tf.create_partitioned_variables([4, 3], [2, 1], tf.ones_initializer())
    again = tf.create_partitioned_variables([4, 3], [1, 3], tf.zeros_initializer())
    assert [v.op.name for v in parts] == [
        "PartitionedVariable/part_0",
        "PartitionedVariable/part_1",
    ]
    assert [v.op.name for v in again][-1] == "PartitionedVariable_1/part_2"
    assert [v.shape.as_list() for v in parts] == [[2, 3], [2, 3]]
    with pytest.raises(ValueError, match="must have the length"):
        tf.create_partitioned_variables([4, 3], [2], tf.ones_initializer())
    big = tf.constant([2**63 + 5], tf.uint64)
    assert _run(big).tolist() == [2**63 + 5] and tf.uint32.max == 2**32 - 1
    assert tf.as_dtype("uint16") is tf.uint16 and tf.uint16.is_unsigned


def test_decode_compressed():
    data = [zlib.compress(b"hello"), zlib.compress(b"")]
    assert _run(tf.decode_compressed(data, "ZLIB")).tolist() == [b"hello", b""]
    assert _run(tf.io.decode_compressed([gzip.compress(b"x")], "GZIP")).tolist() == [b"x"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="DecodeCompressed"):
        _run(tf.decode_compressed([b"not zlib"], "ZLIB"))


def test_wav_audio_is_tfs():
    audio = np.array([[0.0, 0.5], [-0.5, 1.0], [0.25, -1.0], [0.3333, 2.0]], np.float32)
    encoded = _run(tf.audio.encode_wav(audio, 16000))
    assert len(encoded) == 60 and encoded[-16:].hex() == "0000004000c0ff7f00200080aa2aff7f"  # TF
    (decoded, rate), (mono, _) = _run([tf.audio.decode_wav(encoded),
                                       tf.audio.decode_wav(encoded, 1, 6)])  # fmt: skip
    assert rate == 16000
    assert decoded.tolist() == [[0.0, 0.5], [-0.5, 0.999969482421875], [0.25, -1.0],
                                [0.33331298828125, 0.999969482421875]]  # TF  # fmt: skip
    assert mono.ravel().tolist() == [0.0, -0.5, 0.25, 0.33331298828125, 0.0, 0.0]
    stereo, _ = _run(tf.audio.decode_wav(_run(tf.audio.encode_wav(audio[:, :1], 8000)), 2))
    assert stereo[:, 0].tolist() == stereo[:, 1].tolist()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Bad WAV"):
        _run(tf.audio.decode_wav(b"not a wav"))


def test_conv_dispatches_on_rank_and_creator_scopes_see_every_variable():
    x1, f1 = np.ones((1, 5, 2)), np.ones((3, 2, 4))
    x3, f3 = np.ones((1, 3, 3, 3, 1)), np.ones((2, 2, 2, 1, 1))
    one, three = _run([tf.conv(x1, f1, [1, 1, 1], "VALID"),
                       tf.conv(x3, f3, [1, 1, 1, 1, 1], "VALID")])  # fmt: skip
    assert one.shape == (1, 3, 4) and (one == 6).all()
    assert three.shape == (1, 2, 2, 2, 1) and (three == 8).all()
    seen = []

    def frozen(next_creator, **kwargs):
        seen.append(kwargs.get("name"))
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    with tf.variable_creator_scope(frozen):
        v = tf.Variable(1.0, name="a")
    assert seen == ["a"] and not v.trainable and tf.trainable_variables() == []
    w = tf.Variable(2.0, name="b")  # outside: created as usual
    assert w.trainable


def test_the_tf_test_module():
    import os

    assert not tf.test.is_gpu_available() and tf.test.gpu_device_name() == ""
    assert os.path.isdir(tf.test.get_temp_dir())
    assert tf.resource_loader.get_data_files_path() == os.path.dirname(os.path.abspath(__file__))
    x = tf.placeholder(tf.float64, [3])
    y = tf.square(x) * 2.0
    with tf.Session():
        error = tf.test.compute_gradient_error(x, [3], y, [3], np.array([1.0, -2.0, 0.5]))
    assert error < 1e-6

    class Case(tf.test.TestCase):
        def runTest(self):  # noqa: N802
            with self.session():
                self.assertAllClose(tf.constant([1.0, 2.0]), [1.0, 2.0 + 1e-9])
                with self.assertRaisesOpError("assertion failed"):
                    self.evaluate(tf.Assert(False, ["nope"]))

    result = Case().run()
    assert result.wasSuccessful(), result.failures + result.errors


def test_sobol_sample_is_tfs():
    got = _run([tf.math.sobol_sample(3, 5), tf.math.sobol_sample(2, 3, skip=4, dtype=tf.float64)])
    np.testing.assert_array_equal(  # TF
        got[0],
        [[0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75], [0.375, 0.375, 0.625],
         [0.875, 0.875, 0.125]],
    )  # fmt: skip
    assert got[0].dtype == np.float32 and got[1].dtype == np.float64
    np.testing.assert_array_equal(got[1], [[0.875, 0.875], [0.625, 0.125], [0.125, 0.625]])  # TF
    assert tf.math.sobol_sample(4, 6).shape.as_list() == [6, 4]
    with pytest.raises(tf.errors.InvalidArgumentError, match="dim must be >= 1"):
        _run(tf.math.sobol_sample(tf.constant(0), 2))
    with pytest.raises(TypeError, match="float32 or float64"):
        tf.math.sobol_sample(2, 2, dtype=tf.int32)
