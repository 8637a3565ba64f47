"""`tf.train.SessionRunHook` and the standard hooks, with TF1's semantics.

A hook sees a MonitoredSession's life (graph/monitored_session.py): `begin` (may still add
ops), `after_create_session` (again after every recovery), `before_run` (may ask for extra
fetches and feeds with `SessionRunArgs`), `after_run` (gets them as `SessionRunValues`, may
`request_stop`), `end`. Global-step hooks read the global step the way TF1 does: they
fetch it with the step, and re-read it before acting on a trigger.
"""

from __future__ import annotations

import collections
import logging
import os
import time

import numpy as np

from .framework import GraphKeys, get_default_graph
from .optimizers import get_global_step
from .summary_writer import FileWriterCache
from .timeline import Timeline

log = logging.getLogger("psflow")


def _protos():
    """tensorboard's copies of TF's protos, loaded on first use (import psflow stays fast)."""
    from tensorboard.compat.proto import config_pb2, event_pb2, summary_pb2

    return config_pb2, event_pb2, summary_pb2


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a `run` call: fetches, feeds and RunOptions."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunValues(
    collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])
):
    """What a hook gets back: the results of its own fetches, the options and metadata."""


class SessionRunContext:
    """The `run` call a hook sees: the caller's arguments, the session, and a stop request."""

    def __init__(self, original_args: SessionRunArgs, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self) -> SessionRunArgs:
        return self._original_args

    @property
    def session(self):
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        self._stop_requested = True


class SessionRunHook:
    """Hook into a MonitoredSession's life; every method is optional."""

    def begin(self) -> None:
        pass

    def after_create_session(self, session, coord) -> None:
        pass

    def before_run(self, run_context):
        return None

    def after_run(self, run_context, run_values) -> None:
        pass

    def end(self, session) -> None:
        pass


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self) -> str:
        return "NaN loss during training."


class SecondOrStepTimer:
    """Triggers every `every_secs` seconds or every `every_steps` steps (exactly one)."""

    def __init__(self, every_secs=None, every_steps=None):
        if (every_secs is None) == (every_steps is None):
            raise ValueError("Either every_secs or every_steps should be provided.")
        self._every_secs = every_secs
        self._every_steps = every_steps
        self.reset()

    def reset(self) -> None:
        self._last_time: float | None = None
        self._last_step: int | None = None

    def should_trigger_for_step(self, step: int) -> bool:
        if self._last_step is None:
            return True
        if self._last_step == step:
            return False
        if self._every_secs is not None:
            return time.time() >= self._last_time + self._every_secs
        return step >= self._last_step + self._every_steps

    def update_last_triggered_step(self, step: int):
        """Marks `step` triggered; returns (seconds, steps) since the previous trigger."""
        now = time.time()
        elapsed: tuple[float | None, int | None] = (None, None)
        if self._last_time is not None and self._last_step is not None:
            elapsed = (now - self._last_time, step - self._last_step)
        self._last_time, self._last_step = now, step
        return elapsed

    def last_triggered_step(self):
        return self._last_step


