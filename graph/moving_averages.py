"""`tf.train.ExponentialMovingAverage`: shadow copies of variables, each moved toward its
variable by `apply()`'s op: shadow -= (1 - decay) * (shadow - variable), as TF1's
`assign_moving_average` (no zero-debiasing). With `num_updates`, the decay used is
min(decay, (1 + num_updates) / (10 + num_updates)). A shadow lives where its variable lives,
is not trainable, starts at the variable's initial value, is named `VAR/NAME` and sits in
GLOBAL_VARIABLES and MOVING_AVERAGE_VARIABLES (where `apply` also puts the variable)."""

from __future__ import annotations

from . import dtypes as _dt
from .framework import GraphKeys, colocate_with, convert_to_tensor, get_default_graph, name_scope
from .ops import control_flow as _control_flow, math as _math, state as _state
from .variables import Variable


class ExponentialMovingAverage:
    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):  # fmt: skip
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict = {}  # variable op name -> shadow Variable

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list=None):
        """Creates the shadows of `var_list` (default: the trainable variables) and returns
        the op that moves every shadow toward its variable."""
        graph = get_default_graph()
        if var_list is None:
            var_list = graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        for var in var_list:
            if not var.dtype.base_dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {var.op.name}")
            if var.op.name in self._averages:
                raise ValueError(f"Moving average already computed for: {var.op.name}")
        with name_scope(self._name):
            for var in var_list:
                with colocate_with(var.op):
                    shadow = Variable(
                        var.initialized_value(),
                        trainable=False,
                        collections=[
                            GraphKeys.GLOBAL_VARIABLES,
                            GraphKeys.MOVING_AVERAGE_VARIABLES,
                        ],  # fmt: skip
                        name=f"{var.op.name}/{self._name}/",
                    )
                self._averages[var.op.name] = shadow
                if var not in graph.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES):
                    graph.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
            decay = convert_to_tensor(self._decay, dtype=_dt.float32, name="decay")
            if self._num_updates is not None:
                steps = _math.cast(convert_to_tensor(self._num_updates), _dt.float32)
                decay = _math.minimum(
                    decay, _math.real_div(_math.add(steps, 1.0), _math.add(steps, 10.0))
                )
            updates = []
            for var in var_list:
                shadow = self._averages[var.op.name]
                with colocate_with(shadow.op):
                    rate = _math.subtract(1.0, _math.cast(decay, shadow.dtype.base_dtype))
                    delta = _math.multiply(_math.subtract(shadow.value(), var.value()), rate)
                    updates.append(_state.assign_sub(shadow, delta))
            return _control_flow.group(*updates, name=self._name)

    def average(self, var):
        """The shadow of `var` (None when `apply` was not given it)."""
        return self._averages.get(var.op.name)

    def average_name(self, var) -> str:
        """The name of `var`'s shadow (in checkpoints too)."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None) -> dict:
        """A Saver's var_list mapping each moving-averaged variable's shadow name to the
        variable (restoring loads the averages into the model), other global variables by
        their own names."""
        graph = get_default_graph()
        if moving_avg_variables is None:
            moving_avg_variables = graph.get_collection(
                GraphKeys.MOVING_AVERAGE_VARIABLES
            ) or graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        averaged = {v.op.name for v in moving_avg_variables}
        shadows = {s.op.name for s in self._averages.values()}
        out = {}
        for var in graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if var.op.name in shadows:
                continue
            name = self.average_name(var) if var.op.name in averaged else var.op.name
            out[name] = var
        return out
