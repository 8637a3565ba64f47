"""TF1's readers, the file end of the queue-based input pipeline: TFRecordReader,
TextLineReader, WholeFileReader, FixedLengthRecordReader and IdentityReader.

A reader lives in the VariableStore of the process that runs its ops (`store.readers`, by
its shared name), like a queue. `read(queue)` returns the next (key, value) record of its
current work unit (a file name; for IdentityReader any string); when that is exhausted it
dequeues the next work unit from `queue`, waiting as a dequeue does, and raises
OutOfRangeError once the queue is closed and empty. Keys are TF's: "FILE:OFFSET" for
TFRecords (the record's byte offset), "FILE:LINE" for text (1-based, header lines counted),
"FILE:INDEX" for fixed-length records (0-based), "FILE" for whole files.
"""

from __future__ import annotations

import gzip
import threading
import zlib

import numpy as np

from .. import dtypes as _dt, storage, tfrecord
from ..errors import DataLossError, NotFoundError, OutOfRangeError, UnimplementedError
from ..framework import apply_op, convert_to_tensor, get_default_graph
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import queues as _queues


class _Reader:
    """One reader's state: the current work unit's remaining records and the counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = None  # iterator of (key, value) bytes over the current work unit
        self.produced = 0
        self.completed = 0

    def next_record(self, kind, config, queue, queue_name):
        """The next (key, value); dequeues work units as needed."""
        while True:
            if self.records is None:
                work = queue.take(1, False, queue_name)[0][0]
                work = work if isinstance(work, bytes) else str(work).encode()
                self.records = iter(_RECORDS[kind](work, config))
            record = next(self.records, None)
            if record is not None:
                self.produced += 1
                return record
            self.records = None
            self.completed += 1


def _file_bytes(work: bytes) -> bytes:
    path = work.decode()
    try:
        return storage.read_bytes(path)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None


def _decompress(data: bytes, encoding: str, path: bytes) -> bytes:
    try:
        if encoding == "GZIP":
            return gzip.decompress(data)
        if encoding == "ZLIB":
            return zlib.decompress(data)
    except (OSError, zlib.error, EOFError) as err:
        raise DataLossError(None, None, f"{path.decode()}: not {encoding} ({err})") from None
    return data


def _tfrecords(work, config):
    data = tfrecord.read_file(work.decode(), config["compression"])
    for pos, record in tfrecord.decode_records_at(data, work.decode()):
        yield b"%s:%d" % (work, pos), record


def _text_lines(work, config):
    lines = _file_bytes(work).split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if number > config["skip_header_lines"]:
            yield b"%s:%d" % (work, number), line[:-1] if line.endswith(b"\r") else line


def _whole_file(work, config):
    yield work, _file_bytes(work)


def _fixed_length(work, config):
    data = _decompress(_file_bytes(work), config["encoding"], work)
    size, hop = config["record_bytes"], config["hop_bytes"] or config["record_bytes"]
    end = len(data) - config["footer_bytes"]
    for index, pos in enumerate(range(config["header_bytes"], end - size + 1, hop)):
        yield b"%s:%d" % (work, index), data[pos : pos + size]


def _identity(work, config):
    yield work, work


_RECORDS = {
    "TFRecordReader": _tfrecords,
    "TextLineReader": _text_lines,
    "WholeFileReader": _whole_file,
    "FixedLengthRecordReader": _fixed_length,
    "IdentityReader": _identity,
}
_CONFIG = {
    "compression": "",
    "skip_header_lines": 0,
    "record_bytes": 0,
    "header_bytes": 0,
    "footer_bytes": 0,
    "hop_bytes": 0,
    "encoding": "",
}
_ATTRS = {"shared_name": "", "kind": "", **_CONFIG}
_QUEUE_ATTRS = {f"queue_{k}": v for k, v in _queues._ATTRS.items()}


def _reader(state, shared_name) -> _Reader:
    store = state.store
    with store._lock:
        return store.readers.setdefault(shared_name, _Reader())


def _queue_of(state, attrs):
    queue_attrs = {k[len("queue_") :]: v for k, v in attrs.items() if k.startswith("queue_")}
    return _queues._queue(state, **queue_attrs), queue_attrs["shared_name"]


def _read_kernel(state, **attrs):
    reader = _reader(state, attrs["shared_name"])
    queue, queue_name = _queue_of(state, attrs)
    config = {k: attrs[k] for k in _CONFIG}
    with reader.lock:
        key, value = reader.next_record(attrs["kind"], config, queue, queue_name)
    return np.array(key, dtype=object), np.array(value, dtype=object)


def _read_up_to_kernel(state, num_records, **attrs):
    reader = _reader(state, attrs["shared_name"])
    queue, queue_name = _queue_of(state, attrs)
    config = {k: attrs[k] for k in _CONFIG}
    records: list = []
    with reader.lock:
        while len(records) < int(num_records):
            try:
                records.append(reader.next_record(attrs["kind"], config, queue, queue_name))
            except OutOfRangeError:
                if records:
                    break
                raise
    keys, values = np.empty(len(records), object), np.empty(len(records), object)
    keys[:], values[:] = [k for k, _ in records], [v for _, v in records]
    return keys, values


def _counter_kernel(field):
    def kernel(state, **attrs):
        reader = _reader(state, attrs["shared_name"])
        with reader.lock:
            return np.int64(getattr(reader, field))

    return kernel


def _reset_kernel(state, **attrs):
    with state.store._lock:
        state.store.readers[attrs["shared_name"]] = _Reader()


_STRING = TensorSpec(_dt.string, TensorShape([]))
_STRINGS = TensorSpec(_dt.string, TensorShape([None]))
_INT64 = TensorSpec(_dt.int64, TensorShape([]))

for _type, _kernel, _inputs, _outputs, _infer in (
    ("ReaderRead", _read_kernel, [], ["key: string", "value: string"], lambda **_: [_STRING] * 2),
    (
        "ReaderReadUpTo",
        _read_up_to_kernel,
        ["num_records: int64"],
        ["keys: string", "values: string"],
        lambda num_records, **_: [_STRINGS] * 2,
    ),
    (
        "ReaderNumRecordsProduced",
        _counter_kernel("produced"),
        [],
        ["records_produced: int64"],
        lambda **_: _INT64,
    ),
    (
        "ReaderNumWorkUnitsCompleted",
        _counter_kernel("completed"),
        [],
        ["units_completed: int64"],
        lambda **_: _INT64,
    ),
    ("ReaderReset", _reset_kernel, [], [], lambda **_: []),
):
    register_op(
        OpDef(
            _type,
            inputs=_inputs,
            outputs=_outputs,
            attrs={**_ATTRS, **(_QUEUE_ATTRS if _type.startswith("ReaderRead") else {})},
            infer=_infer,
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )


class ReaderBase:
    """Base class of the readers: reads (key, value) records from the work units (file
    names) it dequeues from a queue."""

    def __init__(self, kind, config=None, supports_serialize=False, name=None):
        self._kind = kind
        self._name = get_default_graph().unique_name(name or f"{kind}V2")
        self._attrs = {"shared_name": self._name, "kind": kind, **_CONFIG, **(config or {})}
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self):
        return self._name

    @property
    def supports_serialize(self) -> bool:
        return self._supports_serialize

    def _queue_attrs(self, queue):
        attrs = getattr(queue, "_attrs", None)
        if attrs is None:
            raise TypeError(f"read() needs a queue (a tf.FIFOQueue or a producer), got {queue!r}")
        return {f"queue_{k}": attrs[k] for k in _queues._ATTRS}

    def read(self, queue, name=None):
        """The next record: (key, value) string scalars."""
        op = apply_op(
            "ReaderRead",
            [],
            {**self._attrs, **self._queue_attrs(queue)},
            name=name or "ReaderReadV2",
        )
        return op.outputs[0], op.outputs[1]

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` records: (keys, values) string vectors (fewer at the end)."""
        op = apply_op(
            "ReaderReadUpTo",
            [convert_to_tensor(num_records, dtype=_dt.int64)],
            {**self._attrs, **self._queue_attrs(queue)},
            name=name or "ReaderReadUpToV2",
        )
        return op.outputs[0], op.outputs[1]

    def num_records_produced(self, name=None):
        return apply_op("ReaderNumRecordsProduced", [], dict(self._attrs), name=name).outputs[0]

    def num_work_units_completed(self, name=None):
        return apply_op("ReaderNumWorkUnitsCompleted", [], dict(self._attrs), name=name).outputs[0]

    def reset(self, name=None):
        return apply_op("ReaderReset", [], dict(self._attrs), name=name)

    def serialize_state(self, name=None):
        raise UnimplementedError(None, None, "Reader SerializeState not implemented")

    def restore_state(self, state, name=None):
        raise UnimplementedError(None, None, "Reader RestoreState not implemented")


