"""`tf.train` optimizers, the global step and learning-rate schedules.

An optimizer turns (gradient, variable) pairs into update ops (`ApplyMomentum`,
`SparseApplyAdagrad`, ...). Each update, and each slot variable (`get_slot`), is created
colocated with its variable, so on a cluster the update runs on the parameter server that
owns the variable and only the gradient travels there. IndexedSlices gradients (from
gather/embedding_lookup) use the sparse ops: only the touched rows change.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .framework import (
    GraphKeys,
    Tensor,
    colocate_with,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from .ops import array as _array, control_flow as _control_flow, math as _math, state as _state
from .ops.array import IndexedSlices
from .ops.gradients import gradients
from .ops.training import apply_update, scatter_sub
from .variables import Variable, trainable_variables


def _is_table(var) -> bool:
    return getattr(var, "_dynamic_table", None) is not None


def _distinct(indices) -> bool:
    """Whether `indices` are known to hold no duplicates: a Unique op's values (as
    embedding_lookup_sparse gathers), through reshapes. The update then skips summing them."""
    t = indices
    while t.op.type in ("Reshape", "Identity"):
        t = t.op.inputs[0]
    return t.op.type == "Unique" and t.value_index == 0


def _var_key(var) -> str:
    return var.op.name


def _flatten_vars(var_list):
    out = []
    for v in var_list:
        if hasattr(v, "_get_variable_list"):
            out.extend(v._get_variable_list())
        else:
            out.append(v)
    return out


class Optimizer:
    """Base class: `minimize` = `compute_gradients` + `apply_gradients`."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[str, Variable]] = {}
        self._non_slot: dict[str, Variable] = {}

    def get_name(self) -> str:
        return self._name

    # The public API ---------------------------------------------------------------------
    def minimize(
        self,
        loss,
        global_step=None,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        name=None,
        grad_loss=None,
    ):
        """Adds ops computing the gradients of `loss` and applying them; returns the op
        that applies them (and increments `global_step` if given)."""
        grads_and_vars = self.compute_gradients(
            loss,
            var_list=var_list,
            gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
            grad_loss=grad_loss,
        )
        if not any(g is not None for g, _ in grads_and_vars):
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                "support gradients, between variables "
                f"{[v.name for _, v in grads_and_vars]} and loss {loss}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss,
        var_list=None,
        gate_gradients=GATE_OP,
        aggregation_method=None,
        colocate_gradients_with_ops=False,
        grad_loss=None,
    ):
        """[(gradient or None, variable)] for the trainable variables (or `var_list`)."""
        if callable(loss):
            raise NotImplementedError("callable losses are for eager execution")
        loss = convert_to_tensor(loss)
        if not loss.dtype.is_floating:
            raise ValueError(
                f"Invalid type {loss.dtype!r} for {loss.name}, expected: "
                f"[float16, float32, float64]."
            )
        if var_list is None:
            var_list = trainable_variables()
        var_list = _flatten_vars(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not v.dtype.is_floating:
                raise ValueError(
                    f"Invalid type {v.dtype!r} for {v.name}, expected: [float16, float32, float64]."
                )
        grads = gradients(
            loss, [v._ref() for v in var_list], grad_ys=None if grad_loss is None else [grad_loss]
        )
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Adds the update ops for (gradient, variable) pairs; returns one op running them
        all (which then increments `global_step`, if given)."""
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None and not isinstance(g, IndexedSlices):
                g = convert_to_tensor(g)
            if not hasattr(v, "_ref"):
                raise TypeError(f"Variable must be a tf.Variable: {v!r}")
            converted.append((g, v))
        with_grad = [v for g, v in converted if g is not None]
        if not with_grad:
            raise ValueError(
                f"No gradients provided for any variable: "
                f"{[(str(g), v.name) for g, v in converted]}."
            )
        with control_dependencies(None):
            self._create_slots(with_grad)
        update_ops = []
        with name_scope(name, self._name) as scope:
            self._prepare()
            for g, v in converted:
                if g is None:
                    continue
                with name_scope("update_" + v.op.name), colocate_with(v.op):
                    if _is_table(v):
                        update_ops.append(self._apply_table(g, v))
                    elif isinstance(g, IndexedSlices):
                        update_ops.append(self._apply_sparse_duplicate_indices(g, v))
                    else:
                        update_ops.append(self._apply_dense(g, v))
            if global_step is None:
                apply_updates = self._finish(update_ops, scope)
            else:
                with control_dependencies([self._finish(update_ops, "update")]):
                    with colocate_with(global_step.op):
                        apply_updates = _state.assign_add(global_step, 1, name=scope)
            if isinstance(apply_updates, Tensor):
                apply_updates = apply_updates.op
            train_ops = get_default_graph().get_collection_ref(GraphKeys.TRAIN_OP)
            if apply_updates not in train_ops:
                train_ops.append(apply_updates)
            return apply_updates

    # Slots -------------------------------------------------------------------------------
    def get_slot(self, var, name):
        """The slot variable `name` of `var`, or None."""
        return self._slots.get(name, {}).get(_var_key(var))

    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def variables(self) -> list:
        """The optimizer's own variables (slots and non-slot accumulators)."""
        out = list(self._non_slot.values())
        for slots in self._slots.values():
            out.extend(slots.values())
        return out

    def _zeros_slot(self, var, slot_name, op_name):
        return self._slot(
            var, slot_name, op_name, lambda: _array.zeros(var.shape.as_list(), var.dtype)
        )

    def _slot(self, var, slot_name, op_name, initial):
        if _is_table(var):  # a dynamic table keeps its slots in its rows (_table_slots)
            return None
        slots = self._slots.setdefault(slot_name, {})
        key = _var_key(var)
        if key not in slots:
            graph = var.graph
            name = graph.unique_name(f"{var.op.name}/{op_name}", mark_as_used=False)
            with colocate_with(var.op):
                slots[key] = Variable(initial, trainable=False, name=name + "/", dtype=var.dtype)
        return slots[key]

    def _non_slot_variable(self, initial_value, name, colocate_with_var):
        if name not in self._non_slot:
            graph = colocate_with_var.graph
            unique = graph.unique_name(name, mark_as_used=False)
            with colocate_with(colocate_with_var.op):
                self._non_slot[name] = Variable(initial_value, trainable=False, name=unique + "/")
        return self._non_slot[name]

    # To override ------------------------------------------------------------------------------
    def _create_slots(self, var_list) -> None:
        pass

    def _prepare(self) -> None:
        pass

    # Optimizers whose update is one `Apply<op>` / `SparseApply<op>` op set `_update_op`,
    # `_refs(var)` (the variable and its slots) and, in `_prepare`, `self._t` (the
    # hyperparameter tensors, in the op's order).
    _update_op: str = ""
    _t: list = []

    def _update_attrs(self) -> dict:
        return {"use_locking": self._use_locking}

    def _refs(self, var) -> list:
        return [var._ref()]

    def _apply_dense(self, grad, var):
        hyper = [_math.cast(t, var.dtype) for t in self._t]
        return apply_update(
            "Apply" + self._update_op, self._refs(var), hyper + [grad], self._update_attrs()
        )

    def _apply_sparse(self, grad, var):
        hyper = [_math.cast(t, var.dtype) for t in self._t]
        return apply_update(
            "SparseApply" + self._update_op,
            self._refs(var),
            hyper + [grad.values, grad.indices],
            {**self._update_attrs(), "unique_indices": _distinct(grad.indices)},
        )

    def _apply_sparse_duplicate_indices(self, grad, var):
        return self._apply_sparse(grad, var)

    # A dynamic embedding table (graph/dynamic_embedding.py) is updated by id with the same
    # rule, by `DynamicApply<op>`; its slots are rows beside its own: (name, initial value).
    def _table_slots(self) -> list[tuple[str, float]]:
        return []

    def _table_hyper(self, var) -> list:
        return [_math.cast(t, var.dtype) for t in self._t]

    def _apply_table(self, grad, table):
        if not isinstance(grad, IndexedSlices):
            raise TypeError(
                f"the gradient of dynamic embedding table {table.op.name} must be IndexedSlices "
                f"(from its embedding_lookup), got {grad!r}"
            )
        slots = self._table_slots()
        attrs = {
            **self._update_attrs(),
            "slots": [s for s, _ in slots],
            "slot_init": [float(v) for _, v in slots],
        }
        return apply_update(
            "DynamicApply" + self._update_op,
            [table._ref()],
            self._table_hyper(table) + [grad.values, grad.indices],
            attrs,
        )

    def _finish(self, update_ops, name_scope_name):
        return _control_flow.group(*update_ops, name=name_scope_name)

    def _hyper(self, value, var, name):
        return (
            _math.cast(value, var.dtype)
            if isinstance(value, Tensor)
            else convert_to_tensor(value, dtype=var.dtype, name=name)
        )


def _call(value):
    return value() if callable(value) else value


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad (sparse: only the gradient's rows)."""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    _update_op = "GradientDescent"

    def _prepare(self):
        self._lr = convert_to_tensor(_call(self._learning_rate), name="learning_rate")
        self._t = [self._lr]

    def _apply_dense(self, grad, var):
        lr = _math.cast(self._lr, var.dtype)
        return apply_update(
            "ApplyGradientDescent", [var._ref()], [lr, grad], {"use_locking": self._use_locking}
        )

    def _apply_sparse_duplicate_indices(self, grad, var):
        lr = _math.cast(self._lr, var.dtype)
        return scatter_sub(
            var, grad.indices, _math.multiply(grad.values, lr), use_locking=self._use_locking
        )


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + grad; var -= lr * accum (Nesterov: lr * (grad + momentum *
    accum))."""

    def __init__(
        self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False
    ):
        super().__init__(use_locking, name)
        self._learning_rate, self._momentum = learning_rate, momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    _update_op = "Momentum"

    def _table_slots(self):
        return [("momentum", 0.0)]

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(self._learning_rate), name="learning_rate"),
            convert_to_tensor(_call(self._momentum), name="momentum"),
        ]

    def _update_attrs(self):
        return {"use_locking": self._use_locking, "use_nesterov": self._use_nesterov}

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "momentum")._ref()]


class AdagradOptimizer(Optimizer):
    """accum += grad^2; var -= lr * grad / sqrt(accum)."""

    def __init__(
        self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"
    ):
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(
                v,
                "accumulator",
                self._name,
                lambda v=v: _array.fill(v.shape.as_list(), np.asarray(self._initial, v.dtype.np)),
            )

    _update_op = "Adagrad"

    def _table_slots(self):
        return [("accumulator", self._initial)]

    def _prepare(self):
        self._t = [convert_to_tensor(_call(self._learning_rate), name="learning_rate")]

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "accumulator")._ref()]


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF1's epsilon-hat form; beta powers are non-slot variables
    colocated with the first variable."""

    def __init__(
        self,
        learning_rate=0.001,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        use_locking=False,
        name="Adam",
    ):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = (learning_rate, beta1, beta2, epsilon)

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.op.name)
        for beta, name in ((self._beta1, "beta1_power"), (self._beta2, "beta2_power")):
            initial = beta if isinstance(beta, Tensor) else np.asarray(beta, first.dtype.np)
            self._non_slot_variable(initial, name, first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _prepare(self):
        self._lr_t = convert_to_tensor(_call(self._lr), name="learning_rate")
        self._beta1_t = convert_to_tensor(_call(self._beta1), name="beta1")
        self._beta2_t = convert_to_tensor(_call(self._beta2), name="beta2")
        self._epsilon_t = convert_to_tensor(_call(self._epsilon), name="epsilon")

    def _get_beta_accumulators(self):
        return self._non_slot["beta1_power"], self._non_slot["beta2_power"]

    def _inputs(self, var):
        b1p, b2p = self._get_beta_accumulators()
        return [_math.cast(b1p.value(), var.dtype), _math.cast(b2p.value(), var.dtype)] + [
            _math.cast(t, var.dtype)
            for t in (self._lr_t, self._beta1_t, self._beta2_t, self._epsilon_t)
        ]

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "m")._ref(), self.get_slot(var, "v")._ref()]

    # A table's rows follow the lazy form: only the rows of the step's ids decay and move.
    _update_op = "Adam"

    def _table_slots(self):
        return [("m", 0.0), ("v", 0.0)]

    def _table_hyper(self, var):
        return self._inputs(var)

    def _apply_dense(self, grad, var):
        return apply_update(
            "ApplyAdam",
            self._refs(var),
            self._inputs(var) + [grad],
            {"use_locking": self._use_locking},
        )

    def _apply_sparse(self, grad, var):
        return apply_update(
            "SparseApplyAdam",
            self._refs(var),
            self._inputs(var) + [grad.values, grad.indices],
            {"use_locking": self._use_locking},
        )

    def _finish(self, update_ops, name_scope_name):
        b1p, b2p = self._get_beta_accumulators()
        with control_dependencies(update_ops), colocate_with(b1p.op):
            u1 = _state.assign(
                b1p, _math.multiply(b1p.value(), _math.cast(self._beta1_t, b1p.dtype))
            )
            u2 = _state.assign(
                b2p, _math.multiply(b2p.value(), _math.cast(self._beta2_t, b2p.dtype))
            )
        return _control_flow.group(*update_ops, u1, u2, name=name_scope_name)


