"""TF1's recurrent networks: the cells of `tf.nn.rnn_cell` (BasicRNNCell, BasicLSTMCell,
LSTMCell, GRUCell, MultiRNNCell and the Dropout/Residual/Device wrappers) and the loops
`static_rnn`, `dynamic_rnn`, `bidirectional_dynamic_rnn` and `static_bidirectional_rnn`.

A cell creates its variables on its first call, in `variable_scope(None, default_name=
<cell name>)` under the caller's scope (so `dynamic_rnn` gives `rnn/basic_lstm_cell/kernel`,
as TF does), and reuses them on every later call. `dynamic_rnn` unrolls over the time
dimension, which must be known statically (the usual padded [batch, time, depth] input):
past an example's `sequence_length` its outputs are zeros and its state is carried through,
as TF's while loop does.
"""

from __future__ import annotations

import collections

from . import dtypes as _dt
from .framework import convert_to_tensor, device as _device, name_scope
from .init_ops import constant_initializer, zeros_initializer
from .ops import array as _array, clip as _clip, manip as _manip, math as _math, nn as _nn
from .ops.array_ext import reverse_sequence
from .variable_scope import get_variable, variable_scope

LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ["c", "h"])


def _map(fn, structure):
    if isinstance(structure, tuple):
        mapped = [_map(fn, s) for s in structure]
        return type(structure)(*mapped) if hasattr(structure, "_fields") else tuple(mapped)
    return fn(structure)


def _flat(structure) -> list:
    if isinstance(structure, tuple):
        return [x for s in structure for x in _flat(s)]
    return [structure]


def _pack(template, flat):
    it = iter(flat)
    return _map(lambda _: next(it), template)


def _last_dim(x, what):
    depth = x.shape.as_list()[-1] if x.shape.ndims else None
    if depth is None:
        raise ValueError(f"The last dimension of the {what} must be known, got shape {x.shape}")
    return depth


class RNNCell:
    """An RNN cell: `cell(inputs, state) -> (output, new_state)`; variables made on the
    first call and reused after."""

    _base_name = "rnn_cell"

    def __init__(self, reuse=None, name=None, dtype=None):
        self._name = name
        self._dtype = dtype
        self._scope = None
        self._built = False

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self._scope.name if self._scope is not None else (self._name or self._base_name)

    @property
    def variables(self) -> list:
        return list(getattr(self, "_variables", []))

    trainable_variables = variables
    weights = variables

    def zero_state(self, batch_size, dtype):
        """Zeros of [batch_size, size] for each part of the state."""
        with name_scope(None, f"{type(self).__name__}ZeroState"):
            return _map(
                lambda size: _array.zeros(_array.stack([batch_size, size]), dtype), self.state_size
            )

    def build(self, input_depth: int, dtype) -> None:
        self._variables: list = []

    def _variable(self, name, shape, dtype, initializer=None):
        v = get_variable(name, shape, dtype=dtype, initializer=initializer)
        self._variables.append(v)
        return v

    def __call__(self, inputs, state, scope=None):
        inputs = convert_to_tensor(inputs)
        if not self._built:
            with variable_scope(scope or self._name, default_name=self._base_name) as vs:
                self._scope = vs
                self.build(_last_dim(inputs, "inputs"), inputs.dtype)
                self._built = True
        with name_scope(self._scope.name.rsplit("/", 1)[-1]):
            return self.call(inputs, state)

    def call(self, inputs, state):
        raise NotImplementedError


def _linear(args, kernel, bias):
    x = _array.concat(args, 1) if len(args) > 1 else args[0]
    out = _math.matmul(x, kernel)
    return _nn.bias_add(out, bias) if bias is not None else out


class BasicRNNCell(RNNCell):
    """output = new_state = activation(W [inputs, state] + b)."""

    _base_name = "basic_rnn_cell"

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(reuse, name, dtype)
        self._num_units = num_units
        self._activation = activation or _math.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth, dtype):
        super().build(input_depth, dtype)
        self._kernel = self._variable(
            "kernel", [input_depth + self._num_units, self._num_units], dtype
        )
        self._bias = self._variable("bias", [self._num_units], dtype, zeros_initializer())

    def call(self, inputs, state):
        output = self._activation(_linear([inputs, state], self._kernel, self._bias))
        return output, output


