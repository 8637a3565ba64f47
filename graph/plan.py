"""Plan compilation: from (fetches, feeds, targets) to a flat, plain-data `PlanSpec`.

`prune_to_fetches` keeps the ops the fetches and targets need (stopping at fed tensors),
in a deterministic topological order; `compile_plan` numbers every tensor with a value
slot and lists one `StepSpec` per op. A PlanSpec is msgpack-safe, so the same structure
runs in-process (graph/executor.py) and, split per device, on Ray actors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .framework import Operation, Tensor
from .registry import get_op_def

PLAN_VERSION = 2
STATE_SLOT = 0  # slot 0 holds the step's StepState; stateful kernels read it as input 0


@dataclass
class StepSpec:
    """One op of a plan. `inputs` and `outputs` are value slots; attrs are plain data."""

    name: str
    type: str
    attrs: dict
    inputs: list[int]
    outputs: list[int]
    controls: list[int] = field(default_factory=list)  # step indices (cond plans only)
    reads: list[int] = field(default_factory=list)  # input positions holding a variable name
    control_slots: list[int] = field(default_factory=list)  # fed control edges (cond plans)


@dataclass
class PlanSpec:
    """A compiled step list. Slots: 0 = StepState, `constants` pre-filled (slot, value),
    `feeds` filled from the caller's values in order; `fetches` returned in order."""

    num_slots: int
    constants: list[tuple[int, object]]
    feeds: list[int]
    steps: list[StepSpec]
    fetches: list[int]
    stateful: bool = False
    conditional: bool = False  # has Switch/Merge: run with dead-branch propagation
    version: int = PLAN_VERSION


def prune_to_fetches(fetch_ops: list[Operation], fed: set[str]) -> list[Operation]:
    """The ops needed to compute `fetch_ops`, stopping at fed tensors, in topological order
    (creation order when it is one, which is the usual case)."""
    needed: dict[int, Operation] = {}
    stack = list(reversed(fetch_ops))
    while stack:
        op = stack.pop()
        if op._id in needed:
            continue
        needed[op._id] = op
        for t in op._inputs:
            if t._name not in fed and t._op._id not in needed:
                stack.append(t._op)
        for c in op._control_inputs:
            if c._id not in needed:
                stack.append(c)
    ordered = [needed[k] for k in sorted(needed)]
    position = {op._id: i for i, op in enumerate(ordered)}
    for i, op in enumerate(ordered):
        deps = [t._op for t in op._inputs if t._name not in fed] + op._control_inputs
        if any(position[d._id] > i for d in deps):
            return _kahn(ordered, fed)
    return ordered


def _kahn(ops: list[Operation], fed: set[str]) -> list[Operation]:
    ids = {op._id for op in ops}
    indegree = {op._id: 0 for op in ops}
    users: dict[int, list[Operation]] = {op._id: [] for op in ops}
    for op in ops:
        deps = {t._op._id for t in op._inputs if t._name not in fed} | {
            c._id for c in op._control_inputs
        }
        for d in sorted(deps & ids):
            indegree[op._id] += 1
            users[d].append(op)
    ready = sorted((op for op in ops if indegree[op._id] == 0), key=lambda o: o._id)
    out = []
    while ready:
        op = ready.pop(0)
        out.append(op)
        for u in users[op._id]:
            indegree[u._id] -= 1
            if indegree[u._id] == 0:
                ready.append(u)
                ready.sort(key=lambda o: o._id)
    if len(out) != len(ops):
        raise InvalidArgumentError(None, None, "The graph has a cycle")
    return out


def _is_variable(op) -> bool:
    return get_op_def(op._type).produces_ref


def variable_name(ref: Tensor) -> str:
    """The store key of the variable a `Ref(T)` input points at."""
    return ref._op._attrs.get("shared_name") or ref._op._name


