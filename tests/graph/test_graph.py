"""The graph model: names, scopes, devices, control dependencies, collections, lookup."""

import threading

import numpy as np
import pytest

import psflow as tf


def test_unique_names_and_nested_scopes():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    assert (a.op.name, b.op.name) == ("Const", "Const_1")
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            c = tf.constant(3.0, name="c")
        with tf.name_scope("inner"):
            d = tf.constant(4.0, name="c")
    assert c.op.name == "outer/inner/c"
    assert d.op.name == "outer/inner_1/c"


def test_name_scope_none_resets_and_trailing_slash_reenters():
    with tf.name_scope("a") as scope:
        assert scope == "a/"
        with tf.name_scope(None):
            root = tf.constant(1.0, name="root")
        with tf.name_scope(scope):
            again = tf.constant(1.0, name="x")
    assert root.op.name == "root"
    assert again.op.name == "a/x"


def test_tensor_str_and_repr_as_tf1():
    p = tf.placeholder(tf.float32, shape=[None, 4], name="x")
    u = tf.placeholder(tf.int32)
    assert str(p) == 'Tensor("x:0", shape=(?, 4), dtype=float32)'
    assert repr(p) == "<tf.Tensor 'x:0' shape=(?, 4) dtype=float32>"
    assert str(u) == 'Tensor("Placeholder:0", dtype=int32)'
    s = tf.constant(1.0)
    assert str(s) == 'Tensor("Const:0", shape=(), dtype=float32)'
    v = tf.constant([1, 2])
    assert str(v.shape) == "(2,)"


def test_lookup_by_name():
    with tf.name_scope("s"):
        t = tf.add(tf.constant(1.0), 2.0, name="sum")
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("s/sum:0") is t
    assert g.get_operation_by_name("s/sum") is t.op
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("s/sum:3")
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")
    with pytest.raises(ValueError):
        g.get_tensor_by_name("s/sum")


def test_device_scopes_merge_and_functions():
    with tf.device("/job:ps/task:1"):
        a = tf.constant(1.0)
        with tf.device("/device:CPU:0"):
            b = tf.constant(1.0)
        with tf.device(None):
            c = tf.constant(1.0)
    with tf.device(lambda op: "/job:worker/task:0" if op.type == "Const" else ""):
        d = tf.constant(1.0)
        e = tf.identity(d)
    assert a.device == "/job:ps/task:1"
    assert b.device == "/job:ps/task:1/device:CPU:0"
    assert c.device == ""
    assert d.device == "/job:worker/task:0"
    assert e.device == ""


def test_colocation_takes_the_device_of_the_target():
    with tf.device("/job:ps/task:0"):
        v = tf.Variable(1.0, name="v")
    with tf.device("/job:worker/task:0"):
        upd = tf.assign_add(v, 1.0)
        other = tf.constant(2.0)
    assert upd.device == "/job:ps/task:0"
    assert other.device == "/job:worker/task:0"
    assert upd.op.colocation_groups() == [b"loc:@v"]


def test_control_dependencies_stack():
    a = tf.constant(1.0)
    b = tf.constant(2.0)
    with tf.control_dependencies([a]):
        c = tf.identity(b)
        with tf.control_dependencies([b.op]):
            d = tf.identity(a)
        with tf.control_dependencies(None):
            e = tf.identity(a)
    assert c.op.control_inputs == [a.op]
    assert d.op.control_inputs == [b.op]  # a is already a data input
    assert e.op.control_inputs == []


def test_collections():
    g = tf.get_default_graph()
    tf.add_to_collection("things", 1)
    tf.add_to_collections(["things", "more"], 2)
    assert tf.get_collection("things") == [1, 2]
    ref = tf.get_collection_ref("more")
    ref.append(3)
    assert g.get_collection("more") == [2, 3]
    v = tf.Variable(1.0, name="scoped/w")
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="scoped") == [v]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope="other") == []


def test_finalize_and_version():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        assert g.version == 1
        g.finalize()
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)


