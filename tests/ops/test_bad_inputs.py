"""Bad input, as a table: shape errors known at graph construction raise ValueError naming
the op; those only known at run time raise InvalidArgumentError naming the op, and leave
the session usable."""

import numpy as np
import pytest

import psflow as tf

F = tf.float32


def z(*shape):
    return tf.zeros(shape)


CONSTRUCTION = [
    ("Add", lambda: tf.add(z(2, 3), z(4)), "Dimensions must be equal"),
    ("MatMul", lambda: tf.matmul(z(2, 3), z(4, 5)), "Dimensions must be equal"),
    ("BatchMatMulV2", lambda: tf.matmul(z(2, 2, 3), z(2, 4, 5)), "Dimensions must be equal"),
    ("Reshape", lambda: tf.reshape(z(2, 3), [4]), "Cannot reshape"),
    ("Transpose", lambda: tf.transpose(z(2, 3), [0, 1, 2]), "Dimension must be 2"),
    ("Tile", lambda: tf.tile(z(2, 3), [2]), "rank"),
    ("Pad", lambda: tf.pad(z(2), [[-1, 0]]), "non-negative"),
    ("Slice", lambda: tf.slice(z(3, 3), [2, 0], [2, 1]), "out of bounds"),
    ("GatherNd", lambda: tf.gather_nd(z(3), [[0, 1]]), "indices.shape"),
    (
        "Conv2D",
        lambda: tf.nn.conv2d(z(1, 4, 4, 2), z(3, 3, 3, 1), [1, 1, 1, 1], "SAME"),
        "Depth of input",
    ),
    (
        "Conv2D-strides",
        lambda: tf.nn.conv2d(z(1, 4, 4, 2), z(3, 3, 2, 1), [2, 1, 1, 1], "SAME"),
        "strides",
    ),
    ("MaxPool", lambda: tf.nn.max_pool(z(1, 4, 4, 1), [2, 2, 1, 1], [1, 1, 1, 1], "SAME"), "ksize"),
    ("BiasAdd", lambda: tf.nn.bias_add(z(2, 3), z(4)), "Dimensions must be equal"),
    (
        "SoftmaxCrossEntropyWithLogits",
        lambda: tf.nn.softmax_cross_entropy_with_logits_v2(labels=z(2, 3), logits=z(2, 4)),
        "broadcastable",
    ),
    (
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.zeros([2, 1], tf.int32), logits=z(2, 3)
        ),
        "Rank mismatch",
    ),
    ("TopKV2", lambda: tf.nn.top_k(z(2, 3), 4), "at least k columns"),
    ("Split", lambda: tf.split(z(5, 2), 2), "evenly divisible"),
    ("OneHot", lambda: tf.one_hot([1, 2], 3, axis=5), "axis"),
    ("Softmax", lambda: tf.nn.softmax(tf.constant(1.0)), "rank 0"),
    ("ArgMax", lambda: tf.argmax(z(2, 3), 2), "out of bounds"),
    ("Cumsum", lambda: tf.cumsum(z(2, 3), 3), "out of bounds"),
    ("Cumprod", lambda: tf.cumprod(z(2, 3), -3), "out of bounds.*Cumprod|Cumprod.*out of bounds"),
    ("scalar_mul", lambda: tf.scalar_mul(z(2), z(2)), "Only scalar multiply works"),
    ("Sum", lambda: tf.reduce_sum(z(2, 3), 4), "out of bounds"),
    ("ConcatV2", lambda: tf.concat([z(2, 3), z(2, 3, 1)], 0), "rank"),
    ("Pack", lambda: tf.stack([z(2), z(3)]), "Shapes must be equal|compatible|Dimension"),
    (
        "Select",
        lambda: tf.where(tf.zeros([2, 3], tf.bool), z(2, 3), z(3, 2)),
        "Dimensions must be equal",
    ),
]


@pytest.mark.parametrize("op_type,build,match", CONSTRUCTION, ids=[c[0] for c in CONSTRUCTION])
def test_construction_error_is_a_value_error(op_type, build, match):
    with pytest.raises(ValueError, match=match):
        build()


def ph(dtype=F, shape=None):
    return tf.placeholder(dtype, shape)


