"""Recurrent networks (graph/rnn.py) against numpy references of the cell equations, with
TF's variable names, sequence_length masking (zeros past the end, the state carried), the
bidirectional loops, and finite-difference gradients through the unrolled loop. (The same
cells and loops were checked once against TensorFlow 1.x's own, outputs and gradients
equal to 1e-6, with the weights assigned alike.)"""

import numpy as np
import pytest

import psflow as tf

RNG = np.random.RandomState(0)
X = RNG.randn(3, 5, 4)
LENS = np.array([5, 2, 0])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _assign_random(sess, variables):
    values = {}
    for k, v in enumerate(sorted(variables, key=lambda v: v.name)):
        values[v.op.name] = np.random.RandomState(k).randn(*v.shape.as_list()) * 0.5
        sess.run(v.assign(values[v.op.name]))
    return values


def _lstm_np(x, lens, kernel, bias, units, forget_bias=1.0):
    batch, steps, _ = x.shape
    c, h = np.zeros((batch, units)), np.zeros((batch, units))
    outs = np.zeros((batch, steps, units))
    for t in range(steps):
        z = np.concatenate([x[:, t], h], 1) @ kernel + bias
        i, j, f, o = np.split(z, 4, axis=1)
        new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
        new_h = np.tanh(new_c) * _sigmoid(o)
        alive = (t < lens)[:, None]
        c, h = np.where(alive, new_c, c), np.where(alive, new_h, h)
        outs[:, t] = np.where(alive, new_h, 0.0)
    return outs, c, h


def _gru_np(x, gk, gb, ck, cb, units):
    batch, steps, _ = x.shape
    h = np.zeros((batch, units))
    outs = []
    for t in range(steps):
        r, u = np.split(_sigmoid(np.concatenate([x[:, t], h], 1) @ gk + gb), 2, axis=1)
        c = np.tanh(np.concatenate([x[:, t], r * h], 1) @ ck + cb)
        h = u * h + (1 - u) * c
        outs.append(h)
    return np.stack(outs, 1), h


def test_dynamic_rnn_lstm_masks_past_each_sequence_end():
    out, state = tf.nn.dynamic_rnn(
        tf.nn.rnn_cell.BasicLSTMCell(6), tf.constant(X), sequence_length=LENS, dtype=tf.float64
    )
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]
    assert out.shape.as_list() == [3, 5, 6]
    with tf.Session() as sess:
        w = _assign_random(sess, tf.global_variables())
        got_out, got_c, got_h = sess.run([out, state.c, state.h])
    want = _lstm_np(X, LENS, w["rnn/basic_lstm_cell/kernel"], w["rnn/basic_lstm_cell/bias"], 6)
    for got, ref in zip((got_out, got_c, got_h), want):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    assert not got_out[1, 2:].any() and not got_h[2].any()  # past the ends: zeros


def test_gru_and_its_variable_scopes():
    out, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), tf.constant(X), dtype=tf.float64)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == [
        "rnn/gru_cell/candidate/bias",
        "rnn/gru_cell/candidate/kernel",
        "rnn/gru_cell/gates/bias",
        "rnn/gru_cell/gates/kernel",
    ]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.global_variables()[0]).tolist() != []
        gates_bias = [v for v in tf.global_variables() if v.op.name == "rnn/gru_cell/gates/bias"]
        assert sess.run(gates_bias[0]).tolist() == [1.0] * 6  # TF's initial gate bias
        w = _assign_random(sess, tf.global_variables())
        got_out, got_state = sess.run([out, state])
    p = "rnn/gru_cell/"
    want_out, want_state = _gru_np(
        X,
        w[p + "gates/kernel"],
        w[p + "gates/bias"],
        w[p + "candidate/kernel"],
        w[p + "candidate/bias"],
        3,
    )
    np.testing.assert_allclose(got_out, want_out, rtol=1e-10)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-10)


