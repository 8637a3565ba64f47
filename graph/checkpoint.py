"""The checkpoint format, on msgpack. Loading never executes code from a file.

A checkpoint PREFIX is `PREFIX.index` plus one data file per device that owned variables,
`PREFIX.data-K-of-N-TOKEN`. A data file is a msgpack header, then per tensor a msgpack
record {name, dtype, shape, nbytes} followed by its raw bytes (C order, little endian),
which start at a multiple of ALIGN bytes (files of format 1 had the checksum in the record
and no alignment; they read the same, since readers go by the index). The index maps
every tensor name to its file, offset, dtype, shape and checksum. Every file is written
under a temporary name, fsynced, then renamed; the coordinator writes the index only after
all data files, and the `checkpoint` state file last.

Speed (bench/checkpoint.py): payloads go from the arrays to the files and back into
arrays allocated for them, never through Python objects or a buffered copy (a buffered
read of an unaligned 128 MB tensor took 4x an aligned unbuffered one). The checksum is
xxh3-64 (30 GB/s here, against 4 GB/s for zlib's crc32, which format-2 files written
before it carry and still verify). A data file is written with direct I/O
(graph/storage.py `DirectFile`: the bytes are copied into aligned buffers a second thread
writes to the disk, bypassing the page cache) while the checksums are computed on a
third, then fsynced. Restore reads each large tensor with direct I/O too, straight into
an aligned array allocated for it, several tensors at once (hashing and I/O release the
GIL). Buffered I/O measured slow and erratic here: every save and restore touches a fresh
gigabyte of page cache beside the arrays, and a save's fsync waits for all of its writeback.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

import msgpack
import numpy as np
import xxhash

from . import dtypes as _dt, storage
from .errors import DataLossError, NotFoundError
from .tfrecord import masked_crc

_TF_MAGIC = (0xDB4775248B80FB57).to_bytes(8, "little")  # a TensorFlow table's footer ends so


def _is_tf_index(raw: bytes) -> bool:
    return len(raw) >= 48 and raw[-8:] == _TF_MAGIC


class _LazyTF:
    """graph/tf_checkpoint.py, imported on first use (its protobuf classes take ~50 ms to
    build; most programs never see a TensorFlow checkpoint)."""

    def __getattr__(self, name):
        from . import tf_checkpoint

        return getattr(tf_checkpoint, name)


_tf = _LazyTF()

FORMAT_VERSION = 2
_STRING = "string"
ALIGN = (
    storage.DIRECT_ALIGN
)  # payloads start at a multiple of this (page-aligned reads are fastest)
_SUM_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="psflow-checksum")
READERS = 3  # tensors read at once on restore
CHUNK_BYTES = 64 << 20  # a spooled shard moves between a server and the chief in these


def checksum(data) -> int:
    """The checksum of a payload (xxh3-64; releases the GIL)."""
    return xxhash.xxh3_64_intdigest(data)


_READ_POOL = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="psflow-read")


def _payload(value: np.ndarray) -> memoryview | bytes:
    if value.dtype == object:
        return msgpack.packb(
            [x if isinstance(x, bytes) else str(x).encode() for x in value.ravel()]
        )
    arr = value if value.flags.c_contiguous else value.copy(order="C")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr.data.cast("B") if arr.size else b""


def write_all(f, data) -> None:
    """Writes all of `data` to an unbuffered file (a single write may take less)."""
    view = memoryview(data).cast("B")
    while view.nbytes:
        n = f.write(view)
        view = view[n:]


def write_data_file(
    path: str, tensors: list[tuple[str, np.ndarray]], sync: bool = True
) -> list[dict]:
    """Writes one data file (a path, URI or spool path); returns its index entries (name,
    file, offset, ...). `sync` false skips the fsync (a spool file is no checkpoint)."""
    entries: list[dict] = []
    payloads = [_payload(value) for _, value in tensors]
    sums = [_SUM_POOL.submit(checksum, p) for p in payloads]  # alongside the writes

    def write(f) -> None:
        write_all(f, msgpack.packb({"format": "psflow-checkpoint-data", "version": FORMAT_VERSION}))
        offset = f.tell()
        for (name, value), payload in zip(tensors, payloads):
            record = {
                "name": name,
                "dtype": _dt.as_dtype(value.dtype).name,
                "shape": list(value.shape),
                "nbytes": len(payload),
            }
            head = msgpack.packb(record)
            offset += len(head)
            pad = -offset % ALIGN
            write_all(f, head + b"\0" * pad)
            offset += pad
            entries.append({**record, "file": os.path.basename(path), "offset": offset})
            write_all(f, payload)
            offset += len(payload)

    try:
        storage.atomic_write(path, write, buffered=False, sync=sync, direct=sync)
    finally:
        for entry, done in zip(entries, sums):
            entry["xxh3"] = done.result()
    return entries


def write_index(prefix: str, entries: list[dict], shards: list[str]) -> None:
    storage.atomic_write(f"{prefix}.index", lambda f: f.write(index_bytes(entries, shards)))


def index_bytes(entries: list[dict], shards: list[str]) -> bytes:
    return msgpack.packb(
        {
            "format": "psflow-checkpoint-index",
            "version": FORMAT_VERSION,
            "shards": shards,
            "tensors": {e["name"]: e for e in entries},
        }
    )


def read_index(prefix: str) -> dict:
    path = f"{prefix}.index"
    try:
        raw = storage.read_bytes(path)
    except FileNotFoundError:
        raise NotFoundError(
            None,
            None,
            f"Unsuccessful TensorSliceReader constructor: Failed to "
            f"find any matching files for {prefix}",
        ) from None
    if _is_tf_index(raw):  # written by TensorFlow (or for it): graph/tf_checkpoint.py
        return _tf.read_index(prefix, raw)
    try:
        index = msgpack.unpackb(raw, strict_map_key=False)
    except Exception as e:
        raise DataLossError(None, None, f"Unable to read checkpoint index {path}: {e}") from None
    if not isinstance(index, dict) or index.get("format") != "psflow-checkpoint-index":
        raise DataLossError(None, None, f"{path} is not a psflow checkpoint index")
    return index


def data_path(prefix: str, entry: dict) -> str:
    """The data file holding an index entry's tensor: beside the index, never elsewhere."""
    file = str(entry["file"])
    if os.path.basename(file) != file or file in ("", ".", ".."):
        raise DataLossError(
            None,
            None,
            f"Checkpoint index {prefix}.index names data file {file!r} outside "
            "the checkpoint directory",
        )
    return os.path.join(os.path.dirname(prefix) or ".", file)


