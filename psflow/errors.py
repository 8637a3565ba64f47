"""`tf.errors`: re-exports of psflow.graph.errors."""

from psflow.graph.errors import *  # noqa: F403
from psflow.graph.errors import (  # noqa: F401
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    DataLossError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OpError,
    OutOfRangeError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    UnknownError,
    error_code_from_exception_type,
    exception_type_from_error_code,
)


class _Status:
    """What TF 1.0's C API filled in: a code and a message (OK is 0)."""

    def __init__(self):
        self.code = 0
        self.message = ""


class raise_exception_on_not_ok_status:  # noqa: N801 - TF's name
    """`tf.errors.raise_exception_on_not_ok_status()` (TF 1.0): yields a status object; on
    leaving, a non-OK status raises the tf.errors class of its code."""

    def __enter__(self):
        self._status = _Status()
        return self._status

    def __exit__(self, exc_type, exc, tb):
        if exc is None and self._status.code != 0:
            cls = exception_type_from_error_code(self._status.code)
            raise cls(None, None, self._status.message)
        return False
