"""The op registry: the one place an op type is defined.

An `OpDef` holds an op's signature (inputs, outputs, attrs, allowed dtypes), its rules
(`infer` for static dtype/shape, `kernel` on numpy, `grad` building graph ops) and flags.
Graph construction (`framework.apply_op`), autodiff and the plan compiler all look ops
up here by type string; actors do the same from plain-data plans.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import dtypes as _dt
from .shapes import TensorShape


@dataclass(frozen=True)
class TensorSpec:
    """What graph construction knows of a tensor: dtype, static shape, and the value when
    it is a compile-time constant (TF's `constant_value`), used by shape inference."""

    dtype: _dt.DType
    shape: TensorShape
    value: np.ndarray | None = None


class _NotDifferentiable:
    def __repr__(self) -> str:
        return "NOT_DIFFERENTIABLE"


NOT_DIFFERENTIABLE = _NotDifferentiable()


@dataclass(frozen=True)
class ArgDef:
    """One input or output: `x: T` (type variable), `x: int32` (fixed), `xs: N*T` (a list of
    one type), `xs: N*any` (a list of tensors of any dtypes), `ref: Ref(T)` (a variable
    reference; the kernel gets the variable's name)."""

    name: str
    type_var: str | None
    fixed: _dt.DType | None
    is_list: bool
    is_ref: bool

    @classmethod
    def parse(cls, text: str, types: dict) -> ArgDef:
        name, _, kind = (s.strip() for s in text.partition(":"))
        is_ref = kind.startswith("Ref(") and kind.endswith(")")
        if is_ref:
            kind = kind[4:-1]
        is_list = "*" in kind
        if is_list:
            kind = kind.split("*", 1)[1]
        if kind in types:
            return cls(name, kind, None, is_list, is_ref)
        if kind == "any":  # a list whose elements may each have their own dtype
            return cls(name, None, None, is_list, is_ref)
        return cls(name, None, _dt.as_dtype(kind), is_list, is_ref)


@dataclass
class OpDef:
    """An op type. `kernel(*inputs, **attrs)` returns one array, or a tuple when the op has
    several (or a variable number of) outputs; a `stateful` kernel gets the step's
    `StepState` first; a `keeps_op_state` kernel also gets `op_name=` (ops keeping per-op state,
    such as random generators). `prepare(attrs) -> kwargs` optionally turns plain-data
    attrs into kernel keywords once, at plan compile time."""

    type: str
    inputs: list[str]
    outputs: list[str]
    infer: Callable
    kernel: Callable | None
    grad: Callable | _NotDifferentiable | None = None
    types: dict[str, tuple] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)
    stateful: bool = False
    keeps_op_state: bool = False
    prepare: Callable | None = None
    module: str = ""
    input_args: list[ArgDef] = field(default_factory=list, repr=False)
    # The op produces a variable reference (a `Ref(T)` output, as VariableV2): placement puts
    # it on a PS, partitioning copies it into the stages that read it, a plan reads it where
    # consumed, and only its output may feed a `Ref(T)` input. Derived from the signature.
    produces_ref: bool = field(default=False, init=False)

    def __post_init__(self):
        self.input_args = [ArgDef.parse(s, self.types) for s in self.inputs]
        self.produces_ref = any(_is_ref_kind(s) for s in self.outputs)

    @property
    def multi_output(self) -> bool:
        return len(self.outputs) != 1 or "*" in self.outputs[0]

    @property
    def may_write_variables(self) -> bool:
        """Whether a step of this op can change a variable (so a plan holding it keeps an
        undo journal): stateful kernels, except those whose only state is their own (random
        generators keyed by op name)."""
        return self.stateful and not self.keeps_op_state

    @property
    def ref_input_indices(self) -> tuple[int, ...]:
        return tuple(i for i, a in enumerate(self.input_args) if a.is_ref)

    def kernel_kwargs(self, attrs: dict) -> dict:
        """The keywords the kernel receives: declared attrs, through `prepare` if any."""
        kw = {k: attrs.get(k, v) for k, v in self.attrs.items()}
        return self.prepare(kw) if self.prepare is not None else kw


def _is_ref_kind(arg: str) -> bool:
    return arg.partition(":")[2].strip().startswith("Ref(")


_REGISTRY: dict[str, OpDef] = {}


def register_op(opdef: OpDef) -> OpDef:
    """Adds an op type; refuses a type registered twice, naming the first module."""
    if opdef.type in _REGISTRY:
        first = _REGISTRY[opdef.type].module
        raise KeyError(f"Op type '{opdef.type}' is already registered (in {first})")
    if not opdef.module:
        # The registering module is the caller's; one frame up, without walking the stack
        # (inspect.stack() reads source files and cost ~1 s over the whole op library).
        opdef.module = sys._getframe(1).f_globals.get("__name__", "?")
    _REGISTRY[opdef.type] = opdef
    return opdef


def get_op_def(op_type: str) -> OpDef:
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise KeyError(f"No op named '{op_type}' is registered") from None


def registered_types() -> list[str]:
    return list(_REGISTRY)


_GRADIENT_OVERRIDES: dict[str, Callable] = {}


class RegisterGradient:
    """Decorator registering a gradient function under a name, for `gradient_override_map`."""

    def __init__(self, op_type: str):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn: Callable) -> Callable:
        if self._op_type in _GRADIENT_OVERRIDES:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'!")
        _GRADIENT_OVERRIDES[self._op_type] = fn
        return fn


def gradient_function(op_type: str, override: str | None = None):
    """The gradient rule for an op type (a registered override name wins)."""
    if override is not None:
        if override not in _GRADIENT_OVERRIDES:
            raise LookupError(f"No gradient defined for override name '{override}'")
        return _GRADIENT_OVERRIDES[override]
    return get_op_def(op_type).grad


class _Dead:
    """The value of a tensor on a cond branch that was not taken (TF's dead tensors)."""

    def __repr__(self) -> str:
        return "DEAD"

    def __reduce__(self):
        # Stays the one DEAD object when it crosses to another process.
        return (_dead, ())


def _dead() -> _Dead:
    return DEAD


DEAD = _Dead()