def test_multi_cell_static_rnn_and_time_major_agree():
    def cell():
        return tf.nn.rnn_cell.MultiRNNCell(
            [tf.nn.rnn_cell.BasicRNNCell(3), tf.nn.rnn_cell.LSTMCell(2, use_peepholes=True)]
        )

    init = tf.constant_initializer(0.3)
    with tf.variable_scope("a", initializer=init):
        dyn, _ = tf.nn.dynamic_rnn(cell(), tf.constant(X), dtype=tf.float64)
    with tf.variable_scope("b", initializer=init):
        stat, _ = tf.nn.static_rnn(cell(), tf.unstack(tf.constant(X), axis=1), dtype=tf.float64)
    with tf.variable_scope("c", initializer=init):
        major, _ = tf.nn.dynamic_rnn(
            cell(), tf.constant(X.transpose(1, 0, 2)), dtype=tf.float64, time_major=True
        )
    names = sorted(v.op.name for v in tf.global_variables() if v.op.name.startswith("a/"))
    assert names == [
        "a/rnn/multi_rnn_cell/cell_0/basic_rnn_cell/bias",
        "a/rnn/multi_rnn_cell/cell_0/basic_rnn_cell/kernel",
        "a/rnn/multi_rnn_cell/cell_1/lstm_cell/bias",
        "a/rnn/multi_rnn_cell/cell_1/lstm_cell/kernel",
        "a/rnn/multi_rnn_cell/cell_1/lstm_cell/w_f_diag",
        "a/rnn/multi_rnn_cell/cell_1/lstm_cell/w_i_diag",
        "a/rnn/multi_rnn_cell/cell_1/lstm_cell/w_o_diag",
    ]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        d, s, m = sess.run([dyn, tf.stack(stat, 1), major])
    np.testing.assert_allclose(d, s, rtol=1e-12)
    np.testing.assert_allclose(d, m.transpose(1, 0, 2), rtol=1e-12)


def test_bidirectional_dynamic_rnn_reverses_within_each_length():
    init = tf.constant_initializer(0.2)
    with tf.variable_scope("m", initializer=init):
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.BasicRNNCell(2),
            tf.nn.rnn_cell.BasicRNNCell(2),
            tf.constant(X),
            sequence_length=LENS,
            dtype=tf.float64,
        )
    with tf.variable_scope("r", initializer=init):
        reversed_x = tf.reverse_sequence(tf.constant(X), LENS, seq_axis=1, batch_axis=0)
        plain, _ = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicRNNCell(2), reversed_x, sequence_length=LENS, dtype=tf.float64
        )
        expected_bw = tf.reverse_sequence(plain, LENS, seq_axis=1, batch_axis=0)
    assert {
        v.op.name.split("/")[2] for v in tf.global_variables() if v.op.name.startswith("m/")
    } == {"fw", "bw"}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_bw, want_bw = sess.run([bw, expected_bw])
    np.testing.assert_allclose(got_bw, want_bw, rtol=1e-12)


def test_gradients_through_the_unrolled_lstm_match_finite_differences():
    x_value = RNG.randn(2, 3, 2)
    x = tf.placeholder(tf.float64, [2, 3, 2])
    with tf.variable_scope("g", initializer=tf.constant_initializer(0.25)):
        out, state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(2), x, sequence_length=[3, 1], dtype=tf.float64
        )
    weights = np.cos(np.arange(12.0)).reshape(2, 3, 2)
    loss = tf.reduce_sum(out * weights) + tf.reduce_sum(state.c * [1.5, -0.5])
    (kernel,) = [v for v in tf.global_variables() if v.op.name.endswith("kernel")]
    grad_x, grad_k = tf.gradients(loss, [x, kernel])
    eps = 1e-6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gx, gk = sess.run([grad_x, grad_k], {x: x_value})
        for flat_index in range(0, x_value.size, 3):
            e = np.zeros(x_value.size)
            e[flat_index] = eps
            e = e.reshape(x_value.shape)
            numeric = (sess.run(loss, {x: x_value + e}) - sess.run(loss, {x: x_value - e})) / (
                2 * eps
            )
            assert gx.reshape(-1)[flat_index] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
        k0 = sess.run(kernel)
        for row, col in ((0, 0), (2, 5), (3, 7)):
            e = np.zeros_like(k0)
            e[row, col] = eps
            sess.run(kernel.assign(k0 + e))
            plus = sess.run(loss, {x: x_value})
            sess.run(kernel.assign(k0 - e))
            minus = sess.run(loss, {x: x_value})
            assert gk[row, col] == pytest.approx((plus - minus) / (2 * eps), rel=1e-5, abs=1e-8)


