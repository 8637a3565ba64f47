"""Session behaviour: fetch structures, feeds, errors, lifecycle, default sessions, cache."""

import collections

import numpy as np
import pytest

import psflow as tf


def test_fetch_structures(target):
    a = tf.constant(1.0)
    b = tf.constant([2, 3])
    init = tf.no_op()
    Pair = collections.namedtuple("Pair", ["x", "y"])
    with tf.Session(target) as sess:
        assert sess.run(a) == 1.0
        assert sess.run(init) is None
        out = sess.run({"a": a, "nested": [b, (a, init)], "pair": Pair(a, b)})
        assert out["a"] == 1.0
        np.testing.assert_array_equal(out["nested"][0], [2, 3])
        assert out["nested"][1] == (1.0, None)
        assert isinstance(out["pair"], Pair) and out["pair"].x == 1.0
        assert sess.run(["Const:0", "Const_1:0"])[0] == 1.0
        assert sess.run("NoOp") is None
        ordered = sess.run(collections.OrderedDict([("z", a), ("y", b)]))
        assert list(ordered) == ["z", "y"]


def test_feeds_convert_and_check_shape(target):
    x = tf.placeholder(tf.float32, shape=[None, 2], name="x")
    y = x * 2.0
    with tf.Session(target) as sess:
        out = sess.run(y, {x: [[1, 2]]})
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, [[2.0, 4.0]])
        np.testing.assert_array_equal(sess.run(y, {"x:0": np.ones((3, 2))}), np.full((3, 2), 2))
        with pytest.raises(
            ValueError,
            match=r"Cannot feed value of shape \(2,\) for Tensor "
            r"'x:0', which has shape '\(\?, 2\)'",
        ):
            sess.run(y, {x: [1.0, 2.0]})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {x: tf.constant([[1.0, 2.0]])})


def test_missing_feed_names_the_placeholder(target):
    x = tf.placeholder(tf.float32, shape=[None, 4], name="inputs")
    with tf.Session(target) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(x + 1.0)
    assert "inputs" in str(info.value)
    assert "[?,4]" in str(info.value)


def test_feeding_a_non_placeholder_overrides_it(target):
    a = tf.constant(3.0)
    b = a * 2.0
    with tf.Session(target) as sess:
        assert sess.run(b, {a: 10.0}) == 20.0
        assert sess.run(b) == 6.0


def test_placeholder_with_default(target):
    x = tf.placeholder_with_default(tf.constant([1.0, 2.0]), shape=[None])
    with tf.Session(target) as sess:
        np.testing.assert_array_equal(sess.run(x), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(x, {x: [5.0]}), [5.0])


def test_closed_session_raises_runtime_error(target):
    a = tf.constant(1.0)
    sess = tf.Session(target)
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(a)


def test_fetch_from_another_graph_is_a_value_error(target):
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    tf.constant(2.0)
    with tf.Session(target) as sess:
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(foreign)


def test_bad_fetch_types(target):
    with tf.Session(target) as sess:
        with pytest.raises(TypeError):
            sess.run(None)
        with pytest.raises(TypeError):
            sess.run(3)
        with pytest.raises(ValueError):
            sess.run("does_not_exist:0")


def test_runtime_error_names_the_op(target):
    x = tf.placeholder(tf.float32, name="x")
    r = tf.reshape(x, [2, 2], name="bad_reshape")
    with tf.Session(target) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(r, {x: [1.0, 2.0, 3.0]})
    assert "bad_reshape" in str(info.value)
    assert info.value.error_code == tf.errors.INVALID_ARGUMENT