def test_default_graph_is_per_thread_and_reset():
    g = tf.Graph()
    seen = []
    with g.as_default():
        t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
        t.start()
        t.join()
        assert tf.get_default_graph() is g
        with pytest.raises(AssertionError):
            tf.reset_default_graph()
    assert seen[0] is not g
    before = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not before


def test_operator_overloads():
    x = tf.constant([6.0, -3.0])
    y = tf.constant([4.0, 2.0])
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    i = tf.constant([7, -7])
    exprs = {
        "add": (x + y, [10.0, -1.0]),
        "radd": (1.0 + x, [7.0, -2.0]),
        "sub": (x - y, [2.0, -5.0]),
        "rsub": (1.0 - x, [-5.0, 4.0]),
        "mul": (x * 2, [12.0, -6.0]),
        "div": (x / y, [1.5, -1.5]),
        "floordiv": (x // y, [1.0, -2.0]),
        "mod": (i % 3, [1, 2]),
        "pow": (y**2, [16.0, 4.0]),
        "neg": (-x, [-6.0, 3.0]),
        "abs": (abs(x), [6.0, 3.0]),
        "matmul": (m @ m, [[7.0, 10.0], [15.0, 22.0]]),
        "lt": (x < y, [False, True]),
        "ge": (x >= y, [True, False]),
        "int_div": (i / 2, [3.5, -3.5]),
        "np_left": (np.float32(2.0) * x, [12.0, -6.0]),
        "getitem": (m[1, ::-1], [4.0, 3.0]),
        "newaxis": (x[tf.newaxis, ...], [[6.0, -3.0]]),
    }
    with tf.Session() as sess:
        for name, (expr, want) in exprs.items():
            np.testing.assert_allclose(sess.run(expr), want, err_msg=name)
    assert exprs["add"][0].op.name == "add"
    assert (i / 2).dtype == tf.float64


def test_tensor_is_not_a_bool_and_hashes_by_identity():
    x = tf.constant(1.0)
    with pytest.raises(TypeError):
        bool(x)
    assert len({x, tf.identity(x)}) == 2


def test_mixed_dtypes_error_is_value_and_type_error():
    with pytest.raises(ValueError) as info:
        tf.add(tf.constant(1.0), tf.constant(1))
    assert isinstance(info.value, TypeError)
    assert "float32" in str(info.value) and "int32" in str(info.value)


def test_static_shape_errors_at_construction():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(ValueError, match="Cannot reshape"):
        tf.reshape(tf.ones([2, 3]), [4])
    with pytest.raises(ValueError):
        tf.add(tf.ones([2, 3]), tf.ones([4]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.sqrt(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Expected int32"):
        tf.add(tf.constant(1), 1.5)


def test_python_values_follow_tf_dtype_rules():
    assert tf.constant(1.0).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant("s").dtype == tf.string
    assert tf.constant(np.float64(1)).dtype == tf.float64
    assert tf.constant([1, 2], dtype=tf.float64).dtype == tf.float64
    assert tf.add(tf.constant(2.0), 1).dtype == tf.float32
    assert tf.constant(0, shape=[2, 2]).shape.as_list() == [2, 2]


def test_tensor_shape_merging():
    s = tf.TensorShape([None, 3])
    assert s.merge_with([2, None]).as_list() == [2, 3]
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    with pytest.raises(ValueError):
        s.merge_with([1, 4])
    assert tf.TensorShape(None).merge_with(s) == s
    assert tf.TensorShape(None).ndims is None and str(tf.TensorShape(None)) == "<unknown>"
    assert s.num_elements() is None and tf.TensorShape([2, 3]).num_elements() == 6


def test_dtypes():
    assert tf.as_dtype("float32") is tf.float32
    assert tf.as_dtype(np.int64) is tf.int64
    assert tf.float16.is_floating and tf.uint8.is_unsigned and tf.bool.is_bool
    assert repr(tf.float32) == "tf.float32"
    with pytest.raises(TypeError):
        tf.as_dtype("complex256")