class BasicLSTMCell(RNNCell):
    """The LSTM without peepholes or projection: gates i, j, f, o from one product;
    c = c sigmoid(f + forget_bias) + sigmoid(i) activation(j), h = activation(c) sigmoid(o)."""

    _base_name = "basic_lstm_cell"

    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
    ):
        super().__init__(reuse, name, dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or _math.tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, input_depth, dtype):
        super().build(input_depth, dtype)
        n = self._num_units
        self._kernel = self._variable("kernel", [input_depth + n, 4 * n], dtype)
        self._bias = self._variable("bias", [4 * n], dtype, zeros_initializer())

    def call(self, inputs, state):
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = _manip.split(state, 2, axis=1)
        i, j, f, o = _manip.split(_linear([inputs, h], self._kernel, self._bias), 4, axis=1)
        forget = _math.sigmoid(_math.add(f, _math.cast(self._forget_bias, f.dtype)))
        new_c = _math.add(
            _math.multiply(c, forget), _math.multiply(_math.sigmoid(i), self._activation(j))
        )
        new_h = _math.multiply(self._activation(new_c), _math.sigmoid(o))
        if self._state_is_tuple:
            return new_h, LSTMStateTuple(new_c, new_h)
        new_state = _array.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(RNNCell):
    """The LSTM with optional peepholes (`use_peepholes`), cell clipping (`cell_clip`) and
    an output projection (`num_proj`, clipped by `proj_clip`)."""

    _base_name = "lstm_cell"

    def __init__(
        self,
        num_units,
        use_peepholes=False,
        cell_clip=None,
        initializer=None,
        num_proj=None,
        proj_clip=None,
        num_unit_shards=None,
        num_proj_shards=None,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
    ):
        super().__init__(reuse, name, dtype)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or _math.tanh

    @property
    def state_size(self):
        h = self._num_proj or self._num_units
        return LSTMStateTuple(self._num_units, h) if self._state_is_tuple else self._num_units + h

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, input_depth, dtype):
        super().build(input_depth, dtype)
        n, h = self._num_units, self._num_proj or self._num_units
        self._kernel = self._variable("kernel", [input_depth + h, 4 * n], dtype, self._initializer)
        self._bias = self._variable("bias", [4 * n], dtype, zeros_initializer())
        if self._use_peepholes:
            self._peep = [
                self._variable(f"w_{g}_diag", [n], dtype, self._initializer)
                for g in ("f", "i", "o")
            ]
        if self._num_proj is not None:
            with variable_scope("projection"):
                self._proj = self._variable("kernel", [n, self._num_proj], dtype, self._initializer)

    def call(self, inputs, state):
        n = self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = state[:, :n]
            m_prev = state[:, n:]
        i, j, f, o = _manip.split(_linear([inputs, m_prev], self._kernel, self._bias), 4, axis=1)
        bias = _math.cast(self._forget_bias, f.dtype)
        if self._use_peepholes:
            w_f, w_i, w_o = self._peep
            f_gate = _math.add(_math.add(f, bias), _math.multiply(w_f, c_prev))
            i_gate = _math.add(i, _math.multiply(w_i, c_prev))
            c = _math.add(
                _math.multiply(_math.sigmoid(f_gate), c_prev),
                _math.multiply(_math.sigmoid(i_gate), self._activation(j)),
            )
        else:
            c = _math.add(
                _math.multiply(_math.sigmoid(_math.add(f, bias)), c_prev),
                _math.multiply(_math.sigmoid(i), self._activation(j)),
            )
        if self._cell_clip is not None:
            c = _clip.clip_by_value(c, -self._cell_clip, self._cell_clip)
        gate = _math.add(o, _math.multiply(self._peep[2], c)) if self._use_peepholes else o
        m = _math.multiply(_math.sigmoid(gate), self._activation(c))
        if self._num_proj is not None:
            m = _math.matmul(m, self._proj)
            if self._proj_clip is not None:
                m = _clip.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else _array.concat([c, m], 1)
        return m, new_state