def test_integer_division_by_zero(target):
    a = tf.placeholder(tf.int32)
    with tf.Session(target) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
            sess.run(a // 0, {a: 3})


def test_eval_and_run_use_the_default_session(target):
    a = tf.constant(4.0)
    counter = tf.Variable(0, name="c")
    with tf.Session(target) as sess:
        assert a.eval() == 4.0
        counter.initializer.run()
        assert counter.eval() == 0
    with pytest.raises(ValueError, match="No default session"):
        a.eval()
    sess = tf.Session(target)
    with sess.as_default():
        assert a.eval() == 4.0
    assert a.eval(session=sess) == 4.0
    sess.close()


def test_interactive_session_installs_itself(target):
    a = tf.constant(5.0)
    sess = tf.InteractiveSession(target)
    try:
        assert a.eval() == 5.0
        assert tf.get_default_session() is sess
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_returned_arrays_are_the_callers_own(target):
    c = tf.constant([1.0, 2.0])
    with tf.Session(target) as sess:
        first = sess.run(c)
        first[0] = 100.0
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_plan_cache_compiles_once_per_signature(target):
    x = tf.placeholder(tf.float32)
    y = x + 1.0
    with tf.Session(target) as sess:
        for i in range(5):
            assert sess.run(y, {x: float(i)}) == i + 1
        assert sess.plan_cache.compiles == 1
        sess.run([y], {x: 0.0})
        assert sess.plan_cache.compiles == 2


def test_plan_is_recompiled_after_a_control_input_is_added(target):
    v = tf.Variable(0, name="v")
    bump = tf.assign_add(v, 1)
    read = tf.identity(tf.constant(7))
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        sess.run(read)
        read.op._add_control_input(bump.op)
        sess.run(read)
        assert sess.run(v) == 1


def test_concurrent_runs_on_one_session(target):
    import threading

    x = tf.placeholder(tf.float32)
    y = x * 3.0
    errors = []
    with tf.Session(target) as sess:

        def work(k):
            try:
                for i in range(50):
                    assert sess.run(y, {x: float(i + k)}) == 3.0 * (i + k)
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors


def test_run_metadata_trace(target):
    a = tf.placeholder(tf.float32, [1, 2])
    b = tf.matmul(a, a, transpose_b=True, name="mm")
    with tf.Session(target) as sess:
        meta = tf.RunMetadata()
        sess.run(
            b,
            {a: [[1.0, 2.0]]},
            options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
            run_metadata=meta,
        )
    names = [n.node_name for d in meta.step_stats.dev_stats for n in d.node_stats]
    assert "mm" in names


def test_errors_module_codes():
    assert tf.errors.NotFoundError(None, None, "m").error_code == tf.errors.NOT_FOUND
    assert tf.errors.exception_type_from_error_code(9) is tf.errors.FailedPreconditionError
    assert issubclass(tf.errors.UnavailableError, tf.errors.OpError)


def test_cond_runs_only_the_taken_branch(target):
    v = tf.Variable(0, name="cv")
    p = tf.placeholder(tf.bool)
    out = tf.cond(p, lambda: tf.assign_add(v, 1), lambda: tf.assign_add(v, 10))
    const_branch = tf.cond(p, lambda: tf.constant(1.0), lambda: tf.constant(2.0))
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        assert sess.run(out, {p: True}) == 1
        assert sess.run(out, {p: False}) == 11
        assert sess.run(v) == 11
        assert sess.run(const_branch, {p: True}) == 1.0
        assert sess.run(const_branch, {p: False}) == 2.0


def test_cond_branches_return_nested_structures_and_tensor_arrays():
    p = tf.placeholder_with_default(True, [])
    out = tf.cond(
        p,
        lambda: {"a": tf.constant(1), "b": (tf.constant(2.0), tf.constant([3, 4]))},
        lambda: {"a": tf.constant(5), "b": (tf.constant(6.0), tf.constant([7, 8]))},
    )
    array = tf.TensorArray(tf.float32, size=2)
    written = tf.cond(p, lambda: array.write(0, 1.0), lambda: array.write(1, 2.0))
    with tf.Session() as sess:
        taken, other = sess.run(out), sess.run(out, {p: False})
        assert taken["a"] == 1 and taken["b"][0] == 2.0 and taken["b"][1].tolist() == [3, 4]
        assert other["a"] == 5 and other["b"][1].tolist() == [7, 8]
        assert sess.run(written.stack()).tolist() == [1.0, 0.0]
        assert sess.run(written.stack(), {p: False}).tolist() == [0.0, 2.0]


def test_constant_subgraphs_are_folded_at_compile_time():
    """Pure ops on constants (and shapes known statically) become plan constants: only the
    op that needs the feed runs as a step."""
    from psflow.graph.plan import compile_plan, prune_to_fetches

    x = tf.placeholder(tf.float32, [2, 3])
    scale = tf.reduce_sum(tf.constant([1.0, 2.0])) * tf.cast(tf.size(x), tf.float32)
    y = x * scale
    ops = prune_to_fetches([y.op], {x.name})
    plan = compile_plan(ops, [y], [x])
    assert [s.type for s in plan.steps] == ["Mul"]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: np.ones((2, 3))}), np.full((2, 3), 18.0))


def test_a_failing_constant_op_still_fails_at_run_time_naming_it():
    bad = tf.gather(tf.constant([1.0, 2.0]), tf.constant([5]), name="bad_gather")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="bad_gather"):
        sess.run(bad)


def test_a_fed_placeholder_can_be_fetched(target):
    """As in TF, fetching a tensor that is fed returns the fed value."""
    p = tf.placeholder(tf.int64, [None, 2])
    q = tf.placeholder(tf.float32, [None])
    with tf.Session(target) as sess:
        got_p, got_q = sess.run([p, q * 2.0], {q: [1.5], p: [[0, 1]]})
    np.testing.assert_array_equal(got_p, [[0, 1]])
    np.testing.assert_array_equal(got_q, [3.0])
