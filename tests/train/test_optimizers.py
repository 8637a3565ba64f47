"""Optimizers against hand-computed numpy references, several steps, dense and sparse
(IndexedSlices from gather: duplicates summed, untouched rows unchanged); slots, global
step, minimize/compute/apply, learning-rate schedules, scatter ops, bad input."""

import numpy as np
import pytest

import psflow as tf

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
C = np.array([[0.2, -0.4, 1.0], [0.6, -0.1, 0.3]])


def _dense_grad(w):
    """Gradient of sum(w * C) + 0.5 * sum(w^2)."""
    return C + w


def _sgd(lr):
    def step(w, s, g):
        return w - lr * g, s

    return step, {}


def _momentum(lr, mu, nesterov=False):
    def step(w, s, g):
        a = s["a"] * mu + g
        return (w - lr * (g + mu * a) if nesterov else w - lr * a), {"a": a}

    return step, {"a": 0.0}


def _adagrad(lr, init=0.1):
    def step(w, s, g):
        acc = s["acc"] + g * g
        return w - lr * g / np.sqrt(acc), {"acc": acc}

    return step, {"acc": init}


def _adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    def step(w, s, g):
        t = s["t"] + 1
        m = b1 * s["m"] + (1 - b1) * g
        v = b2 * s["v"] + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        return w - lr_t * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": t}

    return step, {"m": 0.0, "v": 0.0, "t": 0}


def _rmsprop(lr, decay=0.9, mu=0.0, eps=1e-10, centered=False):
    def step(w, s, g):
        ms = decay * s["ms"] + (1 - decay) * g * g
        mg = decay * s["mg"] + (1 - decay) * g
        denom = ms - mg * mg if centered else ms
        mom = mu * s["mom"] + lr * g / np.sqrt(denom + eps)
        return w - mom, {"ms": ms, "mg": mg, "mom": mom}

    return step, {"ms": 1.0, "mg": 0.0, "mom": 0.0}


def _adadelta(lr, rho=0.95, eps=1e-8):
    def step(w, s, g):
        acc = rho * s["acc"] + (1 - rho) * g * g
        upd = np.sqrt(s["upd"] + eps) / np.sqrt(acc + eps) * g
        return w - lr * upd, {"acc": acc, "upd": rho * s["upd"] + (1 - rho) * upd * upd}

    return step, {"acc": 0.0, "upd": 0.0}


def _ftrl(lr, l1=0.0, l2=0.0, power=-0.5, init=0.1):
    def step(w, s, g):
        n_new = s["n"] + g * g
        sigma = (n_new**-power - s["n"] ** -power) / lr
        z = s["z"] + g - sigma * w
        quad = n_new**-power / lr + 2 * l2
        w_new = np.where(np.abs(z) > l1, (np.sign(z) * l1 - z) / quad, 0.0)
        return w_new, {"n": n_new, "z": z}

    return step, {"n": init, "z": 0.0}


def _proximal(prox, step, l1, l2):
    if l1 > 0:
        return np.sign(prox) * np.maximum(np.abs(prox) - step * l1, 0) / (1 + l2 * step)
    return prox / (1 + l2 * step)


def _proximal_gd(lr, l1, l2):
    def step(w, s, g):
        return _proximal(w - lr * g, lr, l1, l2), s

    return step, {}


def _proximal_adagrad(lr, l1, l2, init=0.1):
    def step(w, s, g):
        acc = s["acc"] + g * g
        rate = lr / np.sqrt(acc)
        return _proximal(w - rate * g, rate, l1, l2), {"acc": acc}

    return step, {"acc": init}


def _adagrad_da(lr, l1, l2, init=0.1, t=1.0):
    """Dual averaging at a fixed step t (minimize without global_step leaves it at 0: t=1)."""

    def step(w, s, g):
        acc, sq = s["acc"] + g, s["sq"] + g * g
        shrunk = np.sign(acc) * np.maximum(np.abs(acc) - l1 * t, 0)
        return -lr * shrunk / (l2 * t * lr + np.sqrt(sq)), {"acc": acc, "sq": sq}

    return step, {"acc": 0.0, "sq": init}


