"""GraphDefs: `import_graph_def` (psflow's own GraphDefs exactly, TensorFlow's attr by
attr), the freezing workflow of tf.graph_util (convert_variables_to_constants,
extract_sub_graph, remove_training_nodes), and TensorFlow reading psflow's frozen graph."""

import ast
import subprocess
import sys

import numpy as np
import pytest
from tensorboard.compat.proto import graph_pb2

import psflow as tf

# A frozen model TensorFlow 1.x wrote (convert_variables_to_constants of
# y = identity(softmax(relu(x @ w + b))) after one SGD step): AddV2 and all.
TF_FROZEN = bytes.fromhex(
    "0a3b0a0178120b506c616365686f6c6465722a0b0a056474797065120230012a1c0a05736861706512133a11"
    "120b08ffffffffffffffffff01120208030a4a0a01771205436f6e73742a0b0a056474797065120230012a31"
    "0a0576616c7565122842260801120812020803120208022218534dc3b00000803f0000004000004040000080"
    "400000a0400a360a01621205436f6e73742a0b0a056474797065120230012a1d0a0576616c75651214421208"
    "0112041202080222080000003f000000bf0a2d0a154d61744d756c2f526561645661726961626c654f701208"
    "4964656e746974791a01772a070a0154120230010a750a064d61744d756c12064d61744d756c1a01781a154d"
    "61744d756c2f526561645661726961626c654f702a110a0b7472616e73706f73655f61120228002a0c0a0667"
    "7261645f61120228002a110a0b7472616e73706f73655f62120228002a070a0154120230012a0c0a06677261"
    "645f62120228000a2a0a126164642f526561645661726961626c654f7012084964656e746974791a01622a07"
    "0a0154120230010a310a03616464120541646456321a064d61744d756c1a126164642f526561645661726961"
    "626c654f702a070a0154120230010a1a0a0452656c75120452656c751a036164642a070a0154120230010a21"
    "0a07536f66746d61781207536f66746d61781a0452656c752a070a0154120230010a1f0a017912084964656e"
    "746974791a07536f66746d61782a070a0154120230011200220308aa13"
)
TF_OUTPUT = [[0.00669285, 0.9933072]]  # what TF gave for x = [[1, 2, 3]]


def _model():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    b = tf.Variable([0.5, -0.5], name="b")
    y = tf.identity(tf.nn.softmax(tf.nn.relu(tf.matmul(x, w) + b)), name="y")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y))
    return x, y, train


def _frozen():
    x, y, train = _model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: np.ones((2, 3))})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["y"]
        )
        want = sess.run(y, {x: [[1, 2, 3.0]]})
    return frozen, want


def test_a_frozen_model_imports_and_computes_the_same():
    frozen, want = _frozen()
    assert sorted(n.op for n in frozen.node) == [
        "Add", "Const", "Const", "Identity", "Identity", "Identity", "MatMul", "Placeholder",
        "Relu", "Softmax",
    ]  # fmt: skip
    np.testing.assert_allclose(want, TF_OUTPUT, rtol=1e-6)  # the same model in TF
    with tf.Graph().as_default():
        feed = tf.placeholder(tf.float32, [None, 3], name="input")
        out, op = tf.import_graph_def(frozen, input_map={"x:0": feed},
                                      return_elements=["y:0", "y"], name="frozen")  # fmt: skip
        assert out.name == "frozen/y:0" and op.name == "frozen/y"
        assert not tf.global_variables()
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out, {feed: [[1, 2, 3.0]]}), want)


def test_tensorflows_frozen_graph_runs_in_psflow():
    graph_def = graph_pb2.GraphDef.FromString(TF_FROZEN)
    (y,) = tf.import_graph_def(graph_def, return_elements=["y:0"])
    assert y.name == "import/y:0" and y.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        got = sess.run(y, {"import/x:0": [[1, 2, 3.0]]})
    np.testing.assert_allclose(got, TF_OUTPUT, rtol=1e-6)


