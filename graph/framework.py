"""The graph model: `Graph`, `Operation`, `Tensor`, and the graph-building context.

A Graph is plain data: ops in creation order (a valid topological order), a name map,
and the stacks that `name_scope`, `device`, `colocate_with` and `control_dependencies`
push. `apply_op` is the one way ops are made: it converts inputs, checks dtypes against
the op's registry entry, runs shape inference, and applies the scopes.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from . import dtypes as _dt
from .device import DeviceSpec, canonical, merge_device
from .errors import DTypeMismatchError
from .graph_def import graph_to_graph_def
from .registry import TensorSpec, get_op_def
from .shapes import TensorShape, as_shape


class GraphKeys:
    """Standard collection names."""

    GLOBAL_VARIABLES = "variables"
    VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


class Tensor:
    """One output of an Operation: `(op, value_index)` with a dtype and a static shape."""

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_name", "__weakref__")
    # numpy defers to Tensor's reflected operators (np.ndarray + Tensor -> Tensor.__radd__).
    __array_priority__ = 100

    def __init__(self, op: Operation, value_index: int, dtype: _dt.DType, shape: TensorShape):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = shape
        self._name = f"{op.name}:{value_index}"

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def graph(self) -> Graph:
        return self._op.graph

    @property
    def device(self) -> str:
        return self._op.device

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape) -> None:
        self._shape = self._shape.merge_with(as_shape(shape))

    def consumers(self) -> list[Operation]:
        return [op for op in self.graph._consumers.get(self._name, [])]

    def eval(self, feed_dict=None, session=None):
        """Runs this tensor in `session` (default: the default session)."""
        session = session or get_default_session_or_raise("evaluate tensor")
        return session.run(self, feed_dict=feed_dict)

    def __str__(self) -> str:
        shape = "" if self._shape.ndims is None else f", shape={self._shape}"
        return f'Tensor("{self._name}"{shape}, dtype={self._dtype.name})'

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self._name}' shape={self._shape} dtype={self._dtype.name}>"

    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such "
            "as tf.cond to execute subgraphs conditioned on the value of a tensor."
        )

    def __iter__(self):
        if self._shape.ndims is None or self._shape.as_list()[0] is None:
            raise TypeError("'Tensor' object is not iterable.")
        if self._shape.ndims == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self._shape.as_list()[0]):
            yield self[i]

    def __len__(self):
        raise TypeError(
            f"len is not well defined for symbolic Tensors. ({self._name}) "
            "Please call `x.shape` rather than `len(x)` for shape information."
        )


class Operation:
    """A node: type, name, input Tensors, control inputs, plain-data attrs, device, outputs."""

    def __init__(self, graph, op_type, name, inputs, attrs, output_specs, control_inputs):
        self._graph = graph
        self._type = op_type
        self._name = name
        self._inputs = list(inputs)
        self._attrs = attrs
        self._control_inputs = list(control_inputs)
        self._device = ""
        self._colocation: list[str] = []
        self._id = graph._next_id()
        self._outputs = [Tensor(self, i, s.dtype, s.shape) for i, s in enumerate(output_specs)]
        self._const_values = [s.value for s in output_specs]
        self._gradient_override: str | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def inputs(self) -> list[Tensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[Tensor]:
        return list(self._outputs)

    def values(self) -> tuple:
        return tuple(self._outputs)

    @property
    def control_inputs(self) -> list[Operation]:
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        return self._device

    @property
    def attrs(self) -> dict:
        return dict(self._attrs)

    @property
    def op_def(self):
        return get_op_def(self._type)

    def colocation_groups(self) -> list[bytes]:
        return [f"loc:@{n}".encode() for n in (self._colocation or [self._name])]

    def get_attr(self, name: str):
        if name == "_class":
            return self.colocation_groups()
        if name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        value = self._attrs[name]
        if name in get_op_def(self._type).types or name in ("dtype", "DstT", "SrcT", "out_type"):
            return _dt.as_dtype(value) if isinstance(value, str) else value
        return value

    def _set_device(self, device) -> None:
        self._device = canonical(device.to_string() if isinstance(device, DeviceSpec) else device)
        self._graph._mutations += 1

    def _add_control_input(self, op: Operation) -> None:
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            self._graph._mutations += 1

    def _add_control_inputs(self, ops) -> None:
        for op in ops:
            self._add_control_input(op)

    def run(self, feed_dict=None, session=None) -> None:
        """Runs this op in `session` (default: the default session)."""
        session = session or get_default_session_or_raise("run operation")
        session.run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self) -> str:
        lines = [f'name: "{self._name}"', f'op: "{self._type}"']
        lines += [f'input: "{_input_name(t)}"' for t in self._inputs]
        lines += [f'input: "^{c.name}"' for c in self._control_inputs]
        if self._device:
            lines.append(f'device: "{self._device}"')
        return "\n".join(lines)


def _input_name(t: Tensor) -> str:
    return t.op.name if t.value_index == 0 else t.name


class Graph:
    """A TensorFlow computation graph: ops in creation order plus the construction stacks."""

    def __init__(self):
        self._lock = threading.RLock()
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._consumers: dict[str, list[Operation]] = {}
        self._id_counter = 0
        self._mutations = 0
        self._finalized = False
        self._collections: dict[str, list] = {}
        self._seed = None
        self._local = threading.local()
        self._gradient_override_map: dict[str, str] = {}

    # Per-thread construction state, as TF keeps it.
    @property
    def _state(self):
        state = getattr(self._local, "state", None)
        if state is None:
            state = _BuildState()
            self._local.state = state
        return state

    def _next_id(self) -> int:
        self._id_counter += 1
        return self._id_counter

    @property
    def version(self) -> int:
        """Number of ops created so far (grows with the graph)."""
        return self._id_counter

    @property
    def mutation_version(self) -> int:
        """Changes to existing ops (control inputs, devices): invalidates compiled plans."""
        return self._mutations

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value

    @property
    def finalized(self) -> bool:
        return self._finalized

    def finalize(self) -> None:
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    @contextlib.contextmanager
    def as_default(self):
        stack = _default_graph_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    # Names --------------------------------------------------------------------------
    def get_name_scope(self) -> str:
        return self._state.name_stack

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        scope = self._state.name_stack
        if scope:
            name = f"{scope}/{name}"
        name_key = name.lower()
        i = self._names_in_use.get(name_key, 0)
        if mark_as_used:
            self._names_in_use[name_key] = i + 1
        if i > 0:
            base_key = name_key
            while name_key in self._names_in_use:
                name_key = f"{base_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name):
        state = self._state
        old = state.name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            new = self.unique_name(name)
        state.name_stack = new
        try:
            yield f"{new}/" if new else ""
        finally:
            state.name_stack = old

    # Devices, colocation, control dependencies --------------------------------------
    @contextlib.contextmanager
    def device(self, device_name_or_function):
        state = self._state
        entry = device_name_or_function
        if isinstance(entry, DeviceSpec):
            entry = entry.to_string()
        if isinstance(entry, str):
            entry = canonical(entry)
        state.device_stack.append(entry)
        try:
            yield
        finally:
            state.device_stack.pop()

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing: bool = False):
        state = self._state
        if op is None:
            saved = state.colocation_stack
            state.colocation_stack = []
            try:
                yield
            finally:
                state.colocation_stack = saved
            return
        op = _as_op(op)
        saved_devices = state.device_stack
        state.device_stack = []
        saved_coloc = state.colocation_stack
        state.colocation_stack = ([] if ignore_existing else list(saved_coloc)) + [op]
        try:
            yield
        finally:
            state.device_stack = saved_devices
            state.colocation_stack = saved_coloc

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        state = self._state
        if control_inputs is None:
            saved = state.control_stack
            state.control_stack = []
            try:
                yield
            finally:
                state.control_stack = saved
            return
        ops = []
        for c in control_inputs:
            op = _as_op(c)
            if op.graph is not self:
                raise ValueError(f"Control input {op.name} must be from the same graph.")
            ops.append(op)
        state.control_stack.append(ops)
        try:
            yield
        finally:
            state.control_stack.pop()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict):
        saved = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = saved

    # Ops ----------------------------------------------------------------------------
    def create_op(
        self, op_type, inputs, output_specs, attrs=None, name=None, control_inputs=()
    ) -> Operation:
        """Adds an op whose outputs are already inferred; applies every active scope."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        with self._lock:
            state = self._state
            ctx = state.cond_stack[-1] if state.cond_stack else None
            if ctx is not None:
                refs = get_op_def(op_type).ref_input_indices
                inputs = [t if i in refs else ctx.wrap_input(t) for i, t in enumerate(inputs)]
            if name and name.endswith("/"):
                name = name[:-1]
                self._names_in_use.setdefault(name.lower(), 1)
            else:
                name = self.unique_name(name or op_type)
            controls = list(control_inputs)
            input_ops = {t.op for t in inputs}
            for level in state.control_stack:
                for c in level:
                    if c not in controls and c not in input_ops:
                        controls.append(c)
            if ctx is not None and not any(ctx.is_inside(t) for t in inputs):
                controls.append(ctx.pivot.op)
            op = Operation(self, op_type, name, inputs, dict(attrs or {}), output_specs, controls)
            if ctx is not None:
                ctx.ops.add(op._id)
            override = self._gradient_override_map.get(op_type)
            if override is not None:
                op._gradient_override = override
            if state.colocation_stack:
                target = state.colocation_stack[-1]
                op._colocation = list(target._colocation or [target.name])
                op._device = target.device
            else:
                op._device = self._device_for(op)
            self._ops.append(op)
            self._by_name[name] = op
            for t in inputs:
                self._consumers.setdefault(t.name, []).append(op)
            return op

    def _device_for(self, op: Operation) -> str:
        device = ""
        for entry in reversed(self._state.device_stack):
            if entry is None:
                break
            if callable(entry):
                op._device = device
                chosen = entry(op)
                if isinstance(chosen, DeviceSpec):
                    chosen = chosen.to_string()
                device = canonical(chosen or "")
            else:
                device = merge_device(entry, device)
        return device

    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        op = self._by_name.get(name)
        if op is None:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.")
        return op

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolves a Tensor, Operation, Variable or name string to an element of this graph."""
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, str):
            if ":" in obj:
                if not allow_tensor:
                    raise ValueError(f"Name '{obj}' appears to refer to a Tensor, not a Operation.")
                op_name, _, index = obj.rpartition(":")
                try:
                    index = int(index)
                except ValueError:
                    raise ValueError(
                        f"The name '{obj}' looks a like a Tensor name, but is not a valid one. "
                        'Tensor names must be of the form "<op_name>:<output_index>".'
                    ) from None
                op = self._by_name.get(op_name)
                if op is None:
                    raise KeyError(
                        f"The name '{obj}' refers to a Tensor which does not exist. "
                        f"The operation, '{op_name}', does not exist in the graph."
                    )
                if index >= len(op._outputs):
                    raise KeyError(
                        f"The name '{obj}' refers to a Tensor which does not exist. The operation,"
                        f" '{op_name}', exists but only has {len(op._outputs)} outputs."
                    )
                return op._outputs[index]
            op = self._by_name.get(obj)
            if op is None:
                raise KeyError(f"The name '{obj}' refers to an Operation not in the graph.")
            if not allow_operation:
                raise ValueError(
                    f"The name '{obj}' refers to an Operation, not a Tensor. Tensor names must "
                    'be of the form "<op_name>:<output_index>".'
                )
            return op
        if isinstance(obj, Tensor):
            if not allow_tensor:
                raise TypeError("Can not convert a Tensor into a Operation.")
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation):
            if not allow_operation:
                raise TypeError("Can not convert a Operation into a Tensor.")
            if obj.graph is not self:
                raise ValueError(f"Operation {obj!r} is not an element of this graph.")
            return obj
        raise TypeError(f"Can not convert a {type(obj).__name__} into a Tensor or Operation.")

    # Collections --------------------------------------------------------------------
    def add_to_collection(self, name: str, value) -> None:
        with self._lock:
            self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value) -> None:
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name: str) -> list:
        with self._lock:
            return self._collections.setdefault(name, [])

    def get_collection(self, name: str, scope=None) -> list:
        with self._lock:
            items = list(self._collections.get(name, []))
        if scope is None:
            return items
        import re

        pattern = re.compile(scope)
        return [i for i in items if hasattr(i, "name") and pattern.match(i.name)]

    def get_all_collection_keys(self) -> list[str]:
        return [k for k, v in self._collections.items() if v]

    def clear_collection(self, name: str) -> None:
        self._collections.pop(name, None)

    @property
    def graph_def_versions(self):
        from tensorboard.compat.proto import versions_pb2

        return versions_pb2.VersionDef(producer=27)

    def as_graph_def(self, from_version=None, add_shapes: bool = False, for_display=False):
        """The GraphDef proto of the graph (`import_graph_def` rebuilds it; TensorBoard reads
        it); `for_display` leaves out what only rebuilding needs."""
        return graph_to_graph_def(self, add_shapes=add_shapes, for_display=for_display)


class _BuildState:
    __slots__ = ("name_stack", "device_stack", "colocation_stack", "control_stack", "cond_stack")

    def __init__(self):
        self.cond_stack: list = []
        self.name_stack = ""
        self.device_stack: list = []
        self.colocation_stack: list = []
        self.control_stack: list = []


def _as_op(obj) -> Operation:
    if hasattr(obj, "_as_graph_element"):
        obj = obj._as_graph_element()
    if isinstance(obj, Operation):
        return obj
    if isinstance(obj, Tensor):
        return obj.op
    raise TypeError(f"Can not convert a {type(obj).__name__} into an Operation.")


# The default graph ------------------------------------------------------------------
_thread = threading.local()
_global_default: list[Graph] = []


class FuncGraph(Graph):
    """The graph of a loop's condition or body. A tensor of an enclosing graph used here is
    captured: it becomes a placeholder of this graph and an extra input of the loop op."""

    def __init__(self, outer: Graph, name: str):
        super().__init__()
        self.outer_graph = outer
        self.name = name
        self.captures: list[tuple[Tensor, Tensor]] = []
        self._captured: dict[int, Tensor] = {}
        self._seed = outer.seed

    def capture(self, t: Tensor) -> Tensor:
        if t.graph is self:
            return t
        outer_t = t
        if t.graph is not self.outer_graph:
            if not isinstance(self.outer_graph, FuncGraph):
                raise ValueError(f"Tensor {t!r} must be from the same graph as the loop")
            outer_t = self.outer_graph.capture(t)
        key = id(outer_t)
        if key in self._captured:
            return self._captured[key]
        if outer_t.op.op_def.produces_ref:
            raise NotImplementedError(
                f"a while_loop body cannot use the variable reference {t.name} itself (read "
                "it with .value() outside the loop, or pass it in as a loop variable)"
            )
        shape = None if outer_t.shape.ndims is None else list(outer_t.shape.as_tuple())
        with self.as_default(), self.control_dependencies(None), self.name_scope(""):
            ph = apply_op(
                "Placeholder",
                [],
                {"dtype": outer_t.dtype.name, "shape": shape},
                name=f"capture_{len(self.captures)}",
            ).outputs[0]
        self._captured[key] = ph
        self.captures.append((outer_t, ph))
        return ph


def _default_graph_stack() -> list:
    stack = getattr(_thread, "graph_stack", None)
    if stack is None:
        stack = []
        _thread.graph_stack = stack
    return stack


def get_default_graph() -> Graph:
    stack = _default_graph_stack()
    if stack:
        return stack[-1]
    if not _global_default:
        _global_default.append(Graph())
    return _global_default[0]


def reset_default_graph() -> None:
    """Clears the default graph stack and starts a new global default graph."""
    if _default_graph_stack():
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a "
            "cleared graph, exit the nesting and create a new graph."
        )
    _global_default.clear()
    _global_default.append(Graph())


# The default session --------------------------------------------------------------------------
def _default_session_stack() -> list:
    """This thread's default sessions, beside its default graphs (as TF1's ops.py)."""
    stack = getattr(_thread, "session_stack", None)
    if stack is None:
        stack = []
        _thread.session_stack = stack
    return stack


@contextlib.contextmanager
def default_session(session):
    stack = _default_session_stack()
    stack.append(session)
    try:
        yield session
    finally:
        if stack and stack[-1] is session:
            stack.pop()
        elif session in stack:
            stack.remove(session)


def get_default_session():
    """The innermost session entered with `as_default()` (or `with Session()`), or None."""
    stack = _default_session_stack()
    return stack[-1] if stack else None


def get_default_session_or_raise(what: str):
    session = get_default_session()
    if session is None:
        raise ValueError(
            f"Cannot {what} using `eval()`: No default session is registered. Use `with "
            "sess.as_default()` or pass an explicit session to `eval(session=sess)`"
        )
    return session


def name_scope(name, default_name=None, values=None):
    """`tf.name_scope(name, default_name=None, values=None)` on the default graph."""
    graph = _graph_of(values) if values else get_default_graph()
    if name is None and default_name is not None:
        name = default_name
    return graph.name_scope(name)


def _graph_of(values) -> Graph:
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
        if hasattr(v, "_as_graph_element"):
            return v._as_graph_element().graph
    return get_default_graph()


def device(device_name_or_function):
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def add_to_collection(name, value) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)


# Converting values to tensors --------------------------------------------------------
def is_tensor_like(value) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


# (priority, base types, function) registered by register_tensor_conversion_function.
_CONVERSIONS: list = []


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Makes convert_to_tensor turn instances of `base_type` (a type or tuple of types)
    into tensors with `conversion_func(value, dtype=None, name=None, as_ref=False)`;
    lower `priority` values are tried first."""
    types = base_type if isinstance(base_type, tuple) else (base_type,)
    if not all(isinstance(t, type) for t in types):
        raise TypeError("base_type must be a type or a tuple of types.")
    if any(issubclass(t, (Tensor, np.ndarray, np.generic, float, int, str, bytes)) for t in types):
        raise TypeError("Cannot register conversions for Python numeric types and NumPy "
                        "scalars and arrays.")  # fmt: skip
    if not callable(conversion_func):
        raise TypeError("conversion_func must be callable.")
    _CONVERSIONS.append((priority, len(_CONVERSIONS), types, conversion_func))
    _CONVERSIONS.sort(key=lambda entry: entry[:2])


