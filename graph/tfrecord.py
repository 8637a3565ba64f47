"""TFRecord files, as TensorFlow writes and reads them: each record is its length (uint64,
little-endian), the masked CRC-32C of those 8 bytes (uint32), the data, and the masked
CRC-32C of the data; a file may be GZIP- or ZLIB-compressed as a whole. CRC-32C comes from
the `crc32c` package (hardware-accelerated where the CPU has it); the mask is TF's
(rotate right 15 bits, add 0xa282ead8). Read by `tf.data.TFRecordDataset` and
`tf.io.tf_record_iterator`, written by `tf.io.TFRecordWriter` (graph/data.py, psflow/io.py).
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib

from . import storage
from .errors import DataLossError, InvalidArgumentError, NotFoundError

_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes) -> int:
    """TF's masked CRC-32C of `data`."""
    import crc32c  # (imported on first use)

    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


class TFRecordCompressionType:
    NONE = 0
    ZLIB = 1
    GZIP = 2


_NAMES = {None: "", "": "", "NONE": "", "ZLIB": "ZLIB", "GZIP": "GZIP", 0: "", 1: "ZLIB", 2: "GZIP"}


def compression_name(compression) -> str:
    """'' (none), 'ZLIB' or 'GZIP' from a TFRecordOptions, a compression type or its name."""
    if isinstance(compression, TFRecordOptions):
        return compression.compression_type
    key = compression.upper() if isinstance(compression, str) else compression
    if key not in _NAMES:
        raise InvalidArgumentError(None, None, f"Unsupported compression type: {compression}")
    return _NAMES[key]


class TFRecordOptions:
    """How a TFRecord file is compressed (`compression_type`: None, '', 'ZLIB', 'GZIP' or a
    TFRecordCompressionType); the other TF 1.x options (buffer and window sizes, levels)
    are accepted, `compression_level` used."""

    compression_type_map = {
        TFRecordCompressionType.NONE: "",
        TFRecordCompressionType.ZLIB: "ZLIB",
        TFRecordCompressionType.GZIP: "GZIP",
    }

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):  # fmt: skip
        self.compression_type = compression_name(compression_type)
        self.compression_level = -1 if compression_level is None else int(compression_level)

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        return "" if options is None else compression_name(options)


def encode_record(data: bytes) -> bytes:
    length = _LENGTH.pack(len(data))
    return b"".join(
        (length, _CRC.pack(masked_crc(length)), data, _CRC.pack(masked_crc(data)))
    )  # fmt: skip


def decode_records(data: bytes, path: str):
    """The records of a file's (decompressed) bytes; DataLossError at a corrupt one."""
    for _, record in decode_records_at(data, path):
        yield record


def decode_records_at(data: bytes, path: str):
    """(byte offset, record) of each record of a file's (decompressed) bytes."""
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < 12:
            raise DataLossError(None, None, f"truncated record at {pos} in {path}")
        header = data[pos : pos + 8]
        if _CRC.unpack_from(data, pos + 8)[0] != masked_crc(header):
            raise DataLossError(None, None, f"corrupted record at {pos} in {path}")
        (length,) = _LENGTH.unpack(header)
        start, stop = pos + 12, pos + 12 + length
        if stop + 4 > end:
            raise DataLossError(None, None, f"truncated record at {pos} in {path}")
        record = data[start:stop]
        if _CRC.unpack_from(data, stop)[0] != masked_crc(record):
            raise DataLossError(None, None, f"corrupted record at {pos} in {path}")
        yield pos, record
        pos = stop + 4


def read_file(path: str, compression="") -> bytes:
    """A TFRecord file's bytes, decompressed."""
    try:
        data = storage.read_bytes(path)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    kind = compression_name(compression)
    try:
        if kind == "GZIP":
            return gzip.decompress(data)
        if kind == "ZLIB":
            return zlib.decompress(data)
    except (OSError, zlib.error, EOFError) as err:
        raise DataLossError(None, None, f"{path}: not {kind}-compressed ({err})") from None
    return data


def tf_record_iterator(path, options=None):
    """The records of a TFRecord file, as bytes (`tf.io.tf_record_iterator`)."""
    path = path.decode() if isinstance(path, bytes) else str(path)
    yield from decode_records(read_file(path, options), path)


class TFRecordWriter:
    """Writes records to a TFRecord file (`tf.io.TFRecordWriter`); a context manager."""

    def __init__(self, path, options=None):
        self._path = path.decode() if isinstance(path, bytes) else str(path)
        self._options = (
            options if isinstance(options, TFRecordOptions) else TFRecordOptions(options)
        )
        self._file = storage.open_write(self._path)
        kind, level = self._options.compression_type, self._options.compression_level
        if kind == "GZIP":
            self._out = gzip.GzipFile(fileobj=self._file, mode="wb", mtime=0,
                                      compresslevel=9 if level < 0 else level)  # fmt: skip
        elif kind == "ZLIB":
            self._out = _ZlibWriter(self._file, level)
        else:
            self._out = self._file

    def write(self, record) -> None:
        if self._out is None:
            raise InvalidArgumentError(None, None, f"{self._path}: the writer is closed")
        if isinstance(record, str):
            record = record.encode()
        self._out.write(encode_record(bytes(record)))

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def close(self) -> None:
        if self._out is None:
            return
        if self._out is not self._file:
            self._out.close()
        self._file.close()
        self._out = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _ZlibWriter(io.RawIOBase):
    def __init__(self, file, level: int):
        self._file = file
        self._z = zlib.compressobj(level)
        self._closed = False

    def write(self, data) -> int:
        self._file.write(self._z.compress(data))
        return len(data)

    def flush(self) -> None:
        self._file.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self) -> None:
        if not self._closed:
            self._file.write(self._z.flush())
            self._closed = True