def read_tensor(prefix: str, entry: dict, out: np.ndarray | None = None) -> np.ndarray:
    """Reads one tensor of a checkpoint and checks its checksum (DataLossError naming it)."""
    value, data = _read(prefix, entry, out)
    _check(entry, data)
    return _decode(entry, value, data)


def read_tensors(prefix: str, entries: list[dict]) -> list[np.ndarray]:
    """Reads and checks tensors READERS at a time (DataLossError naming the first bad one):
    the reads' page faults and copies run in the kernel on every core, and one tensor's
    checksum overlaps another's read."""

    def read(entry):
        value, data = _read(prefix, entry, None)
        return value, data, _mismatch(entry, data)

    done = list(_READ_POOL.map(read, entries))
    for message in (m for _, _, m in done if m):
        raise DataLossError(None, None, message)
    return [_decode(e, v, d) for e, (v, d, _) in zip(entries, done)]


def _mismatch(entry: dict, data) -> str | None:
    """What is wrong with a tensor's bytes read back (None when its checksum matches; a
    tensor assembled from slices had each slice checked)."""
    if data is None:
        return None
    kind = next(k for k in ("xxh3", "crc32c", "crc32") if k in entry)
    if kind == "crc32c":  # a TensorFlow checkpoint's masked CRC-32C
        if entry["dtype"] == _STRING:
            count = int(np.prod(entry["shape"], dtype=np.int64))
            found = _tf.string_crcs(bytes(data), count, entry["name"])
            got = entry[kind] if entry[kind] in found else (found[0] if found else None)
        else:
            got = masked_crc(data)
    else:
        got = checksum(data) if kind == "xxh3" else zlib.crc32(data)
    if got == entry[kind]:
        return None
    return (
        f"Checksum does not match: stored {entry[kind]} vs. calculated on the restored "
        f"bytes {got} ({kind}) for tensor {entry['name']}"
    )


