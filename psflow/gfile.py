"""`tf.gfile`: TF1's file API, on local paths and on any filesystem fsspec reaches
(`s3://`, `gs://`, `file://`, ...), as psflow's checkpoints are (graph/storage.py)."""

from __future__ import annotations

import glob as _glob
import os as _os
import shutil as _shutil

from psflow.graph import storage as _storage
from psflow.graph.errors import NotFoundError as _NotFoundError


def _fs(path):
    return _storage._fs(str(path)) if _storage.is_uri(str(path)) else (None, str(path))


class GFile:
    """A file object (`with tf.gfile.GFile(path, "w") as f`), text or binary by `mode`."""

    def __init__(self, name, mode="r"):
        fs, inner = _fs(name)
        try:
            self._f = fs.open(inner, mode) if fs is not None else open(inner, mode)  # noqa: SIM115
        except FileNotFoundError:
            raise _NotFoundError(None, None, f"{name}; No such file or directory") from None

    def __getattr__(self, attr):
        return getattr(self._f, attr)

    def __iter__(self):
        return iter(self._f)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def size(self) -> int:
        position = self._f.tell()
        self._f.seek(0, 2)
        end = self._f.tell()
        self._f.seek(position)
        return end


Open = GFile
FastGFile = GFile


def Exists(filename) -> bool:  # noqa: N802 - TF1's names
    return _storage.exists(str(filename)) or IsDirectory(filename)


def IsDirectory(dirname) -> bool:  # noqa: N802
    return _storage.isdir(str(dirname))


def ListDirectory(dirname) -> list[str]:  # noqa: N802
    if not IsDirectory(dirname):
        raise _NotFoundError(None, None, f"Could not find directory {dirname}")
    return _storage.listdir(str(dirname))


def MakeDirs(dirname) -> None:  # noqa: N802
    fs, inner = _fs(dirname)
    if fs is not None:
        fs.makedirs(inner, exist_ok=True)
    else:
        _os.makedirs(inner, exist_ok=True)


def MkDir(dirname) -> None:  # noqa: N802
    fs, inner = _fs(dirname)
    if fs is not None:
        fs.mkdir(inner)
    else:
        _os.mkdir(inner)


def Remove(filename) -> None:  # noqa: N802
    if not _storage.exists(str(filename)):
        raise _NotFoundError(None, None, f"{filename}; No such file or directory")
    _storage.remove(str(filename))


def DeleteRecursively(dirname) -> None:  # noqa: N802
    fs, inner = _fs(dirname)
    if fs is not None:
        fs.rm(inner, recursive=True)
    elif _os.path.isdir(inner):
        _shutil.rmtree(inner)
    else:
        _os.remove(inner)


def Rename(oldname, newname, overwrite=False) -> None:  # noqa: N802
    if not overwrite and Exists(newname):
        from psflow.graph.errors import AlreadyExistsError

        raise AlreadyExistsError(None, None, f"File already exists: {newname}")
    fs, inner = _fs(oldname)
    if fs is not None:
        fs.mv(inner, _fs(newname)[1])
    else:
        _os.replace(inner, str(newname))


def Copy(oldpath, newpath, overwrite=False) -> None:  # noqa: N802
    if not overwrite and Exists(newpath):
        from psflow.graph.errors import AlreadyExistsError

        raise AlreadyExistsError(None, None, f"File already exists: {newpath}")
    with GFile(oldpath, "rb") as src, GFile(newpath, "wb") as dst:
        _shutil.copyfileobj(src, dst)


def Glob(filename) -> list[str]:  # noqa: N802
    fs, inner = _fs(filename)
    if fs is not None:
        scheme = str(filename).split("://", 1)[0]
        return [f"{scheme}://{p}" for p in fs.glob(inner)]
    return _glob.glob(inner)


def Walk(top, in_order=True):  # noqa: N802
    """(dirname, subdirectories, files) for every directory under `top`."""
    fs, inner = _fs(top)
    if fs is not None:
        yield from fs.walk(inner)
    else:
        yield from _os.walk(inner, topdown=in_order)


class _Stat:
    def __init__(self, length, mtime_nsec, is_directory):
        self.length = length
        self.mtime_nsec = mtime_nsec
        self.is_directory = is_directory


def Stat(filename):  # noqa: N802
    """An object with `length`, `mtime_nsec` and `is_directory`."""
    if not Exists(filename):
        raise _NotFoundError(None, None, f"{filename}; No such file or directory")
    fs, inner = _fs(filename)
    if fs is not None:
        info = fs.info(inner)
        mtime = _storage.getmtime(str(filename)) if info.get("type") != "directory" else 0.0
        return _Stat(int(info.get("size") or 0), int(mtime * 1e9), info.get("type") == "directory")
    st = _os.stat(inner)
    return _Stat(st.st_size, st.st_mtime_ns, _os.path.isdir(inner))