CASES = {
    "GradientDescent": (lambda: tf.train.GradientDescentOptimizer(0.1), _sgd(0.1)),
    "Momentum": (lambda: tf.train.MomentumOptimizer(0.1, 0.9), _momentum(0.1, 0.9)),
    "Momentum-nesterov": (
        lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
        _momentum(0.1, 0.9, True),
    ),
    "Adagrad": (lambda: tf.train.AdagradOptimizer(0.3), _adagrad(0.3)),
    "Adam": (lambda: tf.train.AdamOptimizer(0.05), _adam(0.05)),
    "RMSProp": (lambda: tf.train.RMSPropOptimizer(0.01), _rmsprop(0.01)),
    "RMSProp-momentum-centered": (
        lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.5, centered=True),
        _rmsprop(0.01, mu=0.5, centered=True),
    ),
    "Adadelta": (lambda: tf.train.AdadeltaOptimizer(1.0), _adadelta(1.0)),
    "ProximalGradientDescent": (
        lambda: tf.train.ProximalGradientDescentOptimizer(0.2, 0.05, 0.1),
        _proximal_gd(0.2, 0.05, 0.1),
    ),
    "ProximalAdagrad": (
        lambda: tf.train.ProximalAdagradOptimizer(0.3, 0.1, 0.02, 0.05),
        _proximal_adagrad(0.3, 0.02, 0.05),
    ),
    "AdagradDA": (
        lambda: tf.train.AdagradDAOptimizer(
            0.3, tf.train.get_or_create_global_step(), 0.1, 0.02, 0.05
        ),
        _adagrad_da(0.3, 0.02, 0.05),
    ),
    "Ftrl": (
        lambda: tf.train.FtrlOptimizer(
            0.5, l1_regularization_strength=0.01, l2_regularization_strength=0.1
        ),
        _ftrl(0.5, l1=0.01, l2=0.1),
    ),
}
# Hyperparameters become float32 tensors cast to the variable dtype (as in TF1), so float64
# variables agree with the float64 reference to about 1e-6 relative, not to the last bit.
STEPS = 4


def _reference(rule, w, grad_fn, rows=None):
    step, state = rule
    state = {k: np.full_like(w, v) if k != "t" else v for k, v in state.items()}
    for _ in range(STEPS):
        g = grad_fn(w)
        if rows is None:
            w, state = step(w, state, g)
        else:
            new_w, new_state = step(
                w[rows], {k: (v[rows] if k != "t" else v) for k, v in state.items()}, g[rows]
            )
            w = w.copy()
            w[rows] = new_w
            for k, v in new_state.items():
                if k == "t":
                    state[k] = v
                else:
                    state[k][rows] = v
    return w


@pytest.mark.parametrize("name", CASES)
def test_dense_update_matches_numpy(name, target):
    make, rule = CASES[name]
    w = tf.Variable(W0)
    loss = tf.reduce_sum(w * C) + 0.5 * tf.reduce_sum(tf.square(w))
    opt = make()
    train = opt.minimize(loss)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(train)
        got = sess.run(w)
    np.testing.assert_allclose(got, _reference(rule, W0.copy(), _dense_grad), rtol=2e-5, atol=1e-9)


TABLE0 = np.arange(10.0).reshape(5, 2) / 10 - 0.2
IDS = [1, 3, 1]
ROW_C = np.array([[0.5, -1.0], [2.0, 0.1], [-0.3, 0.4]])


def _sparse_grad(w):
    g = np.zeros_like(w)
    for i, c in zip(IDS, ROW_C):
        g[i] += c
    return g


SPARSE_CASES = {k: v for k, v in CASES.items() if k not in ("Adam",)}


