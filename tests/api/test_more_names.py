"""More top-level names and small namespaces TF1 programs reach: op_scope, parallel_stack,
add_check_numerics_ops, NotDifferentiable, make_template, the sparse_* helpers of TF1's
top level, the extra assertions, tf.nest, and the tf.debugging / tf.manip / tf.queue /
tf.dtypes / tf.bitwise / tf.version modules. Expected values are TF 1.x's."""

import numpy as np
import pytest

import psflow as tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_op_scope_parallel_stack_and_symbolic_tensors():
    with tf.op_scope([], "outer", "default"):
        c = tf.constant(1.0, name="c")
    assert c.op.name == "outer/c"
    stacked = tf.parallel_stack([[1, 2], [3, 4]])
    assert _run(stacked).tolist() == [[1, 2], [3, 4]]
    assert tf.is_symbolic_tensor(c) and not tf.is_symbolic_tensor(np.ones(2))
    assert tf.VERSION.startswith("1.") and tf.version.VERSION == tf.VERSION


def test_add_check_numerics_ops_names_the_bad_tensor():
    x = tf.placeholder(tf.float32, [2])
    y = tf.log(x, name="logged")
    check = tf.add_check_numerics_ops()
    with tf.Session() as sess:
        assert sess.run([y, check], {x: [1.0, 2.0]})[0].tolist() == pytest.approx([0.0, 0.693147])
        with (
            np.errstate(invalid="ignore"),
            pytest.raises(tf.errors.InvalidArgumentError, match="logged:0 : Tensor had NaN"),
        ):
            sess.run(check, {x: [-1.0, 2.0]})  # log(-1) is NaN


def test_not_differentiable_and_the_tf2_flags():
    with pytest.raises(KeyError, match="Registering two gradient with name 'MatMul'"):
        tf.NotDifferentiable("MatMul")
    tf.NotDifferentiable("UniqueWithCounts")  # already without a gradient: accepted
    assert tf.NoGradient is tf.NotDifferentiable is tf.no_gradient
    assert not (tf.control_flow_v2_enabled() or tf.resource_variables_enabled())
    assert not tf.executing_eagerly_outside_functions()
    assert tf.VariableAggregation.MEAN.value == 2 and tf.VariableSynchronization.ON_READ.value == 3


def test_make_template_shares_the_first_calls_variables():
    def layer(x, units):
        w = tf.get_variable("w", [2, units], initializer=tf.ones_initializer())
        return tf.matmul(x, w)

    dense = tf.make_template("dense", layer, units=3)
    a = dense(tf.ones([1, 2]))
    b = dense(tf.fill([1, 2], 2.0))
    assert [v.name for v in tf.global_variables()] == ["dense/w:0"]
    assert [v.name for v in dense.trainable_variables] == ["dense/w:0"]
    got = _run([a, b])
    assert got[0].tolist() == [[2.0, 2.0, 2.0]] and got[1].tolist() == [[4.0, 4.0, 4.0]]


def test_sparse_helpers_of_the_top_level():
    sp = tf.SparseTensor([[0, 1], [2, 3]], [5.0, 6.0], [4, 5])
    reset = tf.sparse_reset_shape(sp)
    bigger = tf.sparse_reset_shape(sp, [5, 6])
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([4, 1, 2], tf.int64), [2, 2])
    weights = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [0.5, 0.25, 1.0], [2, 2])
    merged = tf.sparse_merge(ids, weights, 6)
    slices = tf.IndexedSlices(tf.constant([[1.0], [2.0], [3.0]]), tf.constant([10, 20, 30]))
    masked = tf.sparse_mask(slices, [20])
    product = tf.sparse_matmul([[1.0, 0.0]], [[2.0], [3.0]], a_is_sparse=True)
    r, b, m, mv, mi, p = _run(
        [
            reset.dense_shape,
            bigger.dense_shape,
            merged.indices,
            merged.values,
            masked.indices,
            product,
        ]
    )
    assert r.tolist() == [3, 4] and b.tolist() == [5, 6]
    assert m.tolist() == [[0, 1], [0, 4], [1, 2]] and mv.tolist() == [0.25, 0.5, 1.0]
    assert mi.tolist() == [10, 30] and p.tolist() == [[2.0]]
    assert tf.sparse.merge is tf.sparse_merge and tf.sparse_add is tf.sparse.add
    with pytest.raises(tf.errors.InvalidArgumentError):
        _run(tf.sparse_reset_shape(sp, [3, 6]).dense_shape)


