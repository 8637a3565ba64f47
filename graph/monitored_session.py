"""`tf.train.MonitoredTrainingSession` and its parts, with TF1's semantics: `Scaffold` (the
init, ready and local-init ops, summary op and Saver, defaulted from collections in
`finalize()`), the chief and worker session creators, `MonitoredSession` (hooks around every
run, recovery from lost tasks) and `SingularMonitoredSession`.

Recovery: a run (or a session creation) that raises AbortedError or UnavailableError -- a
task was lost or restarted -- closes the session, creates a new one (the chief restores
from `checkpoint_dir`, or initializes), calls every hook's `after_create_session` again
and retries the same run. OutOfRangeError and StopIteration end a `with` block cleanly.

One deliberate difference: a non-chief waiting for the chief polls readiness every
`READY_POLL_SECS` (TF1 sleeps a fixed 30 s between checks), still bounded by
`max_wait_secs`, and its DeadlineExceededError names the uninitialized variables and the
tasks holding them.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time

from . import checkpoint as _ckpt, errors
from .framework import GraphKeys, get_default_graph
from .hooks import (
    CheckpointSaverHook,
    SessionRunArgs,
    SessionRunContext,
    SessionRunValues,
    StepCounterHook,
    SummarySaverHook,
)
from .ops.control_flow import group
from .ops.summary import merge_all
from .saver import Saver, get_checkpoint_state
from .session import Session
from .variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)

log = logging.getLogger("psflow")

_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)
USE_DEFAULT = object()
READY_POLL_SECS = 0.2


class Coordinator:
    """`tf.train.Coordinator`: a stop flag shared by threads, and the first exception."""

    def __init__(self, clean_stop_exception_types=None):
        self._clean_stop = tuple(clean_stop_exception_types or (errors.OutOfRangeError,))
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info = None
        self._threads: list[threading.Thread] = []

    def request_stop(self, ex=None) -> None:
        with self._lock:
            if ex is not None and self._exc_info is None and not isinstance(ex, self._clean_stop):
                self._exc_info = ex
            self._stop_event.set()

    def clear_stop(self) -> None:
        with self._lock:
            self._stop_event.clear()
            self._exc_info = None

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    def wait_for_stop(self, timeout=None) -> bool:
        return self._stop_event.wait(timeout)

    def register_thread(self, thread) -> None:
        with self._lock:
            self._threads.append(thread)

    def raise_requested_exception(self) -> None:
        if self._exc_info is not None:
            raise self._exc_info

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False) -> None:
        threads = list(threads or []) + self._threads
        if threads:
            self._stop_event.wait()
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive()]
        self.raise_requested_exception()
        if alive and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {alive}")

    def stop_on_exception(self):
        coord = self

        class _Guard:
            def __enter__(self):
                return coord

            def __exit__(self, exc_type, exc, tb):
                if exc is not None:
                    coord.request_stop(exc)
                return exc is not None

        return _Guard()


def _single(graph, key: str, build):
    """The one item of collection `key`, built and stored by `build()` when empty."""
    items = graph.get_collection(key)
    if len(items) > 1:
        raise RuntimeError(
            f"More than one item in the collection {key}. Please indicate "
            "which one to use by passing it to the constructor."
        )
    if items:
        return items[0]
    item = build()
    if item is not None:
        graph.add_to_collection(key, item)
    return item


class Scaffold:
    """The ops a monitored session needs, defaulted from collections by `finalize()`."""

    def __init__(
        self,
        init_op=None,
        init_feed_dict=None,
        init_fn=None,
        ready_op=None,
        ready_for_local_init_op=None,
        local_init_op=None,
        summary_op=None,
        saver=None,
        copy_from_scaffold=None,
    ):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            init_op = init_op or copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold._init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op or copy_from_scaffold.ready_op
            ready_for_local_init_op = (
                ready_for_local_init_op or copy_from_scaffold.ready_for_local_init_op
            )
            local_init_op = local_init_op or copy_from_scaffold.local_init_op
            summary_op = summary_op or copy_from_scaffold.summary_op
            saver = saver or copy_from_scaffold.saver
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._user_init_fn = init_fn
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._summary_op = summary_op
        self._saver = saver
        self._finalized = False

    def finalize(self):
        """Builds the missing ops from the graph's collections, then finalizes the graph."""
        if self._finalized:
            return self
        graph = get_default_graph()
        if self._init_op is None:
            self._init_op = _single(
                graph, GraphKeys.INIT_OP, lambda: group(global_variables_initializer())
            )
        if self._ready_op is None:
            self._ready_op = _single(graph, GraphKeys.READY_OP, report_uninitialized_variables)
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = _single(
                graph,
                GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: report_uninitialized_variables(global_variables()),
            )
        if self._local_init_op is None:
            self._local_init_op = _single(
                graph, GraphKeys.LOCAL_INIT_OP, lambda: group(local_variables_initializer())
            )
        if self._summary_op is None:
            self._summary_op = _single(graph, GraphKeys.SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = _single(
                graph, GraphKeys.SAVERS, lambda: Saver(sharded=True, allow_empty=True)
            )
        graph.finalize()
        self._finalized = True
        return self

    @property
    def init_op(self):
        return self._init_op

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @property
    def init_fn(self):
        if self._user_init_fn is None:
            return None
        return lambda sess: self._user_init_fn(self, sess)

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver

    @staticmethod
    def default_local_init_op():
        return group(local_variables_initializer())


def _uninitialized(sess, op) -> list[str]:
    if op is None:
        return []
    return [n.decode() if isinstance(n, bytes) else str(n) for n in sess.run(op).ravel()]


def _where(names: list[str], limit: int | None = None) -> str:
    """Uninitialized variable names with the tasks that hold them (the first `limit`)."""
    graph = get_default_graph()
    parts = []
    more = len(names) - limit if limit is not None and len(names) > limit else 0
    for name in names[: len(names) - more]:
        try:
            device = graph.get_operation_by_name(name).device
        except KeyError:
            device = ""
        parts.append(f"{name} (on {device})" if device else name)
    return ", ".join(parts) + (f" and {more} more" if more else "")


class SessionCreator:
    """Makes the tf.Session a MonitoredSession wraps."""

    def create_session(self):
        raise NotImplementedError


RESTORE_POLICIES = ("lost", "all")


class ChiefSessionCreator(SessionCreator):
    """The chief's session: restored from the latest checkpoint in `checkpoint_dir` when
    there is one, else initialized by the scaffold's init op and init_fn.

    `restore_policy` (a psflow extension) says what a checkpoint restores when the session
    is created on a cluster whose tasks still hold some variables: "lost" (the default)
    restores only the devices whose variables are uninitialized -- a parameter server that
    was restarted comes back empty, and only its shard is rolled back to the checkpoint,
    while the other PS tasks keep their newer values and the global step goes on if its PS
    survived; with nothing uninitialized (a new driver attaching to a live cluster) nothing
    is restored. "all" is TF1's behaviour: every variable from the checkpoint, every time.
    A fresh model (everything uninitialized) is restored whole under both."""

    def __init__(
        self,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        checkpoint_filename_with_path=None,
        restore_policy="lost",
    ):
        if restore_policy not in RESTORE_POLICIES:
            raise ValueError(
                f"restore_policy must be one of {RESTORE_POLICIES}, got {restore_policy!r}"
            )
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._restore_policy = restore_policy

    def create_session(self):
        scaffold = self._scaffold.finalize()
        sess = Session(self._master, graph=get_default_graph(), config=self._config)
        try:
            path = self._checkpoint_filename_with_path
            if path is None and self._checkpoint_dir:
                state = get_checkpoint_state(self._checkpoint_dir)
                path = state.model_checkpoint_path if state is not None else None
            if path is not None:
                self._restore(sess, scaffold, path)
                scaffold.saver.recover_last_checkpoints(
                    get_checkpoint_state(self._checkpoint_dir).all_model_checkpoint_paths
                    if self._checkpoint_dir
                    else [path]
                )
            else:
                if scaffold.init_op is None and scaffold.init_fn is None:
                    raise RuntimeError(
                        "Model is not initialized and no init_op or init_fn "
                        "or local_init_op was given"
                    )
                if scaffold.init_op is not None:
                    sess.run(scaffold.init_op, feed_dict=scaffold.init_feed_dict)
                if scaffold.init_fn is not None:
                    scaffold.init_fn(sess)
            not_ready = _uninitialized(sess, scaffold.ready_for_local_init_op)
            if not_ready:
                raise RuntimeError(
                    "Init operations did not make model ready for local_init. "
                    f"Init op: {scaffold.init_op.name}, not ready: "
                    f"{_where(not_ready)}"
                )
            if scaffold.local_init_op is not None:
                sess.run(scaffold.local_init_op)
            not_ready = _uninitialized(sess, scaffold.ready_op)
            if not_ready:
                raise RuntimeError(
                    "Init operations did not make model ready. Init op: "
                    f"{scaffold.init_op.name}, not ready: {_where(not_ready)}"
                )
        except BaseException:
            sess.close()
            raise
        return sess

    def _restore(self, sess, scaffold, path) -> None:
        missing = None
        if self._restore_policy == "lost" and scaffold.ready_op is not None:
            missing = _uninitialized(sess, scaffold.ready_op)
            saved = {v.op.name for _, v in scaffold.saver._items}
            if saved <= set(missing):
                missing = None  # a fresh model: restore it whole
        if missing is None:
            log.info("Restoring parameters from %s", path)
            scaffold.saver.restore(sess, path)
            return
        if not missing:
            log.info(
                "every variable is initialized on the cluster; not restoring from %s "
                "(restore_policy='lost')",
                path,
            )
            return
        restored = scaffold.saver.restore_variables(sess, path, missing)
        step = _ckpt.checkpoint_step(path)
        if restored:
            devices = sorted(
                {get_default_graph().get_operation_by_name(n).device for n in restored}
            )
            log.warning(
                "restored %d variables of %s (lost by a restarted task) from %s "
                "(step %s); the other tasks kept their values",
                len(restored),
                ", ".join(d or "(no device)" for d in devices),
                path,
                "unknown" if step is None else step,
            )


class WorkerSessionCreator(SessionCreator):
    """A non-chief's session: waits (at most `max_wait_secs`) until the chief made the model
    ready, then runs the local init op. It never initializes or restores shared state."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        scaffold = self._scaffold.finalize()
        deadline = time.monotonic() + self._max_wait_secs
        while True:
            sess = Session(self._master, graph=get_default_graph(), config=self._config)
            try:
                not_ready = _uninitialized(sess, scaffold.ready_for_local_init_op)
                if not not_ready:
                    if scaffold.local_init_op is not None:
                        sess.run(scaffold.local_init_op)
                    not_ready = _uninitialized(sess, scaffold.ready_op)
                    if not not_ready:
                        return sess
            except BaseException:
                sess.close()
                raise
            sess.close()
            if time.monotonic() >= deadline:
                raise errors.DeadlineExceededError(
                    None,
                    None,
                    f"Session was not ready after waiting {self._max_wait_secs} secs: the "
                    f"chief has not initialized {_where(not_ready)}",
                )
            log.info("Waiting for model to be ready. Not ready: %s", _where(not_ready, limit=3))
            time.sleep(min(READY_POLL_SECS, max(0.0, deadline - time.monotonic())))


class StepContext:
    """What a `run_step_fn` step function gets: the raw session, a hooked run, a stop."""

    def __init__(self, session, run_with_hooks_fn):
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        raise StopIteration("step_fn has called request_stop()")


def _merge_options(options_list):
    merged = None
    for options in options_list:
        if options is None:
            continue
        if merged is None:
            merged = type(options)()
            merged.CopyFrom(options)
            continue
        merged.trace_level = max(merged.trace_level, options.trace_level)
        merged.timeout_in_ms = max(merged.timeout_in_ms, options.timeout_in_ms)
    return merged


class _MonitoredSession:
    """The machinery of MonitoredSession and SingularMonitoredSession."""

    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph = get_default_graph()
        self._graph_was_finalized = self._graph.finalized
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._creator = session_creator or ChiefSessionCreator()
        self._should_recover = should_recover
        self._stop_grace_period_secs = stop_grace_period_secs
        self._sess = None
        self._coord = None
        self._stop_requested = False
        self._closed = False
        self._create_session()

    # Session creation and recovery -------------------------------------------------------
    def _create_session(self) -> None:
        while True:
            try:
                sess = self._creator.create_session()
                coord = Coordinator(clean_stop_exception_types=[])
                for hook in self._hooks:
                    hook.after_create_session(sess, coord)
                self._sess, self._coord = sess, coord
                return
            except _PREEMPTION_ERRORS as err:
                if not self._should_recover:
                    raise
                log.info(
                    "An error was raised while a session was being created. This may be "
                    "due to a preemption of a connected worker or parameter server. A "
                    "new session will be created. Error: %s",
                    err,
                )

    def _drop_session(self) -> None:
        sess, self._sess = self._sess, None
        if sess is not None:
            try:
                sess.close()
            except Exception as err:  # a lost task may fail the close too
                log.info("Closing the lost session failed: %s", err)

    def _recovering(self, fn):
        while True:
            if self._sess is None:
                self._create_session()
            try:
                return fn()
            except _PREEMPTION_ERRORS as err:
                if not self._should_recover:
                    raise
                log.info(
                    "An error was raised. This may be due to a preemption in a connected "
                    "worker or parameter server. The current session will be closed and "
                    "a new session will be created. Error: %s",
                    err,
                )
                self._drop_session()

    # Running -----------------------------------------------------------------------------
    @property
    def graph(self):
        return self._graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs `fetches` with every hook's before_run/after_run around it."""
        return self._recovering(lambda: self._hooked_run(fetches, feed_dict, options, run_metadata))

    def _hooked_run(self, fetches, feed_dict, options, run_metadata):
        if self._stop_requested:
            raise RuntimeError("Run called even after should_stop requested.")
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict), self._sess)
        actual_fetches = {"caller": fetches}
        feeds = dict(feed_dict or {})
        user_feeds = set(feeds)
        hook_feeds: set = set()
        requests = {}
        for n, hook in enumerate(self._hooks):
            request = hook.before_run(context)
            if request is None:
                continue
            requests[n] = request
            if request.fetches is not None:
                actual_fetches[f"hook_{n}"] = request.fetches
            for key, value in (request.feed_dict or {}).items():
                if key in hook_feeds:
                    raise RuntimeError(f"Same tensor is fed by two hooks: {key}")
                if key in user_feeds:
                    raise RuntimeError(f"Same tensor is fed by a SessionRunHook and user: {key}")
                hook_feeds.add(key)
                feeds[key] = value
        merged = _merge_options([options] + [r.options for r in requests.values()])
        if merged is not None and run_metadata is None and merged.trace_level:
            from tensorboard.compat.proto import config_pb2

            run_metadata = config_pb2.RunMetadata()
        outputs = self._sess.run(
            actual_fetches, feed_dict=feeds or None, options=merged, run_metadata=run_metadata
        )
        for n, hook in enumerate(self._hooks):
            hook.after_run(
                context,
                SessionRunValues(
                    results=outputs.get(f"hook_{n}"), options=merged, run_metadata=run_metadata
                ),
            )
        if context.stop_requested:
            self._stop_requested = True
        return outputs["caller"]

    def run_step_fn(self, step_fn):
        """Runs `step_fn(step_context)` with recovery; `step_context.request_stop()` ends the
        loop (should_stop() is then True) and returns None."""
        params = list(inspect.signature(step_fn).parameters)
        if params not in (["step_context"], ["self", "step_context"]):
            raise ValueError(
                "`step_fn` may either have one `step_context` argument, or "
                f"`self` and `step_context` arguments if it's an instance "
                f"method. Got {params} instead."
            )

        def step():
            try:
                return step_fn(StepContext(self._sess, self.run))
            except StopIteration:
                self._stop_requested = True
                return None

        return self._recovering(step)

    def should_stop(self) -> bool:
        if self._stop_requested or self._closed:
            return True
        return self._coord is not None and self._coord.should_stop()

    # Closing -----------------------------------------------------------------------------
    def close(self) -> None:
        self._close_internal(None)

    def _close_internal(self, exception_type) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if exception_type is None and self._sess is not None:
                for hook in self._hooks:
                    hook.end(self._sess)
        finally:
            try:
                if self._coord is not None:
                    self._coord.request_stop()
                    self._coord.join(
                        stop_grace_period_secs=self._stop_grace_period_secs,
                        ignore_live_threads=True,
                    )
            finally:
                self._drop_session()
                if not self._graph_was_finalized:
                    self._graph._unsafe_unfinalize()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None


