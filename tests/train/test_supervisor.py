"""tf.train.Supervisor, SessionManager, LooperThread and basic_train_loop (graph/supervisor.py):
the chief initializes or restores from its logdir, checkpoints and summaries land there (read
back with the tensorboard package's reader), a run resumes from the last checkpoint, an
OutOfRangeError ends a managed session cleanly and other errors come back, a non-chief
waits for a ready model."""

import time

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import psflow as tf


def _model():
    tf.reset_default_graph()
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(0.0, name="w")
    train = tf.group(tf.assign_add(w, 1.0), tf.assign_add(step, 1))
    tf.summary.scalar("weight", w)
    return step, w, train


def test_the_chief_trains_checkpoints_writes_summaries_and_resumes(tmp_path):
    step, w, train = _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_summaries_secs=0.2, save_model_secs=60)
    with pytest.raises(RuntimeError, match="finalized"):
        tf.Variable(1.0)
    with sv.managed_session() as sess:
        for _ in range(5):
            sess.run(train)
        time.sleep(0.6)  # two summary ticks
    assert sv.should_stop()
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-5")  # final save
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert events.Scalars("weight")[-1].value == 5.0
    assert "global_step/sec" in events.Tags()["scalars"]
    assert events.Graph() is not None
    # A new run resumes from the checkpoint: init_op is not run.
    step, w, train = _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=60)
    with sv.managed_session() as sess:
        assert sess.run([w, step]) == [5.0, 5]
        sess.run(train)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-6")


def test_out_of_range_ends_a_managed_session_cleanly_and_other_errors_come_back():
    _, w, train = _model()
    sv = tf.train.Supervisor(logdir=None)
    with sv.managed_session() as sess:
        sess.run(train)
        raise tf.errors.OutOfRangeError(None, None, "End of sequence")
    assert sv.should_stop()
    with pytest.raises(ValueError, match="bad step"), sv.managed_session() as sess:
        raise ValueError("bad step")


def test_basic_train_loop_runs_steps_until_a_stop_is_requested():
    step, w, train = _model()
    sv = tf.train.Supervisor(logdir=None)
    counted = []

    def one_step(sess):
        sess.run(train)
        counted.append(1)
        if len(counted) == 3:
            sv.request_stop()

    tf.train.basic_train_loop(sv, one_step)
    assert len(counted) == 3


def test_session_manager_init_fn_readiness_and_waiting():
    tf.reset_default_graph()
    v = tf.Variable(np.ones(2, np.float32), name="v")
    u = tf.Variable(2.0, name="u")
    ready = tf.report_uninitialized_variables()
    manager = tf.train.SessionManager(ready_op=ready)
    sess = manager.prepare_session("", init_op=v.initializer,
                                   init_fn=lambda s: s.run(u.initializer))  # fmt: skip
    assert sess.run(u) == 2.0
    with pytest.raises(RuntimeError, match="Variables not initialized: u"):
        manager.prepare_session("", init_op=v.initializer)
    with pytest.raises(tf.errors.DeadlineExceededError, match="not ready after waiting"):
        tf.train.SessionManager(ready_op=ready, recovery_wait_secs=0.05).wait_for_session(
            "", max_wait_secs=0.2
        )  # a fresh in-process session holds no values: nobody makes it ready here


def test_a_looper_thread_stops_with_its_coordinator():
    coord = tf.train.Coordinator()
    calls = []
    looper = tf.train.LooperThread.loop(coord, 0.01, lambda x: calls.append(x), args=(7,))
    time.sleep(0.1)
    coord.request_stop()
    coord.join([looper])
    assert calls and set(calls) == {7} and not looper.is_alive()
