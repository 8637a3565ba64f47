"""Control ops: NoOp, `group`, `tuple`, and `control_dependencies` (from the framework)."""

from __future__ import annotations

from ..framework import Operation, Tensor, apply_op, control_dependencies, get_default_graph
from ..registry import NOT_DIFFERENTIABLE, OpDef, register_op
from . import array as _array


def _no_op_infer():
    return []


def _no_op_kernel():
    return None


register_op(OpDef("NoOp", inputs=[], outputs=[], infer=_no_op_infer, kernel=_no_op_kernel,
                  grad=NOT_DIFFERENTIABLE))


def no_op(name=None) -> Operation:
    """Does nothing; useful as a target with control dependencies."""
    return apply_op("NoOp", [], name=name)


def group(*inputs, name=None) -> Operation:
    """An op that runs all `inputs` (Tensors or Operations) when run."""
    flat = []
    for item in inputs:
        if isinstance(item, (list, tuple)):
            flat.extend(item)
        else:
            flat.append(item)
    ops = [_op_of(i) for i in flat if i is not None]
    graph = ops[0].graph if ops else get_default_graph()
    with graph.as_default(), control_dependencies(ops):
        return no_op(name=name or "group_deps")


def _op_of(item) -> Operation:
    if hasattr(item, "_as_graph_element"):
        item = item._as_graph_element()
    if isinstance(item, Operation):
        return item
    if isinstance(item, Tensor):
        return item.op
    raise TypeError(f"Expected a Tensor or Operation in group(), got {item!r}")


def tuple_(tensors, name=None, control_inputs=None) -> list:
    """The same tensors, each available only after all of them (and `control_inputs`) ran."""
    gate = group(*[t for t in tensors if t is not None], *(control_inputs or []),
                 name=name or "tuple")
    out = []
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        with control_dependencies([gate]):
            out.append(_array.identity(t))
    return out
