"""The executor: runs a compiled `PlanSpec` as a tight loop over a value array.

Everything that depends only on the plan is done once in `Executor.__init__`: kernels are
looked up by op type and bound to their attrs, constants are placed in a template array,
and the slots each step frees are listed. A run copies the template, fills the feeds,
calls each kernel with its input slots, and returns the fetched slots. The same class
runs in-process plans and the stage plans shipped to PS and worker actors.
"""

from __future__ import annotations

import functools
import operator
import time

from . import heap
from .dynamic_table import TableUndo
from .errors import InvalidArgumentError, OpError, UnknownError
from .plan import STATE_SLOT, PlanSpec, slot_lifetimes
from .registry import DEAD, get_op_def
from .variable_store import RowUndo, StepState, VariableStore


def _reading_variables(fn, positions: tuple, stateful: bool):
    """Wraps a kernel whose inputs at `positions` are variable names: it reads them from the
    step's StepState first (TF1's ref semantics: the consumer dereferences the variable)."""

    def kernel(state, *args):
        args = list(args)
        for p in positions:
            args[p] = state.read(args[p])
        return fn(state, *args) if stateful else fn(*args)

    return kernel


def _read_variable(state, name):
    return state.read(name)


def _no_inputs(_vals) -> tuple:
    return ()


def _gather(ins: tuple):
    """A callable returning the tuple of `vals[i]` for i in `ins`."""
    if not ins:
        return _no_inputs
    if len(ins) == 1:
        (i,) = ins
        return lambda vals: (vals[i],)
    return operator.itemgetter(*ins)


def check_fetched(values: list) -> list:
    """Fetched values of a step: a dead tensor (untaken cond branch) cannot be fetched."""
    for value in values:
        if value is DEAD:
            raise InvalidArgumentError(
                None,
                None,
                "Retval does not have value: a fetched "
                "tensor is on a cond branch that was not taken",
            )
    return values


class Executor:
    """A PlanSpec bound to kernels and to the VariableStore its stateful ops use."""

    def __init__(self, plan: PlanSpec, store: VariableStore | None = None, scope: str = ""):
        """`scope` prefixes the keys of per-op state (random generators): a cluster task
        serves many sessions, and each session's ops start from their own seeds, as TF1's
        per-session kernels do."""
        heap.keep_freed_memory()
        self.plan = plan
        self.store = store if store is not None else VariableStore()
        self._template: list = [None] * plan.num_slots
        for slot, value in plan.constants:
            self._template[slot] = value
        self._feed_slots = list(plan.feeds)
        self._fetch_slots = list(plan.fetches)
        self._stateful = plan.stateful
        self._names = [s.name for s in plan.steps]
        self._types = [s.type for s in plan.steps]
        frees = slot_lifetimes(plan)
        steps: list[tuple] = []
        for spec, free in zip(plan.steps, frees):
            opdef = get_op_def(spec.type)
            kwargs = opdef.kernel_kwargs(spec.attrs)
            if opdef.keeps_op_state:
                kwargs["op_name"] = scope + spec.name
            kernel = opdef.kernel
            if kernel is None:
                raise InvalidArgumentError(spec.name, None, f"Op type {spec.type} has no kernel")
            fn = functools.partial(kernel, **kwargs) if kwargs else kernel
            ins = tuple(spec.inputs)
            if spec.reads and spec.type == "Identity" and len(ins) == 1:
                fn = _read_variable  # a variable's snapshot read: one call, no wrapper
                ins = (STATE_SLOT,) + ins
            elif spec.reads:
                fn = _reading_variables(fn, tuple(spec.reads), opdef.stateful)
                if not opdef.stateful:
                    ins = (STATE_SLOT,) + ins
            multi = opdef.multi_output or len(spec.outputs) != 1
            out = tuple(spec.outputs) if multi else spec.outputs[0]
            steps.append((fn, ins, out, multi, tuple(free)))
        self._steps = [
            (fn, _gather(ins), out, multi, () if plan.conditional else free)
            for fn, ins, out, multi, free in steps
        ]
        if plan.conditional:
            self._controls = [tuple(s.controls) for s in plan.steps]
            self._control_slots = [tuple(s.control_slots) for s in plan.steps]
            self._merges = [s.type == "Merge" for s in plan.steps]

    def run(self, feed_values, journal: dict | None = None) -> list:
        """Runs one step; returns the fetched values. A failure undoes variable writes; on
        success the old values of written variables are added to `journal` if given."""
        return self._run(feed_values, journal, None, None)

    def run_traced(self, feed_values, clock=time.perf_counter_ns) -> tuple[list, list]:
        """Like `run`, also returning (op name, op type, start us, duration us) per step."""
        trace: list[tuple] = []
        return self._run(feed_values, None, trace, clock), trace

    def _run(self, feed_values, journal: dict | None, trace: list | None, clock) -> list:
        """The one step loop. Variants are parameters: `trace` collects per-op timings, and
        plans with cond (`plan.conditional`) skip the steps of untaken branches: a step with
        a dead input or a dead control input does not run and its outputs are dead; Merge
        forwards whichever input is alive. Slots are freed after their last reader, except
        in cond plans (a dead control source is read by its slot)."""
        vals = self._template.copy()
        for slot, value in zip(self._feed_slots, feed_values):
            vals[slot] = value
        state = None
        if self._stateful:
            state = StepState(self.store)
            vals[STATE_SLOT] = state
        dead = [False] * len(self._steps) if self.plan.conditional else None
        index = 0
        try:
            for fn, gather, out, multi, free in self._steps:
                args = gather(vals)
                if dead is not None and self._skips(index, args, vals, dead):
                    dead[index] = True
                    for slot in out if multi else (out,):
                        vals[slot] = DEAD
                    index += 1
                    continue
                if trace is None:
                    result = fn(*args)
                else:
                    start = clock()
                    result = fn(*args)
                    end = clock()
                    trace.append(
                        (
                            self._names[index],
                            self._types[index],
                            start // 1000,
                            max((end - start) // 1000, 0),
                        )
                    )
                if multi:
                    if out:
                        for slot, value in zip(out, result):
                            vals[slot] = value
                else:
                    vals[out] = result
                if free:
                    for slot in free:
                        vals[slot] = None
                index += 1
        except Exception as err:
            if state is not None:
                state.rollback()
            raise self._op_error(index, err) from err
        if journal is not None and state is not None:
            for name, old in state.journal.items():
                first = journal.setdefault(name, old)
                if first is old:
                    continue
                # two stages of one step changed the same array or table
                if isinstance(first, (RowUndo, TableUndo)) and type(first) is type(old):
                    first.absorb(old)  # type: ignore[arg-type]
        return [vals[i] for i in self._fetch_slots]

    def _skips(self, index: int, args, vals, dead: list) -> bool:
        """Whether step `index` of a cond plan is on an untaken branch (see `_run`)."""
        if self._merges[index]:
            return False
        return (
            any(a is DEAD for a in args)
            or any(dead[c] for c in self._controls[index])
            or any(vals[c] is DEAD for c in self._control_slots[index])
        )

    def _op_error(self, index: int, err: Exception) -> OpError:
        name = self._names[index] if index < len(self._names) else None
        op_type = self._types[index] if index < len(self._types) else "?"
        if isinstance(err, OpError):
            if err.node_def is None:
                return type(err)(name, None, err.message)
            return err
        if isinstance(err, (ValueError, IndexError, TypeError, ArithmeticError)):
            return InvalidArgumentError(name, None, f"{op_type} {name}: {err}")
        return UnknownError(name, None, f"{op_type} {name}: {type(err).__name__}: {err}")
