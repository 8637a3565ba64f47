"""`tf.io.decode_proto` and `tf.io.encode_proto`: fields of serialized protocol buffers to
tensors and back, on the protobuf library.

Message types come from `descriptor_source`: "local://" (the messages this process knows:
psflow's tf.train.Example family, the protos tensorboard ships -- "tensorflow.X" finds their
"tensorboard.X" copy -- and any generated module the program imported), a file holding a
FileDescriptorSet, or "bytes://" followed by one. As TF's ops: `sizes` counts each field's
values per message (a singular field counts when present), `values` pads each field to
its largest count (at least 1) with the field's default.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError
from ..framework import apply_op, convert_to_tensor
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

# The output dtypes TF accepts for each protobuf field type.
_ALLOWED = {
    "TYPE_DOUBLE": ("float64",),
    "TYPE_FLOAT": ("float32", "float64"),
    "TYPE_INT64": ("int64",),
    "TYPE_UINT64": ("uint64", "int64"),
    "TYPE_INT32": ("int32", "int64"),
    "TYPE_FIXED64": ("uint64", "int64"),
    "TYPE_FIXED32": ("uint32", "int64"),
    "TYPE_BOOL": ("bool",),
    "TYPE_STRING": ("string",),
    "TYPE_GROUP": ("string",),
    "TYPE_MESSAGE": ("string",),
    "TYPE_BYTES": ("string",),
    "TYPE_UINT32": ("uint32", "int64"),
    "TYPE_ENUM": ("int32", "int64"),
    "TYPE_SFIXED32": ("int32", "int64"),
    "TYPE_SFIXED64": ("int64",),
    "TYPE_SINT32": ("int32", "int64"),
    "TYPE_SINT64": ("int64",),
}


def _error(message):
    return InvalidArgumentError(None, None, message)


@functools.lru_cache(maxsize=64)
def _message_class(message_type: str, descriptor_source: str):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    if descriptor_source == "local://":
        from .. import example_proto

        pools = [example_proto.Example.DESCRIPTOR.file.pool, descriptor_pool.Default()]
        names = [message_type]
        if message_type.startswith("tensorflow."):  # tensorboard's copies of TF's protos
            import tensorboard.compat.proto  # noqa: F401

            names.append("tensorboard." + message_type[len("tensorflow.") :])
    else:
        if descriptor_source.startswith("bytes://"):
            data = descriptor_source[len("bytes://") :].encode("latin-1")
        else:
            try:
                with open(descriptor_source, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise _error(f"Failed to read descriptor_source {descriptor_source}: {e}") from None
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
        pools, names = [pool], [message_type]
    for pool in pools:
        for name in names:
            try:
                descriptor = pool.FindMessageTypeByName(name)
            except KeyError:
                continue
            return message_factory.GetMessageClass(descriptor)
    raise _error(f"No descriptor found for message type {message_type}")


def _fields(cls, message_type, field_names, output_types=None):
    fields = []
    for k, name in enumerate(field_names):
        field = cls.DESCRIPTOR.fields_by_name.get(name)
        if field is None:
            raise _error(f"Unknown field: {name} in message type {message_type}")
        kind_name = _type_names()[field.type]
        if output_types is not None and output_types[k] not in _ALLOWED[kind_name]:
            raise _error(
                f"Unexpected output type for {message_type}.{name}: "
                f"{_WIRE_NAMES.get(kind_name, kind_name)} to DT_{output_types[k].upper()}"
            )
        fields.append(field)
    return fields


@functools.cache
def _type_names() -> dict:
    """protobuf's field type numbers -> their names (TYPE_INT32, ...)."""
    from google.protobuf.descriptor import FieldDescriptor

    return {getattr(FieldDescriptor, n): n for n in _ALLOWED}


_WIRE_NAMES = {
    "TYPE_INT32": "int32",
    "TYPE_INT64": "int64",
    "TYPE_FLOAT": "float",
    "TYPE_DOUBLE": "double",
    "TYPE_BOOL": "bool",
    "TYPE_STRING": "string",
}


def _is_repeated(field) -> bool:
    repeated = getattr(field, "is_repeated", None)  # protobuf >= 6; `label` before
    if repeated is not None:
        return bool(repeated)
    return field.label == field.LABEL_REPEATED


def _values_of(message, field):
    if _is_repeated(field):
        items = list(getattr(message, field.name))
    elif field.type == field.TYPE_MESSAGE or field.has_presence:
        items = [getattr(message, field.name)] if message.HasField(field.name) else []
    else:  # proto3 scalars: present when not the default
        value = getattr(message, field.name)
        items = [value] if value != field.default_value else []
    if field.type in (field.TYPE_MESSAGE, field.TYPE_GROUP):
        return [m.SerializeToString() for m in items]
    if field.type == field.TYPE_STRING:
        return [s.encode() if isinstance(s, str) else s for s in items]
    return items


def _default_of(field):
    if field.type in (field.TYPE_MESSAGE, field.TYPE_GROUP, field.TYPE_STRING, field.TYPE_BYTES):
        if _is_repeated(field) or field.type in (field.TYPE_MESSAGE, field.TYPE_GROUP):
            return b""
    elif _is_repeated(field):  # a repeated field's default is [], its values' is the type's
        if field.type == field.TYPE_BOOL:
            return False
        if field.type == field.TYPE_ENUM:
            return field.enum_type.values[0].number
        return 0
    value = field.default_value
    return value.encode() if isinstance(value, str) else value