def _registered_conversion(value, dtype, name):
    for _, _, types, fn in _CONVERSIONS:
        if isinstance(value, types):
            result = fn(value, dtype=dtype, name=name, as_ref=False)
            if result is not NotImplemented:
                return result
    return None


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None) -> Tensor:
    """A Tensor for `value`: Tensors pass through (dtype checked), Variables read, values
    of types with a registered conversion function converted by it, anything else becomes
    a `Const` op."""
    if isinstance(value, Tensor):
        tensor = value
    elif hasattr(value, "_as_tensor"):
        tensor = value._as_tensor()
    elif _CONVERSIONS and (converted := _registered_conversion(value, dtype, name)) is not None:
        tensor = converted
    else:
        if dtype is None and preferred_dtype is not None:
            try:
                return make_constant(value, _dt.as_dtype(preferred_dtype), name=name or "Const")
            except (TypeError, ValueError):
                pass
        return make_constant(value, None if dtype is None else _dt.as_dtype(dtype), name or "Const")
    if dtype is not None and _dt.as_dtype(dtype) is not tensor.dtype:
        raise ValueError(
            f"Tensor conversion requested dtype {_dt.as_dtype(dtype).name} for Tensor with "
            f"dtype {tensor.dtype.name}: {tensor!r}"
        )
    return tensor


