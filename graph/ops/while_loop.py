"""`tf.while_loop` as one functional op, `While`, and its gradient op `WhileGrad`.

The condition and the body are traced once into graphs of their own (`FuncGraph`s), with a
placeholder per loop variable; tensors they read from the enclosing graph are captured as
extra inputs. Each graph is compiled to a plan and stored, as plain data, in the op's
attrs, so the op ships to an actor like any other and its kernel runs the two plans in a
loop (stateful ops inside, such as random draws, use the running process's store).

Gradients: `WhileGrad` reruns the loop forward keeping each iteration's loop values, then
walks the iterations backwards through the body's gradient plan (built on demand with
`tf.gradients` inside the body graph), summing the gradients of captured tensors. Memory is
one copy of the loop variables per iteration, as TF1's stacks; second derivatives through
a loop are not provided.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..executor import Executor
from ..framework import (
    FuncGraph,
    apply_op,
    convert_to_tensor,
    get_default_graph,
    name_scope as _name_scope,
)
from ..plan import compile_plan, plan_from_wire, plan_to_wire, prune_to_fetches
from ..registry import DEAD, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array
from .gradients import gradients


# Nested structures -------------------------------------------------------------------------
def _flatten(structure) -> list:
    if hasattr(structure, "_with_flow"):  # a TensorArray travels as its flow
        return [structure.flow]
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in _flatten(item)]
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    return [structure]


def _pack(structure, flat: list):
    """`flat` arranged like `structure`."""
    it = iter(flat)

    def build(s):
        if hasattr(s, "_with_flow"):
            return s._with_flow(next(it))
        if isinstance(s, (list, tuple)):
            items = [build(x) for x in s]
            return type(s)(items) if not hasattr(s, "_fields") else type(s)(*items)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(it)

    return build(structure)


# Kernels -------------------------------------------------------------------------------------
class _Loop:
    """The compiled condition, body and (for WhileGrad) body-gradient plans of one op."""

    def __init__(self, kw):
        self.cond = Executor(plan_from_wire(kw["cond_plan"]))
        self.body = Executor(plan_from_wire(kw["body_plan"]))
        grad = kw.get("grad_plan")
        self.grad = Executor(plan_from_wire(grad)) if grad else None
        self.n_vars = kw["n_vars"]
        self.n_cond = kw["n_cond_captures"]
        self.max_iter = kw["maximum_iterations"]

    def split(self, inputs):
        n, nc = self.n_vars, self.n_cond
        return list(inputs[:n]), list(inputs[n : n + nc]), list(inputs[n + nc :])

    def run(self, state, values, cond_caps, body_caps, history=None):
        for ex in (self.cond, self.body):
            ex.store = state.store
        i = 0
        while True:
            if 0 <= self.max_iter <= i:
                break
            keep_going = self.cond.run(values + cond_caps)[0]
            if not bool(keep_going):
                break
            if history is not None:
                history.append(values)
            values = self.body.run(values + body_caps)
            i += 1
        return values


def _prepare(kw):
    return {"loop": _Loop(kw)}


def _while_kernel(state, *inputs, loop):
    values, cond_caps, body_caps = loop.split(inputs)
    return tuple(loop.run(state, values, cond_caps, body_caps))


def _while_infer(inputs, *, output_shapes, output_types, **_):
    return [
        TensorSpec(_dt.as_dtype(t), TensorShape(s)) for t, s in zip(output_types, output_shapes)
    ]


def _while_grad_fn(op, *grads):
    """Gradients of the loop inputs and of the body's captured tensors."""
    info = op._while_info
    grad_plan = info.gradient_plan()
    n = op.get_attr("n_vars")
    nc = op.get_attr("n_cond_captures")
    filled = []
    for i, g in enumerate(grads[:n]):
        out = op.outputs[i]
        filled.append(
            _array.zeros_like(out)
            if g is None or not out.dtype.is_floating
            else convert_to_tensor(g)
        )
    attrs = {
        k: op.get_attr(k)
        for k in ("cond_plan", "body_plan", "n_vars", "n_cond_captures", "maximum_iterations")
    }
    attrs["grad_plan"] = grad_plan
    inputs = list(op.inputs)
    specs = [
        (t.dtype.name, t.shape.as_list() if t.shape.ndims is not None else None)
        for t in inputs[:n] + inputs[n + nc :]
    ]
    attrs["output_types"] = [s[0] for s in specs]
    attrs["output_shapes"] = [s[1] for s in specs]
    result = apply_op("WhileGrad", [inputs + filled], attrs, name=None).outputs
    loop_grads = [g if t.dtype.is_floating else None for g, t in zip(result[:n], inputs[:n])]
    cap_grads = [g if t.dtype.is_floating else None for g, t in zip(result[n:], inputs[n + nc :])]
    return loop_grads + [None] * nc + cap_grads