def compile_plan(
    ops: list[Operation],
    fetches: list[Tensor],
    feeds: list[Tensor],
    conditional: bool | None = None,
) -> PlanSpec:
    """A PlanSpec running `ops` (pruned, ordered) with `feeds` given and `fetches` returned."""
    slots: dict[str, int] = {}
    constants: list[tuple[int, object]] = []
    next_slot = 1

    def new_slot() -> int:
        nonlocal next_slot
        next_slot += 1
        return next_slot - 1

    feed_slots = []
    for t in feeds:
        slots[t._name] = new_slot()
        feed_slots.append(slots[t._name])
    steps: list[StepSpec] = []
    step_of: dict[int, int] = {}
    folded_values: dict[int, object] = {}
    stateful = False
    if conditional is None:
        conditional = any(op._type == "Switch" for op in ops)
    for op in ops:
        opdef = get_op_def(op._type)
        if op._type == "Const" and not (conditional and op._control_inputs):
            name = op._outputs[0]._name
            if name not in slots:
                slots[name] = new_slot()
                constants.append((slots[name], op._attrs["value"]))
                folded_values[slots[name]] = op._attrs["value"]
            continue
        if _is_variable(op):
            continue  # a variable is read by the steps that consume it (see `reads`)
        folded = _fold(op, opdef, slots, folded_values, conditional)
        if folded is not None:
            for t, value in zip(op._outputs, folded):
                slots[t._name] = new_slot()
                constants.append((slots[t._name], value))
                folded_values[slots[t._name]] = value
            continue
        if op._type in ("Placeholder", "PlaceholderWithDefault") and op._outputs[0]._name in slots:
            continue  # fed (and fetched: the fed value comes back, as in TF)
        if op._type == "Placeholder":
            raise _unfed_placeholder(op)
        ins, reads = [], []
        if opdef.stateful:
            ins.append(STATE_SLOT)
        ref_positions = opdef.ref_input_indices
        for i, t in enumerate(op._inputs):
            if i in ref_positions or (_is_variable(t._op) and t._name not in slots):
                if i not in ref_positions:
                    reads.append(len(ins) - (1 if opdef.stateful else 0))
                slot = new_slot()
                constants.append((slot, variable_name(t)))
                ins.append(slot)
            else:
                ins.append(slots[t._name])
        stateful = stateful or opdef.stateful or bool(reads)
        outs = []
        for t in op._outputs:
            if t._name in slots:  # fed: the op still runs for its other outputs
                outs.append(new_slot())
            else:
                slots[t._name] = new_slot()
                outs.append(slots[t._name])
        controls, control_slots = [], []
        if conditional:
            controls = [step_of[c._id] for c in op._control_inputs if c._id in step_of]
            control_slots = [
                slots[c._outputs[0]._name]
                for c in op._control_inputs
                if c._id not in step_of and c._outputs and c._outputs[0]._name in slots
            ]
        step_of[op._id] = len(steps)
        steps.append(
            StepSpec(
                op._name, op._type, _plain_attrs(op), ins, outs, controls, reads, control_slots
            )
        )
    for t in fetches:
        if _is_variable(t._op) and t._name not in slots:
            # Fetching a variable reads it, as a step of its own at the end.
            name_slot = new_slot()
            constants.append((name_slot, variable_name(t)))
            slots[t._name] = new_slot()
            steps.append(
                StepSpec(t._op._name, "Identity", {}, [name_slot], [slots[t._name]], [], [0])
            )
            stateful = True
    fetch_slots = [slots[t._name] for t in fetches]
    return PlanSpec(
        next_slot, constants, feed_slots, steps, fetch_slots, stateful, conditional=conditional
    )


_FOLD_LIMIT = 1 << 16  # bytes: larger results stay steps (plans travel to actors)
_SHAPE_TYPES = ("Shape", "Size", "Rank")
_NEVER_FOLD = ("Placeholder", "PlaceholderWithDefault", "Switch", "Merge", "NoOp")