def constant_array(value, dtype: _dt.DType | None) -> np.ndarray:
    """The numpy value of a constant, with TF's conversion rules and error messages."""
    if dtype is None:
        if isinstance(value, np.ndarray) and value.dtype.kind not in "SUO":
            dtype = _dt.as_dtype(value.dtype)
        else:
            dtype = _dt.infer_dtype(value)
    if dtype is _dt.string:
        arr = np.array(value, dtype=object)
        return np.vectorize(_to_bytes, otypes=[object])(arr) if arr.size else arr
    if isinstance(value, (list, tuple)) or np.isscalar(value):
        _check_python_value(value, dtype)
    try:
        arr = np.asarray(value)
    except ValueError as e:
        raise ValueError(
            f"Argument must be a dense tensor: {value} - got shape error {e}."
        ) from None
    if arr.dtype == object:
        raise ValueError(f"Argument must be a dense tensor: {value} - got shape mismatch.")
    if arr.dtype.kind == "f" and dtype.is_integer and not np.all(arr == np.round(arr)):
        raise TypeError(
            f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead."
        )
    if arr.dtype.kind in "SU":
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type 'str' instead.")
    return arr.astype(dtype.np, copy=False)


def _check_python_value(value, dtype: _dt.DType) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
            continue
        if isinstance(item, (str, bytes)):
            raise TypeError(f"Expected {dtype.name}, got {item!r} of type 'str' instead.")
        if dtype.is_integer and isinstance(item, float) and not float(item).is_integer():
            raise TypeError(f"Expected {dtype.name}, got {item!r} of type 'float' instead.")
        if dtype.is_integer and isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            info = np.iinfo(dtype.np)
            if not info.min <= int(item) <= info.max:
                raise ValueError(f"Value {item} is out of range for {dtype.name}")
        if dtype.is_bool and not isinstance(item, (bool, np.bool_)):
            raise TypeError(f"Expected bool, got {item!r} of type '{type(item).__name__}' instead.")