def test_a_whole_graph_round_trips_with_loops_and_arrays():
    ta = tf.TensorArray(tf.float32, size=3)
    _, out = tf.while_loop(lambda i, t: i < 3,
                           lambda i, t: (i + 1, t.write(i, tf.cast(i, tf.float32) * 2.0)),
                           [0, ta])  # fmt: skip
    tf.identity(out.stack(), name="result")
    big = tf.constant(np.arange(20000, dtype=np.float32), name="big")
    tf.reduce_sum(big, name="total")
    graph_def = tf.get_default_graph().as_graph_def()
    assert graph_def.ByteSize() < 1.5 * 20000 * 4  # a constant's value is written once
    with tf.Graph().as_default():
        result, total = tf.import_graph_def(graph_def, return_elements=["result:0", "total:0"],
                                            name="")  # fmt: skip
        assert result.name == "result:0"
        with tf.Session() as sess:
            got = sess.run([result, total])
    np.testing.assert_array_equal(got[0], [0.0, 2.0, 4.0])
    assert got[1] == np.arange(20000, dtype=np.float32).sum()


def test_bad_graph_defs_and_maps_are_value_errors():
    frozen, _ = _frozen()
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="not found in graph_def: \\[nope:0\\]"):
            tf.import_graph_def(frozen, input_map={"nope:0": tf.constant(1.0)})
        with pytest.raises(ValueError, match="'missing' not found"):
            tf.import_graph_def(frozen, return_elements=["missing"])
        with pytest.raises(TypeError, match="GraphDef"):
            tf.import_graph_def("not a graph")
        broken = graph_pb2.GraphDef()
        broken.node.add(name="n", op="NoSuchOp")
        with pytest.raises(ValueError, match="Op type not registered 'NoSuchOp'"):
            tf.import_graph_def(broken)


def test_graph_util_rewrites():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    a = tf.identity(x, name="a")
    b = tf.identity(tf.check_numerics(a, "bad"), name="b")
    c = tf.nn.relu(b, name="c")
    tf.add(x, 1.0, name="unrelated")
    graph_def = tf.get_default_graph().as_graph_def()
    sub = tf.graph_util.extract_sub_graph(graph_def, ["c"])
    assert [n.name for n in sub.node] == ["x", "a", "CheckNumerics", "b", "c"]
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(graph_def, ["nope"])
    slim = tf.graph_util.remove_training_nodes(sub, protected_nodes=["b"])
    assert [n.name for n in slim.node] == ["x", "b", "c"]
    assert list(slim.node[1].input) == ["x"]
    assert tf.graph_util.must_run_on_cpu(tf.constant(1, name="i32").op)
    assert not tf.graph_util.must_run_on_cpu(tf.constant(1.0).op)
    assert tf.graph_util.must_run_on_cpu(sub.node[0], pin_variables_on_cpu=True) is False
    shape = tf.graph_util.tensor_shape_from_node_def_name(tf.get_default_graph(), "c")
    assert shape.as_list() == [None, 3] and c.shape.as_list() == [None, 3]


_TF_READ = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
graph_def = tf.GraphDef.FromString(open(sys.argv[1], "rb").read())
(y,) = tf.import_graph_def(graph_def, return_elements=["y:0"])
with tf.Session() as sess:
    print(sess.run(y, {"import/x:0": [[1.0, 2.0, 3.0]]}).tolist())
"""


def test_tensorflow_itself_runs_psflows_frozen_graph(tmp_path):
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pytest.skip("TensorFlow is not installed (the bench extra)")
    frozen, want = _frozen()
    path = tmp_path / "frozen.pb"
    tf.train.write_graph(frozen, str(tmp_path), "frozen.pb", as_text=False)
    got = subprocess.run([sys.executable, "-c", _TF_READ, str(path)], capture_output=True,
                         text=True, check=True)  # fmt: skip
    np.testing.assert_allclose(
        ast.literal_eval(got.stdout.strip().splitlines()[-1]), want, rtol=1e-6
    )
