"""`tf.train.Supervisor`, `tf.train.SessionManager`, `LooperThread` and
`basic_train_loop`: the TF 1.0-era training harness (MonitoredTrainingSession replaced it in
TF 1.x; programs of that era still use it).

A SessionManager makes a session whose model is ready: `prepare_session` (the chief)
restores the latest checkpoint of a directory or runs the init op and init_fn, then the
local init op; `wait_for_session` (the others) waits until the chief made the model ready.
A Supervisor builds the default ops (init, ready, local init, summary, saver, global step,
summary writer), finalizes the graph, and with `managed_session` gives a ready session plus
the chief's services on threads: a checkpoint every `save_model_secs` to
`logdir/checkpoint_basename`, the summary op every `save_summaries_secs` and the global
step's rate. Leaving `managed_session` stops the services (a final checkpoint on the chief,
as its checkpoint thread's last tick) and closes the session; an OutOfRangeError inside it
ends it cleanly, any other exception is raised again after the stop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from . import errors
from .framework import get_default_graph
from .monitored_session import Coordinator, _uninitialized
from .ops.control_flow import group
from .ops.summary import merge_all
from .optimizers import get_global_step
from .queue_runner import start_queue_runners as _start_queue_runners
from .saver import Saver, get_checkpoint_state
from .summary_writer import FileWriter
from .variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)

log = logging.getLogger("psflow")


class LooperThread(threading.Thread):
    """Calls `target(*args, **kwargs)` (or `run_loop()`) every `timer_interval_secs` (as
    fast as it can when None) until the coordinator stops; an exception stops it too."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        super().__init__(daemon=True)
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        self._coord = coord
        self._interval = timer_interval_secs
        self._target = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        looper = LooperThread(coord, timer_interval_secs, target, args, kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._interval is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_at = time.monotonic() + self._interval
                while not self._coord.wait_for_stop(max(0.0, next_at - time.monotonic())):
                    next_at += self._interval
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once before the loop."""

    def stop_loop(self):
        """Called once after the loop."""

    def run_loop(self):
        if self._target is not None:
            self._target(*self._args, **self._kwargs)


class SessionManager:
    """Makes sessions whose model is ready (see the module docstring)."""

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None,
                 graph=None, recovery_wait_secs=30, local_init_run_options=None,
                 local_init_feed_dict=None):  # fmt: skip
        self._graph = graph or get_default_graph()
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_feed_dict = local_init_feed_dict

    def _session(self, master, config):
        from .session import Session

        return Session(master, graph=self._graph, config=config)

    def _not_ready(self, sess, op) -> list[str]:
        return _uninitialized(sess, op)

    def _local_init(self, sess) -> list[str]:
        """Runs the local init op once the model is ready for it; what is not ready."""
        not_ready = self._not_ready(sess, self._ready_for_local_init_op)
        if not_ready:
            return not_ready
        if self._local_init_op is not None:
            sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict)
        return self._not_ready(sess, self._ready_op)

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None, init_feed_dict=None,
                        init_fn=None):  # fmt: skip
        """A session restored from the latest checkpoint of `checkpoint_dir` (or the file
        given), else initialized by `init_op` and `init_fn`; the local init op run after.
        RuntimeError when the model is still not ready."""
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError(
                "Can not provide both checkpoint_dir and checkpoint_filename_with_path."
            )
        path = checkpoint_filename_with_path
        if path is None and checkpoint_dir and saver is not None:
            deadline = time.monotonic() + max_wait_secs
            while True:
                state = get_checkpoint_state(checkpoint_dir)
                path = state.model_checkpoint_path if state is not None else None
                if path is not None or not wait_for_checkpoint or time.monotonic() >= deadline:
                    break
                time.sleep(min(self._recovery_wait_secs, max(0.0, deadline - time.monotonic())))
        sess = self._session(master, config)
        try:
            if path is not None:
                if saver is None:
                    raise ValueError("Need a saver to restore from a checkpoint")
                saver.restore(sess, path)
            else:
                if init_op is None and init_fn is None and self._local_init_op is None:
                    raise RuntimeError(
                        "Model is not initialized and no init_op or init_fn or local_init_op "
                        "was given"
                    )
                if init_op is not None:
                    sess.run(init_op, feed_dict=init_feed_dict)
                if init_fn is not None:
                    init_fn(sess)
            not_ready = self._local_init(sess)
            if not_ready:
                raise RuntimeError(
                    f"Init operations did not make model ready.  Init op: "
                    f"{getattr(init_op, 'name', None)}, init fn: {init_fn}, local_init_op: "
                    f"{getattr(self._local_init_op, 'name', None)}, error: Variables not "
                    f"initialized: {', '.join(not_ready)}"
                )
        except BaseException:
            sess.close()
            raise
        return sess

    def wait_for_session(self, master, config=None, max_wait_secs=float("inf")):
        """A session once the model is ready (another task initializes it); the local init
        op run. DeadlineExceededError after `max_wait_secs`."""
        deadline = time.monotonic() + max_wait_secs
        while True:
            sess = self._session(master, config)
            try:
                not_ready = self._local_init(sess)
            except BaseException:
                sess.close()
                raise
            if not not_ready:
                return sess
            sess.close()
            if time.monotonic() >= deadline:
                raise errors.DeadlineExceededError(
                    None, None, f"Session was not ready after waiting {max_wait_secs} secs."
                )
            log.info("Waiting for model to be ready. Ready_for_local_init_op: %s",
                     ", ".join(not_ready[:3]))  # fmt: skip
            time.sleep(min(self._recovery_wait_secs, max(0.0, deadline - time.monotonic())))

    def recover_session(self, master, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None):  # fmt: skip
        """(a session, whether its model is ready): restored when there is a checkpoint."""
        path = checkpoint_filename_with_path
        if path is None and checkpoint_dir:
            state = get_checkpoint_state(checkpoint_dir)
            path = state.model_checkpoint_path if state is not None else None
        sess = self._session(master, config)
        if path is None or saver is None:
            return sess, False
        saver.restore(sess, path)
        return sess, not self._local_init(sess)


USE_DEFAULT = 0  # Supervisor's marker: build the default op


class Supervisor:
    """`tf.train.Supervisor` (see the module docstring)."""

    USE_DEFAULT = USE_DEFAULT

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT,
                 is_chief=True, init_op=USE_DEFAULT, init_feed_dict=None,
                 local_init_op=USE_DEFAULT, logdir=None, summary_op=USE_DEFAULT,
                 saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120,
                 checkpoint_basename="model.ckpt", session_manager=None,
                 summary_writer=USE_DEFAULT, init_fn=None,
                 local_init_run_options=None):  # fmt: skip
        self._graph = graph or get_default_graph()
        with self._graph.as_default():
            self._init_op = (
                group(global_variables_initializer()) if init_op is USE_DEFAULT else init_op
            )
            self._ready_op = (
                report_uninitialized_variables() if ready_op is USE_DEFAULT else ready_op
            )
            self._ready_for_local_init_op = (
                report_uninitialized_variables(global_variables())
                if ready_for_local_init_op is USE_DEFAULT else ready_for_local_init_op
            )  # fmt: skip
            self._local_init_op = (
                group(local_variables_initializer()) if local_init_op is USE_DEFAULT
                else local_init_op
            )  # fmt: skip
            self._summary_op = merge_all() if summary_op is USE_DEFAULT else summary_op
            self._saver = Saver() if saver is USE_DEFAULT else saver
            if global_step is USE_DEFAULT:
                global_step = get_global_step(self._graph)
            self._global_step = global_step
        self._is_chief = is_chief
        self._logdir = logdir
        self._save_summaries_secs = save_summaries_secs
        self._save_model_secs = save_model_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_feed_dict = init_feed_dict
        self._init_fn = init_fn
        self._save_path = os.path.join(logdir, checkpoint_basename) if logdir else None
        if summary_writer is USE_DEFAULT:
            summary_writer = FileWriter(logdir) if is_chief and logdir else None
        self._summary_writer = summary_writer
        self._session_manager = session_manager or SessionManager(
            local_init_op=self._local_init_op, ready_op=self._ready_op,
            ready_for_local_init_op=self._ready_for_local_init_op, graph=self._graph,
            recovery_wait_secs=recovery_wait_secs,
        )  # fmt: skip
        self._coord = Coordinator()
        self._started_threads: list[threading.Thread] = []
        self._graph.finalize()

    # The pieces -------------------------------------------------------------------------------
    is_chief = property(lambda self: self._is_chief)
    coord = property(lambda self: self._coord)
    saver = property(lambda self: self._saver)
    summary_writer = property(lambda self: self._summary_writer)
    summary_op = property(lambda self: self._summary_op)
    global_step = property(lambda self: self._global_step)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    local_init_op = property(lambda self: self._local_init_op)
    session_manager = property(lambda self: self._session_manager)
    save_path = property(lambda self: self._save_path)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)

    # Sessions ---------------------------------------------------------------------------------
    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False,
                                    max_wait_secs=7200, start_standard_services=True):  # fmt: skip
        """The chief: a session restored from `logdir` or initialized, then its services
        started; the others: a session once the chief has made the model ready."""
        self._coord.clear_stop()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver,
                checkpoint_dir=self._logdir if self._saver is not None else None,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
                config=config, init_feed_dict=self._init_feed_dict, init_fn=self._init_fn,
            )  # fmt: skip
            if self._summary_writer is not None:
                self._summary_writer.add_graph(self._graph)
            if start_standard_services:
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config,
                                                          max_wait_secs=max_wait_secs)  # fmt: skip
        return sess

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True,
                        close_summary_writer=True):  # fmt: skip
        sess = self.prepare_or_wait_for_session(
            master=master, config=config, start_standard_services=start_standard_services
        )
        try:
            yield sess
        except Exception as e:  # noqa: BLE001 -- raised again by stop() unless a clean stop
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                with contextlib.suppress(Exception):
                    sess.close()

    # Services ---------------------------------------------------------------------------------
    def start_standard_services(self, sess):
        """The chief's checkpoint, summary and step-rate threads (those that apply)."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services.")
        threads = []
        if self._logdir and self._save_model_secs and self._saver is not None:
            threads.append(_Checkpointer(self, sess))
        if self._summary_writer is not None and self._save_summaries_secs:
            if self._summary_op is not None:
                threads.append(_SummaryThread(self, sess))
            if self._global_step is not None:
                threads.append(_StepCounter(self, sess))
        for t in threads:
            t.start()
        self._started_threads.extend(threads)
        return threads

    def start_queue_runners(self, sess, queue_runners=None):
        """Starts the graph's queue runners (or those given) under this coordinator."""
        if queue_runners is None:
            threads = _start_queue_runners(sess, coord=self._coord)
        else:
            threads = [t for qr in queue_runners
                       for t in qr.create_threads(sess, coord=self._coord, start=True)]  # fmt: skip
        self._started_threads.extend(threads)
        return threads

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Calls `target` every `timer_interval_secs` on a thread, until the stop."""
        looper = LooperThread(self._coord, timer_interval_secs, target, args, kwargs)
        looper.start()
        self._started_threads.append(looper)
        return looper

    def summary_computed(self, sess, summary, global_step=None):
        """Writes a summary the caller computed, at the global step (read when not given)."""
        if self._summary_writer is None:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = int(sess.run(self._global_step))
        self._summary_writer.add_summary(summary, global_step)

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def request_stop(self, ex=None) -> None:
        self._coord.request_stop(ex)

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        self._coord.wait_for_stop()

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Stops the threads (waiting up to `stop_grace_secs`), closes the summary writer,
        and raises what a thread or the managed block raised (but a clean stop)."""
        self._coord.request_stop()
        try:
            self._coord.join(list(threads or []) + self._started_threads,
                             stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)  # fmt: skip
        finally:
            self._started_threads = []
            if close_summary_writer and self._summary_writer is not None:
                self._summary_writer.close()


class _Service(LooperThread):
    def __init__(self, sv, sess, interval):
        super().__init__(sv.coord, interval)
        self._sv, self._sess = sv, sess


class _Checkpointer(_Service):
    """Saves every save_model_secs, and once more when stopping."""

    def __init__(self, sv, sess):
        super().__init__(sv, sess, sv.save_model_secs)

    def run_loop(self):
        self._sv.saver.save(self._sess, self._sv.save_path, global_step=self._sv.global_step)

    def stop_loop(self):
        with contextlib.suppress(errors.OpError, RuntimeError):  # a closing session
            self.run_loop()


class _SummaryThread(_Service):
    def __init__(self, sv, sess):
        super().__init__(sv, sess, sv.save_summaries_secs)

    def run_loop(self):
        fetches = [self._sv.summary_op]
        if self._sv.global_step is not None:
            fetches.append(self._sv.global_step)
        values = self._sess.run(fetches)
        step = int(values[1]) if len(values) > 1 else None
        self._sv.summary_writer.add_summary(values[0], step)


class _StepCounter(_Service):
    """Writes global_step/sec, as TF1's Supervisor does."""

    def __init__(self, sv, sess):
        super().__init__(sv, sess, sv.save_summaries_secs)
        self._last = None

    def run_loop(self):
        from tensorboard.compat.proto import summary_pb2

        step = int(self._sess.run(self._sv.global_step))
        now = time.monotonic()
        if self._last is not None and now > self._last[0]:
            rate = (step - self._last[1]) / (now - self._last[0])
            summary = summary_pb2.Summary(
                value=[
                    summary_pb2.Summary.Value(
                        tag=f"{self._sv.global_step.op.name}/sec", simple_value=rate
                    )
                ]  # fmt: skip
            )
            self._sv.summary_writer.add_summary(summary.SerializeToString(), step)
        self._last = (now, step)


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Calls `train_step_fn(sess, *args, **kwargs)` until the supervisor should stop."""
    with supervisor.managed_session(master) as sess:
        while not supervisor.should_stop():
            train_step_fn(sess, *(args or ()), **(kwargs or {}))