@pytest.mark.parametrize("name", SPARSE_CASES)
def test_sparse_update_touches_only_gathered_rows(name, target):
    make, rule = SPARSE_CASES[name]
    table = tf.Variable(TABLE0)
    loss = tf.reduce_sum(tf.gather(table, IDS) * ROW_C)
    opt = make()
    grads_and_vars = opt.compute_gradients(loss, [table])
    assert isinstance(grads_and_vars[0][0], tf.IndexedSlices)
    train = opt.apply_gradients(grads_and_vars)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(train)
        got = sess.run(table)
    want = _reference(rule, TABLE0.copy(), _sparse_grad, rows=[1, 3])
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-9)
    np.testing.assert_array_equal(got[[0, 2, 4]], TABLE0[[0, 2, 4]])


def test_sparse_adam_follows_tf1_semantics(target):
    """Moments decay everywhere; rows never touched keep zero moments and do not move."""
    table = tf.Variable(TABLE0)
    loss = tf.reduce_sum(tf.gather(table, IDS) * ROW_C)
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(train)
        got = sess.run(table)
    want = _reference(_adam(0.05), TABLE0.copy(), _sparse_grad)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-9)
    np.testing.assert_array_equal(got[[0, 2, 4]], TABLE0[[0, 2, 4]])


def test_slots_are_variables_colocated_with_their_variable():
    with tf.device("/job:ps/task:1"):
        w = tf.Variable(W0, name="w")
    with tf.device("/job:worker/task:0"):
        loss = tf.reduce_sum(w * C)
        opt = tf.train.AdamOptimizer()
        train = opt.minimize(loss)
    assert opt.get_slot_names() == ["m", "v"]
    m, v = opt.get_slot(w, "m"), opt.get_slot(w, "v")
    assert m.op.name == "w/Adam" and v.op.name == "w/Adam_1"
    assert m.op.colocation_groups() == [b"loc:@w"]
    assert m not in tf.trainable_variables() and m in tf.global_variables()
    update = [op for op in tf.get_default_graph().get_operations() if op.type == "ApplyAdam"][0]
    assert update.colocation_groups() == [b"loc:@w"]
    assert train.name == "Adam"


def test_minimize_with_global_step_and_var_list(target):
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    gs = tf.train.get_or_create_global_step()
    assert tf.train.get_global_step() is gs and gs.dtype == tf.int64
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(
        a * a + b * b, global_step=gs, var_list=[a]
    )
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        assert sess.run([a, b, gs]) == [0.0, 2.0, 2]
        assert tf.train.global_step(sess, gs) == 2
    assert train in tf.get_collection(tf.GraphKeys.TRAIN_OP)


def test_apply_gradients_with_edited_gradients(target):
    w = tf.Variable([1.0, -2.0])
    opt = tf.train.GradientDescentOptimizer(1.0)
    gvs = opt.compute_gradients(tf.reduce_sum(w * w))
    clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gvs]
    train = opt.apply_gradients(clipped)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.0, -1.0])


def test_bad_input():
    w = tf.Variable([1.0])
    x = tf.placeholder(tf.float32)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.minimize(x * 2.0, var_list=[w])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="Invalid type"):
        opt.minimize(tf.constant(1), var_list=[w])
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)


