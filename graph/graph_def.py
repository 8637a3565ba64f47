"""Graph -> `GraphDef` proto (tensorboard's copy of TF's protos) for TensorBoard's graph
tab: every node with its op type, inputs (`^name` for control inputs), device and the
attrs TensorBoard shows (dtypes, shapes, small constant values)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt

_TYPE_ATTRS = (
    "T",
    "dtype",
    "DstT",
    "SrcT",
    "out_type",
    "Tidx",
    "Tshape",
    "Index",
    "Tparams",
    "Tindices",
    "Taxis",
    "Tdim",
    "index_type",
    "Tlen",
    "Tnumsegments",
)
_MAX_CONST_BYTES = 1 << 16


def make_tensor_proto(value: np.ndarray):
    """A TensorProto (tensorboard's copy of TF's proto) holding a numpy value."""
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2

    value = np.asarray(value)
    dtype = _dt.as_dtype(value.dtype)
    proto = tensor_pb2.TensorProto(dtype=dtype.enum)
    proto.tensor_shape.CopyFrom(
        tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in value.shape]
        )
    )
    if dtype is _dt.string:
        proto.string_val.extend(
            x if isinstance(x, bytes) else str(x).encode() for x in value.ravel()
        )
    else:
        proto.tensor_content = np.ascontiguousarray(value).tobytes()
    return proto


def _attr_value(name: str, value, op, full_constants: bool = False):
    from tensorboard.compat.proto import attr_value_pb2, tensor_shape_pb2

    av = attr_value_pb2.AttrValue()
    if name in _TYPE_ATTRS and isinstance(value, str):
        av.type = _dt.as_dtype(value).enum
    elif name == "shape":
        shape = tensor_shape_pb2.TensorShapeProto(unknown_rank=value is None)
        for d in value or []:
            shape.dim.add(size=-1 if d is None else int(d))
        av.shape.CopyFrom(shape)
    elif isinstance(value, np.ndarray):
        if full_constants or value.nbytes <= _MAX_CONST_BYTES:
            av.tensor.CopyFrom(make_tensor_proto(value))
        else:  # large constants: dtype and shape only, to keep event files small
            av.tensor.dtype = _dt.as_dtype(value.dtype).enum
            for d in value.shape:
                av.tensor.tensor_shape.dim.add(size=d)
    elif isinstance(value, bool):
        av.b = value
    elif isinstance(value, int):
        av.i = value
    elif isinstance(value, float):
        av.f = value
    elif isinstance(value, str):
        av.s = value.encode()
    elif isinstance(value, bytes):
        av.s = value
    elif isinstance(value, (list, tuple)) and all(isinstance(v, int) for v in value):
        av.list.i.extend(value)
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        av.list.s.extend(v.encode() for v in value)
    else:
        return None
    return av


# Every attr of a psflow op, as it is, so `import_graph_def` rebuilds the op exactly (TF
# keeps attrs whose names start with "_" out of its op checks, so TF reads these files too).
PSFLOW_ATTRS = "_psflow_attrs"


def graph_to_graph_def(graph, add_shapes: bool = False, for_display: bool = False):
    """The graph's GraphDef. Complete unless `for_display` (TensorBoard's graph tab): every
    constant's value, and each node's other psflow attrs (msgpack) under PSFLOW_ATTRS."""
    from tensorboard.compat.proto import graph_pb2, versions_pb2

    from . import wire

    gd = graph_pb2.GraphDef(versions=versions_pb2.VersionDef(producer=27))
    for op in graph.get_operations():
        node = gd.node.add(name=op.name, op=op.type, device=op.device)
        for t in op.inputs:
            node.input.append(t.op.name if t.value_index == 0 else t.name)
        for c in op.control_inputs:
            node.input.append(f"^{c.name}")
        for key, value in op._attrs.items():
            av = _attr_value(key, value, op, full_constants=not for_display)
            if av is not None:
                node.attr[key].CopyFrom(av)
        if not for_display:
            # Arrays already written whole as TensorProtos are not written twice.
            whole = {k for k in node.attr if node.attr[k].WhichOneof("value") == "tensor"}
            rest = {k: v for k, v in op._attrs.items()
                    if not (isinstance(v, np.ndarray) and k in whole)}  # fmt: skip
            node.attr[PSFLOW_ATTRS].s = wire.pack(rest)
        if op._colocation:
            node.attr["_class"].list.s.extend(op.colocation_groups())
        if add_shapes:
            from tensorboard.compat.proto import attr_value_pb2

            shapes = attr_value_pb2.AttrValue()
            for t in op.outputs:
                s = shapes.list.shape.add(unknown_rank=t.shape.ndims is None)
                for d in t.shape.as_list() if t.shape.ndims is not None else []:
                    s.dim.add(size=-1 if d is None else d)
            node.attr["_output_shapes"].CopyFrom(shapes)
    return gd


def make_ndarray(proto) -> np.ndarray:
    """The numpy value of a TensorProto (`tf.make_ndarray`): its raw `tensor_content`, or
    its typed values (the last one repeated to fill the shape, as TF reads them)."""
    dtype = _dt.as_dtype(proto.dtype)
    shape = [d.size for d in proto.tensor_shape.dim]
    count = int(np.prod(shape, dtype=np.int64))
    if dtype is _dt.string:
        strings = list(proto.string_val)
        out = np.empty(count, dtype=object)
        out[:] = (strings + strings[-1:] * (count - len(strings)))[:count] if strings else b""
        return out.reshape(shape)
    np_type = dtype.np
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=np_type).copy().reshape(shape)
    field = {
        "float16": "half_val", "float32": "float_val", "float64": "double_val",
        "int64": "int64_val", "bool": "bool_val", "uint32": "uint32_val", "uint64": "uint64_val",
    }.get(dtype.name, "int_val")  # fmt: skip
    raw = getattr(proto, field)
    values: np.ndarray
    if field == "half_val":  # stored as the halves' bits
        values = np.array(raw, np.uint16).view(np.float16)
    else:
        values = np.asarray(raw, dtype=np_type)
    if values.size == count:
        return values.reshape(shape)
    filled = np.empty(count, np_type)
    filled[: values.size] = values
    filled[values.size :] = values[-1] if values.size else 0
    return filled.reshape(shape)