def _check(entry: dict, data) -> None:
    message = _mismatch(entry, data)
    if message:
        raise DataLossError(None, None, message)


def _decode(entry: dict, value, data):
    if entry["dtype"] == _STRING and "crc32c" in entry:
        return _tf.decode_strings(data, entry["shape"], entry["name"])
    if entry["dtype"] == _STRING:
        items = msgpack.unpackb(data)
        return np.array(items, dtype=object).reshape(entry["shape"])
    return value


def _read(prefix: str, entry: dict, out: np.ndarray | None):
    """(the array read, or None for strings; the bytes read) of one tensor, unchecked."""
    name = entry["name"]
    if "slices" in entry:  # a TensorFlow checkpoint's variable saved in slices: assembled
        whole = np.empty(entry["shape"], _dt.as_dtype(entry["dtype"]).np)
        for piece in entry["slices"]:
            block = read_tensor(prefix, piece)
            whole[tuple(slice(a, a + n) for a, n in zip(piece["start"], piece["shape"]))] = block
        return whole, None
    path = data_path(prefix, entry)
    nbytes = entry["nbytes"]
    try:
        if entry["dtype"] == _STRING:
            with storage.open_read(path) as f:
                f.seek(entry["offset"])
                text = bytearray(nbytes)
                got = read_into(f, text)
            data: np.ndarray | bytearray = text
            value = None
        else:
            if out is None:
                out = empty_aligned(entry["shape"], _dt.as_dtype(entry["dtype"]).np)
            value = out
            data = out.reshape(-1).view(np.uint8)
            got = storage.read_at_into(path, entry["offset"], data) if out.size else 0
    except FileNotFoundError:
        raise DataLossError(
            None, None, f"Missing checkpoint data file {path} for tensor {name}"
        ) from None
    if got != nbytes:
        raise DataLossError(
            None,
            None,
            f"Truncated checkpoint data for tensor {name}: "
            f"read {got} of {nbytes} bytes from {path}",
        )
    return value, data


