"""TensorFlow's checkpoint format (V2, what TF 1.x's Saver writes by default), read and
written here so that checkpoints move between TensorFlow and psflow name for name.

A checkpoint PREFIX is `PREFIX.index`, a table of BundleEntryProto records (one per tensor,
key = its name; the empty key holds the BundleHeaderProto), and `PREFIX.data-SSSSS-of-NNNNN`
files holding the tensors' bytes. The table is TensorFlow's (LevelDB's) sorted-table
layout: data blocks of prefix-compressed entries with a restart point every 16 keys, each
block followed by a type byte and the masked CRC-32C of block and type; an index block of
(last key, block handle); an empty meta-index block; a 48-byte footer ending in the magic
number. Numbers are stored raw, little endian, C order; a string tensor is each element's
length as a varint64, the masked CRC-32C of those lengths (as uint64s), then the bytes.
Each entry carries the masked CRC-32C of its tensor (over the same lengths and bytes for
strings). Variables TensorFlow saved partitioned (entries with slices) are not read yet.

graph/checkpoint.py reads either format through `read_index` (told apart by the footer's
magic number); `write` here writes a TensorFlow checkpoint from arrays.
"""

from __future__ import annotations

import os
import struct

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from . import dtypes as _dt, storage
from .errors import DataLossError, UnimplementedError
from .example_proto import add_field
from .tfrecord import masked_crc

MAGIC = 0xDB4775248B80FB57
_FOOTER = 48  # two block handles padded to 40 bytes, then the magic number
_RESTART_INTERVAL = 16
_BLOCK_SIZE = 256 << 10  # entries per data block up to about this many bytes (TF's)
# TensorFlow's DataType numbers (types.proto) of the dtypes psflow stores.
_TF_TYPES = {
    "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
    "int64": 9, "bool": 10, "uint16": 17, "float16": 19, "uint32": 22, "uint64": 23,
}  # fmt: skip
_FROM_TF = {v: k for k, v in _TF_TYPES.items()}

_F = descriptor_pb2.FieldDescriptorProto


