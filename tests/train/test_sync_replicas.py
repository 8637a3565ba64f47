"""SyncReplicasOptimizer against hand-computed references: averaged gradients, one update
and one global-step increment per round, stale gradients dropped, backup replicas, the
bounded wait for a round that cannot complete; and its accumulator and token ops."""

import threading

import numpy as np
import pytest
from psflow.graph import sync_replicas
from psflow.graph.ops import sync as sync_ops

import psflow as tf

W0 = np.array([1.0, 2.0], np.float32)
LR = 0.5


def _model(replicas, total=None, setter=None):
    with tf.device(setter):
        step = tf.train.get_or_create_global_step()
        w = tf.Variable(W0, name="w")
        x = tf.placeholder(tf.float32, [2])
        loss = tf.reduce_sum(w * x)  # d loss / d w = x
        opt = tf.train.SyncReplicasOptimizer(
            tf.train.GradientDescentOptimizer(LR),
            replicas_to_aggregate=replicas,
            total_num_replicas=total,
        )
        train = opt.minimize(loss, global_step=step)
    return step, w, x, opt, train


def test_one_replica_updates_once_per_round_and_drops_the_stale_step():
    step, w, x, opt, train = _model(1)
    seen = []
    with tf.train.MonitoredTrainingSession(hooks=[opt.make_session_run_hook(True)]) as sess:
        for _ in range(3):
            sess.run(train, {x: [1.0, 2.0]})
            seen.append(sess.run([step, w]))
    # Round 0 applies; the next step runs on the initial token (step 0) and is stale, as in
    # TF1; the third step runs on the round-1 token.
    assert [int(s) for s, _ in seen] == [1, 1, 2]
    np.testing.assert_allclose(seen[0][1], W0 - LR * np.array([1.0, 2.0]))
    np.testing.assert_allclose(seen[2][1], W0 - 2 * LR * np.array([1.0, 2.0]))


def test_accumulator_ops_average_drop_stale_and_reset():
    g = tf.placeholder(tf.float32, [2])
    local = tf.placeholder(tf.int64, [])
    avg, ready = sync_ops.sync_accumulate(g, local, "acc", 2)
    count = sync_ops.sync_accumulator_count("acc")
    set_step = sync_ops.sync_accumulator_set_step(tf.constant(5, tf.int64), "acc")
    with tf.Session() as sess:
        assert not sess.run(ready, {g: [1.0, 1.0], local: 0})
        assert sess.run(count) == 1
        got, ok = sess.run([avg, ready], {g: [3.0, 5.0], local: 0})
        assert ok and np.allclose(got, [2.0, 3.0])  # the average of the two
        assert sess.run(count) == 0
        assert not sess.run(ready, {g: [9.0, 9.0], local: 0})  # stale: round 1 began
        assert sess.run(count) == 0
        sess.run(set_step)
        assert not sess.run(ready, {g: [1.0, 1.0], local: 4})  # older than step 5
        assert not sess.run(ready, {g: [1.0, 1.0], local: 5})
        assert sess.run(count) == 1


def test_setting_the_step_keeps_gradients_given_to_that_round():
    """A replica may give its gradient before the chief's session creation sets the step
    (the same step): it stays, as TF1's SetGlobalStep keeps it; another step drops it."""
    g = tf.placeholder(tf.float32, [2])
    local = tf.placeholder(tf.int64, [])
    step = tf.placeholder(tf.int64, [])
    _, ready = sync_ops.sync_accumulate(g, local, "acc", 2)
    count = sync_ops.sync_accumulator_count("acc")
    set_step = sync_ops.sync_accumulator_set_step(step, "acc")
    with tf.Session() as sess:
        sess.run(ready, {g: [1.0, 1.0], local: 0})
        sess.run(set_step, {step: 0})
        assert sess.run(count) == 1
        assert sess.run(ready, {g: [1.0, 1.0], local: 0})  # the round completes
        sess.run(ready, {g: [1.0, 1.0], local: 1})
        sess.run(set_step, {step: 7})
        assert sess.run(count) == 0


