"""Symbolic differentiation: `tf.gradients` by reverse traversal over the graph.

The ops between `xs` and `ys` are visited in reverse creation order (a reverse
topological order); each op's registered `grad` builds the gradient ops for its inputs.
Gradients reaching one tensor along several paths are summed (`AddN`, or concatenated
when all are `IndexedSlices`). Only floating-point tensors carry gradients.
"""

from __future__ import annotations

import numpy as np

from ..framework import Tensor, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, gradient_function
from . import array as _array, math as _math
from .array import IndexedSlices


def _is_trainable(t: Tensor) -> bool:
    return t.dtype.is_floating or t.dtype.is_complex


def _as_x(x) -> Tensor:
    if hasattr(x, "_ref") and not isinstance(x, Tensor):
        return x._ref()
    return convert_to_tensor(x)


def gradients(
    ys,
    xs,
    grad_ys=None,
    name="gradients",
    colocate_gradients_with_ops=False,
    gate_gradients=False,
    aggregation_method=None,
    stop_gradients=None,
    unconnected_gradients="none",
):
    """The symbolic derivatives of sum(ys) with respect to each x in xs (None where x does
    not affect ys)."""
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    ys = [convert_to_tensor(y) for y in ys]
    xs_t = [_as_x(x) for x in xs_list]
    stops = {(_as_x(s)).name for s in (stop_gradients or [])}
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif not isinstance(grad_ys, (list, tuple)):
        grad_ys = [grad_ys]
    graph = ys[0].graph
    with name_scope(name):
        # Ops that can reach a y, walking back from ys (stop gradients cut the walk).
        reach_y: dict[int, object] = {}
        stack = [y.op for y in ys]
        while stack:
            op = stack.pop()
            if op._id in reach_y:
                continue
            reach_y[op._id] = op
            for t in op._inputs:
                if t.name not in stops:
                    stack.append(t.op)
        # Ops reachable forward from xs among those.
        from_x: set[int] = set()
        x_ops = [x.op for x in xs_t]
        stack = list(x_ops)
        consumers = graph._consumers
        while stack:
            op = stack.pop()
            if op._id in from_x or op._id not in reach_y:
                continue
            from_x.add(op._id)
            for t in op._outputs:
                if t.name in stops:
                    continue
                for c in consumers.get(t.name, []):
                    if c._id in reach_y:
                        stack.append(c)
        grads: dict[str, list] = {}
        for y, gy in zip(ys, grad_ys):
            if gy is None:
                gy = (
                    _array.constant(np.ones(y.shape.as_list(), y.dtype.np))
                    if y.shape.is_fully_defined() and y.shape.num_elements() <= 4096
                    else _array.ones_like(y, name=None)
                )
                if not _is_trainable(y):
                    continue
            else:
                gy = (
                    convert_to_tensor(gy, dtype=y.dtype)
                    if not isinstance(gy, IndexedSlices)
                    else gy
                )
            grads.setdefault(y.name, []).append(gy)
        x_names = {x.name for x in xs_t}
        for op_id in sorted(from_x, reverse=True):
            op = reach_y[op_id]
            out_grads = [_aggregate(grads.get(t.name)) for t in op._outputs]
            for t, g in zip(op._outputs, out_grads):
                if g is not None:
                    grads[t.name] = [g]
            if all(g is None for g in out_grads):
                continue
            if not any(
                t.op._id in from_x and _is_trainable(t) and t.name not in stops for t in op._inputs
            ):
                continue
            if (
                op.name in {x.op.name for x in xs_t}
                and all(t.name in x_names for t in op._outputs)
                and not op._inputs
            ):
                continue
            fn = gradient_function(op.type, op._gradient_override)
            if fn is NOT_DIFFERENTIABLE:
                continue
            if fn is None:
                raise LookupError(
                    f"No gradient defined for operation '{op.name}' (op type: {op.type})"
                )
            with name_scope(f"{op.name}_grad"):
                in_grads = fn(op, *out_grads)
            if not isinstance(in_grads, (list, tuple)):  # one input's gradient, as TF takes
                in_grads = [in_grads]
            if len(in_grads) != len(op._inputs):
                raise ValueError(
                    f"Num gradients {len(in_grads)} generated for op {op.name} do not match num "
                    f"inputs {len(op._inputs)}"
                )
            for t, g in zip(op._inputs, in_grads):
                if g is None or t.name in stops or not _is_trainable(t):
                    continue
                if t.op._id not in from_x and t.name not in x_names:
                    continue
                grads.setdefault(t.name, []).append(g)
        result = []
        for x in xs_t:
            g = _aggregate(grads.get(x.name))
            if g is None and unconnected_gradients == "zero":
                g = _array.zeros_like(x)
            result.append(g)
    return result


def _aggregate(items):
    """Sums the gradients reaching one tensor."""
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    if all(isinstance(g, IndexedSlices) for g in items):
        values = _array.concat([g.values for g in items], 0)
        indices = _array.concat([g.indices for g in items], 0)
        return IndexedSlices(values, indices, items[0].dense_shape)
    dense = [convert_to_tensor(g) for g in items]
    return _math.add_n(dense)


def hessians(ys, xs, name="hessians"):
    """Second derivatives of sum(ys) with respect to each x (x of rank 1 or scalar)."""
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    out = []
    for x, g in zip(xs_list, gradients(ys, xs_list)):
        n = _as_x(x).shape.num_elements()
        rows = [gradients(_array.reshape(g, [-1])[i], x)[0] for i in range(n)]
        out.append(_array.stack(rows))
    return out


_CUSTOM_GRADIENTS = [0]


def custom_gradient(f=None):
    """Decorates `f(*x) -> (y, grad_fn)`: y as f computes it, its gradient with respect to
    the arguments given by grad_fn(*dy) (f's own operations are not differentiated)."""
    if f is None:
        return custom_gradient

    import functools

    from ..framework import convert_to_tensor, get_default_graph
    from ..registry import RegisterGradient
    from .array_ext import identity_n_op

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        args = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*args, **kwargs)
        many = isinstance(result, (list, tuple))
        ys = [convert_to_tensor(r) for r in (result if many else [result])]
        _CUSTOM_GRADIENTS[0] += 1
        override = f"CustomGradient-{_CUSTOM_GRADIENTS[0]}"

        def rule(op, *grads):
            dys = [g if g is not None else _array.zeros_like(y)
                   for g, y in zip(grads[: len(ys)], ys)]  # fmt: skip
            in_grads = grad_fn(*dys)
            in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
            if len(in_grads) != len(args):
                raise ValueError(
                    f"custom_gradient function returned {len(in_grads)} gradients for "
                    f"{len(args)} arguments"
                )
            return [None] * len(ys) + in_grads

        RegisterGradient(override)(rule)
        with get_default_graph().gradient_override_map({"IdentityN": override}):
            outs = identity_n_op(ys + args)[: len(ys)]
        return outs if many else outs[0]

    return wrapped