class RMSPropOptimizer(Optimizer):
    """ms = rho * ms + (1 - rho) * grad^2; mom = momentum * mom + lr * grad / sqrt(ms + eps);
    var -= mom. Centered: the variance estimate subtracts the mean gradient squared."""

    def __init__(
        self,
        learning_rate,
        decay=0.9,
        momentum=0.0,
        epsilon=1e-10,
        use_locking=False,
        centered=False,
        name="RMSProp",
    ):
        super().__init__(use_locking, name)
        self._learning_rate, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "rms", self._name, lambda v=v: _array.ones(v.shape.as_list(), v.dtype))
            if self._centered:
                self._zeros_slot(v, "mg", self._name + "_2")
            self._zeros_slot(v, "momentum", self._name + "_1")

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in (
                (self._learning_rate, "learning_rate"),
                (self._decay, "decay"),
                (self._momentum, "momentum"),
                (self._epsilon, "epsilon"),
            )
        ]

    def _refs(self, var):
        refs = [var._ref()]
        if self._centered:
            refs.append(self.get_slot(var, "mg")._ref())
        return refs + [self.get_slot(var, "rms")._ref(), self.get_slot(var, "momentum")._ref()]

    @property
    def _update_op(self):
        return "CenteredRMSProp" if self._centered else "RMSProp"

    def _table_slots(self):
        slots = [("rms", 1.0), ("momentum", 0.0)]
        return [("mg", 0.0)] + slots if self._centered else slots