def _protos():
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/protobuf/tensor_bundle.proto", package="tensorflow",
        syntax="proto3",
    )  # fmt: skip
    shape = proto.message_type.add(name="TensorShapeProto")
    dim = shape.nested_type.add(name="Dim")
    add_field(dim, "size", 1, _F.TYPE_INT64)
    add_field(dim, "name", 2, _F.TYPE_STRING)
    add_field(
        shape, "dim", 2, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".tensorflow.TensorShapeProto.Dim"
    )
    add_field(shape, "unknown_rank", 3, _F.TYPE_BOOL)
    sliced = proto.message_type.add(name="TensorSliceProto")
    extent = sliced.nested_type.add(name="Extent")
    extent.oneof_decl.add(name="has_length")
    add_field(extent, "start", 1, _F.TYPE_INT64)
    add_field(extent, "length", 2, _F.TYPE_INT64, oneof=0)
    add_field(sliced, "extent", 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED,
              ".tensorflow.TensorSliceProto.Extent")  # fmt: skip
    version = proto.message_type.add(name="VersionDef")
    add_field(version, "producer", 1, _F.TYPE_INT32)
    add_field(version, "min_consumer", 2, _F.TYPE_INT32)
    add_field(version, "bad_consumers", 3, _F.TYPE_INT32, _F.LABEL_REPEATED)
    header = proto.message_type.add(name="BundleHeaderProto")
    add_field(header, "num_shards", 1, _F.TYPE_INT32)
    add_field(header, "endianness", 2, _F.TYPE_INT32)  # an enum: LITTLE = 0
    add_field(header, "version", 3, _F.TYPE_MESSAGE, type_name=".tensorflow.VersionDef")
    entry = proto.message_type.add(name="BundleEntryProto")
    add_field(entry, "dtype", 1, _F.TYPE_INT32)  # an enum: DataType
    add_field(entry, "shape", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto")
    add_field(entry, "shard_id", 3, _F.TYPE_INT32)
    add_field(entry, "offset", 4, _F.TYPE_INT64)
    add_field(entry, "size", 5, _F.TYPE_INT64)
    add_field(entry, "crc32c", 6, _F.TYPE_FIXED32)
    add_field(entry, "slices", 7, _F.TYPE_MESSAGE, _F.LABEL_REPEATED,
              ".tensorflow.TensorSliceProto")  # fmt: skip
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return (
        message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.BundleHeaderProto")),
        message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.BundleEntryProto")),
    )


BundleHeaderProto, BundleEntryProto = _protos()


# Varints and the table ----------------------------------------------------------------------
def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def is_tf_index(raw: bytes) -> bool:
    """Whether an index file's bytes are a TensorFlow table (its footer's magic number)."""
    return len(raw) >= _FOOTER and struct.unpack_from("<Q", raw, len(raw) - 8)[0] == MAGIC


def _block(raw: bytes, offset: int, size: int, path: str) -> bytes:
    if offset + size + 5 > len(raw):
        raise DataLossError(None, None, f"Truncated table block in {path}")
    contents = raw[offset : offset + size + 1]  # with the type byte
    (stored,) = struct.unpack_from("<I", raw, offset + size + 1)
    if masked_crc(contents) != stored:
        raise DataLossError(None, None, f"Block checksum mismatch in {path}")
    if contents[-1] != 0:
        raise UnimplementedError(None, None, f"Compressed table blocks in {path}")
    return contents[:-1]


def _entries(block: bytes, path: str):
    """(key, value) of a table block, in order."""
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * restarts
    pos, key = 0, b""
    try:
        while pos < end:
            shared, pos = _read_varint(block, pos)
            unshared, pos = _read_varint(block, pos)
            length, pos = _read_varint(block, pos)
            key = key[:shared] + block[pos : pos + unshared]
            pos += unshared
            yield key, block[pos : pos + length]
            pos += length
    except ValueError:
        raise DataLossError(None, None, f"Corrupt table block in {path}") from None


def read_table(raw: bytes, path: str) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of a TensorFlow table file's bytes, in key order."""
    footer = len(raw) - _FOOTER
    try:
        _, pos = _read_varint(raw, footer)  # the meta-index handle (empty, unused)
        _, pos = _read_varint(raw, pos)
        index_offset, pos = _read_varint(raw, pos)
        index_size, pos = _read_varint(raw, pos)
    except ValueError:
        raise DataLossError(None, None, f"Corrupt table footer in {path}") from None
    out = []
    for _, handle in _entries(_block(raw, index_offset, index_size, path), path):
        offset, pos = _read_varint(handle, 0)
        size, _ = _read_varint(handle, pos)
        out.extend(_entries(_block(raw, offset, size, path), path))
    return out


class _BlockBuilder:
    def __init__(self):
        self.data = bytearray()
        self.restarts = [0]
        self.count = 0
        self.last = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.count % _RESTART_INTERVAL:
            while shared < min(len(key), len(self.last)) and key[shared] == self.last[shared]:
                shared += 1
        elif self.count:
            self.restarts.append(len(self.data))
        self.data += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        self.data += key[shared:] + value
        self.last = key
        self.count += 1

    def finish(self) -> bytes:
        tail = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.data) + tail + struct.pack("<I", len(self.restarts))


