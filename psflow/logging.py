"""`tf.logging`: TF1's logging functions, on the `psflow` logger (graph/console.py's format).
As in TF1, a program that configured no logging gets a handler on stderr on first use."""

import logging as _logging
import sys as _sys

from psflow.graph import console as _console

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL
_counts: dict = {}


def _logger() -> _logging.Logger:
    log = _logging.getLogger("psflow")
    if not log.handlers and not _logging.getLogger().handlers:
        handler = _logging.StreamHandler(_sys.stderr)
        handler.setFormatter(_console.formatter())
        log.addHandler(handler)
        log.propagate = False
    return log


def log(level, msg, *args, **kwargs):
    _logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    log(DEBUG, msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    log(INFO, msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    log(WARN, msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs):
    log(ERROR, msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    log(FATAL, msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    log(level, msg, *args, **kwargs)


def log_if(level, msg, condition, *args):
    if condition:
        log(level, msg, *args)


def _caller_key():
    frame = _sys._getframe(2)
    return (frame.f_code.co_filename, frame.f_lineno)


def log_every_n(level, msg, n, *args):
    """Logs on the 1st, (n+1)th, (2n+1)th... call from the same line."""
    key = _caller_key()
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    log_if(level, msg, count % n == 0, *args)


def log_first_n(level, msg, n, *args):
    """Logs the first n calls from the same line."""
    key = _caller_key()
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    log_if(level, msg, count < n, *args)


def set_verbosity(v):
    _logger().setLevel(v)


def get_verbosity():
    return _logger().getEffectiveLevel()


def flush():
    for handler in _logger().handlers:
        handler.flush()


def TaskLevelStatusMessage(msg):  # noqa: N802 - TF1's name
    error(msg)