class AdadeltaOptimizer(Optimizer):
    """accum = rho * accum + (1 - rho) * g^2; update = sqrt(accum_update + eps) /
    sqrt(accum + eps) * g; accum_update = rho * accum_update + (1 - rho) * update^2;
    var -= lr * update."""

    def __init__(
        self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"
    ):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name + "_1")

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in ((self._lr, "lr"), (self._rho, "rho"), (self._epsilon, "epsilon"))
        ]

    _update_op = "Adadelta"

    def _table_slots(self):
        return [("accum", 0.0), ("accum_update", 0.0)]

    def _refs(self, var):
        return [
            var._ref(),
            self.get_slot(var, "accum")._ref(),
            self.get_slot(var, "accum_update")._ref(),
        ]


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal (McMahan et al.), with l1/l2 and optional l2 shrinkage."""

    def __init__(
        self,
        learning_rate,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        use_locking=False,
        name="Ftrl",
        accum_name=None,
        linear_name=None,
        l2_shrinkage_regularization_strength=0.0,
    ):
        super().__init__(use_locking, name)
        if initial_accumulator_value < 0.0:
            raise ValueError(
                f"initial_accumulator_value {initial_accumulator_value} needs to "
                f"be positive or zero"
            )
        if learning_rate_power > 0.0:
            raise ValueError(
                f"learning_rate_power {learning_rate_power} needs to be negative or zero"
            )
        for what, value in (
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                raise ValueError(f"{what} {value} needs to be positive or zero")
        self._lr, self._lr_power = learning_rate, learning_rate_power
        self._initial = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._accum_name, self._linear_name = accum_name, linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(
                v,
                "accum",
                self._accum_name or self._name,
                lambda v=v: _array.fill(v.shape.as_list(), np.asarray(self._initial, v.dtype.np)),
            )
            self._zeros_slot(v, "linear", self._linear_name or self._name + "_1")

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in (
                (self._lr, "learning_rate"),
                (self._l1, "l1_regularization_strength"),
                (self._l2, "l2_regularization_strength"),
                (self._l2_shrinkage, "l2_shrinkage_regularization_strength"),
                (self._lr_power, "learning_rate_power"),
            )
        ]

    _update_op = "Ftrl"

    def _table_slots(self):
        return [("accum", self._initial), ("linear", 0.0)]

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "accum")._ref(), self.get_slot(var, "linear")._ref()]


# Global step --------------------------------------------------------------------------------------
def get_global_step(graph=None):
    """The global step variable (collection GLOBAL_STEP or the tensor 'global_step:0'), or
    None."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError(
            "There are multiple items in collection global_step. There should be only one."
        )
    if found:
        return found[0]
    try:
        return graph.get_tensor_by_name("global_step:0")
    except KeyError:
        return None