def _global_step_tensor(hook_name: str):
    step = get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches `last_step` (or `num_steps` more)."""

    def __init__(self, num_steps=None, last_step=None):
        if (num_steps is None) == (last_step is None):
            raise ValueError("Exactly one of num_steps or last_step must be provided.")
        if num_steps is not None and num_steps < 0:
            raise ValueError("num_steps must be non-negative.")
        if last_step is not None and last_step < 0:
            raise ValueError("last_step must be non-negative.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self) -> None:
        self._global_step = _global_step_tensor("StopAtStepHook")

    def after_create_session(self, session, coord) -> None:
        if self._last_step is None:
            self._last_step = int(session.run(self._global_step)) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values) -> None:
        step = int(run_values.results) + 1
        if step >= self._last_step:
            # The fetched value may be stale under concurrent updates: read it again.
            step = int(run_context.session.run(self._global_step))
            if step >= self._last_step:
                run_context.request_stop()


class CheckpointSaverListener:
    """Called around each save of a CheckpointSaverHook; `after_save` returning True stops."""

    def begin(self) -> None:
        pass

    def before_save(self, session, global_step_value) -> None:
        pass

    def after_save(self, session, global_step_value):
        return None

    def end(self, session, global_step_value) -> None:
        pass


def _saver_of(saver, scaffold):
    if saver is not None:
        return saver
    if scaffold is not None:
        return scaffold.saver
    savers = get_default_graph().get_collection(GraphKeys.SAVERS)
    if not savers:
        raise RuntimeError(
            "No items in collection savers. Please add a saver to the collection or provide "
            "a saver or scaffold."
        )
    if len(savers) > 1:
        raise RuntimeError(
            "More than one item in collection savers. Please indicate which one to use."
        )
    return savers[0]


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint every `save_secs` seconds or `save_steps` steps, once right after
    the session is created, and at the end."""

    def __init__(
        self,
        checkpoint_dir,
        save_secs=None,
        save_steps=None,
        saver=None,
        checkpoint_basename="model.ckpt",
        scaffold=None,
        listeners=None,
    ):
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._scaffold = scaffold
        self._checkpoint_dir = str(checkpoint_dir)
        self._save_path = os.path.join(self._checkpoint_dir, checkpoint_basename)
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = list(listeners or [])

    def begin(self) -> None:
        self._global_step = _global_step_tensor("CheckpointSaverHook")
        self._writer = FileWriterCache.get(self._checkpoint_dir)
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord) -> None:
        step = int(session.run(self._global_step))
        # The state at creation (after a restore, or fresh) is saved at once, as TF1 does.
        self._writer.add_graph(get_default_graph())
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values) -> None:
        stale = int(run_values.results)
        if self._timer.should_trigger_for_step(stale + 1):
            step = int(run_context.session.run(self._global_step))
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session) -> None:
        step = int(session.run(self._global_step))
        if step != self._timer.last_triggered_step():
            self._save(session, step)
        for listener in self._listeners:
            listener.end(session, step)

    def _save(self, session, step: int) -> bool:
        """Saves at `step`; True when a listener asks to stop."""
        log.info("Saving checkpoints for %d into %s.", step, self._save_path)
        for listener in self._listeners:
            listener.before_save(session, step)
        path = _saver_of(self._saver, self._scaffold).save(
            session, self._save_path, global_step=step
        )
        session_log = _protos()[1].SessionLog
        self._writer.add_session_log(
            session_log(status=session_log.CHECKPOINT, checkpoint_path=path), step
        )
        stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                log.info("A CheckpointSaverListener requested that training be stopped.")
                stop = True
        return stop


class StepCounterHook(SessionRunHook):
    """Logs global steps per second and writes them as the summary `global_step/sec`."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None, summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._output_dir = output_dir
        self._writer = summary_writer
        self._last_step = None
        self._stalled = 0

    def begin(self) -> None:
        if self._writer is None and self._output_dir:
            self._writer = FileWriterCache.get(self._output_dir)
        self._global_step = _global_step_tensor("StepCounterHook")
        self._tag = self._global_step.op.name + "/sec"

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values) -> None:
        step = int(run_values.results)
        if self._timer.should_trigger_for_step(step):
            secs, steps = self._timer.update_last_triggered_step(step)
            if secs is not None and secs > 0:
                rate = steps / secs
                log.info("%s: %g", self._tag, rate)
                if self._writer is not None:
                    summary_cls = _protos()[2].Summary
                    summary = summary_cls(
                        value=[summary_cls.Value(tag=self._tag, simple_value=rate)]
                    )
                    self._writer.add_summary(summary, step)
        if self._last_step is not None and step <= self._last_step:
            self._stalled += 1
            if self._stalled == 20:
                log.warning(
                    "It seems that global step (tf.train.get_global_step) has not been "
                    "increased. Current value (could be stable): %s vs previous value: %s.",
                    step,
                    self._last_step,
                )
        else:
            self._stalled = 0
        self._last_step = step


class SummarySaverHook(SessionRunHook):
    """Writes the summaries of `summary_op` (or the scaffold's) every N steps or seconds."""

    def __init__(
        self,
        save_steps=None,
        save_secs=None,
        output_dir=None,
        summary_writer=None,
        scaffold=None,
        summary_op=None,
    ):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._scaffold = scaffold
        self._output_dir = output_dir
        self._writer = summary_writer
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        if self._writer is None and self._output_dir:
            self._writer = FileWriterCache.get(self._output_dir)
        self._global_step = _global_step_tensor("SummarySaverHook")
        self._next_step: int | None = None

    def _op(self):
        return self._summary_op if self._summary_op is not None else self._scaffold.summary_op

    def before_run(self, run_context):
        self._request = self._next_step is None or self._timer.should_trigger_for_step(
            self._next_step
        )
        fetches = {"global_step": self._global_step}
        if self._request and self._op() is not None:
            fetches["summary"] = self._op()
        return SessionRunArgs(fetches)

    def after_run(self, run_context, run_values) -> None:
        if self._writer is None:
            return
        step = int(run_values.results["global_step"])
        if self._next_step is None:
            session_log = _protos()[1].SessionLog
            self._writer.add_session_log(session_log(status=session_log.START), step)
        if self._request:
            self._timer.update_last_triggered_step(step)
            summary = run_values.results.get("summary")
            if summary is not None:
                for item in summary if isinstance(summary, list) else [summary]:
                    self._writer.add_summary(item, step)
        self._next_step = step + 1

    def end(self, session) -> None:
        if self._writer is not None:
            self._writer.flush()


class LoggingTensorHook(SessionRunHook):
    """Logs the values of `tensors` every N local iterations or seconds (and/or at the end)."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False, formatter=None):
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError(
                "either at_end and/or exactly one of every_n_iter and every_n_secs must be "
                "provided."
            )
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if isinstance(tensors, dict):
            self._tag_order = list(tensors)
            self._tensors = dict(tensors)
        else:
            items = list(tensors)
            self._tag_order = [t if isinstance(t, str) else t.name for t in items]
            self._tensors = dict(zip(self._tag_order, items))
        self._timer = None if only_at_end else SecondOrStepTimer(every_n_secs, every_n_iter)
        self._log_at_end = at_end
        self._formatter = formatter

    def begin(self) -> None:
        if self._timer is not None:
            self._timer.reset()
        self._iter_count = 0

    def before_run(self, run_context):
        self._should_trigger = self._timer is not None and self._timer.should_trigger_for_step(
            self._iter_count
        )
        return SessionRunArgs(self._tensors) if self._should_trigger else None

    def _log(self, values: dict) -> None:
        if self._formatter is not None:
            log.info(self._formatter(values))
            return
        log.info(", ".join(f"{tag} = {values[tag]}" for tag in self._tag_order))

    def after_run(self, run_context, run_values) -> None:
        if self._should_trigger:
            self._timer.update_last_triggered_step(self._iter_count)
            self._log(run_values.results)
        self._iter_count += 1

    def end(self, session) -> None:
        if self._log_at_end:
            self._log(session.run(self._tensors))


class NanTensorHook(SessionRunHook):
    """Stops training, or raises NanLossDuringTrainingError, when the loss is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss = loss_tensor
        self._fail = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss)

    def after_run(self, run_context, run_values) -> None:
        if np.isnan(run_values.results):
            if self._fail:
                log.error("Model diverged with loss = NaN.")
                raise NanLossDuringTrainingError
            log.warning("Model diverged with loss = NaN.")
            run_context.request_stop()


