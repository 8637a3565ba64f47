"""The checkpoint format, on msgpack. Loading never executes code from a file.

A checkpoint PREFIX is `PREFIX.index` plus one data file per device that owned variables,
`PREFIX.data-K-of-N-TOKEN`. A data file is a msgpack header, then per tensor a msgpack
record {name, dtype, shape, nbytes, crc32} followed by its raw bytes (C order, little
endian). The index maps every tensor name to its file, offset, dtype, shape and checksum.
Every file is written under a temporary name, fsynced, then renamed; the coordinator
writes the index only after all data files, and the `checkpoint` state file last.
"""

from __future__ import annotations

import contextlib
import os
import re
import zlib

import msgpack
import numpy as np

from . import dtypes as _dt
from .errors import DataLossError, NotFoundError

FORMAT_VERSION = 1
_STRING = "string"


def atomic_write(path: str, write) -> None:
    """Calls write(file) on a temporary file, fsyncs it, and renames it to `path`."""
    tmp = f"{path}.tmp{os.getpid()}.{id(write)}"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _payload(value: np.ndarray) -> memoryview | bytes:
    if value.dtype == object:
        return msgpack.packb(
            [x if isinstance(x, bytes) else str(x).encode() for x in value.ravel()]
        )
    arr = value if value.flags.c_contiguous else value.copy(order="C")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr.data.cast("B") if arr.size else b""


def write_data_file(path: str, tensors: list[tuple[str, np.ndarray]]) -> list[dict]:
    """Writes one data file; returns its index entries (name, file, offset, ...)."""
    entries: list[dict] = []

    def write(f) -> None:
        f.write(msgpack.packb({"format": "psflow-checkpoint-data", "version": FORMAT_VERSION}))
        for name, value in tensors:
            payload = _payload(value)
            dtype = _dt.as_dtype(value.dtype).name
            record = {
                "name": name,
                "dtype": dtype,
                "shape": list(value.shape),
                "nbytes": len(payload),
                "crc32": zlib.crc32(payload),
            }
            f.write(msgpack.packb(record))
            entries.append({**record, "file": os.path.basename(path), "offset": f.tell()})
            f.write(payload)

    atomic_write(path, write)
    return entries


def write_index(prefix: str, entries: list[dict], shards: list[str]) -> None:
    index = {
        "format": "psflow-checkpoint-index",
        "version": FORMAT_VERSION,
        "shards": shards,
        "tensors": {e["name"]: e for e in entries},
    }
    atomic_write(f"{prefix}.index", lambda f: f.write(msgpack.packb(index)))


def read_index(prefix: str) -> dict:
    path = f"{prefix}.index"
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise NotFoundError(
            None,
            None,
            f"Unsuccessful TensorSliceReader constructor: Failed to "
            f"find any matching files for {prefix}",
        ) from None
    try:
        index = msgpack.unpackb(raw, strict_map_key=False)
    except Exception as e:
        raise DataLossError(None, None, f"Unable to read checkpoint index {path}: {e}") from None
    if not isinstance(index, dict) or index.get("format") != "psflow-checkpoint-index":
        raise DataLossError(None, None, f"{path} is not a psflow checkpoint index")
    return index