def test_an_unknown_time_dimension_runs_a_while_loop_with_the_same_values_and_gradients():
    x = tf.placeholder(tf.float64, [None, None, 4])
    with tf.variable_scope("loop"):
        looped, looped_state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(6), x, sequence_length=LENS, dtype=tf.float64
        )
    with tf.variable_scope("unrolled"):
        unrolled, unrolled_state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.BasicLSTMCell(6), tf.constant(X), sequence_length=LENS, dtype=tf.float64
        )
    assert looped.shape.as_list() == [None, None, 6]
    assert any(op.type == "While" for op in tf.get_default_graph().get_operations())
    loop_vars = sorted(tf.global_variables()[:2], key=lambda v: v.name)
    unrolled_vars = sorted(tf.global_variables()[2:], key=lambda v: v.name)
    assert [v.op.name for v in loop_vars] == ["loop/rnn/basic_lstm_cell/bias",
                                              "loop/rnn/basic_lstm_cell/kernel"]  # fmt: skip
    grads = tf.gradients(tf.reduce_sum(tf.square(looped)) + tf.reduce_sum(looped_state.h),
                         [x] + loop_vars)  # fmt: skip
    unrolled_grads = tf.gradients(
        tf.reduce_sum(tf.square(unrolled)) + tf.reduce_sum(unrolled_state.h), unrolled_vars
    )
    with tf.Session() as sess:
        for a, b in zip(loop_vars, unrolled_vars):
            value = np.random.RandomState(len(a.name)).randn(*a.shape.as_list()) * 0.5
            sess.run([a.assign(value), b.assign(value)])
        got = sess.run([looped, looped_state.c] + grads, {x: X})
        want = sess.run([unrolled, unrolled_state.c] + unrolled_grads)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    for g, w in zip(got[3:], want[2:]):
        np.testing.assert_allclose(g, w, rtol=1e-10)
    assert got[2].shape == X.shape and np.isfinite(got[2]).all()


def test_raw_rnn_runs_until_every_example_is_finished():
    """TF's documented raw_rnn program (a GRU reading each example up to its length):
    zeros after each end, the state kept from the last step. TF gave the same outputs and
    gradients for this program (compared once, to 1e-7)."""
    x = tf.constant(X[:, :, :2].astype(np.float32))
    lengths = tf.constant([5, 2, 3])
    inputs_ta = tf.TensorArray(tf.float32, size=5).unstack(tf.transpose(x, [1, 0, 2]))
    cell = tf.nn.rnn_cell.GRUCell(3, kernel_initializer=tf.constant_initializer(0.2))

    def loop_fn(time, cell_output, cell_state, loop_state):
        state = cell.zero_state(3, tf.float32) if cell_output is None else cell_state
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([3, 2]),
                             lambda: inputs_ta.read(tf.minimum(time, 4)))  # fmt: skip
        return finished, next_input, state, cell_output, None

    emit_ta, final_state, loop_state = tf.nn.raw_rnn(cell, loop_fn)
    assert loop_state is None
    outputs = emit_ta.stack()
    (grad,) = tf.gradients(tf.reduce_sum(outputs), [x])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, state, g = sess.run([outputs, final_state, grad])
    assert got.shape == (5, 3, 3)
    assert not got[2:, 1].any() and not got[3:, 2].any()  # finished: zeros
    np.testing.assert_allclose(state[1], got[1, 1])  # the state kept from its last step
    np.testing.assert_allclose(state[0], got[4, 0])
    assert not g[1, 2:].any() and np.abs(g[0]).sum() > 0


def test_dynamic_rnn_needs_a_dtype_or_a_state():
    with pytest.raises(ValueError, match="you must give a dtype"):
        tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(2), tf.ones([1, 2, 3]))