def _decode_kernel(
    data, *, message_type, field_names, output_types, descriptor_source, message_format, sanitize
):
    from google.protobuf import message as _message, text_format

    cls = _message_class(message_type, descriptor_source)
    fields = _fields(cls, message_type, field_names, output_types)
    flat = np.asarray(data, dtype=object).reshape(-1)
    if flat.size == 0:
        raise _error("Bufs argument must contain at least one value")
    parsed = []
    for raw in flat:
        msg = cls()
        try:
            if message_format == "text":
                text_format.Parse(raw.decode() if isinstance(raw, bytes) else raw, msg)
            else:
                msg.ParseFromString(raw)
        except (_message.DecodeError, text_format.ParseError, UnicodeDecodeError) as e:
            raise DataLossError(None, None, f"Unable to parse a {message_type}: {e}") from None
        parsed.append([_values_of(msg, f) for f in fields])
    batch = np.asarray(data, dtype=object).shape
    sizes = np.array([[len(v) for v in row] for row in parsed], np.int32)
    outs = [sizes.reshape(batch + (len(fields),))]
    for k, field in enumerate(fields):
        width = max(1, int(sizes[:, k].max()))
        dtype = _dt.as_dtype(output_types[k])
        np_type = object if dtype is _dt.string else dtype.np
        out = np.empty((len(parsed), width), dtype=np_type)
        out[:] = _default_of(field)
        for i, row in enumerate(parsed):
            if row[k]:
                out[i, : len(row[k])] = row[k]
        outs.append(out.reshape(batch + (width,)))
    return tuple(outs)


def _decode_infer(data, *, field_names, output_types, **_):
    lead = data.shape.as_list() if data.shape.ndims is not None else None
    sizes = TensorShape(None if lead is None else lead + [len(field_names)])
    values = [
        TensorSpec(_dt.as_dtype(t), TensorShape(None if lead is None else lead + [None]))
        for t in output_types
    ]
    return [TensorSpec(_dt.int32, sizes)] + values


register_op(
    OpDef(
        "DecodeProtoV2",
        inputs=["bytes: string"],
        outputs=["sizes: int32", "values: N*any"],
        attrs={
            "message_type": None,
            "field_names": None,
            "output_types": None,
            "descriptor_source": "local://",
            "message_format": "binary",
            "sanitize": False,
        },
        infer=_decode_infer,
        kernel=_decode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _encode_kernel(sizes, *values, field_names, message_type, descriptor_source):
    cls = _message_class(message_type, descriptor_source)
    fields = _fields(cls, message_type, field_names)
    sizes = np.asarray(sizes)
    batch = sizes.shape[:-1]
    flat_sizes = sizes.reshape(-1, len(fields))
    flat_values = [np.asarray(v).reshape(len(flat_sizes), -1) for v in values]
    out = np.empty(len(flat_sizes), dtype=object)
    for i in range(len(flat_sizes)):
        msg = cls()
        for k, field in enumerate(fields):
            n = int(flat_sizes[i, k])
            if n > flat_values[k].shape[1]:
                raise _error(
                    f"Size {n} of field {field.name} is larger than its values "
                    f"({flat_values[k].shape[1]})"
                )
            items = flat_values[k][i, :n].tolist()
            if field.type in (field.TYPE_MESSAGE, field.TYPE_GROUP):
                if _is_repeated(field):
                    for raw in items:
                        getattr(msg, field.name).add().ParseFromString(raw)
                elif items:
                    getattr(msg, field.name).ParseFromString(items[0])
                continue
            if field.type == field.TYPE_STRING:
                items = [v.decode() if isinstance(v, bytes) else v for v in items]
            if _is_repeated(field):
                getattr(msg, field.name).extend(items)
            elif items:
                setattr(msg, field.name, items[0])
        out[i] = msg.SerializeToString()
    return out.reshape(batch)


register_op(
    OpDef(
        "EncodeProto",
        inputs=["sizes: int32", "values: N*any"],
        outputs=["bytes: string"],
        attrs={"field_names": None, "message_type": None, "descriptor_source": "local://"},
        infer=lambda sizes, values, **_: TensorSpec(
            _dt.string,
            TensorShape(sizes.shape.as_list()[:-1] if sizes.shape.ndims is not None else None),
        ),
        kernel=_encode_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def decode_proto(
    bytes,
    message_type,
    field_names,
    output_types,
    descriptor_source="local://",  # noqa: A002
    message_format="binary",
    sanitize=False,
    name=None,
):
    """(sizes, values): per message of `bytes`, how many values each field has, and the
    values, one tensor per field ([..., max count], padded with the field's default)."""
    if message_format not in ("binary", "text"):
        raise ValueError(f"message_format must be 'binary' or 'text', got {message_format!r}")
    field_names = list(field_names)
    types = [_dt.as_dtype(t).name for t in output_types]
    if len(types) != len(field_names):
        raise ValueError("field_names and output_types must have the same length")
    attrs = {
        "message_type": message_type,
        "field_names": field_names,
        "output_types": types,
        "descriptor_source": descriptor_source,
        "message_format": message_format,
        "sanitize": bool(sanitize),
    }
    op = apply_op("DecodeProtoV2", [convert_to_tensor(bytes, dtype=_dt.string)], attrs, name=name)
    return op.outputs[0], list(op.outputs[1:])


def encode_proto(sizes, values, field_names, message_type, descriptor_source="local://", name=None):
    """Serialized messages of `message_type`: the first sizes[..., k] entries of values[k]
    in field k (the inverse of decode_proto)."""
    field_names = list(field_names)
    if len(values) != len(field_names):
        raise ValueError("values and field_names must have the same length")
    args = [convert_to_tensor(sizes, dtype=_dt.int32), [convert_to_tensor(v) for v in values]]
    attrs = {
        "field_names": field_names,
        "message_type": message_type,
        "descriptor_source": descriptor_source,
    }
    return apply_op("EncodeProto", args, attrs, name=name).outputs[0]
