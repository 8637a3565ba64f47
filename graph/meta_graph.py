"""Meta graphs: a Graph and its collections as msgpack, so `import_meta_graph` rebuilds it in
a fresh process without the Python that built it (no code is stored or executed)."""

from __future__ import annotations

from . import errors, storage, wire
from .framework import Operation, Tensor, get_default_graph, recreate_op
from .variables import Variable

META_VERSION = 1


def _describe(item):
    if isinstance(item, Variable):
        return {"kind": "variable", **item.to_proto()}
    if isinstance(item, Tensor):
        return {"kind": "tensor", "name": item.name}
    if isinstance(item, Operation):
        return {"kind": "op", "name": item.name}
    if isinstance(item, (str, int, float, bool, bytes)):
        return {"kind": "value", "value": item}
    return None


def graph_to_meta(graph, collection_list=None, saver_info=None, clear_devices=False) -> dict:
    ops = []
    for op in graph.get_operations():
        ops.append(
            {
                "name": op.name,
                "type": op.type,
                "inputs": [t.name for t in op.inputs],
                "controls": [c.name for c in op.control_inputs],
                "attrs": op._attrs,
                "device": "" if clear_devices else op.device,
                "colocation": op._colocation,
            }
        )
    keys = collection_list if collection_list is not None else graph.get_all_collection_keys()
    collections = {}
    for key in keys:
        items = [_describe(i) for i in graph.get_collection(key)]
        items = [i for i in items if i is not None]
        if items:
            collections[key] = items
    return {
        "format": "psflow-meta-graph",
        "version": META_VERSION,
        "ops": ops,
        "collections": collections,
        "saver": saver_info,
    }


def export_meta_graph(
    filename=None, collection_list=None, graph=None, saver=None, clear_devices=False, **_ignored
) -> dict:
    """Writes the default graph (or `graph`) and its collections to `filename` (msgpack)."""
    graph = graph or get_default_graph()
    saver_info = saver._to_meta() if saver is not None else None
    meta = graph_to_meta(graph, collection_list, saver_info, clear_devices)
    if filename:
        data = wire.pack(meta)
        storage.atomic_write(str(filename), lambda f: f.write(data))
    return meta


def import_graph(meta_graph_or_file, clear_devices=False, import_scope=None):
    """Rebuilds a meta graph's ops and collections in the default graph. Returns the Saver's
    variable list (None when the graph had no variables) and the Saver's settings;
    `saver.import_meta_graph` builds the Saver from them."""
    if isinstance(meta_graph_or_file, dict):
        meta = meta_graph_or_file
    else:
        raw = storage.read_bytes(str(meta_graph_or_file))
        try:
            meta = wire.unpack(raw)
        except Exception as e:  # any corruption of the file is the same to the user
            raise errors.DataLossError(
                None, None, f"Unable to read meta graph {meta_graph_or_file}: {e}"
            ) from None
    if not isinstance(meta, dict) or meta.get("format") != "psflow-meta-graph":
        raise ValueError(f"{meta_graph_or_file} is not a psflow meta graph")
    graph = get_default_graph()
    prefix = f"{import_scope}/" if import_scope else ""
    for spec in meta["ops"]:
        inputs = [graph.get_tensor_by_name(prefix + n) for n in spec["inputs"]]
        controls = [graph.get_operation_by_name(prefix + c) for c in spec["controls"]]
        recreate_op(graph, spec["type"], inputs, dict(spec["attrs"]), prefix + spec["name"],
                    controls, "" if clear_devices else spec["device"],
                    [prefix + c for c in spec.get("colocation") or []])  # fmt: skip
    variables = {}
    for key, items in meta["collections"].items():
        for item in items:
            kind = item["kind"]
            if kind == "variable":
                name = item["variable_name"]
                if name not in variables:
                    variables[name] = Variable(
                        variable_def={
                            k: (prefix + v if isinstance(v, str) and k.endswith("_name") else v)
                            for k, v in item.items()
                        }
                    )
                value = variables[name]
            elif kind == "tensor":
                value = graph.get_tensor_by_name(prefix + item["name"])
            elif kind == "op":
                value = graph.get_operation_by_name(prefix + item["name"])
            else:
                value = item["value"]
            graph.add_to_collection(key, value)
    saver_info = meta.get("saver") or {}
    if not variables:
        return None, saver_info
    names = saver_info.get("var_names")
    by_op = {v.op.name: v for v in variables.values()}
    var_list = {k: by_op[prefix + n] for k, n in names.items()} if names else list(by_op.values())
    return var_list, saver_info