def read_tensor(prefix: str, entry: dict, out: np.ndarray | None = None) -> np.ndarray:
    """Reads one tensor of a checkpoint and checks its checksum (DataLossError naming it)."""
    name = entry["name"]
    file = str(entry["file"])
    if os.path.basename(file) != file or file in ("", ".", ".."):
        # An index names data files beside it, never a path elsewhere.
        raise DataLossError(
            None,
            None,
            f"Checkpoint index {prefix}.index names data file {file!r} outside "
            "the checkpoint directory",
        )
    path = os.path.join(os.path.dirname(prefix) or ".", file)
    nbytes = entry["nbytes"]
    try:
        with open(path, "rb") as f:
            f.seek(entry["offset"])
            buf: bytes | bytearray | memoryview
            data: bytes | bytearray | memoryview
            if entry["dtype"] == _STRING:
                buf = f.read(nbytes)
                data = buf
            else:
                dtype = _dt.as_dtype(entry["dtype"]).np
                if out is None:
                    out = np.empty(entry["shape"], dtype=dtype)
                buf = out.data.cast("B") if out.size else bytearray()
                got = f.readinto(buf) if out.size else 0
                if got != nbytes:
                    raise DataLossError(
                        None,
                        None,
                        f"Truncated checkpoint data for tensor {name}: "
                        f"read {got} of {nbytes} bytes from {path}",
                    )
                data = buf
    except FileNotFoundError:
        raise DataLossError(
            None, None, f"Missing checkpoint data file {path} for tensor {name}"
        ) from None
    crc = zlib.crc32(data)
    if crc != entry["crc32"]:
        raise DataLossError(
            None,
            None,
            f"Checksum does not match: stored {entry['crc32']} vs. "
            f"calculated on the restored bytes {crc} for tensor {name}",
        )
    if entry["dtype"] == _STRING:
        items = msgpack.unpackb(data)
        return np.array(items, dtype=object).reshape(entry["shape"])
    assert out is not None  # filled above for every non-string dtype
    return out


def data_file_name(prefix: str, shard: int, num_shards: int, token: str) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}-{token}"


def remove_checkpoint(prefix: str) -> None:
    """Deletes a checkpoint's index, data files and meta graph (best effort)."""
    try:
        shards = read_index(prefix).get("shards", [])
    except Exception:  # a broken checkpoint is still removed below
        shards = []
    directory = os.path.dirname(prefix) or "."
    for name in shards:
        _unlink(os.path.join(directory, name))
    for suffix in (".index", ".meta"):
        _unlink(prefix + suffix)


def remove_unreferenced_data(save_path: str) -> None:
    """Deletes the data files of `save_path`'s checkpoints (`save_path` or `save_path-STEP`)
    that no index in the directory names: what a killed save or an interrupted prune left.
    Checkpoints that still have an index (kept ones, kept-forever ones) are left alone."""
    directory = os.path.dirname(save_path) or "."
    family = re.escape(os.path.basename(save_path)) + r"(-\d+)?"
    data = re.compile(family + r"\.data-\d{5}-of-\d{5}-[0-9a-f]+$")
    index = re.compile(family + r"\.index$")
    names = os.listdir(directory)
    referenced: set[str] = set()
    for name in names:
        if index.match(name):
            with contextlib.suppress(Exception):  # a broken index references nothing
                referenced.update(
                    read_index(os.path.join(directory, name[: -len(".index")])).get("shards", [])
                )
    for name in names:
        if data.match(name) and name not in referenced:
            _unlink(os.path.join(directory, name))


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


# The `checkpoint` state file (TF's text format) -----------------------------------------------
def write_state(
    directory: str,
    model_path: str,
    all_paths: list[str],
    latest_filename: str,
    timestamps: list[float] | None = None,
) -> None:
    lines = [f'model_checkpoint_path: "{model_path}"']
    lines += [f'all_model_checkpoint_paths: "{p}"' for p in all_paths]
    for t in timestamps or []:
        lines.append(f"all_model_checkpoint_timestamps: {t}")
    text = "\n".join(lines) + "\n"
    atomic_write(os.path.join(directory, latest_filename), lambda f: f.write(text.encode()))


def read_state(directory: str, latest_filename: str = "checkpoint") -> dict | None:
    path = os.path.join(directory, latest_filename)
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    model = re.search(r'^model_checkpoint_path:\s*"(.*)"', text, re.M)
    if model is None:
        return None
    return {
        "model_checkpoint_path": model.group(1),
        "all_model_checkpoint_paths": re.findall(
            r'^all_model_checkpoint_paths:\s*"(.*)"', text, re.M
        ),
        "all_model_checkpoint_timestamps": [
            float(x) for x in re.findall(r"^all_model_checkpoint_timestamps:\s*(\S+)", text, re.M)
        ],
    }
