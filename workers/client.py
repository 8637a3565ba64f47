"""The client host: runs a user's training function inside a worker task's process, as a
between-graph TF1 client runs beside its worker task (`Cluster.run`).

The function gets the task's `TF_CONFIG` in the environment, a fresh default graph (a TF1
script assumes a new process), and its printed output is kept, line by line, for the
caller to show under the task's name. A client can be asked to stop: its sessions then
fail their next step with CancelledError (`check_stop`), so a training loop ends promptly
when another task's client failed. Plain Python, no ray: cluster/actors.py calls it.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading

from psflow.graph import errors
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
    """A text stream that keeps what is written, for the caller to print prefixed."""

    def __init__(self):
        self.text: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text.append(s)
        return len(s)


def run_client(fn, args: tuple, kwargs: dict, tf_config: str) -> tuple[object, str]:
    """Runs `fn(*args, **kwargs)` as this task's client. Returns (its return value, what it
    printed); an exception propagates after the environment is restored."""
    _stop.clear()
    previous = os.environ.get("TF_CONFIG")
    os.environ["TF_CONFIG"] = tf_config
    out = _Lines()
    try:
        with contextlib.redirect_stdout(out), Graph().as_default():
            value = fn(*args, **kwargs)
    finally:
        if previous is None:
            os.environ.pop("TF_CONFIG", None)
        else:
            os.environ["TF_CONFIG"] = previous
    return value, "".join(out.text)
