"""Where checkpoint files live: a local path, a URI of any filesystem fsspec reaches
(`s3://`, `gs://`, `hdfs://`, `file://`, ...: the scheme's fsspec backend must be
installed), or a spool file on the task that runs the op.

A spool path `psflow-spool://TOKEN/NAME` names a file in this process's own temporary
directory. It is how a checkpoint shard travels between a parameter server and a chief
that share no filesystem: the server writes its shard to a spool file and the chief reads
it back in bounded chunks through ops colocated with the server (restore mirrors it).

Local files are written unbuffered and fsynced before the rename that publishes them; a
URI's file is written under a temporary name and moved (an object store's put is atomic).
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import re
import shutil
import tempfile
import threading

import numpy as np

from .errors import InvalidArgumentError, UnimplementedError

SPOOL = "psflow-spool://"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SPOOL_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


def is_uri(path: str) -> bool:
    """True for a URI (`scheme://...`) other than a spool path."""
    return bool(_URI.match(path)) and not path.startswith(SPOOL)


def spool_path(token: str, name: str) -> str:
    return f"{SPOOL}{token}/{name}"


def spool_root() -> str:
    return os.path.join(tempfile.gettempdir(), f"psflow-spool-{os.getuid()}")


def _local(path: str) -> str:
    """The local file a spool path names (a local path as it is)."""
    if not path.startswith(SPOOL):
        return path
    parts = path[len(SPOOL) :].split("/")
    if len(parts) != 2 or not all(_SPOOL_NAME.match(p) for p in parts):
        raise InvalidArgumentError(None, None, f"Not a spool file: {path!r}")
    return os.path.join(spool_root(), *parts)


def drop_spool(token: str) -> None:
    """Removes the spool files of `token` on this task."""
    if not _SPOOL_NAME.match(token):
        raise InvalidArgumentError(None, None, f"Not a spool token: {token!r}")
    shutil.rmtree(os.path.join(spool_root(), token), ignore_errors=True)


def _fs(path: str):
    """(fsspec filesystem, path within it) of a URI."""
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec is a dependency
        raise UnimplementedError(None, None, f"File system for {path} needs fsspec") from None
    try:
        return fsspec.core.url_to_fs(path)
    except (ImportError, ValueError) as e:
        scheme = path.split("://", 1)[0]
        raise UnimplementedError(
            None,
            None,
            f"File system scheme '{scheme}' not implemented (file: '{path}'): {e}",
        ) from None


def open_read(path: str):
    """A binary file object (unbuffered for local files) to read `path`."""
    if is_uri(path):
        fs, inner = _fs(path)
        return fs.open(inner, "rb")
    return open(_local(path), "rb", buffering=0)


DIRECT_ALIGN = 4096  # direct I/O wants offsets, lengths and addresses multiple of this
DIRECT_MIN = 1 << 20  # smaller reads go through the page cache


def read_at_into(path: str, offset: int, buf: np.ndarray) -> int:
    """Fills the uint8 array `buf` from `path` at `offset`; the bytes read (fewer at the
    end of the file). A large read of a local file at aligned offset and address bypasses
    the page cache (O_DIRECT: the disk writes straight into the array, and no page-cache
    page is allocated and copied from); the unaligned tail, and any filesystem that
    refuses direct I/O, go through the page cache."""
    view = memoryview(buf.data).cast("B")
    if is_uri(path):
        with open_read(path) as f:
            f.seek(offset)
            return _fill(lambda v, _: f.readinto(v), view, 0)
    local = _local(path)
    got = 0
    bulk = len(view) - len(view) % DIRECT_ALIGN
    if (
        hasattr(os, "O_DIRECT")
        and bulk >= DIRECT_MIN
        and offset % DIRECT_ALIGN == 0
        and buf.ctypes.data % DIRECT_ALIGN == 0
    ):
        try:
            fd = os.open(local, os.O_RDONLY | os.O_DIRECT)
        except OSError as e:
            if e.errno != errno.EINVAL:  # EINVAL: this filesystem has no direct I/O
                raise
        else:
            try:
                got = _fill(lambda v, at: os.preadv(fd, [v], at), view[:bulk], offset)
            except OSError as e:
                if e.errno != errno.EINVAL:
                    raise
                got = 0
            finally:
                os.close(fd)
    if got < len(view):
        fd = os.open(local, os.O_RDONLY)
        try:
            got += _fill(lambda v, at: os.preadv(fd, [v], at), view[got:], offset + got)
        finally:
            os.close(fd)
    return got


def _fill(read, view: memoryview, offset: int) -> int:
    """Calls read(rest_of_view, file_offset) until `view` is full or the file ends."""
    got = 0
    while got < len(view):
        n = read(view[got:], offset + got)
        if not n:
            break
        got += n
    return got


def read_bytes(path: str) -> bytes:
    with open_read(path) as f:
        return f.read()


def atomic_write(
    path: str, write, buffered: bool = True, sync: bool = True, direct: bool = False
) -> None:
    """Calls write(file) on a temporary file, then publishes it as `path`: a local file
    is fsynced (unless `sync` is false) and renamed, a URI's file moved. `direct` writes a
    local file with direct I/O where the filesystem has it (`DirectFile`)."""
    if is_uri(path):
        fs, inner = _fs(path)
        tmp = f"{inner}.tmp{os.getpid()}.{id(write)}"
        try:
            with fs.open(tmp, "wb") as f:
                write(f)
            fs.mv(tmp, inner)
        finally:
            with contextlib.suppress(FileNotFoundError, OSError):
                if fs.exists(tmp):
                    fs.rm_file(tmp)
        return
    local = _local(path)
    if path.startswith(SPOOL):
        os.makedirs(os.path.dirname(local), exist_ok=True)
    tmp = f"{local}.tmp{os.getpid()}.{id(write)}"
    try:
        fd = _open_direct(tmp) if direct else None
        if fd is not None:
            try:
                with DirectFile(fd) as f:
                    write(f)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with open(tmp, "wb", buffering=-1 if buffered else 0) as f:
                write(f)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
        os.replace(tmp, local)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _open_direct(path: str) -> int | None:
    """A new file opened for direct writes; None where the filesystem has no direct I/O."""
    if not hasattr(os, "O_DIRECT"):
        return None
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    except OSError as e:
        if e.errno == errno.EINVAL:  # tmpfs and some others
            return None
        raise


def aligned_empty(nbytes: int) -> np.ndarray:
    """An uninitialized uint8 array whose data starts at a multiple of DIRECT_ALIGN."""
    raw = np.empty(nbytes + DIRECT_ALIGN, np.uint8)
    start = -raw.ctypes.data % DIRECT_ALIGN
    return raw[start : start + nbytes]


class DirectFile:
    """A write-only file on direct I/O. `write` copies the bytes into aligned buffers that
    a second thread writes to the disk, so the copy of one buffer overlaps the disk's
    write of the last; nothing goes through the page cache (whose fresh pages, and the
    wait for their writeback at fsync, made buffered saves slow and erratic). `close`
    writes the last buffer padded to DIRECT_ALIGN and truncates the file to its size."""

    CHUNK = 8 << 20
    BUFFERS = 3

    def __init__(self, fd: int):
        self._fd = fd
        self._size = 0  # bytes written by the caller
        self._start = 0  # file offset of the current buffer
        self._free: queue.Queue = queue.Queue()
        for _ in range(self.BUFFERS):
            self._free.put(aligned_empty(self.CHUNK))
        self._full: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._buf = self._free.get()
        self._used = 0
        self._thread = threading.Thread(target=self._drain, name="psflow-direct", daemon=True)
        self._thread.start()

    def write(self, data) -> int:
        src = np.frombuffer(memoryview(data).cast("B"), np.uint8)
        done = 0
        while done < src.size:
            n = min(self.CHUNK - self._used, src.size - done)
            self._buf[self._used : self._used + n] = src[done : done + n]
            self._used += n
            done += n
            if self._used == self.CHUNK:
                self._submit(self.CHUNK)
        self._size += src.size
        return src.size

    def tell(self) -> int:
        return self._size

    def _submit(self, length: int) -> None:
        if self._error is not None:
            raise self._error
        self._full.put((self._buf, length, self._start))
        self._start += self._used
        self._buf, self._used = self._free.get(), 0

    def _drain(self) -> None:
        while (item := self._full.get()) is not None:
            buf, length, offset = item
            if self._error is None:
                try:
                    view = memoryview(buf)[:length]
                    while view.nbytes:
                        n = os.pwrite(self._fd, view, offset)
                        view, offset = view[n:], offset + n
                except BaseException as e:  # raised to the writer by its next call
                    self._error = e
            self._free.put(buf)

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if self._used:
            self._buf[self._used : -(-self._used // DIRECT_ALIGN) * DIRECT_ALIGN] = 0
            self._full.put((self._buf, -(-self._used // DIRECT_ALIGN) * DIRECT_ALIGN, self._start))
        self._full.put(None)
        self._thread.join()
        if self._error is not None and kind is None:
            raise self._error
        if kind is None:
            os.ftruncate(self._fd, self._size)


def write_at(path: str, offset: int, data) -> None:
    """Writes `data` at `offset` of a spool file, creating it (the chief's restore chunks)."""
    local = _local(path)
    if not path.startswith(SPOOL):
        raise InvalidArgumentError(None, None, f"Chunks are written to spool files only: {path}")
    os.makedirs(os.path.dirname(local), exist_ok=True)
    fd = os.open(local, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        view = memoryview(data).cast("B")
        while view.nbytes:
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n
    finally:
        os.close(fd)


def read_at(path: str, offset: int, length: int) -> bytes:
    """Up to `length` bytes of a spool file from `offset` (fewer at its end)."""
    if not path.startswith(SPOOL):
        raise InvalidArgumentError(None, None, f"Chunks are read from spool files only: {path}")
    with open(_local(path), "rb", buffering=0) as f:
        return os.pread(f.fileno(), length, offset)


def exists(path: str) -> bool:
    if is_uri(path):
        fs, inner = _fs(path)
        return bool(fs.exists(inner))
    return os.path.exists(_local(path))


def isdir(path: str) -> bool:
    if is_uri(path):
        fs, inner = _fs(path)
        return bool(fs.isdir(inner))
    return os.path.isdir(path)


def listdir(path: str) -> list[str]:
    """The names in a directory."""
    if is_uri(path):
        fs, inner = _fs(path)
        return [os.path.basename(str(p).rstrip("/")) for p in fs.ls(inner, detail=False)]
    return os.listdir(path)


def getmtime(path: str) -> float:
    if is_uri(path):
        fs, inner = _fs(path)
        return fs.modified(inner).timestamp()
    return os.path.getmtime(path)


def remove(path: str) -> None:
    """Deletes a file; a missing one is no error."""
    if is_uri(path):
        fs, inner = _fs(path)
        with contextlib.suppress(FileNotFoundError):
            fs.rm_file(inner)
        return
    with contextlib.suppress(FileNotFoundError):
        os.remove(_local(path))


def isabs(path: str) -> bool:
    return is_uri(path) or os.path.isabs(path)


def open_write(path: str, append: bool = False):
    """A binary file object to write (or append to) `path`, a local path or a URI."""
    mode = "ab" if append else "wb"
    if is_uri(path):
        fs, inner = _fs(path)
        return fs.open(inner, mode)
    return open(_local(path), mode)