class FinalOpsHook(SessionRunHook):
    """Runs `final_ops` when the session ends; their values in `final_ops_values`."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._feed_dict = final_ops_feed_dict
        self._values = None

    @property
    def final_ops_values(self):
        return self._values

    def end(self, session) -> None:
        if self._final_ops is not None:
            self._values = session.run(self._final_ops, feed_dict=self._feed_dict)


class FeedFnHook(SessionRunHook):
    """Adds `feed_fn()`'s feeds to every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class GlobalStepWaiterHook(SessionRunHook):
    """Blocks the first run until the global step reaches `wait_until_step`."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self) -> None:
        self._worker_is_started = False
        self._global_step = _global_step_tensor("GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started or self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        while True:
            step = int(run_context.session.run(self._global_step))
            if step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            time.sleep(0.5)


class ProfilerHook(SessionRunHook):
    """Writes a Chrome trace (`timeline-STEP.json`) of a traced step every N steps/seconds."""

    def __init__(
        self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True, show_memory=False
    ):
        self._output_dir = output_dir
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._next_step: int | None = None
        self._global_step = _global_step_tensor("ProfilerHook")

    def before_run(self, run_context):
        run_options = _protos()[0].RunOptions
        self._request = self._next_step is not None and self._timer.should_trigger_for_step(
            self._next_step
        )
        options = run_options(trace_level=run_options.FULL_TRACE) if self._request else None
        return SessionRunArgs(self._global_step, options=options)

    def after_run(self, run_context, run_values) -> None:
        stale = int(run_values.results)
        if self._next_step is None:
            # The timer starts here: the first trace comes N steps (or seconds) later.
            self._timer.update_last_triggered_step(stale)
        step = stale + 1
        if self._request and run_values.run_metadata is not None:
            step = int(run_context.session.run(self._global_step))
            self._timer.update_last_triggered_step(step)
            trace = Timeline(run_values.run_metadata.step_stats, get_default_graph())
            path = os.path.join(self._output_dir, f"timeline-{step}.json")
            os.makedirs(self._output_dir or ".", exist_ok=True)
            with open(path, "w") as f:
                f.write(
                    trace.generate_chrome_trace_format(
                        show_dataflow=self._show_dataflow, show_memory=self._show_memory
                    )
                )
        self._next_step = step + 1