def _fold(op: Operation, opdef, slots: dict, folded: dict, conditional: bool):
    """Constant folding: the outputs of a pure op whose inputs are all constants (or a
    Shape/Size/Rank of a fully known static shape), computed once at compile time. None
    when the op must run as a step (including when computing it fails: the error then
    surfaces at run time, naming the op, as before)."""
    if (
        opdef.stateful
        or opdef.keeps_op_state
        or opdef.ref_input_indices
        or op._control_inputs
        or op._type in _NEVER_FOLD
        or opdef.kernel is None
        or any(t._name in slots for t in op._outputs)
        or sum(a.is_list for a in opdef.input_args) > 1
    ):
        return None
    if op._type in _SHAPE_TYPES and op._inputs[0].shape.is_fully_defined():
        dims = op._inputs[0].shape.as_list()
        if op._type == "Rank":
            return [np.asarray(len(dims), np.int32)]
        out_type = _dt.as_dtype(op._attrs.get("out_type", "int32")).np
        value = dims if op._type == "Shape" else int(np.prod(dims))
        return [np.asarray(value, out_type)]
    values = []
    for t in op._inputs:
        slot = slots.get(t._name)
        if slot is None or slot not in folded or _is_variable(t._op):
            return None
        values.append(folded[slot])
    if not values:
        return None
    args: list = []
    for arg, value in zip(opdef.input_args, _group_inputs(opdef, values)):
        args.extend(value if arg.is_list else [value])
    try:
        result = opdef.kernel(*args, **opdef.kernel_kwargs(op._attrs))
    except Exception:  # any failure: leave the op to fail at run time
        return None
    outs = list(result) if isinstance(result, tuple) else [result]
    if len(outs) != len(op._outputs):
        return None
    outs = [np.asarray(v, dtype=t.dtype.np) for v, t in zip(outs, op._outputs)]
    if any(v.dtype == object or v.nbytes > _FOLD_LIMIT for v in outs):
        return None
    for v in outs:
        v.flags.writeable = False
    return outs


def _group_inputs(opdef, values: list) -> list:
    """Flat input values regrouped per declared input (lists for `N*T` inputs)."""
    args = opdef.input_args
    if not any(a.is_list for a in args):
        return values
    n_list = len(values) - (len(args) - 1)
    grouped, i = [], 0
    for a in args:
        if a.is_list:
            grouped.append(values[i : i + n_list])
            i += n_list
        else:
            grouped.append(values[i])
            i += 1
    return grouped


def _plain_attrs(op: Operation) -> dict:
    opdef = get_op_def(op._type)
    return {k: op._attrs[k] for k in opdef.attrs if k in op._attrs}


def _unfed_placeholder(op: Operation) -> InvalidArgumentError:
    shape = op._attrs.get("shape")
    dims = (
        "<unknown>"
        if shape is None
        else "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    )
    return InvalidArgumentError(
        op._name,
        op,
        f"You must feed a value for placeholder tensor '{op._name}' with dtype "
        f"{_dt.tf_type_name(op._attrs['dtype'])} and shape {dims}",
    )


def slot_lifetimes(plan: PlanSpec) -> list[list[int]]:
    """For each step, the slots whose last reader it is (freed right after it runs)."""
    keep = set(plan.fetches) | {s for s, _ in plan.constants} | {STATE_SLOT}
    last: dict[int, int] = {}
    for i, step in enumerate(plan.steps):
        for s in step.inputs:
            last[s] = i
        for s in step.outputs:
            last.setdefault(s, i)
    frees: list[list[int]] = [[] for _ in plan.steps]
    for slot, i in last.items():
        if slot not in keep:
            frees[i].append(slot)
    return frees


def plan_to_wire(plan: PlanSpec) -> dict:
    """A PlanSpec as plain data (msgpack-safe with graph/wire.py)."""
    return {
        "version": plan.version,
        "num_slots": plan.num_slots,
        "constants": [[slot, value] for slot, value in plan.constants],
        "feeds": plan.feeds,
        "fetches": plan.fetches,
        "stateful": plan.stateful,
        "conditional": plan.conditional,
        "steps": [
            [s.name, s.type, s.attrs, s.inputs, s.outputs, s.controls, s.reads, s.control_slots]
            for s in plan.steps
        ],
    }


def plan_from_wire(data: dict) -> PlanSpec:
    if data.get("version") != PLAN_VERSION:
        raise ValueError(f"Unsupported plan version {data.get('version')}")
    steps = [StepSpec(*row) for row in data["steps"]]
    return PlanSpec(
        data["num_slots"],
        [tuple(c) for c in data["constants"]],
        data["feeds"],
        steps,
        data["fetches"],
        data["stateful"],
        data["conditional"],
    )