RUNTIME = [
    ("Add", lambda a, b: tf.add(a, b, name="the_op"), [np.zeros((2, 3)), np.zeros(4)]),
    ("MatMul", lambda a, b: tf.matmul(a, b, name="the_op"), [np.zeros((2, 3)), np.zeros((4, 2))]),
    ("Reshape", lambda a: tf.reshape(a, [4], name="the_op"), [np.zeros(6)]),
    ("GatherV2", lambda a: tf.gather(a, [0, 5], name="the_op"), [np.zeros(3)]),
    ("GatherNd", lambda a: tf.gather_nd(a, [[3]], name="the_op"), [np.zeros(3)]),
    ("Transpose", lambda a: tf.transpose(a, [1, 0], name="the_op"), [np.zeros((2, 2, 2))]),
    ("Slice", lambda a: tf.slice(a, [1], [3], name="the_op"), [np.zeros(3)]),
    ("SplitV", lambda a: tf.split(a, [1, 1], name="the_op")[0], [np.zeros(3)]),
    (
        "Conv2D",
        lambda a: tf.nn.conv2d(a, tf.zeros([1, 1, 2, 1]), [1, 1, 1, 1], "SAME", name="the_op"),
        [np.zeros((1, 2, 2, 3))],
    ),
    (
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda a: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([0, 7]), logits=a, name="the_op"
        ),
        [np.zeros((2, 3))],
    ),
    ("BiasAdd", lambda a: tf.nn.bias_add(a, tf.zeros([2]), name="the_op"), [np.zeros((2, 3))]),
    ("TopKV2", lambda a: tf.nn.top_k(a, 3, name="the_op")[0], [np.zeros((2, 2))]),
    (
        "DynamicPartition",
        lambda a: tf.dynamic_partition(a, [0, 4], 2, name="the_op")[0],
        [np.zeros(2)],
    ),
    ("ScatterNd", lambda a: tf.scatter_nd([[5]], a, [3], name="the_op"), [np.zeros(1)]),
    (
        "CheckNumerics",
        lambda a: tf.check_numerics(a, "the input", name="the_op"),
        [np.array([1.0, np.nan])],
    ),
    ("SegmentSum", lambda a: tf.segment_sum(a, [1, 0], name="the_op"), [np.zeros(2)]),
    (
        "UnsortedSegmentMax",
        lambda a: tf.unsorted_segment_max(a, [0, 5], 2, name="the_op"),
        [np.zeros(2)],
    ),
    (
        "SparseSegmentReduce",
        lambda a: tf.sparse_segment_sum(a, [5], [0], name="the_op"),
        [np.zeros((2, 2))],
    ),
    (
        "SparseToDense",
        lambda a: tf.sparse_to_dense([[1], [0]], [3], a, name="the_op"),
        [np.zeros(2)],
    ),
    ("Unique", lambda a: tf.unique(a, name="the_op")[0], [np.zeros((2, 2))]),
    ("MatrixInverse", lambda a: tf.matrix_inverse(a, name="the_op"), [np.zeros((2, 2))]),
    ("MatrixSolve", lambda a: tf.matrix_solve(a, a, name="the_op"), [np.ones((2, 2))]),
]


@pytest.mark.parametrize("op_type,build,values", RUNTIME, ids=[c[0] for c in RUNTIME])
def test_runtime_error_names_the_op_and_session_survives(op_type, build, values):
    phs = [ph(F) for _ in values]
    out = build(*phs)
    ok = tf.constant(1.0) + 1.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as err:
            sess.run(out, dict(zip(phs, values)))
        assert "the_op" in str(err.value)
        assert sess.run(ok) == 2.0


@pytest.mark.parametrize(
    "values,what",
    [([np.nan, 1.0], "NaN"), ([np.inf, 1.0], "Inf"), ([np.inf, np.nan], "Inf and NaN")],
)
def test_check_numerics_says_what_it_found_and_no_update_happens(values, what):
    x = ph(F)
    v = tf.Variable(0.0)
    with tf.control_dependencies([tf.check_numerics(x, "loss exploded")]):
        update = tf.assign_add(v, 1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(
            tf.errors.InvalidArgumentError, match=f"loss exploded : Tensor had {what} values"
        ):
            sess.run(update, {x: np.array(values)})
        assert sess.run(v) == 0.0
        assert sess.run(update, {x: np.array([1.0, 2.0])}) == 1.0


@pytest.mark.parametrize("args", [(-1,), (2.5,), (2, "3")], ids=["negative", "float", "string"])
def test_eye_rejects_sizes_that_are_not_non_negative_ints(args):
    with pytest.raises(TypeError, match="eye: num_(rows|columns) must be a non-negative int"):
        tf.eye(*args)