class TFRecordReader(ReaderBase):
    """Reads the records of TFRecord files (`options`: a TFRecordOptions for compressed
    files)."""

    def __init__(self, name=None, options=None):
        compression = tfrecord.TFRecordOptions.get_compression_type_string(options)
        super().__init__("TFRecordReader", {"compression": compression}, name=name)


class TextLineReader(ReaderBase):
    """Reads the lines of text files (without the newline), after `skip_header_lines`."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(
            "TextLineReader", {"skip_header_lines": int(skip_header_lines or 0)}, name=name
        )


class WholeFileReader(ReaderBase):
    """Reads each file whole: the key is its name, the value its contents."""

    def __init__(self, name=None):
        super().__init__("WholeFileReader", name=name)


class FixedLengthRecordReader(ReaderBase):
    """Reads records of `record_bytes` bytes, after `header_bytes` and before
    `footer_bytes`, each `hop_bytes` after the previous (default: record_bytes);
    `encoding` "ZLIB" or "GZIP" for compressed files."""

    def __init__(
        self,
        record_bytes,
        header_bytes=None,
        footer_bytes=None,
        hop_bytes=None,
        name=None,
        encoding=None,
    ):
        if int(record_bytes) <= 0:
            raise ValueError(f"record_bytes must be > 0, got {record_bytes}")
        config = {
            "record_bytes": int(record_bytes),
            "header_bytes": int(header_bytes or 0),
            "footer_bytes": int(footer_bytes or 0),
            "hop_bytes": int(hop_bytes or 0),
            "encoding": (encoding or "").upper(),
        }
        super().__init__("FixedLengthRecordReader", config, name=name)


class IdentityReader(ReaderBase):
    """Outputs each work unit as both key and value."""

    def __init__(self, name=None):
        super().__init__("IdentityReader", supports_serialize=True, name=name)
