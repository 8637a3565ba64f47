"""Small top-level names TF1 programs use: psflow.compat.v1 (psflow itself) and the
bytes/text helpers, the top-level protos, shape helpers, ensure_shape, identity_n,
monotonicity checks, clip_by_average_norm, table and local-variable helpers, and
reductions of tensors of unknown rank (a scalar, with working gradients)."""

import numpy as np
import pytest

import psflow as tf


def test_compat_v1_is_psflow_and_its_string_helpers():
    import psflow.compat.v1 as v1

    assert v1 is tf and tf.compat.v1 is tf
    assert tf.compat.as_bytes("héllo") == "héllo".encode() and tf.compat.as_bytes(b"x") == b"x"
    assert tf.compat.as_text(b"abc") == "abc" and tf.compat.as_str("s") == "s"
    assert tf.compat.as_str_any(3) == "3"
    with pytest.raises(TypeError, match="Expected binary or unicode string"):
        tf.compat.as_bytes(3)


def test_top_level_protos_are_tensorflows():
    summary = tf.Summary(value=[tf.Summary.Value(tag="loss", simple_value=0.5)])
    event = tf.Event(wall_time=1.0, step=3, summary=summary)
    assert tf.Event.FromString(event.SerializeToString()).summary.value[0].tag == "loss"
    assert tf.GraphDef().node is not None and tf.NodeDef(name="a").name == "a"
    assert tf.SessionLog.STOP == 2 and tf.HistogramProto(min=1.0).min == 1.0
    assert isinstance(tf.errors.NotFoundError(None, None, "x"), tf.OpError)


def test_shape_helpers():
    shape = tf.TensorShape([3, None])
    assert tf.dimension_value(shape[0]) == 3 and tf.dimension_value(shape[1]) is None
    assert tf.dimension_value(5) == 5
    assert tf.dimension_value(tf.dimension_at_index(shape, 0)) == 3
    assert tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3])).as_list() == [
        2,
        3,
    ]
    with pytest.raises(ValueError):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))
    dyn = tf.broadcast_dynamic_shape(tf.constant([2, 1]), tf.constant([4, 1, 3]))
    assert tf.get_static_value(tf.constant([1, 2])).tolist() == [1, 2]
    assert tf.get_static_value(tf.placeholder(tf.float32)) is None
    with tf.Session() as sess:
        assert sess.run(dyn).tolist() == [4, 2, 3]


def test_ensure_shape_checks_when_the_step_runs():
    x = tf.placeholder(tf.float32, [None, None])
    y = tf.ensure_shape(x, [None, 3])
    assert y.shape.as_list() == [None, 3]
    with tf.Session() as sess:
        assert sess.run(y, {x: np.ones((2, 3))}).shape == (2, 3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible"):
            sess.run(y, {x: np.ones((2, 4))})
    with pytest.raises(ValueError, match="not compatible"):
        tf.ensure_shape(tf.zeros([2, 2]), [3, 2])


def test_identity_n_monotonicity_and_clip_by_average_norm():
    a, b = tf.identity_n([tf.constant(1.0), tf.constant([2, 3])])
    t = np.array([[3.0, 4.0], [0.0, 0.0]])
    clipped = tf.clip_by_average_norm(t, 0.5)  # norm 5, 4 elements: 1.25 > 0.5
    kept = tf.clip_by_average_norm(t, 2.0)
    with tf.Session() as sess:
        got = sess.run(
            [a, b, tf.is_non_decreasing([1, 1, 2]), tf.is_strictly_increasing([1, 1, 2]),
             tf.is_strictly_increasing([[1, 2], [3, 4]]), clipped, kept, tf.guarantee_const(a)]
        )  # fmt: skip
    assert got[0] == 1.0 and got[1].tolist() == [2, 3]
    assert got[2] and not got[3] and got[4]
    np.testing.assert_allclose(got[5], t * 0.5 * 4 / 5)
    np.testing.assert_allclose(got[6], t)
    assert got[7] == 1.0
    assert tf.is_numeric_tensor(tf.constant(1)) and not tf.is_numeric_tensor(tf.constant("s"))


def test_tables_initializer_and_local_variables():
    counter = tf.get_local_variable("counter", [], tf.int64, tf.zeros_initializer())
    assert counter in tf.local_variables() and counter not in tf.trainable_variables()
    assert counter not in tf.global_variables()
    with tf.Session() as sess:
        sess.run([tf.tables_initializer(), tf.initialize_all_tables()])
        sess.run(tf.local_variables_initializer())
        assert sess.run(counter) == 0
    with tf.control_dependencies([tf.no_op()]):
        with tf.init_scope():
            free = tf.constant(1.0)
        with tf.container("c"):
            bound = tf.constant(2.0)
    assert free.op.control_inputs == [] and len(bound.op.control_inputs) == 1
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N
    assert tf.UnconnectedGradients.ZERO.value == "zero"


def test_a_loss_over_placeholders_of_unknown_rank_is_a_scalar_with_gradients():
    x, y = tf.placeholder("float"), tf.placeholder("float")
    w = tf.Variable(2.0)
    loss = tf.reduce_mean(tf.square(w * x - y))
    assert loss.shape.as_list() == []
    (grad,) = tf.gradients(loss, [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        value, g = sess.run([loss, grad], {x: [1.0, 2.0], y: [1.0, 1.0]})
    assert value == pytest.approx(5.0) and g == pytest.approx(7.0)
