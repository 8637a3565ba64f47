"""`tf.Variable` and the variable collections and initializers.

A Variable is four nodes, as in TF1: `NAME` (VariableV2, its reads), `NAME/initial_value`,
`NAME/Assign` (the initializer) and `NAME/read` (a snapshot for ops that use the value).
The nodes that touch the variable are colocated with it, so placement puts them on the
device that owns it.
"""

from __future__ import annotations

import contextlib
import threading

from . import dtypes as _dt
from .framework import (
    GraphKeys,
    Tensor,
    colocate_with,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    get_default_session_or_raise,
    name_scope,
)
from .ops import array as _array, control_flow as _control_flow, math as _math, state as _state
from .shapes import TensorShape

_CREATORS = threading.local()  # the variable_creator_scope stack of this thread


class _VariableMeta(type):
    """Constructing a Variable goes through the creators of the enclosing
    variable_creator_scope blocks, innermost first (TF's variable creator protocol)."""

    def __call__(cls, *args, **kwargs):
        stack = getattr(_CREATORS, "stack", [])
        if not stack or cls is not Variable:
            return super().__call__(*args, **kwargs)
        names = (
            "initial_value",
            "trainable",
            "collections",
            "validate_shape",
            "caching_device",
            "name",
            "variable_def",
            "dtype",
        )
        kwargs.update(zip(names, args))

        def make(depth):
            def next_creator(**kw):
                if depth < 0:
                    return type.__call__(cls, **kw)
                return stack[depth](make(depth - 1), **kw)

            return next_creator

        return make(len(stack) - 1)(**kwargs)


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Within the block, creating a Variable calls variable_creator(next_creator,
    **kwargs), which may change the arguments, wrap the result, or not create it."""
    stack = getattr(_CREATORS, "stack", None)
    if stack is None:
        stack = _CREATORS.stack = []
    stack.append(variable_creator)
    try:
        yield
    finally:
        stack.pop()


class Variable(metaclass=_VariableMeta):
    """A mutable tensor that persists across `sess.run` calls."""

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        collections=None,
        validate_shape=True,
        caching_device=None,
        name=None,
        variable_def=None,
        dtype=None,
        expected_shape=None,
        import_scope=None,
        constraint=None,
        use_resource=None,
        synchronization=None,
        aggregation=None,
        shape=None,
    ):
        if variable_def is not None:
            self._init_from_graph(variable_def)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        if not isinstance(collections, (list, tuple, set)):
            raise ValueError(
                f"collections argument to Variable constructor must be a list, tuple, or set. "
                f"Got {collections} of type {type(collections)}"
            )
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        self._trainable = trainable
        self._constraint = constraint
        self._save_slice_info = None
        self._partition_info = None
        with control_dependencies(None), name_scope(name, "Variable") as scope:
            true_name = scope[:-1]
            graph = get_default_graph()
            made_from = None
            if callable(initial_value):
                made_from = len(graph._ops)
                with name_scope("Initializer"):
                    initial_value = initial_value()
            self._initial_value = convert_to_tensor(
                initial_value, dtype=dtype, name="initial_value"
            )
            var_shape = self._initial_value.shape if validate_shape else TensorShape(None)
            if shape is not None:
                var_shape = TensorShape(shape)
            dims = None if var_shape.ndims is None else var_shape.as_list()
            self._variable = _state.variable_op(dims, self._initial_value.dtype, scope, true_name)
            if made_from is not None:
                # As TF1: the ops an initializer function makes run where the variable lives
                # (on its parameter server), so no initial value travels there.
                for op in graph._ops[made_from:-1]:
                    op._device = self._variable.device
                    op._colocation = [self._variable.op.name]
            with colocate_with(self._variable.op):
                self._initializer_op = _state.assign(
                    self._variable,
                    self._initial_value,
                    validate_shape=validate_shape,
                    name="Assign",
                ).op
                self._snapshot = _array.identity(self._variable, name="read")
        self._graph = self._variable.graph
        for key in collections:
            self._graph.add_to_collection(key, self)

    def _init_from_graph(self, variable_def) -> None:
        """Rebuilds a Variable object over existing nodes (meta graph import)."""
        graph = get_default_graph()
        self._variable = graph.as_graph_element(variable_def["variable_name"])
        self._initializer_op = graph.as_graph_element(variable_def["initializer_name"])
        self._snapshot = graph.as_graph_element(variable_def["snapshot_name"])
        initial = variable_def.get("initial_value_name")
        self._initial_value = graph.as_graph_element(initial) if initial else None
        self._trainable = variable_def.get("trainable", True)
        self._graph = graph
        self._constraint = None
        self._save_slice_info = None
        self._partition_info = None

    def to_proto(self) -> dict:
        """The plain-data description used by meta graph export."""
        return {
            "variable_name": self._variable.name,
            "initializer_name": self._initializer_op.name,
            "snapshot_name": self._snapshot.name,
            "initial_value_name": self._initial_value.name
            if self._initial_value is not None
            else None,
            "trainable": self._trainable,
        }

    # Graph elements --------------------------------------------------------------------
    def _as_graph_element(self) -> Tensor:
        return self._variable

    def _as_tensor(self) -> Tensor:
        return self._snapshot

    def _ref(self) -> Tensor:
        return self._variable

    def value(self) -> Tensor:
        return self._snapshot

    def read_value(self) -> Tensor:
        with colocate_with(self._variable.op):
            return _array.identity(self._variable, name="read")

    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self):
        return self._variable.op

    @property
    def dtype(self) -> _dt.DType:
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        return self._variable.shape

    def get_shape(self) -> TensorShape:
        return self._variable.shape

    @property
    def device(self) -> str:
        return self._variable.device

    @property
    def graph(self):
        return self._graph

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def constraint(self):
        return self._constraint

    def initialized_value(self) -> Tensor:
        """The variable's value, initialized first from its initial value if needed."""
        with control_dependencies(None):
            return _control_flow.cond(
                is_variable_initialized(self), self.read_value, lambda: self._initial_value
            )

    def eval(self, session=None):
        return self._variable.eval(session=session)

    def load(self, value, session=None) -> None:
        session = session or get_default_session_or_raise("load variable")
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    # Updates --------------------------------------------------------------------------
    def assign(self, value, use_locking=False, name=None, read_value=True):
        return _state.assign(self._variable, value, use_locking=use_locking, name=name)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        return _state.assign_add(self._variable, delta, use_locking=use_locking, name=name)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        return _state.assign_sub(self._variable, delta, use_locking=use_locking, name=name)

    def _scatter(self, op, sparse_delta, use_locking, name):
        from .ops import training as _training

        if not hasattr(sparse_delta, "indices") or not hasattr(sparse_delta, "values"):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        fn = getattr(_training, op)
        return fn(self, sparse_delta.indices, sparse_delta.values, use_locking=use_locking,
                  name=name)  # fmt: skip

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """The rows of `sparse_delta` (IndexedSlices) written at its indices."""
        return self._scatter("scatter_update", sparse_delta, use_locking, name)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_add", sparse_delta, use_locking, name)

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_sub", sparse_delta, use_locking, name)

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_mul", sparse_delta, use_locking, name)

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_div", sparse_delta, use_locking, name)

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_min", sparse_delta, use_locking, name)

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("scatter_max", sparse_delta, use_locking, name)

    def batch_scatter_update(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("batch_scatter_update", sparse_delta, use_locking, name)

    def scatter_nd_update(self, indices, updates, name=None):
        from .ops import training as _training

        return _training.scatter_nd_update(self, indices, updates, name=name)

    def scatter_nd_add(self, indices, updates, name=None):
        from .ops import training as _training

        return _training.scatter_nd_add(self, indices, updates, name=name)

    def scatter_nd_sub(self, indices, updates, name=None):
        from .ops import training as _training

        return _training.scatter_nd_sub(self, indices, updates, name=name)

    def sparse_read(self, indices, name=None) -> Tensor:
        """The rows at `indices` (a gather of the variable)."""
        return _array.gather(self._snapshot, indices, name=name)

    def gather_nd(self, indices, name=None) -> Tensor:
        from .ops import manip as _manip

        return _manip.gather_nd(self._snapshot, indices, name=name)

    def count_up_to(self, limit):
        from .ops import training as _training

        return _training.count_up_to(self, limit)

    def set_shape(self, shape) -> None:
        self._variable.set_shape(shape)
        self._snapshot.set_shape(shape)

    def __repr__(self) -> str:
        return (
            f"<tf.Variable '{self._variable.op.name}:0' shape={self.shape} "
            f"dtype={self.dtype.name}_ref>"
        )

    __hash__ = object.__hash__

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")

    def __bool__(self):
        return self._snapshot.__bool__()

    def __getitem__(self, key):
        return _array.slice_helper(self._snapshot, key)


def _forward(name):
    def method(self, *args):
        return getattr(self._snapshot, name)(*args)

    method.__name__ = name
    return method


for _name in (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "matmul",
    "and",
    "or",
    "xor",
):
    for _fmt in ("__{}__", "__r{}__"):
        setattr(Variable, _fmt.format(_name), _forward(_fmt.format(_name)))
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__neg__", "__abs__", "__invert__"):
    setattr(Variable, _name, _forward(_name))


# Collections and initializers --------------------------------------------------------------
def global_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def moving_average_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def local_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def trainable_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def model_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op that runs the initializers of `var_list`."""
    if var_list:
        return _control_flow.group(*[v.initializer for v in var_list], name=name)
    return _control_flow.no_op(name=name)


initialize_variables = variables_initializer


def global_variables_initializer():
    """An op that initializes all global variables."""
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init_1")


initialize_local_variables = local_variables_initializer


def is_variable_initialized(variable) -> Tensor:
    return _state.is_variable_initialized(variable)


def assert_variables_initialized(var_list=None):
    var_list = global_variables() if var_list is None else var_list
    return _math.reduce_all(_array.stack([is_variable_initialized(v) for v in var_list]))


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor: the names of the uninitialized variables of `var_list`."""
    if var_list is None:
        var_list = global_variables() + local_variables()
    with name_scope(name):
        if not var_list:
            return _array.constant([], dtype=_dt.string)
        with control_dependencies(None):
            flags = []
            for v in var_list:
                with colocate_with(v.op):
                    flags.append(_math.logical_not(is_variable_initialized(v)))
        names = _array.constant([v.op.name for v in var_list])
        return _array.boolean_mask(names, _array.stack(flags))