class MonitoredSession(_MonitoredSession):
    """A session with hooks that recovers from AbortedError and UnavailableError."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(
            session_creator,
            hooks,
            should_recover=True,
            stop_grace_period_secs=stop_grace_period_secs,
        )


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession for a single process: a chief that does not recover."""

    def __init__(
        self,
        hooks=None,
        scaffold=None,
        master="",
        config=None,
        checkpoint_dir=None,
        stop_grace_period_secs=120,
        checkpoint_filename_with_path=None,
    ):
        creator = ChiefSessionCreator(
            scaffold=scaffold,
            master=master,
            config=config,
            checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
        )
        super().__init__(
            creator, hooks, should_recover=False, stop_grace_period_secs=stop_grace_period_secs
        )

    def raw_session(self):
        return self._sess


def MonitoredTrainingSession(  # noqa: N802 - TF's name (a function, as in TF)
    master="",
    is_chief=True,
    checkpoint_dir=None,
    scaffold=None,
    hooks=None,
    chief_only_hooks=None,
    save_checkpoint_secs=USE_DEFAULT,
    save_summaries_steps=USE_DEFAULT,
    save_summaries_secs=USE_DEFAULT,
    config=None,
    stop_grace_period_secs=120,
    log_step_count_steps=100,
    max_wait_secs=7200,
    save_checkpoint_steps=USE_DEFAULT,
    summary_dir=None,
    *,
    restore_policy="lost",
):
    """A MonitoredSession for training: the chief initializes or restores the model and runs
    the step-counter, summary and checkpoint hooks; non-chiefs wait for the chief.
    `restore_policy` (psflow): see ChiefSessionCreator."""
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    if not is_chief:
        creator = WorkerSessionCreator(
            scaffold=scaffold, master=master, config=config, max_wait_secs=max_wait_secs
        )
        return MonitoredSession(
            session_creator=creator,
            hooks=hooks or [],
            stop_grace_period_secs=stop_grace_period_secs,
        )
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(
        scaffold=scaffold,
        checkpoint_dir=checkpoint_dir,
        master=master,
        config=config,
        restore_policy=restore_policy,
    )
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(
                StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps)
            )
        if (save_summaries_steps and save_summaries_steps > 0) or (
            save_summaries_secs and save_summaries_secs > 0
        ):
            all_hooks.append(
                SummarySaverHook(
                    scaffold=scaffold,
                    save_steps=save_summaries_steps,
                    save_secs=save_summaries_secs,
                    output_dir=summary_dir,
                )
            )
    if checkpoint_dir and (
        (save_checkpoint_secs and save_checkpoint_secs > 0)
        or (save_checkpoint_steps and save_checkpoint_steps > 0)
    ):
        all_hooks.append(
            CheckpointSaverHook(
                checkpoint_dir,
                save_steps=save_checkpoint_steps,
                save_secs=save_checkpoint_secs,
                scaffold=scaffold,
            )
        )
    all_hooks.extend(hooks or [])
    return MonitoredSession(
        session_creator=creator, hooks=all_hooks, stop_grace_period_secs=stop_grace_period_secs
    )
