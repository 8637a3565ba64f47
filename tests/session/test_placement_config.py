"""ConfigProto's placement options as TF1 has them: log_device_placement writes each op's
device once (in-process and on a cluster, where it names the op's task), and an op pinned
to a device type the runtime does not have fails the step naming it unless
allow_soft_placement."""

import pytest

import psflow as tf


def test_log_device_placement_writes_each_op_once(target, capfd):
    a = tf.constant(1.0, name="a")
    v = tf.Variable(2.0, name="v")
    b = tf.multiply(a, v, name="b")
    with tf.Session(target, config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(v.initializer)
        sess.run(b)
        sess.run(b)
    lines = [line for line in capfd.readouterr().err.splitlines() if ": (" in line]
    by_op = {line.split(":")[0]: line for line in lines}
    assert len([line for line in lines if line.startswith("b: ")]) == 1
    if target is None:
        assert by_op["b"] == "b: (Mul): /job:localhost/replica:0/task:0/device:CPU:0"
    else:
        assert by_op["b"] == "b: (Mul): /job:worker/replica:0/task:0/device:CPU:0"
        assert by_op["v"].startswith("v: (VariableV2): /job:ps/replica:0/task:")


def test_an_op_on_a_missing_device_type_fails_unless_soft_placement():
    with tf.device("/device:GPU:0"):
        c = tf.add(tf.constant(1.0), 1.0, name="on_gpu")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot assign a device") as info:
        tf.Session().run(c)
    assert "GPU:0" in info.value.message
    soft = tf.ConfigProto(allow_soft_placement=True)
    assert tf.Session(config=soft).run(c) == 2.0
