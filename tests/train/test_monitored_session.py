"""MonitoredSession, MonitoredTrainingSession and the standard hooks against TF1's documented
behaviour: call order, what each hook writes and when, recovery from a lost task,
chief/non-chief initialization."""

import glob
import json
import logging
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import psflow as tf


def _quadratic(lr=0.1):
    step = tf.train.get_or_create_global_step()
    w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
    loss = tf.square(w - 3.0)
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
    return step, w, loss, train


class _FlakySession:
    """A tf.Session whose run raises `error` on the listed calls (counted across sessions)."""

    def __init__(self, sess, counter, failing, error):
        self._sess = sess
        self._counter = counter
        self._failing = failing
        self._error = error

    def run(self, *args, **kwargs):
        self._counter["runs"] += 1
        if self._counter["runs"] in self._failing:
            raise self._error(None, None, "injected: a task was lost")
        return self._sess.run(*args, **kwargs)

    def close(self):
        self._counter["closed"] += 1
        self._sess.close()

    @property
    def graph(self):
        return self._sess.graph


class _FlakyCreator(tf.train.SessionCreator):
    def __init__(self, failing, error=tf.errors.UnavailableError, checkpoint_dir=None):
        self._inner = tf.train.ChiefSessionCreator(checkpoint_dir=checkpoint_dir)
        self.counter = {"runs": 0, "created": 0, "closed": 0}
        self._failing = failing
        self._error = error

    def create_session(self):
        self.counter["created"] += 1
        return _FlakySession(self._inner.create_session(), self.counter, self._failing, self._error)


class _Calls(tf.train.SessionRunHook):
    def __init__(self):
        self.calls = []

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")

    def end(self, session):
        self.calls.append("end")


@pytest.mark.parametrize("error", [tf.errors.UnavailableError, tf.errors.AbortedError])
def test_recovery_recreates_the_session_and_retries_the_run(error, tmp_path):
    step, w, loss, train = _quadratic()
    hook = _Calls()
    # Run 1 is the saver hook's save at creation; runs 2, 4, 6 train, 3, 5 save; run 6 fails.
    creator = _FlakyCreator(failing={6}, error=error, checkpoint_dir=str(tmp_path))
    saver = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1)
    with tf.train.MonitoredSession(session_creator=creator, hooks=[hook, saver]) as sess:
        values = [sess.run([train, step])[1] for _ in range(4)]
    # The failed run is retried on a new session, restored from the step-2 checkpoint: four
    # steps, in order, none lost.
    assert values == [1, 2, 3, 4]
    assert creator.counter["created"] == 2
    assert hook.calls.count("after_create_session") == 2
    assert hook.calls.count("begin") == 1
    assert hook.calls[-1] == "end"


def test_singular_monitored_session_does_not_recover():
    step, w, loss, train = _quadratic()
    sess = tf.train.SingularMonitoredSession()
    sess._creator = _FlakyCreator(failing={1})  # the next creation would be flaky
    sess._sess = sess._creator.create_session()
    with pytest.raises(tf.errors.UnavailableError):
        sess.run(train)
    sess.close()


def test_other_errors_propagate_and_end_is_not_called():
    step, w, loss, train = _quadratic()
    hook = _Calls()
    with pytest.raises(ValueError, match="boom"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            sess.run(train)
            raise ValueError("boom")
    assert "end" not in hook.calls


def test_run_after_stop_is_an_error_and_graph_is_finalized_then_released():
    step, w, loss, train = _quadratic()
    graph = tf.get_default_graph()
    with tf.train.MonitoredTrainingSession(hooks=[tf.train.StopAtStepHook(num_steps=2)]) as sess:
        assert graph.finalized
        sess.run(train)
        sess.run(train)
        assert sess.should_stop()
        with pytest.raises(RuntimeError, match="Run called even after should_stop requested"):
            sess.run(train)
    assert not graph.finalized


def test_stop_at_step_num_steps_counts_from_the_restored_step(tmp_path):
    step, w, loss, train = _quadratic()
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path), hooks=[tf.train.StopAtStepHook(last_step=5)]
    ) as sess:
        while not sess.should_stop():
            sess.run(train)
    tf.reset_default_graph()
    step, w, loss, train = _quadratic()
    runs = 0
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path), hooks=[tf.train.StopAtStepHook(num_steps=3)]
    ) as sess:
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    assert runs == 3
    assert tf.train.load_variable(str(tmp_path), "global_step") == 8


def test_checkpoint_saver_hook_saves_at_creation_every_n_steps_and_at_end(tmp_path):
    step, w, loss, train = _quadratic()

    class Listener(tf.train.CheckpointSaverListener):
        def __init__(self):
            self.saved = []

        def after_save(self, session, global_step_value):
            self.saved.append(global_step_value)

    listener = Listener()
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=3, listeners=[listener])
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(7):
            sess.run(train)
    assert listener.saved == [0, 3, 6, 7]
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")
    assert tf.train.load_variable(str(tmp_path), "global_step") == 7


def test_checkpoint_listener_can_stop_training(tmp_path):
    step, w, loss, train = _quadratic()

    class StopAt4(tf.train.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            return global_step_value >= 4

    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, listeners=[StopAt4()])
    runs = 0
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            sess.run(train)
            runs += 1
    assert runs == 4