class GRUCell(RNNCell):
    """The GRU: r, u = sigmoid(W_g [x, h] + b_g) (b_g starts at 1), c = activation(W_c [x,
    r h] + b_c), h' = u h + (1 - u) c."""

    _base_name = "gru_cell"

    def __init__(
        self,
        num_units,
        activation=None,
        reuse=None,
        kernel_initializer=None,
        bias_initializer=None,
        name=None,
        dtype=None,
    ):
        super().__init__(reuse, name, dtype)
        self._num_units = num_units
        self._activation = activation or _math.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, input_depth, dtype):
        super().build(input_depth, dtype)
        n = self._num_units
        with variable_scope("gates"):
            self._gate_kernel = self._variable(
                "kernel", [input_depth + n, 2 * n], dtype, self._kernel_initializer
            )
            self._gate_bias = self._variable(
                "bias", [2 * n], dtype, self._bias_initializer or constant_initializer(1.0)
            )
        with variable_scope("candidate"):
            self._cand_kernel = self._variable(
                "kernel", [input_depth + n, n], dtype, self._kernel_initializer
            )
            self._cand_bias = self._variable(
                "bias", [n], dtype, self._bias_initializer or zeros_initializer()
            )

    def call(self, inputs, state):
        gates = _math.sigmoid(_linear([inputs, state], self._gate_kernel, self._gate_bias))
        r, u = _manip.split(gates, 2, axis=1)
        reset = _math.multiply(r, state)
        c = self._activation(_linear([inputs, reset], self._cand_kernel, self._cand_bias))
        keep_new = _math.subtract(_array.ones_like(u), u)
        new_h = _math.add(_math.multiply(u, state), _math.multiply(keep_new, c))
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Cells stacked: each one's output is the next one's input (scopes cell_0, cell_1...)."""

    _base_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        sizes = tuple(c.state_size for c in self._cells)
        return sizes if self._state_is_tuple else sum(sizes)

    output_size = property(lambda self: self._cells[-1].output_size)

    @property
    def variables(self) -> list:
        return [v for c in self._cells for v in c.variables]

    trainable_variables = variables

    def zero_state(self, batch_size, dtype):
        return tuple(c.zero_state(batch_size, dtype) for c in self._cells)

    def __call__(self, inputs, state, scope=None):
        if not self._built:
            with variable_scope(scope, default_name=self._base_name) as vs:
                self._scope = vs
        self._built = True
        with variable_scope(self._scope, auxiliary_name_scope=False):
            out, new_states = inputs, []
            for i, cell in enumerate(self._cells):
                with variable_scope(f"cell_{i}"):
                    out, s = cell(out, state[i])
                new_states.append(s)
        return out, tuple(new_states)


class DropoutWrapper(RNNCell):
    """Dropout on the inputs, outputs (and state) of a cell."""

    def __init__(
        self,
        cell,
        input_keep_prob=1.0,
        output_keep_prob=1.0,
        state_keep_prob=1.0,
        variational_recurrent=False,
        input_size=None,
        dtype=None,
        seed=None,
        dropout_state_filter_visitor=None,
    ):
        super().__init__()
        if variational_recurrent:
            raise NotImplementedError("DropoutWrapper(variational_recurrent=True)")
        self._cell = cell
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)
        self._seed = seed

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)
    variables = property(lambda self: self._cell.variables)
    trainable_variables = variables

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def _drop(self, x, keep):
        if isinstance(keep, float) and keep == 1.0:
            return x
        return _nn.dropout(x, keep_prob=keep, seed=self._seed)

    def __call__(self, inputs, state, scope=None):
        keep_in, keep_out, keep_state = self._keep
        output, new_state = self._cell(self._drop(inputs, keep_in), state, scope=scope)
        new_state = _map(lambda s: self._drop(s, keep_state), new_state)
        return self._drop(output, keep_out), new_state


class ResidualWrapper(RNNCell):
    """The cell's output plus its input (`residual_fn(inputs, outputs)` if given)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__()
        self._cell = cell
        self._residual_fn = residual_fn or (lambda i, o: _math.add(i, o))

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)
    variables = property(lambda self: self._cell.variables)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        output, new_state = self._cell(inputs, state, scope=scope)
        return self._residual_fn(inputs, output), new_state


class DeviceWrapper(RNNCell):
    """The cell run on `device`."""

    def __init__(self, cell, device):
        super().__init__()
        self._cell = cell
        self._device = device

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)
    variables = property(lambda self: self._cell.variables)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        with _device(self._device):
            return self._cell(inputs, state, scope=scope)


# The loops -----------------------------------------------------------------------------------
def _initial_state(cell, batch_size, initial_state, dtype):
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If there is no initial_state, you must give a dtype.")
    return cell.zero_state(batch_size, dtype)


def _masked_step(cell, x, state, t, sequence_length, zero_output):
    """One step; examples whose sequence has ended keep their state and output zeros."""
    output, new_state = cell(x, state)
    if sequence_length is None:
        return output, new_state
    alive = _math.less(_math.cast(t, sequence_length.dtype), sequence_length)
    output = _math.where(alive, output, zero_output)
    new_state = _pack(
        state, [_math.where(alive, n, o) for n, o in zip(_flat(new_state), _flat(state))]
    )
    return output, new_state