_WHILE_ATTRS = {
    "cond_plan": None,
    "body_plan": None,
    "n_vars": None,
    "n_cond_captures": 0,
    "maximum_iterations": -1,
    "output_shapes": None,
    "output_types": None,
}

register_op(
    OpDef(
        "While",
        inputs=["input: N*any"],
        outputs=["output: N*any"],
        attrs=dict(_WHILE_ATTRS),
        infer=_while_infer,
        kernel=_while_kernel,
        grad=_while_grad_fn,
        stateful=True,
        prepare=_prepare,
    )
)


def _while_grad_kernel(state, *inputs, loop):
    n = loop.n_vars
    values, cond_caps, rest = loop.split(inputs)
    body_caps, grads = rest[: len(rest) - n], list(rest[len(rest) - n :])
    history: list = []
    loop.run(state, values, cond_caps, body_caps, history)
    loop.grad.store = state.store
    cap_grads = [
        np.zeros_like(c) if np.asarray(c).dtype.kind == "f" else np.zeros_like(c) for c in body_caps
    ]
    for step_values in reversed(history):
        out = loop.grad.run(step_values + body_caps + grads)
        # A gradient left on a cond branch this iteration did not take is zero.
        grads = [
            np.zeros_like(v) if g is DEAD else np.asarray(g) for g, v in zip(out[:n], step_values)
        ]
        for k, g in enumerate(out[n:]):
            if g is not DEAD:
                cap_grads[k] = cap_grads[k] + g
    return tuple(grads) + tuple(cap_grads)


register_op(
    OpDef(
        "WhileGrad",
        inputs=["input: N*any"],
        outputs=["output: M*any"],
        attrs={**_WHILE_ATTRS, "grad_plan": None},
        infer=_while_infer,
        kernel=_while_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        prepare=_prepare,
    )
)


# Building ----------------------------------------------------------------------------------
class _WhileInfo:
    """What the gradient needs of a loop: its body graph and placeholders."""

    def __init__(self, body_graph, var_phs, cap_phs, outs):
        self.body_graph = body_graph
        self.var_phs = var_phs
        self.cap_phs = cap_phs
        self.outs = outs
        self._grad_plan = None

    def gradient_plan(self) -> dict:
        """The body's gradient plan: (loop values, captures, output grads) -> (grads of the
        loop values, grads of the captures). Built once, inside the body graph."""
        if self._grad_plan is None:
            g = self.body_graph
            with g.as_default():
                grad_phs = [
                    _array.placeholder(t.dtype, t.shape, name=f"grad_{i}")
                    for i, t in enumerate(self.outs)
                ]
                ys = [t for t in self.outs if t.dtype.is_floating]
                gys = [p for p, t in zip(grad_phs, self.outs) if t.dtype.is_floating]
                xs = self.var_phs + self.cap_phs
                if ys:
                    dx = gradients(ys, xs, grad_ys=gys, unconnected_gradients="zero")
                else:
                    dx = [_array.zeros_like(x) for x in xs]
                dx = [convert_to_tensor(d) for d in dx]
                dx = [_array.identity(d) if d.op.type == "Placeholder" else d for d in dx]
                feeds = self.var_phs + self.cap_phs + grad_phs
                fed = {t.name for t in feeds}
                ops = prune_to_fetches([d.op for d in dx], fed)
                self._grad_plan = plan_to_wire(compile_plan(ops, dx, feeds))
        return self._grad_plan


def _trace(outer, name, fn, structure, var_specs):
    """Runs `fn` on placeholders in a new FuncGraph; returns (graph, placeholders, flat
    outputs)."""
    graph = FuncGraph(outer, name)
    with graph.as_default():
        phs = [
            _array.placeholder(dt, shape, name=f"loop_var_{i}")
            for i, (dt, shape) in enumerate(var_specs)
        ]
        out = (
            fn(*_pack(structure, phs))
            if isinstance(structure, (list, tuple))
            else fn(_pack(structure, phs))
        )
        flat = [convert_to_tensor(t) for t in _flatten(out)]
    return graph, phs, flat, out


def _compile(graph, feeds, fetches) -> dict:
    with graph.as_default():
        fetches = [t if t.op.type != "Placeholder" else _array.identity(t) for t in fetches]
        ops = prune_to_fetches([t.op for t in fetches], {t.name for t in feeds})
        return plan_to_wire(compile_plan(ops, fetches, feeds))