def _to_bytes(x):
    return x.encode() if isinstance(x, str) else bytes(x)


def make_constant(value, dtype, name="Const", shape=None) -> Tensor:
    arr = constant_array(value, dtype)
    if shape is not None:
        shape = list(shape)
        if arr.size == 1 and int(np.prod(shape)) != 1:
            arr = np.full(shape, arr.reshape(()).item(), dtype=arr.dtype)
        elif arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {arr.shape}.")
    attrs = {"value": arr, "dtype": _dt.as_dtype(arr.dtype).name}
    return apply_op("Const", [], attrs, name=name).outputs[0]


# Building ops ---------------------------------------------------------------------------
def apply_op(op_type: str, inputs: list, attrs: dict | None = None, name=None, graph=None):
    """Creates an op of a registered type: converts inputs, checks and records type
    variables (as attrs, as TF does), infers outputs, applies scopes. Returns the Operation."""
    opdef = get_op_def(op_type)
    attrs = dict(attrs or {})
    args = opdef.input_args
    if len(inputs) != len(args):
        raise TypeError(f"{op_type} expects {len(args)} inputs, got {len(inputs)}")
    resolved: dict[str, _dt.DType] = {}
    first_arg: dict[str, str] = {}
    for tv, value in attrs.items():
        if tv in opdef.types and value is not None:
            resolved[tv] = _dt.as_dtype(value)
            first_arg[tv] = tv
    # First pass: tensors fix type variables.
    for arg, value in zip(args, inputs):
        values = value if arg.is_list else [value]
        for v in values:
            if arg.type_var and is_tensor_like(v):
                t = v if isinstance(v, Tensor) else _ref_or_tensor(v, arg.is_ref)
                _bind_type(op_type, opdef, arg, t.dtype, resolved, first_arg)
    # Second pass: convert everything.
    converted: list = []
    for arg, value in zip(args, inputs):
        if arg.is_list:
            if not isinstance(value, (list, tuple)):
                raise TypeError(
                    f"Expected list for '{arg.name}' argument to '{op_type}' Op, not {value}."
                )
            converted.append(
                [_convert_arg(op_type, opdef, arg, v, resolved, first_arg) for v in value]
            )
        else:
            converted.append(_convert_arg(op_type, opdef, arg, value, resolved, first_arg))
    for tv, dt in resolved.items():
        attrs[tv] = dt.name
    default = get_default_graph()
    if graph is None and isinstance(default, FuncGraph):
        graph = default
    if isinstance(graph, FuncGraph):
        # A loop body reading a tensor of an enclosing graph gets it as an input.
        converted = [
            [graph.capture(t) for t in c] if isinstance(c, list) else graph.capture(c)
            for c in converted
        ]
    flat = [t for c in converted for t in (c if isinstance(c, list) else [c])]
    graph = graph or (flat[0].graph if flat else get_default_graph())
    for t in flat:
        if t.graph is not graph:
            raise ValueError(f"Tensor {t!r} must be from the same graph as {flat[0]!r}.")
    kw = {k: attrs.get(k, v) for k, v in opdef.attrs.items()}
    for k in attrs:
        if k not in opdef.attrs and k not in opdef.types and not k.startswith("_"):
            raise TypeError(f"{op_type} got an unexpected attr '{k}'")
    specs = [_spec_list(c) if isinstance(c, list) else _spec_of(c) for c in converted]
    try:
        out = opdef.infer(*specs, **kw)
    except (ValueError, TypeError) as e:
        where = graph.unique_name(name or op_type, mark_as_used=False)
        msg = str(e)
        if where not in msg and op_type not in msg:
            msg = f"{msg} for '{where}' (op: '{op_type}')"
        raise type(e)(msg) from None
    if out is None:
        out = []
    elif isinstance(out, TensorSpec):
        out = [out]
    all_attrs = {**{k: v for k, v in attrs.items() if k in opdef.types or k.startswith("_")}, **kw}
    return graph.create_op(op_type, flat, list(out), all_attrs, name=name)


