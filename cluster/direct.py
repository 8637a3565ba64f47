"""Direct calls: a client process calls the stages of a task on its own node over a Unix
socket, instead of through a Ray actor call.

Measured here with 1 MB each way (a PS handing its weights to a worker and taking its
gradients back): a Ray actor call round trip 4.0 ms, this 0.5 ms. A Ray call of that size
goes through task submission, the object store (returns above 100 KB) and a pickle on
each side; here the arrays go out of the numpy buffers they live in (`sendmsg`, no copy)
and land in arrays allocated for them (`recv_into`), behind a small msgpack skeleton.

Used by between-graph clients hosted in a worker task (their step is a chain: read the
variables on the PS, compute here, apply on the PS), for the tasks on their own node. A
task serves direct calls on an abstract Unix socket (Linux; a socket file elsewhere) that
it opens on the first `direct_address()` request, one thread per connection. Its stage
runs, by Ray calls or direct ones, take one lock (`run_lock`), so a PS applies updates one
at a time as on the Ray path. Errors cross as (tf error code, op name, message) and are
raised again as the same tf.errors class; a lost connection is UnavailableError naming the
task, a call without an answer within the timeout DeadlineExceededError.

Messages: a 5-byte frame (kind, skeleton length), the msgpack skeleton, then the raw bytes
of each numeric array the skeleton refers to, in order.
"""

from __future__ import annotations

import math
import select
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid

import msgpack
import numpy as np
from psflow.graph import errors as tf_errors, wire

_FRAME = struct.Struct("<BI")  # kind, skeleton bytes
_OK, _ERROR = 0, 1
_ARRAY = 7  # msgpack ext: a numeric array sent out of band, [dtype, shape]
_WIRE = 8  # msgpack ext: any other value graph/wire.py packs (object arrays)
_IOV_MAX = 1024  # buffers one sendmsg takes at most (Linux's IOV_MAX)
# Arrays follow the skeleton each padded to _ALIGN bytes, so the receiver reads them all
# with one recv into one buffer and makes each an aligned view of it.
_ALIGN = 16
_PAD = memoryview(bytes(_ALIGN))
_HEADERS: dict = {}  # (dtype, shape) -> its packed ExtType: most arrays repeat their shapes
_SPECS: dict = {}  # and back: packed header -> (dtype, shape)
SOCKET_BUFFER = 4 << 20  # per direction; 1 MB messages went ~25% faster than with the default


def _encode(obj) -> tuple[bytes, list]:
    buffers: list = []

    def default(value):
        if isinstance(value, np.generic):
            value = np.asarray(value)
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                return msgpack.ExtType(_WIRE, wire.pack(value))
            if not value.flags.c_contiguous:  # (ascontiguousarray would make 0-d 1-d)
                value = value.copy(order="C")
            if value.nbytes:
                buffers.append(memoryview(value).cast("B"))
                if value.nbytes % _ALIGN:
                    buffers.append(_PAD[: _ALIGN - value.nbytes % _ALIGN])
            key = (value.dtype.str, value.shape)
            header = _HEADERS.get(key)
            if header is None:
                if len(_HEADERS) > 4096:
                    _HEADERS.clear()
                header = _HEADERS[key] = msgpack.ExtType(
                    _ARRAY, msgpack.packb([value.dtype.str, list(value.shape)])
                )
            return header
        return msgpack.ExtType(_WIRE, wire.pack(value))

    return msgpack.packb(obj, default=default, use_bin_type=True), buffers


def _send(sock: socket.socket, kind: int, obj) -> None:
    skeleton, buffers = _encode(obj)
    parts = [memoryview(_FRAME.pack(kind, len(skeleton))), memoryview(skeleton), *buffers]
    first = 0  # parts before this one went out whole
    while first < len(parts):
        sent = sock.sendmsg(parts[first : first + _IOV_MAX])
        while first < len(parts) and sent >= parts[first].nbytes:  # a write may stop short
            sent -= parts[first].nbytes
            first += 1
        if sent:
            parts[first] = parts[first][sent:]


def _recv_into(sock: socket.socket, view: memoryview) -> None:
    got, n = 0, len(view)
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            raise ConnectionResetError("the connection was closed")
        got += k