def create_global_step(graph=None):
    """Creates the int64 global step variable (0, not trainable); ValueError if one
    exists."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), name_scope(None), control_dependencies(None):
        return Variable(
            np.int64(0),
            trainable=False,
            name="global_step/",
            dtype=_dt.int64,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )


def get_or_create_global_step(graph=None):
    graph = graph or get_default_graph()
    return get_global_step(graph) or create_global_step(graph)


def global_step(sess, global_step_tensor) -> int:
    """The value of the global step, as a Python int."""
    return int(sess.run(global_step_tensor))


# Learning-rate schedules --------------------------------------------------------------------------
def _step_float(global_step, dtype):
    if global_step is None:
        raise ValueError("global_step is required for a learning-rate schedule.")
    step = global_step.value() if hasattr(global_step, "_ref") else convert_to_tensor(global_step)
    return _math.cast(step, dtype)


def exponential_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """lr * decay_rate ^ (global_step / decay_steps) (the exponent floored if staircase)."""
    with name_scope(name, "ExponentialDecay"):
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        if not lr.dtype.is_floating:
            lr = _math.cast(lr, _dt.float32)
        step = _step_float(global_step, lr.dtype)
        p = _math.real_div(step, _math.cast(convert_to_tensor(decay_steps), lr.dtype))
        if staircase:
            p = _math.floor(p)
        rate = _math.cast(convert_to_tensor(decay_rate), lr.dtype)
        return _math.multiply(lr, _math.pow(rate, p))


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] while x <= boundaries[0], values[i] for boundaries[i-1] < x <= boundaries[i],
    values[-1] after the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant"):
        x = x.value() if hasattr(x, "_ref") else convert_to_tensor(x)
        vals = [convert_to_tensor(v) for v in values]
        dtype = vals[0].dtype
        result = vals[-1]
        for b, v in reversed(list(zip(boundaries, vals[:-1]))):
            bound = convert_to_tensor(b, dtype=x.dtype)
            result = _math._select(_math.less_equal(x, bound), _math.cast(v, dtype), result)
        return result


def polynomial_decay(
    learning_rate,
    global_step,
    decay_steps,
    end_learning_rate=0.0001,
    power=1.0,
    cycle=False,
    name=None,
):
    """(lr - end) * (1 - step / decay_steps) ^ power + end, the step capped at decay_steps
    (or decay_steps stretched to the next multiple if cycle)."""
    with name_scope(name, "PolynomialDecay"):
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        if not lr.dtype.is_floating:
            lr = _math.cast(lr, _dt.float32)
        step = _step_float(global_step, lr.dtype)
        steps = _math.cast(convert_to_tensor(decay_steps), lr.dtype)
        end = _math.cast(convert_to_tensor(end_learning_rate), lr.dtype)
        if cycle:
            mult = _math.ceil(_math.real_div(step, steps))
            mult = _math._select(
                _math.equal(step, _array.zeros_like(step)), _array.ones_like(mult), mult
            )
            steps = _math.multiply(steps, mult)
        else:
            step = _math.minimum(step, steps)
        frac = _math.subtract(_math._scalar(1, lr.dtype), _math.real_div(step, steps))
        return _math.add(
            _math.multiply(
                _math.subtract(lr, end),
                _math.pow(frac, _math.cast(convert_to_tensor(power), lr.dtype)),
            ),
            end,
        )


def inverse_time_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """lr / (1 + decay_rate * global_step / decay_steps)."""
    with name_scope(name, "InverseTimeDecay"):
        lr = (
            _math.cast(convert_to_tensor(learning_rate), _dt.float32)
            if not isinstance(learning_rate, Tensor)
            else learning_rate
        )
        step = _step_float(global_step, lr.dtype)
        p = _math.real_div(step, _math.cast(convert_to_tensor(decay_steps), lr.dtype))
        if staircase:
            p = _math.floor(p)
        rate = _math.cast(convert_to_tensor(decay_rate), lr.dtype)
        return _math.real_div(lr, _math.add(_math._scalar(1, lr.dtype), _math.multiply(rate, p)))


def _lr_and_step(learning_rate, global_step):
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    if not lr.dtype.is_floating:
        lr = _math.cast(lr, _dt.float32)
    return lr, _step_float(global_step, lr.dtype)


def natural_exp_decay(
    learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None
):
    """lr * exp(-decay_rate * global_step / decay_steps) (the ratio floored if staircase)."""
    with name_scope(name, "NaturalExpDecay"):
        lr, step = _lr_and_step(learning_rate, global_step)
        p = _math.real_div(step, _math.cast(convert_to_tensor(decay_steps), lr.dtype))
        if staircase:
            p = _math.floor(p)
        rate = _math.cast(convert_to_tensor(decay_rate), lr.dtype)
        return _math.multiply(lr, _math.exp(_math.negative(_math.multiply(rate, p))))


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)."""
    with name_scope(name, "CosineDecay"):
        lr, step = _lr_and_step(learning_rate, global_step)
        steps = _math.cast(convert_to_tensor(decay_steps), lr.dtype)
        done = _math.real_div(_math.minimum(step, steps), steps)
        cosine = _math.multiply(
            _math._scalar(0.5, lr.dtype),
            _math.add(_math._scalar(1, lr.dtype), _math.cos(_math.multiply(done, np.pi))),
        )
        a = _math._scalar(alpha, lr.dtype)
        return _math.multiply(
            lr, _math.add(_math.multiply(_math.subtract(_math._scalar(1, lr.dtype), a), cosine), a)
        )


def linear_cosine_decay(
    learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001, name=None
):
    """lr * ((alpha + linear) * cosine + beta), linear = (decay_steps - step) / decay_steps,
    cosine = 0.5 * (1 + cos(pi * 2 * num_periods * step / decay_steps)), step capped."""
    with name_scope(name, "LinearCosineDecay"):
        lr, step = _lr_and_step(learning_rate, global_step)
        steps = _math.cast(convert_to_tensor(decay_steps), lr.dtype)
        step = _math.minimum(step, steps)
        linear = _math.real_div(_math.subtract(steps, step), steps)
        phase = _math.multiply(_math.real_div(step, steps), 2.0 * np.pi * num_periods)
        cosine = _math.multiply(
            _math._scalar(0.5, lr.dtype), _math.add(_math._scalar(1, lr.dtype), _math.cos(phase))
        )
        scale = _math.add(
            _math.multiply(_math.add(_math._scalar(alpha, lr.dtype), linear), cosine),
            _math._scalar(beta, lr.dtype),
        )
        return _math.multiply(lr, scale)


piecewise_constant_decay = piecewise_constant