def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
    maximum_iterations=None,
    return_same_structure=False,
):
    """Repeats `body` while `cond` is true, as TF1: `loop_vars` is a (nested) structure of
    tensors; `body` returns one of the same structure; `shape_invariants` loosens the
    shapes a loop variable may take between iterations."""
    if not callable(cond) or not callable(body):
        raise TypeError("cond and body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    outer = get_default_graph()
    single = not isinstance(loop_vars, (list, tuple, dict))
    structure = loop_vars
    with _name_scope(name, "while") as scope:
        flat_in = [convert_to_tensor(v) for v in _flatten(loop_vars)]
        if not flat_in:
            raise ValueError("No loop variables provided")
        if shape_invariants is not None:
            invariants = [TensorShape(s) for s in _flatten(shape_invariants)]
            if len(invariants) != len(flat_in):
                raise ValueError("shape_invariants must have the structure of loop_vars")
            for t, inv in zip(flat_in, invariants):
                if not inv.is_compatible_with(t.shape):
                    raise ValueError(
                        f"The shape invariant specified for {t.name} is not "
                        f"compatible with the initial shape of the loop "
                        f"variable. It enters the loop with shape {t.shape}, "
                        f"but the specified shape invariant is {inv}."
                    )
        else:
            invariants = [t.shape for t in flat_in]
        specs = [
            (t.dtype, s.as_list() if s.ndims is not None else None)
            for t, s in zip(flat_in, invariants)
        ]
        cond_graph, cond_phs, cond_out, _ = _trace(outer, "cond", cond, structure, specs)
        if (
            len(cond_out) != 1
            or cond_out[0].dtype is not _dt.bool_
            or cond_out[0].shape.ndims not in (None, 0)
        ):
            raise ValueError("cond must return a boolean scalar tensor")
        body_graph, body_phs, body_out, body_struct = _trace(outer, "body", body, structure, specs)
        if len(body_out) != len(flat_in):
            raise ValueError(
                f"The two structures don't have the same number of elements: "
                f"loop_vars has {len(flat_in)}, body returned {len(body_out)}"
            )
        for t_in, t_out, inv in zip(flat_in, body_out, invariants):
            if t_out.dtype is not t_in.dtype:
                raise TypeError(
                    f"Loop variable {t_in.name} enters the loop with type "
                    f"{t_in.dtype.name}, but has type {t_out.dtype.name} after "
                    f"one iteration"
                )
            if not inv.is_compatible_with(t_out.shape) or (
                inv.ndims is not None
                and t_out.shape.ndims is not None
                and not _at_least_as_general(inv, t_out.shape)
            ):
                raise ValueError(
                    f"Input tensor '{t_in.name}' enters the loop with shape {inv}, but has "
                    f"shape {t_out.shape} after one iteration. To allow the shape to vary "
                    f"across iterations, use the `shape_invariants` argument of "
                    f"tf.while_loop to specify a less-specific shape."
                )
        cond_caps = [outer_t for outer_t, _ in cond_graph.captures]
        body_caps = [outer_t for outer_t, _ in body_graph.captures]
        cond_plan = _compile(cond_graph, cond_phs + [p for _, p in cond_graph.captures], cond_out)
        body_plan = _compile(body_graph, body_phs + [p for _, p in body_graph.captures], body_out)
        if maximum_iterations is not None:
            maximum_iterations = int(maximum_iterations)
            if maximum_iterations < 0:
                raise ValueError("maximum_iterations must be non-negative")
        attrs = {
            "cond_plan": cond_plan,
            "body_plan": body_plan,
            "n_vars": len(flat_in),
            "n_cond_captures": len(cond_caps),
            "maximum_iterations": -1 if maximum_iterations is None else maximum_iterations,
            "output_types": [t.dtype.name for t in flat_in],
            "output_shapes": [s for _, s in specs],
        }
        op = apply_op("While", [flat_in + cond_caps + body_caps], attrs, name=scope)
        op._while_info = _WhileInfo(
            body_graph, body_phs, [p for _, p in body_graph.captures], body_out
        )
        outs = list(op.outputs)
    if single and not return_same_structure:
        return outs[0]
    packed = _pack(structure, outs)
    if isinstance(structure, (list, tuple)) and len(outs) == 1 and not return_same_structure:
        return outs[0]
    return packed


def _at_least_as_general(inv: TensorShape, shape: TensorShape) -> bool:
    """Every dimension the invariant fixes is the same in `shape`."""
    if inv.ndims != shape.ndims:
        return False
    return all(a is None or a == b for a, b in zip(inv.as_list(), shape.as_list()))
