"""Control flow: `NoOp` with `group` and `tuple`; conditional execution with `Switch`,
`Merge`, and `tf.cond` / `tf.case` built on them.

As in TF1, `cond` routes every tensor a branch reads through a Switch on the predicate;
on the branch not taken those tensors are dead, every op reading them is skipped (so its
side effects do not happen), and Merge forwards the live branch's result. Ops a branch
creates without inputs get a control dependency on the branch's pivot, so they are
skipped too. Gradients flow through Switch (Merge of the branch gradients) and Merge
(Switch of the incoming gradient).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import (
    Operation,
    Tensor,
    apply_op,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from ..registry import DEAD, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array


# NoOp, group, tuple -------------------------------------------------------------------------
def _no_op_infer():
    return []


def _no_op_kernel():
    return None


register_op(
    OpDef(
        "NoOp",
        inputs=[],
        outputs=[],
        infer=_no_op_infer,
        kernel=_no_op_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def no_op(name=None) -> Operation:
    """Does nothing; useful as a target with control dependencies."""
    return apply_op("NoOp", [], name=name)


def group(*inputs, name=None) -> Operation:
    """An op that runs all `inputs` (Tensors or Operations) when run."""
    flat: list = []
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
    gate = group(
        *[t for t in tensors if t is not None], *(control_inputs or []), name=name or "tuple"
    )
    out: list[Tensor | None] = []
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        with control_dependencies([gate]):
            out.append(_array.identity(t))
    return out


def _switch_infer(data, pred):
    if pred.shape.ndims not in (None, 0):
        raise ValueError(f"pred must be a scalar, but has shape {pred.shape}")
    return [TensorSpec(data.dtype, data.shape), TensorSpec(data.dtype, data.shape)]


def _switch_kernel(data, pred):
    return (DEAD, data) if pred else (data, DEAD)


def _switch_grad(op, grad_false, grad_true):
    """d_data = merge(grad_false, grad_true): the live branch's gradient."""
    gf = grad_false if grad_false is not None else _array.zeros_like(op.outputs[0])
    gt = grad_true if grad_true is not None else _array.zeros_like(op.outputs[1])
    return [merge([gf, gt])[0], None]


register_op(
    OpDef(
        "Switch",
        inputs=["data: T", "pred: bool"],
        outputs=["output_false: T", "output_true: T"],
        types={"T": ()},
        infer=_switch_infer,
        kernel=_switch_kernel,
        grad=_switch_grad,
    )
)


def switch(data, pred, name=None):
    op = apply_op("Switch", [data, pred], name=name)
    return op.outputs[0], op.outputs[1]


def _merge_infer(inputs):
    shape = inputs[0].shape
    for s in inputs[1:]:
        shape = (
            shape
            if shape.is_compatible_with(s.shape) and shape == s.shape
            else _loosen(shape, s.shape)
        )
    return [TensorSpec(inputs[0].dtype, shape), TensorSpec(_dt.int32, TensorShape([]))]


