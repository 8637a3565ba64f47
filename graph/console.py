"""What psflow shows people: its log lines and its progress bars.

Log lines: psflow's own messages go through the `logging` module under the `psflow` logger,
in one format (`LOG_FORMAT`); the command line (`use_console_logging`) and the client host
of a worker task (workers/client.py) print them so. Progress for long operations (cluster
start, compiling a step graph, saving and restoring large checkpoints and moving their
shards, training in `psflow submit`) is drawn by tqdm on stderr: on when stderr is a
terminal; `PSFLOW_PROGRESS=1` turns it on anywhere (a log file gets a line every few
seconds), `PSFLOW_PROGRESS=0` off everywhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

LOG_FORMAT = "%(asctime)s psflow %(levelname)s %(message)s"
LOG_DATE_FORMAT = "%H:%M:%S"


def get_logger() -> logging.Logger:
    """The `psflow` logger (`tf.get_logger()`)."""
    return logging.getLogger("psflow")


def formatter() -> logging.Formatter:
    return logging.Formatter(LOG_FORMAT, LOG_DATE_FORMAT)


def use_console_logging(verbose: bool = False) -> None:
    """psflow's messages (INFO and up; DEBUG with `verbose`) to stderr in LOG_FORMAT; Ray's
    own logging kept to errors unless `verbose`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    log = logging.getLogger("psflow")
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    logging.getLogger("ray").setLevel(logging.INFO if verbose else logging.ERROR)


def enabled() -> bool:
    flag = os.environ.get("PSFLOW_PROGRESS", "")
    if flag in ("0", "1"):
        return flag == "1"
    return sys.stderr.isatty()


class _Off:
    """What `bar` returns when progress is off: the same calls, doing nothing."""

    n = 0

    def update(self, n=1) -> None:
        self.n += n

    def write(self, text: str) -> None:
        print(text, flush=True)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


class _Bar:
    """A tqdm bar, and `write` for lines printed while it is drawn: above the bar on a
    terminal, plainly to stdout otherwise (a log file gets the bar's updates on stderr)."""

    def __init__(self, tqdm_bar, interactive: bool):
        self._bar = tqdm_bar
        self._interactive = interactive

    @property
    def n(self):
        return self._bar.n

    def update(self, n=1) -> None:
        self._bar.update(n)

    def write(self, text: str) -> None:
        if self._interactive:
            self._bar.write(text)
        else:
            print(text, flush=True)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bar(total=None, desc: str = "", unit: str = "it", **kwargs):
    """A progress bar on stderr (a context manager), or a stand-in when progress is off."""
    if not enabled():
        return _Off()
    from tqdm import tqdm

    interactive = sys.stderr.isatty()
    drawn = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        dynamic_ncols=interactive,
        ncols=None if interactive else 100,
        mininterval=0.1 if interactive else 2.0,
        leave=True,
        **kwargs,
    )
    return _Bar(drawn, interactive)


@contextlib.contextmanager
def activity(desc: str, delay: float = 1.0):
    """For an operation with nothing to count (a compile, a checkpoint written by the
    parameter servers): a line with its elapsed time, drawn once it has taken `delay`
    seconds and refreshed every half second until it ends."""
    if not enabled():
        yield
        return
    from tqdm import tqdm

    drawn = tqdm(
        total=None, desc=desc, file=sys.stderr, delay=delay, bar_format="{desc}: {elapsed}"
    )
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            drawn.refresh()

    ticker = threading.Thread(target=tick, daemon=True, name="psflow-activity")
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        drawn.close()