def _ref_or_tensor(value, is_ref: bool) -> Tensor:
    if is_ref and hasattr(value, "_ref"):
        return value._ref()
    return value._as_tensor()


def _bind_type(op_type, opdef, arg, dtype, resolved, first_arg) -> None:
    tv = arg.type_var
    allowed = opdef.types[tv]
    if allowed and dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(
            f"Value passed to parameter '{arg.name}' has DataType {dtype.name} not in list of "
            f"allowed values: {names}"
        )
    if tv not in resolved:
        resolved[tv] = dtype
        first_arg[tv] = arg.name
    elif resolved[tv] is not dtype:
        raise DTypeMismatchError(
            f"Input '{arg.name}' of '{op_type}' Op has type {dtype.name} that does not match "
            f"type {resolved[tv].name} of argument '{first_arg[tv]}'."
        )


def _convert_arg(op_type, opdef, arg, value, resolved, first_arg) -> Tensor:
    if _CONVERSIONS and not is_tensor_like(value):
        dtype = arg.fixed if arg.fixed is not None else resolved.get(arg.type_var)
        converted = _registered_conversion(value, dtype, None)
        value = value if converted is None else converted
    if is_tensor_like(value):
        t = value if isinstance(value, Tensor) else _ref_or_tensor(value, arg.is_ref)
        if arg.is_ref and not t.op.op_def.produces_ref:
            raise TypeError(
                f"'{op_type}' Op requires that input '{arg.name}' be a mutable tensor "
                f"(e.g. a tf.Variable); got {t.name} from a '{t.op.type}' op"
            )
        if arg.fixed is not None and t.dtype is not arg.fixed:
            raise TypeError(
                f"Input '{arg.name}' of '{op_type}' Op has type {t.dtype.name} that does not "
                f"match expected type of {arg.fixed.name}."
            )
        return t
    if arg.is_ref:
        raise TypeError(f"'{op_type}' Op requires that input '{arg.name}' be a mutable tensor")
    if arg.fixed is not None:
        return make_constant(value, arg.fixed)
    tv = arg.type_var
    dtype = resolved.get(tv)
    allowed = opdef.types[tv]
    if dtype is None and allowed and np.size(value) == 0:
        dtype = allowed[0]  # an empty list has no dtype of its own: take the op's default
    try:
        t = make_constant(value, dtype)
    except TypeError as e:
        raise TypeError(
            f"{e} Input '{arg.name}' of '{op_type}' Op has type {dtype.name if dtype else '?'}."
        ) from None
    _bind_type(op_type, opdef, arg, t.dtype, resolved, first_arg)
    return t


