"""tf.train.Example and its parts (`Feature`, `Features`, `BytesList`, `FloatList`,
`Int64List`, `FeatureList`, `FeatureLists`, `SequenceExample`): TensorFlow's
example.proto and feature.proto, field for field, as protobuf classes built here from
their descriptors (in a pool of their own, so TensorFlow's own classes may be loaded
beside them): what they serialize is what TF parses, and the other way round."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def add_field(message, name, number, kind, label=_F.LABEL_OPTIONAL, type_name=None, oneof=None):
    """Adds a field to a DescriptorProto message (graph/tf_checkpoint.py builds its own too)."""
    field = message.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    if oneof is not None:
        field.oneof_index = oneof
    return field


def _map(message, name, value_type):
    """A `map<string, value_type> name = 1` field, as protoc spells it."""
    entry = message.nested_type.add(name="".join(p.title() for p in name.split("_")) + "Entry")
    entry.options.map_entry = True
    add_field(entry, "key", 1, _F.TYPE_STRING)
    add_field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=value_type)
    add_field(message, name, 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED,
           f".tensorflow.{message.name}.{entry.name}")  # fmt: skip


def _build():
    proto = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/example/example.proto", package="tensorflow", syntax="proto3"
    )
    for name, kind in (("BytesList", _F.TYPE_BYTES), ("FloatList", _F.TYPE_FLOAT),
                       ("Int64List", _F.TYPE_INT64)):  # fmt: skip
        add_field(proto.message_type.add(name=name), "value", 1, kind, _F.LABEL_REPEATED)
    feature = proto.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    for number, name in enumerate(("bytes_list", "float_list", "int64_list"), 1):
        type_name = ".tensorflow." + "".join(p.title() for p in name.split("_"))
        add_field(feature, name, number, _F.TYPE_MESSAGE, type_name=type_name, oneof=0)
    _map(proto.message_type.add(name="Features"), "feature", ".tensorflow.Feature")
    add_field(proto.message_type.add(name="FeatureList"), "feature", 1, _F.TYPE_MESSAGE,
           _F.LABEL_REPEATED, ".tensorflow.Feature")  # fmt: skip
    _map(proto.message_type.add(name="FeatureLists"), "feature_list", ".tensorflow.FeatureList")
    add_field(proto.message_type.add(name="Example"), "features", 1, _F.TYPE_MESSAGE,
           type_name=".tensorflow.Features")  # fmt: skip
    sequence = proto.message_type.add(name="SequenceExample")
    add_field(sequence, "context", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    add_field(sequence, "feature_lists", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return {
        m.name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorflow.{m.name}"))
        for m in proto.message_type
    }


_CLASSES = _build()
BytesList = _CLASSES["BytesList"]
FloatList = _CLASSES["FloatList"]
Int64List = _CLASSES["Int64List"]
Feature = _CLASSES["Feature"]
Features = _CLASSES["Features"]
FeatureList = _CLASSES["FeatureList"]
FeatureLists = _CLASSES["FeatureLists"]
Example = _CLASSES["Example"]
SequenceExample = _CLASSES["SequenceExample"]