def test_summary_and_step_counter_hooks_write_events(tmp_path):
    step, w, loss, train = _quadratic()
    tf.summary.scalar("loss", loss)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path),
        save_summaries_steps=2,
        log_step_count_steps=2,
        hooks=[tf.train.StopAtStepHook(last_step=6)],
    ) as sess:
        while not sess.should_stop():
            sess.run(train)
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert "loss" in events.Tags()["scalars"]
    steps = [e.step for e in events.Scalars("loss")]
    # Every second step; whether the global step fetched beside the train op reads before
    # or after its increment is the same-run read ordering that TF1 leaves open.
    assert steps in ([0, 2, 4], [1, 3, 5])
    assert events.Scalars("loss")[0].value == 9.0  # (0 - 3)^2, before the first update
    assert "global_step/sec" in events.Tags()["scalars"]
    assert all(e.value > 0 for e in events.Scalars("global_step/sec"))


def test_summary_saver_hook_needs_exactly_one_source():
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op"):
        tf.train.SummarySaverHook(save_steps=1)


def test_logging_tensor_hook_logs_every_n_local_iterations(caplog):
    step, w, loss, train = _quadratic()
    hook = tf.train.LoggingTensorHook({"loss": loss, "step": step}, every_n_iter=2)
    with caplog.at_level(logging.INFO, logger="psflow"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(5):
                sess.run(train)
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("loss = ")]
    assert len(logged) == 3  # iterations 0, 2, 4
    assert logged[0].startswith("loss = 9.0, step = ")


def test_nan_tensor_hook_can_request_a_stop_instead():
    x = tf.placeholder(tf.float32, [])
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    hook = tf.train.NanTensorHook(tf.sqrt(x), fail_on_nan_loss=False)
    with tf.train.MonitoredSession(hooks=[hook]) as sess, np.errstate(invalid="ignore"):
        sess.run(inc, feed_dict={x: 1.0})
        assert not sess.should_stop()
        sess.run(inc, feed_dict={x: -1.0})
        assert sess.should_stop()


def test_final_ops_feed_fn_and_global_step_waiter_hooks():
    step, w, loss, train = _quadratic()
    x = tf.placeholder(tf.float32, [])
    doubled = x * 2.0
    final = tf.train.FinalOpsHook(w)
    feed = tf.train.FeedFnHook(lambda: {x: 21.0})
    waiter = tf.train.GlobalStepWaiterHook(wait_until_step=0)
    with tf.train.MonitoredSession(hooks=[final, feed, waiter]) as sess:
        assert sess.run(doubled) == 42.0
        sess.run(train)
    np.testing.assert_allclose(final.final_ops_values, 0.6, rtol=1e-6)


def test_feed_conflicts_are_errors():
    x = tf.placeholder(tf.float32, [])
    y = x * 1.0
    hooks = [tf.train.FeedFnHook(lambda: {x: 1.0})]
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
            sess.run(y, feed_dict={x: 2.0})


def test_profiler_hook_writes_chrome_traces(tmp_path):
    step, w, loss, train = _quadratic()
    hook = tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            sess.run(train)
    files = sorted(glob.glob(str(tmp_path / "timeline-*.json")))
    steps = [int(os.path.basename(p)[9:-5]) for p in files]
    assert len(steps) == 2 and steps[1] - steps[0] == 2, steps  # every second step
    with open(files[0]) as f:
        trace = json.load(f)
    assert any(
        e.get("name") == "ApplyGradientDescent" or "ApplyGradientDescent" in str(e.get("args", ""))
        for e in trace["traceEvents"]
    )


def test_run_step_fn_and_request_stop():
    step, w, loss, train = _quadratic()
    seen = []

    def step_fn(step_context):
        value = step_context.run_with_hooks([train, step])[1]
        seen.append(value)
        if value >= 3:
            step_context.request_stop()
        return value

    with tf.train.MonitoredSession() as sess:
        while not sess.should_stop():
            sess.run_step_fn(step_fn)
    assert seen == [1, 2, 3]
    with pytest.raises(ValueError, match="step_context"):
        with tf.train.MonitoredSession() as sess:
            sess.run_step_fn(lambda context: None)


def test_scaffold_builds_defaults_from_collections():
    step, w, loss, train = _quadratic()
    scaffold = tf.train.Scaffold().finalize()
    graph = tf.get_default_graph()
    assert graph.finalized
    for key in ("init_op", "ready_op", "ready_for_local_init_op", "local_init_op", "savers"):
        assert len(graph.get_collection(key)) == 1, key
    with tf.Session() as sess:
        names = sess.run(scaffold.ready_op)
        assert sorted(n.decode() for n in names) == ["global_step", "w"]
        sess.run(scaffold.init_op)
        assert sess.run(scaffold.ready_op).size == 0
    graph._unsafe_unfinalize()


def test_non_chief_fails_within_max_wait_naming_the_variables():
    step, w, loss, train = _quadratic()
    with pytest.raises(tf.errors.DeadlineExceededError, match="not ready.*global_step.*w"):
        tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=0.5)


def test_non_chief_waits_for_the_chief_on_a_shared_target(local_cluster):
    """Two clients of one cluster: the non-chief starts first and waits until the chief
    initialized the model."""
    import threading

    local_cluster.reset()
    results = {}

    def client(is_chief):
        graph = tf.Graph()
        with graph.as_default():
            with tf.device(local_cluster.device_setter()):
                step, w, loss, train = _quadratic()
            with tf.train.MonitoredTrainingSession(
                master=local_cluster.target, is_chief=is_chief, max_wait_secs=60
            ) as sess:
                results[is_chief] = sess.run([train, step])[1]
                results["after", is_chief] = sess.run(step)

    worker = threading.Thread(target=client, args=(False,))
    worker.start()
    client(True)
    worker.join(60)
    # The non-chief ran its step on the model the chief initialized (not before: it would
    # have failed on uninitialized variables), and both increments landed. Which client's
    # read came first is a race of the two threads.
    assert set(results) == {True, False, ("after", True), ("after", False)}
    assert all(results[k] in (0, 1) for k in (True, False))
    assert max(results["after", True], results["after", False]) == 2
