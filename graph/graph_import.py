"""`tf.import_graph_def` and `tf.graph_util`: GraphDef protos back into a Graph, and the
GraphDef rewrites of TF1's model freezing (variables to constants, sub-graph extraction,
training-node removal).

A GraphDef psflow wrote carries each node's own attrs (graph_def.PSFLOW_ATTRS), so its ops
come back exactly; a GraphDef TensorFlow wrote is read attr by attr (types, shapes,
tensors, lists), for the ops whose attrs psflow names as TF does.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt, wire
from .console import get_logger
from .framework import Operation, Tensor, get_default_graph, recreate_op
from .graph_def import PSFLOW_ATTRS, make_ndarray, make_tensor_proto
from .registry import get_op_def

_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")
# TF op types psflow runs under another name (same inputs and attrs).
_TF_ALIASES = {
    "AddV2": "Add",
    "BatchMatMul": "BatchMatMulV2",
    "BatchMatMulV3": "BatchMatMulV2",
    "Snapshot": "Identity",
}


# Reading nodes ---------------------------------------------------------------------------------
def _parse_input(text: str):
    """(op name, output index or None for a control input)."""
    if text.startswith("^"):
        return text[1:], None
    name, _, index = text.partition(":")
    return name, int(index) if index else 0


def _attr_to_python(av):
    kind = av.WhichOneof("value")
    if kind == "type":
        return _dt.as_dtype(av.type).name
    if kind == "shape":
        if av.shape.unknown_rank:
            return None
        return [None if d.size < 0 else int(d.size) for d in av.shape.dim]
    if kind == "tensor":
        return make_ndarray(av.tensor)
    if kind == "s":
        try:
            return av.s.decode()
        except UnicodeDecodeError:
            return av.s
    if kind in ("i", "f", "b"):
        return getattr(av, kind)
    if kind == "list":
        lst = av.list
        if lst.type:
            return [_dt.as_dtype(t).name for t in lst.type]
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.s:
            return [v.decode() for v in lst.s]
        if lst.b:
            return list(lst.b)
        return []
    return None


def _node_attrs(node, opdef) -> dict:
    if PSFLOW_ATTRS in node.attr:  # psflow's own: its attrs, arrays from their TensorProtos
        attrs = wire.unpack(node.attr[PSFLOW_ATTRS].s)
        for key, av in node.attr.items():
            if key not in attrs and av.WhichOneof("value") == "tensor":
                attrs[key] = make_ndarray(av.tensor)
        return attrs
    attrs = {}
    for key, av in node.attr.items():
        if key.startswith("_"):
            continue
        value = _attr_to_python(av)
        if key in opdef.attrs or key in opdef.types:
            attrs[key] = value
    if node.op == "Const" and "dtype" not in attrs and "value" in attrs:
        attrs["dtype"] = _dt.as_dtype(attrs["value"].dtype).name
    return attrs


def _topological(nodes) -> list:
    """Nodes with every input before its consumer (a GraphDef may list them in any order)."""
    by_name = {n.name: n for n in nodes}
    order, state = [], {}
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[node.name] = 2
                order.append(node)
                continue
            if state.get(node.name) == 2:
                continue
            if state.get(node.name) == 1:
                raise ValueError(f"GraphDef has a cycle through node '{node.name}'")
            state[node.name] = 1
            stack.append((node, True))
            for text in node.input:
                dep = by_name.get(_parse_input(text)[0])
                if dep is not None and state.get(dep.name) != 2:
                    stack.append((dep, False))
    return order


def import_graph_def(
    graph_def,
    input_map=None,
    return_elements=None,
    name=None,
    op_dict=None,
    producer_op_list=None,
):
    """Adds the GraphDef's nodes to the default graph under the name scope `name` ("import"
    when None, none when ""); `input_map` replaces the GraphDef's tensors ("name:0") by
    tensors of this graph; returns the `return_elements` ("op" names, "op:0" tensors)."""
    from tensorboard.compat.proto import graph_pb2

    if not isinstance(graph_def, graph_pb2.GraphDef):
        if hasattr(graph_def, "SerializeToString"):
            graph_def = graph_pb2.GraphDef.FromString(graph_def.SerializeToString())
        else:
            raise TypeError("graph_def must be a GraphDef proto.")
    input_map = dict(input_map or {})
    for key, value in input_map.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"input_map values must be Tensors, got {type(value).__name__} for "
                            f"'{key}'")  # fmt: skip
    graph = get_default_graph()
    prefix = "import" if name is None else name
    if prefix:
        prefix = graph.unique_name(prefix, mark_as_used=True) + "/"
    used_maps: set = set()
    created: dict[str, Operation] = {}
    for node in _topological(list(graph_def.node)):
        op_type = node.op
        try:
            opdef = get_op_def(op_type)
        except KeyError:
            if op_type not in _TF_ALIASES:
                raise ValueError(f"Op type not registered '{node.op}' in binary (node "
                                 f"'{node.name}')") from None  # fmt: skip
            op_type = _TF_ALIASES[op_type]
            opdef = get_op_def(op_type)
        inputs, controls = [], []
        for text in node.input:
            src, index = _parse_input(text)
            if index is None:
                controls.append(_created(created, src, node))
                continue
            key = f"{src}:{index}"
            if key in input_map:
                inputs.append(input_map[key])
                used_maps.add(key)
            else:
                inputs.append(_created(created, src, node).outputs[index])
        colocation = [
            prefix + s.decode()[len("loc:@") :] for s in node.attr["_class"].list.s
        ] if "_class" in node.attr else []  # fmt: skip
        op = recreate_op(graph, op_type, inputs, _node_attrs(node, opdef), prefix + node.name,
                         controls, node.device, colocation)  # fmt: skip
        created[node.name] = op
    unused = sorted(set(input_map) - used_maps)
    if unused:
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(unused)}]")  # fmt: skip
    if return_elements is None:
        return None
    results = []
    for element in return_elements:
        if ":" in element:
            op_name, _, index = element.partition(":")
            if op_name not in created:
                raise ValueError(f"Requested return tensor '{element}' not found in graph def")
            results.append(created[op_name].outputs[int(index)])
        else:
            if element not in created:
                raise ValueError(f"Requested return node '{element}' not found in graph def")
            results.append(created[element])
    return results


def _created(created, name, node):
    if name not in created:
        raise ValueError(f"Node '{node.name}': Unknown input node '{name}'")
    return created[name]


# tf.graph_util ---------------------------------------------------------------------------------
def _node_name(text: str) -> str:
    return _parse_input(text)[0]


def extract_sub_graph(graph_def, dest_nodes):
    """The GraphDef of `dest_nodes` and every node they depend on (in the original order)."""
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list.")
    by_name = {n.name: n for n in graph_def.node}
    for name in dest_nodes:
        if name not in by_name:
            raise AssertionError(f"{name} is not in graph")
    keep, stack = set(), list(dest_nodes)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(t) for t in by_name[name].input)
    out = type(graph_def)()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(n for n in graph_def.node if n.name in keep)
    return out


def _const_node(node_def_type, name, value, device):
    node = node_def_type(name=name, op="Const", device=device)
    value = np.asarray(value)
    node.attr["dtype"].type = _dt.as_dtype(value.dtype).enum
    node.attr["value"].tensor.CopyFrom(make_tensor_proto(value))
    node.attr[PSFLOW_ATTRS].s = wire.pack({"value": value, "dtype": _dt.as_dtype(value.dtype).name})
    return node


def convert_variables_to_constants(
    sess,
    input_graph_def,
    output_node_names,
    variable_names_whitelist=None,
    variable_names_blacklist=None,
):
    """The sub-graph of `output_node_names` with each variable it reads replaced by a
    constant holding the variable's value in `sess` (a frozen model)."""
    from tensorboard.compat.proto import node_def_pb2

    inference = extract_sub_graph(input_graph_def, output_node_names)
    names = [
        n.name
        for n in inference.node
        if n.op in _VARIABLE_OPS
        and (variable_names_whitelist is None or n.name in variable_names_whitelist)
        and (variable_names_blacklist is None or n.name not in variable_names_blacklist)
    ]
    values = dict(zip(names, sess.run([f"{n}:0" for n in names]))) if names else {}
    out = type(inference)()
    out.versions.CopyFrom(inference.versions)
    out.library.CopyFrom(inference.library)
    for node in inference.node:
        if node.name in values:
            out.node.append(_const_node(node_def_pb2.NodeDef, node.name, values[node.name],
                                        node.device))  # fmt: skip
        else:
            out.node.append(node)
    get_logger().info("Froze %d variables.", len(values))
    get_logger().info("Converted %d variables to const ops.", len(values))
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """The GraphDef without its Identity and CheckNumerics nodes (each consumer reads the
    node's input instead), but for `protected_nodes` and identities with control inputs."""
    protected = set(protected_nodes or [])
    by_name = {n.name: n for n in input_graph.node}
    removable = {
        n.name: n.input[0]
        for n in input_graph.node
        if n.op in ("Identity", "CheckNumerics")
        and n.name not in protected
        and n.input
        and not any(t.startswith("^") for t in n.input)
    }

    def resolve(text: str) -> str:
        control = text.startswith("^")
        name = _node_name(text)
        seen = set()
        while name in removable and name not in seen:
            seen.add(name)
            text = removable[name]
            name = _node_name(text)
        if control:
            return "^" + name
        return text if name in by_name else text

    out = type(input_graph)()
    out.versions.CopyFrom(input_graph.versions)
    out.library.CopyFrom(input_graph.library)
    for node in input_graph.node:
        if node.name in removable:
            continue
        copy = out.node.add()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(resolve(t) if _node_name(t) in removable else t for t in node.input)
    return out


def must_run_on_cpu(node, pin_variables_on_cpu=False) -> bool:
    """TF's rule for which nodes stay on the CPU (string and int32 constants, int32
    DynamicStitch and Cast, and variables when pinned)."""
    if isinstance(node, Operation):
        op_type, attrs = node.type, node._attrs
        dtype_of = {k: _dt.as_dtype(v) for k, v in attrs.items()
                    if k in ("dtype", "T", "SrcT") and v is not None}  # fmt: skip
    else:
        op_type = node.op
        dtype_of = {k: _dt.as_dtype(node.attr[k].type) for k in ("dtype", "T", "SrcT")
                    if k in node.attr}  # fmt: skip
    if pin_variables_on_cpu and op_type in _VARIABLE_OPS:
        return True
    if op_type == "Const":
        return dtype_of.get("dtype") in (_dt.string, _dt.int32)
    if op_type in ("DynamicStitch", "ParallelDynamicStitch"):
        return dtype_of.get("T") is _dt.int32
    if op_type == "Cast":
        return dtype_of.get("SrcT") is _dt.int32
    return False


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor `input_name` ("op" means its first output)."""
    canonical = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(canonical).shape