def _spec_of(t: Tensor) -> TensorSpec:
    return TensorSpec(t.dtype, t.shape, t.op._const_values[t.value_index])


def _spec_list(ts: list[Tensor]) -> list[TensorSpec]:
    return [_spec_of(t) for t in ts]


def recreate_op(graph, op_type, inputs, attrs, name, control_inputs, device, colocation):
    """An op of a saved graph rebuilt as it was (`name` exact, outside any control or device
    scope of the caller): its outputs inferred again from its inputs and attrs."""
    opdef = get_op_def(op_type)
    specs, i = [], 0
    for arg in opdef.input_args:
        if arg.is_list:
            n = len(inputs) - (len(opdef.input_args) - 1)
            specs.append(_spec_list(inputs[i : i + n]))
            i += n
        else:
            specs.append(_spec_of(inputs[i]))
            i += 1
    kw = {k: attrs.get(k, v) for k, v in opdef.attrs.items()}
    out = opdef.infer(*specs, **kw)
    out = [out] if isinstance(out, TensorSpec) else list(out or [])
    with graph.control_dependencies(None), graph.device(None):
        op = graph.create_op(
            op_type, inputs, out, attrs, name=name + "/", control_inputs=control_inputs
        )
    op._device = device
    op._colocation = list(colocation)
    return op


def constant_value(t: Tensor):
    """The value of `t` when known at graph construction (a Const, or folded shape info)."""
    if not isinstance(t, Tensor):
        return None
    return t.op._const_values[t.value_index]


# TF2 switches a TF1 program may call: psflow is graph mode, always ------------------------------
def executing_eagerly() -> bool:
    return False


def disable_eager_execution() -> None:
    """Graph mode is psflow's only mode: nothing to do."""


def disable_v2_behavior() -> None:
    """psflow behaves as TF1: nothing to do."""