def _unrolled(cell, steps, state, sequence_length):
    outputs = []
    zero = None
    for t, x in enumerate(steps):
        if sequence_length is not None and zero is None:
            size = cell.output_size
            zero = _array.zeros(_array.stack([_array.shape(x)[0], size]), x.dtype)
        output, state = _masked_step(cell, x, state, t, sequence_length, zero)
        outputs.append(output)
    return outputs, state


def _build_outside_loops(cell, x, state):
    """Calls the cell once, outside any loop, so its variables are made in the graph itself
    (a loop's body then reads them); the ops of this call are never run."""
    if not getattr(cell, "_built", False):
        cell(x, state)


def _looped(cell, inputs, state, sequence_length):
    """The cell over time-major inputs of a length known only at run time, in a while loop
    writing each step's output to a TensorArray: (outputs [time, batch, ...], final state)."""
    from .ops.tensor_array import TensorArray
    from .ops.while_loop import while_loop

    n_steps = _array.shape(inputs)[0]
    first = _array.zeros(_array.shape(inputs)[1:], inputs.dtype)
    first.set_shape(inputs.shape.as_list()[1:])
    _build_outside_loops(cell, first, state)
    steps = TensorArray(inputs.dtype, size=n_steps, name="input_ta").unstack(inputs)
    outputs = TensorArray(inputs.dtype, size=n_steps, name="output_ta")
    zero = None
    if sequence_length is not None:
        zero = _array.zeros(_array.stack([_array.shape(first)[0], cell.output_size]), first.dtype)

    def body(t, state, outputs):
        output, state = _masked_step(cell, steps.read(t), state, t, sequence_length, zero)
        return _math.add(t, 1), state, outputs.write(t, output)

    _, state, outputs = while_loop(
        lambda t, *_: _math.less(t, n_steps), body, [_array.constant(0), state, outputs]
    )
    return outputs.stack(), state


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """TF1's raw_rnn: `loop_fn(time, cell_output, cell_state, loop_state)` gives
    (finished, next_input, next_cell_state, emit_output, next_loop_state), first with
    cell_output=None; the cell runs until every example is finished, finished examples
    emitting zeros and keeping their state. Returns (emit TensorArray(s), final state,
    final loop_state)."""
    from .ops.tensor_array import TensorArray
    from .ops.while_loop import while_loop

    with variable_scope(scope or "rnn"):
        time = _array.constant(0, name="time")
        finished, next_input, state, emit_structure, loop_state = loop_fn(time, None, None, None)
        if state is None:
            raise ValueError("loop_fn did not return a cell state at time 0")
        finished = convert_to_tensor(finished)
        next_input = convert_to_tensor(next_input)
        _build_outside_loops(cell, next_input, state)
        emit_template = emit_structure if emit_structure is not None else cell.output_size
        batch = _array.shape(finished)[0]
        dtype = next_input.dtype

        def zeros_like_emit(size_or_tensor):
            if isinstance(size_or_tensor, int):
                return _array.zeros(_array.stack([batch, size_or_tensor]), dtype)
            return _array.zeros_like(size_or_tensor)

        zero_emit = _map(zeros_like_emit, emit_template)
        emit_tas = _map(
            lambda z: TensorArray(z.dtype, size=0, dynamic_size=True, name="rnn_output_ta"),
            zero_emit,
        )
        has_loop_state = loop_state is not None

        def body(time, finished, next_input, state, emit_tas, loop_state):
            output, cell_state = cell(next_input, state)
            nxt = loop_fn(time + 1, output, cell_state, loop_state if has_loop_state else None)
            next_finished, next_input, next_state, emit, next_loop_state = nxt
            emit = output if emit is None else emit
            emit = _pack(zero_emit, [_math.where(finished, z, e) for z, e in
                                     zip(_flat(zero_emit), _flat(emit))])  # fmt: skip
            emit_tas = _pack(emit_tas, [ta.write(time, e) for ta, e in
                                        zip(_flat(emit_tas), _flat(emit))])  # fmt: skip
            state = _pack(state, [_math.where(finished, old, new) for old, new in
                                  zip(_flat(state), _flat(next_state))])  # fmt: skip
            finished = _math.logical_or(finished, next_finished)
            loop_state = next_loop_state if has_loop_state else _array.constant(0)
            return time + 1, finished, next_input, state, emit_tas, loop_state

        _, _, _, state, emit_tas, loop_state = while_loop(
            lambda time, finished, *_: _math.logical_not(_math.reduce_all(finished)),
            body,
            [time, finished, next_input, state, emit_tas,
             loop_state if has_loop_state else _array.constant(0)],
        )  # fmt: skip
        return emit_tas, state, loop_state if has_loop_state else None


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """The cell over a list of [batch, depth] inputs: (list of outputs, final state)."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError("inputs must be a non-empty list of tensors")
    with variable_scope(scope or "rnn"):
        inputs = [convert_to_tensor(x) for x in inputs]
        batch = _array.shape(inputs[0])[0]
        state = _initial_state(cell, batch, initial_state, dtype)
        if sequence_length is not None:
            sequence_length = _math.cast(convert_to_tensor(sequence_length), _dt.int32)
        return _unrolled(cell, inputs, state, sequence_length)


def dynamic_rnn(
    cell,
    inputs,
    sequence_length=None,
    initial_state=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """The cell over [batch, time, depth] inputs ([time, batch, depth] when time_major):
    (outputs in the same layout, final state). The time dimension must be known."""
    with variable_scope(scope or "rnn"):
        inputs = convert_to_tensor(inputs)
        if inputs.shape.ndims is None or inputs.shape.ndims < 3:
            raise ValueError(f"dynamic_rnn needs inputs of rank 3 or more, got {inputs.shape}")
        time_axis = 0 if time_major else 1
        steps_count = inputs.shape.as_list()[time_axis]
        if steps_count is None:  # a while loop over the steps, as TF's
            if sequence_length is not None:
                sequence_length = _math.cast(convert_to_tensor(sequence_length), _dt.int32)
            major = inputs if time_major else _manip.transpose(inputs, _swap_first_two(inputs))
            batch = _array.shape(major)[1]
            state = _initial_state(cell, batch, initial_state, dtype)
            outputs, state = _looped(cell, major, state, sequence_length)
            if not time_major:
                outputs = _manip.transpose(outputs, _swap_first_two(outputs))
            return outputs, state
        steps = _array.unstack(inputs, num=steps_count, axis=time_axis)
        batch = _array.shape(steps[0])[0]
        state = _initial_state(cell, batch, initial_state, dtype)
        if sequence_length is not None:
            sequence_length = _math.cast(convert_to_tensor(sequence_length), _dt.int32)
        outputs, state = _unrolled(cell, steps, state, sequence_length)
        return _array.stack(outputs, axis=time_axis), state


def _swap_first_two(x):
    rank = x.shape.ndims
    return [1, 0] + list(range(2, rank))


def _reverse(x, sequence_length, time_axis):
    if sequence_length is None:
        return _manip.reverse(x, [time_axis])
    return reverse_sequence(x, sequence_length, seq_axis=time_axis, batch_axis=1 - time_axis)


def bidirectional_dynamic_rnn(
    cell_fw,
    cell_bw,
    inputs,
    sequence_length=None,
    initial_state_fw=None,
    initial_state_bw=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """A forward and a backward dynamic_rnn over the same inputs (the backward one on each
    sequence reversed within its length): ((output_fw, output_bw), (state_fw, state_bw))."""
    with variable_scope(scope or "bidirectional_rnn"):
        inputs = convert_to_tensor(inputs)
        time_axis = 0 if time_major else 1
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = dynamic_rnn(
                cell_fw,
                inputs,
                sequence_length,
                initial_state_fw,
                dtype,
                time_major=time_major,
                scope=fw_scope,
            )
        with variable_scope("bw") as bw_scope:
            reversed_in = _reverse(inputs, sequence_length, time_axis)
            out_bw, state_bw = dynamic_rnn(
                cell_bw,
                reversed_in,
                sequence_length,
                initial_state_bw,
                dtype,
                time_major=time_major,
                scope=bw_scope,
            )
        out_bw = _reverse(out_bw, sequence_length, time_axis)
        return (out_fw, out_bw), (state_fw, state_bw)


def static_bidirectional_rnn(
    cell_fw,
    cell_bw,
    inputs,
    initial_state_fw=None,
    initial_state_bw=None,
    dtype=None,
    sequence_length=None,
    scope=None,
):
    """static_rnn forward and backward: (outputs [fw; bw] concatenated per step,
    state_fw, state_bw)."""
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope
            )
        with variable_scope("bw") as bw_scope:
            stacked = _array.stack(list(inputs), axis=1)
            reversed_in = _array.unstack(_reverse(stacked, sequence_length, 1), axis=1)
            out_bw, state_bw = static_rnn(
                cell_bw, reversed_in, initial_state_bw, dtype, sequence_length, scope=bw_scope
            )
        out_bw = _array.unstack(_reverse(_array.stack(out_bw, axis=1), sequence_length, 1), axis=1)
        outputs = [_array.concat([f, b], 1) for f, b in zip(out_fw, out_bw)]
        return outputs, state_fw, state_bw