def test_failed_update_leaves_variable_and_slots_unchanged(target):
    table = tf.Variable(TABLE0)
    ids = tf.placeholder(tf.int32, [None])
    opt = tf.train.MomentumOptimizer(0.1, 0.9)
    train = opt.minimize(tf.reduce_sum(tf.gather(table, ids)))
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [0]})
        before = sess.run([table, opt.get_slot(table, "momentum")])
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(train, {ids: [1, 7]})
        after = sess.run([table, opt.get_slot(table, "momentum")])
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("step", [0, 5, 10, 25])
def test_learning_rate_schedules(step, target):
    gs = tf.Variable(step, dtype=tf.int64, trainable=False)
    exp = tf.train.exponential_decay(0.1, gs, 10, 0.5)
    stair = tf.train.exponential_decay(0.1, gs, 10, 0.5, staircase=True)
    piece = tf.train.piecewise_constant(gs, [5, 10], [1.0, 0.5, 0.1])
    poly = tf.train.polynomial_decay(0.1, gs, 20, 0.01, power=2.0)
    poly_cycle = tf.train.polynomial_decay(0.1, gs, 20, 0.01, cycle=True)
    with tf.Session(target) as sess:
        sess.run(gs.initializer)
        got = sess.run([exp, stair, piece, poly, poly_cycle])
    p = min(step, 20)
    cyc = 20 * max(1, int(np.ceil(step / 20)))
    want = [
        0.1 * 0.5 ** (step / 10),
        0.1 * 0.5 ** (step // 10),
        1.0 if step <= 5 else 0.5 if step <= 10 else 0.1,
        0.09 * (1 - p / 20) ** 2 + 0.01,
        0.09 * (1 - step / cyc) + 0.01,
    ]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_scatter_ops(target):
    v = tf.Variable(np.zeros((4, 2)))
    add = tf.scatter_add(v, [1, 1, 3], np.ones((3, 2)))
    sub = tf.scatter_sub(v, [0], [[2.0, 3.0]])
    upd = tf.scatter_update(v, [2], [[7.0, 8.0]])
    with tf.Session(target) as sess:
        sess.run(v.initializer)
        sess.run(add)
        sess.run(sub)
        got = sess.run(upd)
        np.testing.assert_array_equal(got, [[-2, -3], [2, 2], [7, 8], [1, 1]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
            sess.run(tf.scatter_add(v, [4], [[1.0, 1.0]]))
        np.testing.assert_array_equal(sess.run(v), got)


def test_the_cosine_and_natural_exponential_schedules():
    """TF1's formulas, evaluated at a few global steps."""
    import math

    step = tf.placeholder(tf.int64, [])
    schedules = [
        tf.train.cosine_decay(0.1, step, 100, alpha=0.2),
        tf.train.linear_cosine_decay(0.1, step, 100, num_periods=0.5, alpha=0.0, beta=0.001),
        tf.train.natural_exp_decay(0.1, step, 10, 0.5),
        tf.train.natural_exp_decay(0.1, step, 10, 0.5, staircase=True),
        tf.train.piecewise_constant_decay(step, [10, 20], [1.0, 0.5, 0.1]),
    ]
    with tf.Session() as sess:
        for s in (0, 15, 50, 150):
            got = sess.run(schedules, {step: s})
            done = min(s, 100) / 100
            cos = 0.5 * (1 + math.cos(math.pi * done))
            lin = (100 - min(s, 100)) / 100
            want = [
                0.1 * ((1 - 0.2) * cos + 0.2),
                0.1 * ((0.0 + lin) * 0.5 * (1 + math.cos(math.pi * 2 * 0.5 * done)) + 0.001),
                0.1 * math.exp(-0.5 * s / 10),
                0.1 * math.exp(-0.5 * (s // 10)),
                1.0 if s <= 10 else 0.5 if s <= 20 else 0.1,
            ]
            np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("sparse", [False, True])
def test_adagrad_da_with_a_counting_global_step_is_tfs(sparse):
    gs = tf.train.get_or_create_global_step()
    w = tf.Variable(np.array([[0.5, -0.2], [0.1, 0.3], [1.0, -1.0]], np.float32))
    if sparse:
        loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(w, [0, 2, 0]) - 0.3))
    else:
        x = np.array([[1.0, 2, -1], [0.5, -1, 2]], np.float32)
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w) - 1.0))
    opt = tf.train.AdagradDAOptimizer(0.1, gs, l1_regularization_strength=0.05,
                                      l2_regularization_strength=0.01)  # fmt: skip
    train = opt.minimize(loss, global_step=gs)
    assert opt.get_slot_names() == ["gradient_accumulator", "gradient_squared_accumulator"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
        got = sess.run(w)
    want = (  # TF
        [[0.13455218, 0.18121193], [0.1, 0.3], [0.04882583, 0.14052151]]
        if sparse
        else [[0.21470666, 0.21846235], [0.11305806, 0.02502234], [0.05164643, 0.11516431]]
    )
    np.testing.assert_allclose(got, want, rtol=1e-6)