def _short_successor(key: bytes) -> bytes:
    """The shortest key >= `key` (LevelDB's FindShortSuccessor): an index block's last key."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


def _separator(start: bytes, limit: bytes) -> bytes:
    """A short key in [start, limit) (LevelDB's FindShortestSeparator)."""
    n = 0
    while n < min(len(start), len(limit)) and start[n] == limit[n]:
        n += 1
    if n < min(len(start), len(limit)) and start[n] < 0xFF and start[n] + 1 < limit[n]:
        return start[:n] + bytes([start[n] + 1])
    return start


def table_bytes(items: list[tuple[bytes, bytes]]) -> bytes:
    """A TensorFlow table of `items` (sorted by key), uncompressed, as TensorFlow's writer
    lays it out (the same bytes for the same items)."""
    out = bytearray()
    index = _BlockBuilder()

    def emit(block: bytes) -> bytes:
        handle = _varint(len(out)) + _varint(len(block))
        trailer = b"\0"
        out.extend(block + trailer + struct.pack("<I", masked_crc(block + trailer)))
        return handle

    block, pending = _BlockBuilder(), None  # pending: a full block's handle, awaiting its key
    block_last = b""
    for key, value in items:
        if pending is not None:
            index.add(_separator(block_last, key), pending)
            pending = None
        block.add(key, value)
        if len(block.data) >= _BLOCK_SIZE:
            block_last, pending = block.last, emit(block.finish())
            block = _BlockBuilder()
    if block.count:
        block_last, pending = block.last, emit(block.finish())
    if pending is not None:
        index.add(_short_successor(block_last), pending)
    meta = emit(_BlockBuilder().finish())
    footer = meta + emit(index.finish())
    return bytes(out) + footer.ljust(_FOOTER - 8, b"\0") + struct.pack("<Q", MAGIC)


# A partitioned variable's slices -------------------------------------------------------------
# TensorFlow keys each slice of a variable saved in slices by OrderedCode (order-preserving):
# 0, the name (0x00 escaped as 00 ff, 0xff as ff 00, then 00 01), the rank, and per dimension
# its start and length as signed numbers (length -1: the whole dimension).
def _num_increasing(n: int) -> bytes:
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return bytes([len(body)]) + body


def _signed_increasing(value: int) -> bytes:
    x = ~value if value < 0 else value
    n = (x.bit_length() + 1 + 6) // 7  # value bits a length of n holds: 7n - 1
    if n > 8:
        raise UnimplementedError(None, None, f"slice bound {value} is too large to encode")
    raw = value & ((1 << (8 * n)) - 1)
    header = ((1 << n) - 1) << (8 * n - n)  # n leading ones
    return (raw ^ header).to_bytes(n, "big")


def _read_signed(key: bytes, pos: int) -> tuple[int, int]:
    first = key[pos]
    negative = not first & 0x80
    probe = (~first & 0xFF) if negative else first
    n = 0
    while n < 8 and probe & (0x80 >> n):
        n += 1
    raw = int.from_bytes(key[pos : pos + n], "big") ^ (((1 << n) - 1) << (8 * n - n))
    value = raw - (1 << (8 * n)) if negative else raw
    return value, pos + n


def slice_key(name: str, starts: list[int], lengths: list[int]) -> bytes:
    escaped = name.encode().replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff")
    out = [b"\x00", escaped, b"\x00\x01", _num_increasing(len(starts))]
    for start, length in zip(starts, lengths):
        out += [_signed_increasing(start), _signed_increasing(length)]
    return b"".join(out)


def parse_slice_key(key: bytes) -> tuple[str, list[int], list[int]] | None:
    """(name, starts, lengths) of a slice key (None: not one)."""
    try:
        if key[:1] != b"\x00":
            return None
        end = key.index(b"\x00\x01", 1)
        while key[end - 1 : end + 1] == b"\x00\xff":  # (an escaped 0 just before)
            end = key.index(b"\x00\x01", end + 1)
        name = key[1:end].replace(b"\x00\xff", b"\x00").replace(b"\xff\x00", b"\xff").decode()
        pos = end + 2
        width = key[pos]
        rank = int.from_bytes(key[pos + 1 : pos + 1 + width], "big")
        pos += 1 + width
        starts, lengths = [], []
        for _ in range(rank):
            start, pos = _read_signed(key, pos)
            length, pos = _read_signed(key, pos)
            starts.append(start)
            lengths.append(length)
        return name, starts, lengths
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


# Tensors ------------------------------------------------------------------------------------
def data_file(prefix: str, shard: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def _string_bytes(value: np.ndarray, size_format: str = "<I") -> tuple[bytes, int]:
    """TensorFlow's layout of a string tensor, and its masked CRC-32C (over each length as
    a uint32 -- `size_format` "<Q", uint64, for files of TF versions that used those --,
    the masked CRC-32C of the lengths, and the bytes)."""
    items = [v if isinstance(v, bytes) else str(v).encode() for v in value.reshape(-1)]
    lengths = b"".join(_varint(len(v)) for v in items)
    sizes = b"".join(struct.pack(size_format, len(v)) for v in items)
    length_crc = struct.pack("<I", masked_crc(sizes))
    body = b"".join(items)
    return lengths + length_crc + body, masked_crc(sizes + length_crc + body)


def _decode_strings(data: bytes, count: int, name: str) -> tuple[np.ndarray, int]:
    """(the elements, where the stored length checksum starts) of a string tensor's bytes."""
    pos, lengths = 0, []
    try:
        for _ in range(count):
            n, pos = _read_varint(data, pos)
            lengths.append(n)
    except ValueError:
        raise DataLossError(None, None, f"Corrupt string tensor {name}") from None
    at = pos
    pos += 4
    out = np.empty(count, dtype=object)
    for k, n in enumerate(lengths):
        out[k] = bytes(data[pos : pos + n])
        pos += n
    return out, at


def string_crcs(data: bytes, count: int, name: str) -> tuple[int, ...]:
    """The masked CRC-32C of a string tensor's bytes as TensorFlow computes it (over each
    length as a uint32 and as a uint64, the stored length checksum, and the bytes), for
    the stored value to be among them; none when the stored length checksum is wrong."""
    items, at = _decode_strings(data, count, name)
    stored = bytes(data[at : at + 4])
    body = b"".join(items)
    found = []
    for size_format in ("<I", "<Q"):
        sizes = b"".join(struct.pack(size_format, len(v)) for v in items)
        if struct.pack("<I", masked_crc(sizes)) == stored:
            found.append(masked_crc(sizes + stored + body))
    return tuple(found)


def decode_strings(data, shape, name: str) -> np.ndarray:
    count = int(np.prod(shape, dtype=np.int64))
    return _decode_strings(bytes(data), count, name)[0].reshape(shape)


def read_index(prefix: str, raw: bytes) -> dict:
    """A TensorFlow index as graph/checkpoint.py's index: {"format", "shards", "tensors":
    {name: entry}} with entries {name, dtype, shape, file, offset, nbytes, crc32c}."""
    path = f"{prefix}.index"
    header = None
    tensors: dict = {}  # name -> entry (or, for one saved in slices, its proto until below)
    pieces: dict = {}
    for key, value in read_table(raw, path):
        if key == b"":
            header = BundleHeaderProto.FromString(value)
            continue
        sliced = parse_slice_key(key)
        if sliced is not None:  # a slice of a variable saved partitioned
            pieces[(sliced[0], tuple(sliced[1]), tuple(sliced[2]))] = value
            continue
        name = key.decode()
        entry = BundleEntryProto.FromString(value)
        if entry.dtype not in _FROM_TF:
            raise UnimplementedError(
                None, None, f"Tensor {name} of TensorFlow DataType {entry.dtype} in {path}"
            )
        dtype = _FROM_TF[entry.dtype]
        if entry.slices:  # filled in below, from its slices' entries
            tensors[name] = (entry, dtype)
            continue
        num_shards = header.num_shards if header is not None else 1
        tensors[name] = {
            "name": name,
            "dtype": dtype,
            "shape": [int(d.size) for d in entry.shape.dim],
            "file": os.path.basename(data_file(prefix, entry.shard_id, num_shards)),
            "offset": int(entry.offset),
            "nbytes": int(entry.size),
            "crc32c": int(entry.crc32c),
        }
    if header is None:
        raise DataLossError(None, None, f"{path} has no bundle header")
    num = header.num_shards
    for name in [n for n, e in tensors.items() if isinstance(e, tuple)]:
        proto, dtype = tensors[name]
        tensors.update(_sliced_entries(prefix, path, name, proto, dtype, pieces, num))
    return {
        "format": "tensorflow",
        "shards": [os.path.basename(data_file(prefix, k, num)) for k in range(num)],
        "tensors": tensors,
    }


def _sliced_entries(prefix, path, name, entry, dtype, pieces, num_shards) -> dict:
    """A variable TensorFlow saved in slices: its full entry (read by assembling the
    slices) and, when it was cut along one dimension (a partitioner's), an entry per part
    named as TF1 and psflow name a partitioned variable's parts, `NAME/part_K`, for
    restoring into one ("derived": not listed as the checkpoint's own)."""
    shape = [int(d.size) for d in entry.shape.dim]
    parts = []
    for piece in entry.slices:
        starts = [int(e.start) for e in piece.extent]
        lengths = [int(e.length) if e.HasField("length") else -1 for e in piece.extent]
        value = pieces.get((name, tuple(starts), tuple(lengths)))
        if value is None:
            raise DataLossError(None, None, f"{path}: slice {starts} {lengths} of {name} missing")
        data = BundleEntryProto.FromString(value)
        lengths = [dim if n < 0 else n for n, dim in zip(lengths, shape)]
        parts.append({
            "name": name, "dtype": dtype, "shape": lengths, "start": starts,
            "file": os.path.basename(data_file(prefix, data.shard_id, num_shards)),
            "offset": int(data.offset), "nbytes": int(data.size), "crc32c": int(data.crc32c),
        })  # fmt: skip
    out = {name: {"name": name, "dtype": dtype, "shape": shape, "slices": parts}}
    cut = [d for d in range(len(shape)) if any(p["shape"][d] != shape[d] for p in parts)]
    if len(cut) <= 1:
        axis = cut[0] if cut else 0
        for k, part in enumerate(sorted(parts, key=lambda p: p["start"][axis])):
            part_name = f"{name}/part_{k}"
            out[part_name] = {**part, "name": part_name, "slice": [name, shape, part["start"]],
                              "derived": True}  # fmt: skip
    return out


def write(prefix: str, tensors: dict[str, np.ndarray], slices: dict | None = None) -> None:
    """Writes `tensors` (name -> array) as a TensorFlow V2 checkpoint at `prefix`: the data
    file, then the index (each under a temporary name, then renamed). `slices` names the
    parts of partitioned variables, part name -> (full name, full shape, start offsets):
    those are saved as TensorFlow saves a partitioned variable, slices of the full name."""
    slices = slices or {}
    entries: dict[bytes, bytes] = {}
    full: dict = {}  # a partitioned variable's name -> its entry, with its slices
    chunks, offset = [], 0
    for name in sorted(tensors):
        value = np.asarray(tensors[name])
        dtype = "string" if value.dtype == object else _dt.as_dtype(value.dtype).name
        if dtype not in _TF_TYPES:
            raise UnimplementedError(
                None, None, f"Tensor {name} of dtype {dtype} in a TensorFlow checkpoint"
            )
        if dtype == "string":
            data, crc = _string_bytes(value)
        else:
            data = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<")).tobytes()
            crc = masked_crc(data)
        entry = BundleEntryProto(dtype=_TF_TYPES[dtype], offset=offset, size=len(data), crc32c=crc)
        entry.shape.SetInParent()  # present even for a scalar, as TensorFlow writes it
        for d in value.shape:
            entry.shape.dim.add(size=int(d))
        key = name.encode()
        if name in slices:
            whole, shape, starts = slices[name]
            key = slice_key(whole, list(starts), list(value.shape))
            if whole not in full:
                full[whole] = BundleEntryProto(dtype=_TF_TYPES[dtype])
                full[whole].shape.SetInParent()
                for d in shape:
                    full[whole].shape.dim.add(size=int(d))
            piece = full[whole].slices.add()
            for start, length in zip(starts, value.shape):
                piece.extent.add(start=int(start), length=int(length))
        entries[key] = entry.SerializeToString()
        chunks.append(data)
        offset += len(data)
    for whole, entry in full.items():
        entries[whole.encode()] = entry.SerializeToString()
    storage.atomic_write(data_file(prefix, 0, 1), lambda f: [f.write(c) for c in chunks])
    header = BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    items = [(b"", header.SerializeToString())] + sorted(entries.items())
    index = table_bytes(items)
    storage.atomic_write(f"{prefix}.index", lambda f: f.write(index))