def test_sparse_accumulator_aggregates_indexed_slices():
    values = tf.placeholder(tf.float32, [None, 2])
    indices = tf.placeholder(tf.int64, [None])
    local = tf.placeholder(tf.int64, [])
    avg, idx, ready = sync_ops.sync_sparse_accumulate(values, indices, local, "sp", 2)
    with tf.Session() as sess:
        sess.run(ready, {values: [[1.0, 1.0]], indices: [3], local: 0})
        got = sess.run(
            [avg, idx, ready], {values: [[2.0, 4.0], [6.0, 8.0]], indices: [3, 0], local: 0}
        )
    np.testing.assert_allclose(got[0], [[0.5, 0.5], [1.0, 2.0], [3.0, 4.0]])
    assert list(got[1]) == [3, 3, 0] and got[2]


def test_token_queue_is_fifo_and_never_blocks():
    enqueue = sync_ops.sync_enqueue_tokens(tf.constant(7, tf.int64), tf.constant(2, tf.int64), "q")
    ok, value = sync_ops.sync_try_dequeue_token("q")
    with tf.Session() as sess:
        assert list(sess.run([ok, value])) == [False, -1]
        sess.run(enqueue)
        assert [list(sess.run([ok, value])) for _ in range(3)] == [
            [True, 7],
            [True, 7],
            [False, -1],
        ]


def test_misuse_errors():
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(1.0)
    opt = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.1), 2, 1)
    with pytest.raises(ValueError, match="Global step is required to check staleness"):
        opt.minimize(w * 2.0)
    with pytest.raises(ValueError, match="apply_gradient should be called before"):
        opt.make_session_run_hook(True).begin()
    opt.minimize(w * 2.0, global_step=step)
    with pytest.raises(ValueError, match="Too few tokens to finish the first step"):
        opt.get_init_tokens_op(0)


def test_a_round_that_cannot_complete_fails_within_the_bound(monkeypatch):
    monkeypatch.setattr(sync_replicas, "TOKEN_TIMEOUT_SECS", 0.3)
    step, w, x, opt, train = _model(2)
    hook = opt.make_session_run_hook(True, num_tokens=0)  # no tokens to start with
    with tf.train.MonitoredTrainingSession(hooks=[hook]) as sess:
        # The only replica's first gradient is 1 of 2, and no token lets it go on.
        with pytest.raises(
            tf.errors.DeadlineExceededError,
            match="has 1 of 2 gradients .waiting for 1 more of the 2 replicas",
        ):
            sess.run(train, {x: [1.0, 1.0]})


def _replica(cluster, is_chief, grad, rounds, out, total=None):
    try:
        graph = tf.Graph()
        with graph.as_default():
            step, w, x, opt, train = _model(2, total, cluster.device_setter())
            # No initial tokens: each replica contributes once, then waits for the round.
            hooks = [opt.make_session_run_hook(is_chief, num_tokens=0)]
            with tf.train.MonitoredTrainingSession(
                master=cluster.target, is_chief=is_chief, hooks=hooks, max_wait_secs=60
            ) as sess:
                while sess.run(step) < rounds:
                    sess.run(train, {x: grad})
                out[is_chief] = sess.run([step, w])
    except Exception as err:  # reported by the test
        out[f"error {is_chief}"] = err


@pytest.mark.ray
@pytest.mark.parametrize("total", [None, 3])
def test_two_replicas_average_their_gradients_on_the_cluster(local_cluster, total, monkeypatch):
    """Two replicas (a third, with total=3, is a backup that never comes): every round
    applies the average of two gradients, and the global step counts rounds. Tokens, not
    replicas, are counted (as in TF1): a quick replica may give two gradients to one round,
    so which pair a round averages varies; both gradients' components sum to 3, so an
    averaged update lowers sum(w) by LR * 3 per round (a summed one would by LR * 6)."""
    monkeypatch.setattr(sync_replicas, "TOKEN_TIMEOUT_SECS", 60.0)
    local_cluster.reset()
    out = {}
    other = threading.Thread(
        target=_replica, args=(local_cluster, False, [3.0, 0.0], 3, out, total)
    )
    other.start()
    _replica(local_cluster, True, [1.0, 2.0], 3, out, total)
    other.join(120)
    assert not other.is_alive()
    errors = [value for key, value in out.items() if str(key).startswith("error")]
    if errors:
        print("replica errors:", [f"{type(e).__name__}: {e}" for e in errors])
        raise errors[0]
    step, w = out[True]
    assert int(step) >= 3
    np.testing.assert_allclose(w.sum(), W0.sum() - LR * 3.0 * int(step), rtol=1e-6)