def _loosen(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def _merge_kernel(*inputs):
    for i, value in enumerate(inputs):
        if value is not DEAD:
            return value, np.array(i, np.int32)
    return DEAD, DEAD


def _merge_grad(op, grad, _grad_index):
    """d_inputs = switch(grad, pred): the gradient goes to the input that was live."""
    pred = getattr(op, "_cond_pred", None)
    if pred is None:
        raise LookupError(f"No gradient for Merge op {op.name} built outside tf.cond")
    gf, gt = switch(grad, pred)
    return [gf, gt]


register_op(
    OpDef(
        "Merge",
        inputs=["inputs: N*T"],
        outputs=["output: T", "value_index: int32"],
        types={"T": ()},
        infer=_merge_infer,
        kernel=_merge_kernel,
        grad=_merge_grad,
    )
)


def merge(inputs, name=None):
    op = apply_op("Merge", [list(inputs)], name=name)
    return op.outputs[0], op.outputs[1]


class CondContext:
    """While a branch function runs: reroutes outside tensors through Switch and ties
    input-less ops to the branch pivot."""

    def __init__(self, pred: Tensor, pivot: Tensor, branch: int):
        self.pred = pred
        self.pivot = pivot
        self.branch = branch
        self.ops: set[int] = set()
        self._switched: dict[str, Tensor] = {}
        self.outer: CondContext | None = None

    def is_inside(self, t: Tensor) -> bool:
        ctx: CondContext | None = self
        while ctx is not None:
            if t.op._id in ctx.ops:
                return True
            ctx = ctx.outer
        return False

    def wrap_input(self, t: Tensor) -> Tensor:
        if t.op._id in self.ops or t is self.pivot:
            return t
        if t.op.op_def.produces_ref:
            # A variable is read by its consumer, which the pivot makes dead off-branch.
            return t
        if self.outer is not None:
            t = self.outer.wrap_input(t)
        cached = self._switched.get(t.name)
        if cached is None:
            graph = t.graph
            state = graph._state
            saved = state.cond_stack
            state.cond_stack = [self.outer] if self.outer is not None else []
            try:
                cached = switch(t, self.pred)[self.branch]
            finally:
                state.cond_stack = saved
            self._switched[t.name] = cached
        return cached


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """Returns `true_fn()` if `pred` is true, else `false_fn()`; only the taken branch runs."""
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    graph = get_default_graph()
    with name_scope(name, "cond"):
        pred = convert_to_tensor(pred)
        if pred.dtype is not _dt.bool_:
            raise TypeError(f"pred must be a bool tensor, got {pred.dtype.name}")
        p_false, p_true = switch(pred, pred)
        pivot_t = _array.identity(p_true, name="switch_t")
        pivot_f = _array.identity(p_false, name="switch_f")
        pred_id = _array.identity(pred, name="pred_id")
        results = []
        for branch, pivot, fn in ((1, pivot_t, true_fn), (0, pivot_f, false_fn)):
            ctx = CondContext(pred_id, pivot, branch)
            state = graph._state
            ctx.outer = state.cond_stack[-1] if state.cond_stack else None
            state.cond_stack = state.cond_stack + [ctx]
            try:
                out = fn()
                flat, rebuild = _flatten(out)
                flat = [_branch_output(ctx, graph, v) for v in flat]
            finally:
                state.cond_stack = state.cond_stack[:-1]
            results.append((flat, rebuild))
        (true_flat, rebuild), (false_flat, _) = results
        if len(true_flat) != len(false_flat):
            raise ValueError("true_fn and false_fn must return the same number of values")
        merged = []
        for t, f in zip(true_flat, false_flat):
            if t is None and f is None:
                merged.append(None)
                continue
            if t.dtype is not f.dtype:
                raise TypeError(
                    f"Outputs of true_fn and false_fn must have the same type: "
                    f"{t.dtype.name}, {f.dtype.name}"
                )
            out, _ = merge([f, t], name="Merge")
            out.op._cond_pred = pred_id
            merged.append(out)
    result = rebuild(merged)
    if not strict and isinstance(result, (list, tuple)) and len(result) == 1:
        return result[0]
    return result


def _branch_output(ctx: CondContext, graph, value):
    """Branch results must be tensors live only on that branch."""
    if value is None:
        return None
    if hasattr(value, "_as_graph_element") and not isinstance(value, Tensor):
        if hasattr(value, "_as_tensor"):
            value = value._as_tensor()
        else:
            op = value._as_graph_element()
            value = op
    if isinstance(value, Operation):
        state = graph._state
        with _in_context(state, ctx):
            with control_dependencies([value]):
                return _array.identity(ctx.pivot)
    t = convert_to_tensor(value) if not isinstance(value, Tensor) else value
    if not ctx.is_inside(t) or t.op.type == "Const" and not t.op._control_inputs:
        with _in_context(graph._state, ctx):
            t = _array.identity(t)
    return t


class _in_context:
    def __init__(self, state, ctx):
        self.state, self.ctx = state, ctx

    def __enter__(self):
        self.saved = self.state.cond_stack
        self.state.cond_stack = (
            self.saved + [self.ctx]
            if (not self.saved or self.saved[-1] is not self.ctx)
            else self.saved
        )

    def __exit__(self, *exc):
        self.state.cond_stack = self.saved


def _flatten(out):
    """(leaves, rebuild) of a branch's result: nested tuples, lists, namedtuples and dicts
    as TF's nest sees them; a TensorArray as its flow."""
    from .. import nest

    arrays = []

    def leaf(value):
        if hasattr(value, "_with_flow"):  # a TensorArray: merged through its flow
            arrays.append(value)
            return value.flow
        return value

    leaves = nest.flatten(out)
    flat = [leaf(v) for v in leaves]
    kinds = [hasattr(v, "_with_flow") for v in leaves]

    def rebuild(values):
        it = iter(arrays)
        values = [next(it)._with_flow(v) if is_array else v for v, is_array in zip(values, kinds)]
        return nest.pack_sequence_as(out, values)

    return flat, rebuild


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The fn of the first pair whose predicate is true, else `default`."""
    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    if default is None:
        if not pairs:
            raise ValueError("case needs at least one predicate or a default")
        default = pairs[-1][1]
        pairs = pairs[:-1]
    with name_scope(name):
        fn = default
        for pred, branch in reversed(pairs):
            fn = _chain(pred, branch, fn, strict)
        return fn()


def _chain(pred, branch, otherwise, strict):
    return lambda: cond(pred, branch, otherwise, strict=strict)


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """The result of branch_fns[branch_index] (a list, or a dict keyed by index), or of
    `default` (the last branch when None) for an index outside them."""
    if isinstance(branch_fns, dict):
        pairs = sorted(branch_fns.items())
    else:
        pairs = list(enumerate(branch_fns))
    if not pairs:
        raise ValueError("Must provide at least one item in branch_fns")
    for key, fn in pairs:
        if not isinstance(key, int) or not callable(fn):
            raise TypeError("branch_fns must be callables keyed by integer indices")
    if default is None:
        default = pairs[-1][1]
    from . import math as _math  # (math builds on control_flow)

    with name_scope(name, "switch_case"):
        index = convert_to_tensor(branch_index, dtype=_dt.int32, name="branch_index")
        return case([(_math.equal(index, key), fn) for key, fn in pairs], default=default,
                    exclusive=False)  # fmt: skip