def test_more_assertions():
    near = tf.assert_near(tf.constant([1.0, 2.0]), [1.0, 2.0 + 1e-7])
    _run(near)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not equal to tolerance"):
        _run(tf.assert_near(tf.constant([1.0]), [1.1]))
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.assert_rank_at_least(tf.ones([3]), 2)
    with pytest.raises(ValueError, match=r"must have rank in \[0, 2\]"):
        tf.assert_rank_in(tf.ones([3]), [0, 2])
    tf.assert_rank_in(tf.ones([3, 1]), [0, 2])
    with pytest.raises(TypeError, match="to be iterable"):
        tf.assert_proper_iterable("abc")
    tf.assert_proper_iterable([1, 2])
    assert tf.assert_same_float_dtype([tf.ones([1], tf.float64)]) is tf.float64
    with pytest.raises(ValueError, match="expected type float64"):
        tf.assert_same_float_dtype([tf.ones([1])], tf.float64)


def test_nest():
    Point = __import__("collections").namedtuple("Point", "x y")
    structure = {"b": [1, (2, 3)], "a": Point(4, 5)}
    assert tf.nest.flatten(structure) == [4, 5, 1, 2, 3]
    packed = tf.nest.pack_sequence_as(structure, [40, 50, 10, 20, 30])
    assert packed == {"b": [10, (20, 30)], "a": Point(40, 50)}
    assert tf.nest.map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)]) == [11, (22,)]
    with pytest.raises(ValueError, match="same nested structure"):
        tf.nest.assert_same_structure([1, 2], [1, [2]])
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure([1], (1,))
    assert tf.nest.is_nested([]) and not tf.nest.is_nested(3)


def test_small_modules_name_what_they_hold():
    assert tf.debugging.assert_all_finite is tf.verify_tensor_all_finite
    assert tf.manip.roll is tf.roll and tf.queue.FIFOQueue is tf.FIFOQueue
    assert tf.dtypes.as_dtype("float32") is tf.float32 and tf.dtypes.bool is tf.bool
    assert _run(tf.bitwise.bitwise_and(12, 10)) == 8


def test_server_def_and_the_queue_runner_module():
    cluster = tf.train.ClusterSpec({"ps": ["localhost:2222"], "worker": ["localhost:2223"]})
    definition = tf.train.ServerDef(
        cluster=cluster.as_cluster_def(), job_name="worker", task_index=0, protocol="grpc"
    )
    assert definition.cluster.as_dict() == cluster.as_dict() and definition.port == 0
    server = tf.train.Server(definition, start=False)
    assert server.server_def.job_name == "worker" and server.server_def.task_index == 0
    assert tf.train.queue_runner.QueueRunner is tf.train.QueueRunner
    from psflow.train.queue_runner import add_queue_runner

    assert add_queue_runner is tf.train.add_queue_runner
    from psflow.math.special import spence

    assert spence is tf.math.special.spence


def test_result_dtypes_follow_tfs_rules():
    a, b, c = tf.constant(1), tf.constant(1.5), tf.constant([1, 2], dtype=tf.int64)
    got = [
        a.dtype,
        b.dtype,
        c.dtype,
        (a * 2).dtype,
        (b / 2).dtype,
        tf.truediv(a, 2).dtype,
        (a // 2).dtype,
        tf.range(3).dtype,
        tf.range(3.0).dtype,
        tf.range(1, 3.5).dtype,
        tf.range(tf.constant(3, tf.int64)).dtype,
        tf.ones_like(c).dtype,
        tf.argmax(b[None], 0).dtype,
        tf.shape(c).dtype,
        tf.constant(np.float64(1)).dtype,
    ]
    assert [d.name for d in got] == [  # TF
        "int32",
        "float32",
        "int64",
        "int32",
        "float32",
        "float64",
        "int32",
        "int32",
        "float32",
        "float32",
        "int64",
        "int64",
        "int64",
        "int32",
        "float64",
    ]
    with tf.Session() as sess:
        assert sess.run(tf.range(1, 3.5)).tolist() == [1.0, 2.0, 3.0]
