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
import os
import re
import shutil
import tempfile

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


def read_bytes(path: str) -> bytes:
    with open_read(path) as f:
        return f.read()


def atomic_write(path: str, write, buffered: bool = True, sync: bool = True) -> None:
    """Calls write(file) on a temporary file, then publishes it as `path`: a local file
    is fsynced (unless `sync` is false) and renamed, a URI's file moved."""
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
        with open(tmp, "wb", buffering=-1 if buffered else 0) as f:
            write(f)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, local)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


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