def empty_aligned(shape, dtype) -> np.ndarray:
    """An uninitialized C-order array whose data starts at a multiple of ALIGN (what direct
    I/O needs): a view into a slightly larger buffer."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    return storage.aligned_empty(nbytes).view(dtype).reshape(shape)


def read_into(f, buf) -> int:
    """Fills `buf` from an unbuffered file (a single read may return less); bytes read."""
    view = memoryview(buf)
    got = 0
    while got < view.nbytes:
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def checkpoint_step(prefix: str) -> int | None:
    """The global step a checkpoint prefix was saved at (`model.ckpt-1200`), if it says."""
    found = re.search(r"-(\d+)$", str(prefix))
    return int(found.group(1)) if found else None


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
        storage.remove(os.path.join(directory, name))
    for suffix in (".index", ".meta"):
        storage.remove(prefix + suffix)


def remove_unreferenced_data(save_path: str, started: float | None = None) -> None:
    """Deletes the data files of `save_path`'s checkpoints (`save_path` or `save_path-STEP`)
    that no index in the directory names: what a killed save or an interrupted prune left.
    Checkpoints that still have an index (kept ones, kept-forever ones) are left alone. With
    `started` (when the calling save began), also the temporary data files and probe
    markers of saves that were killed while writing: those last written before then."""
    directory = os.path.dirname(save_path) or "."
    family = re.escape(os.path.basename(save_path)) + r"(-\d+)?"
    data = re.compile(family + r"\.data-\d{5}-of-\d{5}-[0-9a-f]+$")
    partial = re.compile(family + r"\.data-\d{5}-of-\d{5}-[0-9a-f]+\.tmp\d+\.\d+$")
    index = re.compile(family + r"\.index$")
    names = storage.listdir(directory)
    referenced: set[str] = set()
    for name in names:
        if index.match(name):
            with contextlib.suppress(Exception):  # a broken index references nothing
                referenced.update(
                    read_index(os.path.join(directory, name[: -len(".index")])).get("shards", [])
                )
    for name in names:
        path = os.path.join(directory, name)
        if data.match(name) and name not in referenced:
            storage.remove(path)
        elif started is not None and (partial.match(name) or name.startswith(".psflow-probe-")):
            with contextlib.suppress(OSError):  # gone meanwhile
                if storage.getmtime(path) < started:
                    storage.remove(path)


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
    storage.atomic_write(os.path.join(directory, latest_filename), lambda f: f.write(text.encode()))


def read_state(directory: str, latest_filename: str = "checkpoint") -> dict | None:
    path = os.path.join(directory, latest_filename)
    try:
        text = storage.read_bytes(path).decode()
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


# Dynamic embedding tables (graph/dynamic_table.py): a shard saved as key `NAME/part_K` is the
# tensors `NAME/part_K-keys`, `-values`, `-freq`, `-slot:S`, `-slotinit:S`.
def table_tensor_name(key: str, part: str) -> str:
    return f"{key}-{part}"


def table_entries(index: dict, base: str) -> dict[int, dict[str, str]]:
    """{shard: {part: tensor key}} of the dynamic table `base` in a checkpoint's index."""
    pattern = re.compile(re.escape(base) + r"/part_(\d+)-(.+)$")
    shards: dict[int, dict[str, str]] = {}
    for key in index:
        m = pattern.match(key)
        if m:
            shards.setdefault(int(m.group(1)), {})[m.group(2)] = key
    return {k: v for k, v in shards.items() if "keys" in v and "values" in v}


# Converting between psflow's format and TensorFlow's (graph/tf_checkpoint.py) ----------------
FORMATS = ("psflow", "tensorflow")


def read_all(prefix: str) -> tuple[dict[str, np.ndarray], dict[str, tuple]]:
    """Every tensor of a checkpoint of either format, checked, by name -- a variable
    TensorFlow saved in slices as its parts, `NAME/part_K` --, and the parts of partitioned
    variables: part name -> (full name, full shape, start offsets)."""
    index = read_index(prefix)["tensors"]
    names = sorted(n for n, e in index.items() if "slices" not in e)
    tensors = dict(zip(names, read_tensors(prefix, [index[n] for n in names])))
    return tensors, {n: tuple(index[n]["slice"]) for n in names if "slice" in index[n]}


def write_tensors(
    prefix: str, tensors: dict[str, np.ndarray], fmt: str = "psflow", slices=None
) -> None:
    """Writes `tensors` as a checkpoint at `prefix` in `fmt` ('psflow' or 'tensorflow'):
    data first, the index last. `slices`: as `read_all` returns them."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown checkpoint format {fmt!r}: one of {', '.join(FORMATS)}")
    slices = slices or {}
    if fmt == "tensorflow":
        _tf.write(prefix, tensors, slices)
        return
    path = data_file_name(prefix, 0, 1, uuid.uuid4().hex[:12])
    entries = write_data_file(path, sorted(tensors.items()))
    for entry in entries:
        if entry["name"] in slices:
            entry["slice"] = list(slices[entry["name"]])
    write_index(prefix, entries, [os.path.basename(path)])


def convert(src: str, dst: str, fmt: str) -> int:
    """Writes the checkpoint `src` (either format) again as `dst` in `fmt`; the number of
    tensors. `dst` may be `src`: its index is replaced last, and the data files only the
    old index named are left for `remove_unreferenced_data`."""
    tensors, slices = read_all(src)
    write_tensors(dst, tensors, fmt, slices)
    return len(tensors)
