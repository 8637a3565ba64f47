"""The client host: runs a user's training function inside a worker task's process, as a
between-graph TF1 client runs beside its worker task (`Cluster.run`).

The function gets the task's `TF_CONFIG` in the environment, a fresh default graph (a TF1
script assumes a new process), and its printed output is kept, line by line, for the
caller to collect while it runs (`drain_output`) and show under the task's name, with
psflow's log lines (graph/console.py's format). A client
can be asked to stop: its sessions then fail their next step with CancelledError
(`check_stop`), so a training loop ends promptly when another task's client failed.
Plain Python, no ray: cluster/actors.py calls it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading

from psflow.graph import console, errors
from psflow.graph.framework import Graph

_stop = threading.Event()


def request_stop() -> bool:
    """Asks the client running in this process to stop at its next step."""
    _stop.set()
    return True


def check_stop() -> None:
    """Raises CancelledError when this process's client was asked to stop."""
    if _stop.is_set():
        raise errors.CancelledError(None, None, "The client was stopped: another task failed")


class _Lines(io.TextIOBase):
    """A text stream that keeps what is written until the caller drains it."""

    def __init__(self):
        self._text: list[str] = []
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        with self._lock:
            self._text.append(s)
        return len(s)

    def drain(self, complete_lines: bool = True) -> str:
        """What was written since the last drain (up to the last newline, unless
        `complete_lines` is False)."""
        with self._lock:
            text = "".join(self._text)
            cut = text.rfind("\n") + 1 if complete_lines else len(text)
            self._text = [text[cut:]] if text[cut:] else []
        return text[:cut]


_output = _Lines()


def drain_output() -> str:
    """The complete lines the client printed since the last call."""
    return _output.drain()


def run_client(fn, args: tuple, kwargs: dict, tf_config: str) -> tuple[object, str]:
    """Runs `fn(*args, **kwargs)` as this task's client. Returns (its return value, what it
    printed that was not drained yet); an exception propagates after the environment is
    restored (its output stays for `drain_output`)."""
    _stop.clear()
    _output.drain(complete_lines=False)
    previous = os.environ.get("TF_CONFIG")
    os.environ["TF_CONFIG"] = tf_config
    log = logging.getLogger("psflow")
    saved = (log.handlers[:], log.level, log.propagate)
    handler = logging.StreamHandler(_output)  # psflow's log lines, with the printed ones
    handler.setFormatter(console.formatter())
    log.handlers[:], log.propagate = [handler], False
    log.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(_output), Graph().as_default():
            value = fn(*args, **kwargs)
    finally:
        log.handlers[:], log.level, log.propagate = saved
        if previous is None:
            os.environ.pop("TF_CONFIG", None)
        else:
            os.environ["TF_CONFIG"] = previous
    return value, _output.drain(complete_lines=False)