def _recv(sock: socket.socket):
    frame = bytearray(_FRAME.size)
    _recv_into(sock, memoryview(frame))
    kind, size = _FRAME.unpack(frame)
    skeleton = bytearray(size)
    _recv_into(sock, memoryview(skeleton))
    arrays: list[np.ndarray] = []

    def ext_hook(code, data):
        if code == _ARRAY:
            spec = _SPECS.get(data)
            if spec is None:
                if len(_SPECS) > 4096:
                    _SPECS.clear()
                dtype, shape = msgpack.unpackb(data)
                spec = _SPECS[data] = (np.dtype(dtype), tuple(shape))
            arr = _Pending(*spec)
            arrays.append(arr)
            return arr
        if code == _WIRE:
            return wire.unpack(data)
        return msgpack.ExtType(code, data)

    obj = msgpack.unpackb(skeleton, ext_hook=ext_hook, raw=False, strict_map_key=False)
    if not arrays:
        return kind, obj
    total = sum(-(-a.nbytes // _ALIGN) * _ALIGN for a in arrays)
    data = np.empty(total, np.uint8)
    if total:
        _recv_into(sock, memoryview(data))
    offset, made = 0, {}
    for a in arrays:
        made[id(a)] = data[offset : offset + a.nbytes].view(a.dtype).reshape(a.shape)
        offset += -(-a.nbytes // _ALIGN) * _ALIGN
    return kind, _fill(obj, made)


class _Pending:
    """An array of the message whose bytes follow the skeleton."""

    __slots__ = ("dtype", "shape", "nbytes")

    def __init__(self, dtype: np.dtype, shape: tuple):
        self.dtype, self.shape = dtype, shape
        self.nbytes = math.prod(shape) * dtype.itemsize


def _fill(obj, made: dict):
    """`obj` with each _Pending replaced by its array."""
    if isinstance(obj, _Pending):
        return made[id(obj)]
    if isinstance(obj, list):
        return [_fill(v, made) for v in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, made) for k, v in obj.items()}
    return obj


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)


def _error_to_wire(err: BaseException) -> list:
    if isinstance(err, tf_errors.OpError):
        return [err.error_code, err.node_def, err.message]
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return [tf_errors.INTERNAL, None, text]


def _error_from_wire(data) -> tf_errors.OpError:
    code, node_def, message = data
    return tf_errors.exception_type_from_error_code(code)(node_def, None, message)


class DirectServer:
    """Serves direct calls for a task: `run(header, args)` runs one stage call."""

    def __init__(self, run):
        self._run = run
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        name = f"psflow-{uuid.uuid4().hex}"
        if sys.platform.startswith("linux"):
            self.address = f"\0{name}"  # abstract: gone with the process, no file to clean
        else:
            self.address = f"{tempfile.gettempdir()}/{name}.sock"
        self._sock.bind(self.address)
        self._sock.listen()
        threading.Thread(target=self._accept, name="psflow-direct", daemon=True).start()

    def _accept(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            _tune(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    _, (header, args) = _recv(conn)
                except (ConnectionError, OSError):
                    return
                try:
                    reply = (_OK, self._run(header, args))
                except BaseException as err:  # noqa: BLE001 -- every failure goes back to the caller
                    reply = (_ERROR, _error_to_wire(err))
                try:
                    _send(conn, *reply)
                except (ConnectionError, OSError):
                    return


class DirectChannel:
    """A client's connection to one task's DirectServer. Thread-safe. A call can be sent
    (`submit`) and its answer taken later (`result`), so the client works meanwhile; the
    task answers calls in the order they came. While waiting for an answer, `alive()` is
    called every `check_every` seconds (it raises when the task is gone); each wait is
    bounded by `timeout`."""

    def __init__(self, task: str, address: str, timeout: float, alive=None, check_every=5.0):
        self.task = task
        self._address = address
        self._timeout = timeout
        self._alive = alive
        self._check_every = check_every
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._connection = 0  # bumped per connection: calls sent on an older one are lost
        self._sent = 0  # calls sent on this connection
        self._answered = 0  # answers read on it
        self._answers: dict[int, tuple] = {}  # answers read before their caller asked

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _tune(sock)
        sock.settimeout(self._timeout)
        try:
            sock.connect(self._address)
        except OSError as err:
            sock.close()
            raise self._lost(err) from None
        return sock

    def _lost(self, err) -> tf_errors.OpError:
        return tf_errors.UnavailableError(
            None, None, f"Task {self.task} is unavailable: its connection failed ({err})"
        )

    def call(self, header: str, args: list):
        """Runs a stage call on the task; returns what its `run_stage` returned."""
        return self.result(self.submit(header, args))

    def submit(self, header: str, args: list) -> tuple[int, int]:
        """Sends a stage call; returns the ticket `result` takes."""
        with self._lock:
            if self._sock is None:
                self._sock = self._connect()
                self._connection += 1
                self._sent = self._answered = 0
                self._answers.clear()
            try:
                _send(self._sock, _OK, [header, args])
            except (ConnectionError, OSError) as err:
                self._drop()
                raise self._lost(err) from None
            self._sent += 1
            return self._connection, self._sent - 1

    def result(self, ticket: tuple[int, int]):
        """What the call of `ticket` returned (its error raised)."""
        connection, number = ticket
        with self._lock:
            while True:
                if connection != self._connection or self._sock is None:
                    raise self._lost("the connection was closed")
                if number in self._answers:
                    kind, reply = self._answers.pop(number)
                    break
                try:
                    self._await_reply()
                    self._answers[self._answered] = _recv(self._sock)
                except TimeoutError:
                    self._drop()
                    raise tf_errors.DeadlineExceededError(
                        None, None, f"Task {self.task} did not answer within {self._timeout} s"
                    ) from None
                except (ConnectionError, OSError) as err:
                    self._drop()
                    raise self._lost(err) from None
                self._answered += 1
        if kind == _ERROR:
            raise _error_from_wire(reply)
        return reply

    def _await_reply(self) -> None:
        """Waits until the answer starts arriving, checking the task is alive meanwhile."""
        deadline = time.monotonic() + self._timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            readable, _, _ = select.select([self._sock], [], [], min(self._check_every, left))
            if readable:
                return
            if self._alive is not None:
                try:
                    self._alive()
                except BaseException:
                    self._drop()
                    raise

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
