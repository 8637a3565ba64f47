"""More of `tf.train`: the cosine-restart and noisy linear-cosine learning-rate schedules,
the Proximal optimizers, checkpoint file helpers (mtimes, removal, the state file,
`checkpoints_iterator`, `load_checkpoint`), `assert_global_step` and `write_graph`."""

from __future__ import annotations

import math
import os
import time

import numpy as np

from . import checkpoint as _ckpt, dtypes as _dt, storage
from .framework import Tensor, convert_to_tensor, get_default_graph, name_scope
from .ops import array as _array, math as _math, random as _random
from .optimizers import Optimizer, _call, _lr_and_step
from .saver import CheckpointReader, CheckpointState, checkpoint_exists, latest_checkpoint


# Learning-rate schedules ----------------------------------------------------------------------
def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):  # fmt: skip
    """SGDR: cosine decay from learning_rate to alpha * learning_rate over periods that grow
    by t_mul, each restart's peak scaled by m_mul."""
    with name_scope(name, "SGDRDecay"):
        lr, step = _lr_and_step(learning_rate, global_step)
        dtype = lr.dtype
        first = _math.cast(convert_to_tensor(first_decay_steps), dtype)
        frac = _math.real_div(step, first)
        if t_mul == 1.0:
            i = _math.floor(frac)
            done = _math.subtract(frac, i)
        else:
            t = float(t_mul)
            i = _math.floor(
                _math.real_div(
                    _math.log(_math.add(_math.multiply(frac, t - 1.0), 1.0)), math.log(t)
                )
            )
            sum_r = _math.real_div(_math.subtract(1.0, _math.pow(_math._scalar(t, dtype), i)),
                                   1.0 - t)  # fmt: skip
            done = _math.real_div(
                _math.subtract(frac, sum_r), _math.pow(_math._scalar(t, dtype), i)
            )
        m = _math.pow(_math._scalar(float(m_mul), dtype), i)
        cosine = _math.multiply(
            _math.multiply(0.5, m), _math.add(1.0, _math.cos(_math.multiply(math.pi, done)))
        )
        decayed = _math.add(_math.multiply(1.0 - alpha, cosine), alpha)
        return _math.multiply(lr, decayed)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps,
                              initial_variance=1.0, variance_decay=0.55, num_periods=0.5,
                              alpha=0.0, beta=0.001, name=None):  # fmt: skip
    """linear_cosine_decay with Gaussian noise of variance
    initial_variance / (1 + step) ** variance_decay added to its linear part."""
    with name_scope(name, "NoisyLinearCosineDecay"):
        lr, step = _lr_and_step(learning_rate, global_step)
        dtype = lr.dtype
        steps = _math.cast(convert_to_tensor(decay_steps), dtype)
        step = _math.minimum(step, steps)
        linear = _math.real_div(_math.subtract(steps, step), steps)
        variance = _math.real_div(
            float(initial_variance),
            _math.pow(_math.add(1.0, step), _math._scalar(float(variance_decay), dtype)),
        )
        noise = _math.multiply(_random.random_normal([], dtype=dtype), _math.sqrt(variance))
        fraction = _math.real_div(step, steps)
        cosine = _math.multiply(
            0.5,
            _math.add(1.0, _math.cos(_math.multiply(2.0 * math.pi * num_periods, fraction))),
        )
        decayed = _math.add(_math.multiply(_math.add(_math.add(alpha, linear), noise), cosine),
                            beta)  # fmt: skip
        return _math.multiply(lr, decayed)


# Proximal optimizers ---------------------------------------------------------------------------
class ProximalGradientDescentOptimizer(Optimizer):
    """Gradient descent with L1/L2 regularization applied proximally (FOBOS):
    w = sign(v) * max(|v| - lr * l1, 0) / (1 + lr * l2), v = w - lr * grad."""

    _update_op = "ProximalGradientDescent"

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):  # fmt: skip
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in ((self._lr, "learning_rate"), (self._l1, "l1_regularization_strength"),
                         (self._l2, "l2_regularization_strength"))
        ]  # fmt: skip


class ProximalAdagradOptimizer(Optimizer):
    """Adagrad's step size with the proximal L1/L2 update of ProximalGradientDescent."""

    _update_op = "ProximalAdagrad"

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):  # fmt: skip
        if initial_accumulator_value <= 0.0:
            raise ValueError(
                f"initial_accumulator_value must be positive: {initial_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._lr, self._initial = learning_rate, initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "accumulator", self._name,
                       lambda v=v: _array.fill(v.shape.as_list(),
                                               np.asarray(self._initial, v.dtype.np)))  # fmt: skip

    def _table_slots(self):
        return [("accumulator", self._initial)]

    def _prepare(self):
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in ((self._lr, "learning_rate"), (self._l1, "l1_regularization_strength"),
                         (self._l2, "l2_regularization_strength"))
        ]  # fmt: skip

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "accumulator")._ref()]


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (Duchi et al.), for sparse linear models: the variable is
    recomputed each step from the sums of the gradients and of their squares, with the L1
    and L2 terms scaled by the number of steps taken (`global_step`, required)."""

    _update_op = "AdagradDA"

    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="AdagradDA"):  # fmt: skip
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(
                "initial_gradient_squared_accumulator_value must be positive: "
                f"{initial_gradient_squared_accumulator_value}"
            )
        super().__init__(use_locking, name)
        self._lr, self._global_step = learning_rate, global_step
        self._initial = initial_gradient_squared_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._slot(v, "gradient_accumulator", self._name,
                       lambda v=v: _array.zeros(v.shape.as_list(), v.dtype))  # fmt: skip
            self._slot(v, "gradient_squared_accumulator", self._name,
                       lambda v=v: _array.fill(v.shape.as_list(),
                                               np.asarray(self._initial, v.dtype.np)))  # fmt: skip

    def _table_slots(self):
        return [("gradient_accumulator", 0.0), ("gradient_squared_accumulator", self._initial)]

    def _prepare(self):
        # The step this update is (TF: the global step read before its increment, plus one).
        step = _math.add(_math.cast(convert_to_tensor(self._global_step), _dt.float64), 1.0)
        self._t = [
            convert_to_tensor(_call(x), name=n)
            for x, n in ((self._lr, "learning_rate"), (self._l1, "l1_regularization_strength"),
                         (self._l2, "l2_regularization_strength"))
        ] + [step]  # fmt: skip

    def _refs(self, var):
        return [var._ref(), self.get_slot(var, "gradient_accumulator")._ref(),
                self.get_slot(var, "gradient_squared_accumulator")._ref()]  # fmt: skip


# Checkpoint files ------------------------------------------------------------------------------
def get_checkpoint_mtimes(checkpoint_prefixes) -> list[float]:
    """The modification times of the checkpoints' index files (missing ones skipped)."""
    out = []
    for prefix in checkpoint_prefixes:
        try:
            out.append(storage.getmtime(f"{prefix}.index"))
        except OSError:
            continue
    return out


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=2, meta_graph_suffix="meta"):
    """Deletes a checkpoint's index, data files and meta graph."""
    _ckpt.remove_checkpoint(str(checkpoint_prefix))


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                    all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None,
                                    last_preserved_timestamp=None):  # fmt: skip
    """A CheckpointState (the latest path last among all paths)."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    return CheckpointState(model_checkpoint_path, paths, all_model_checkpoint_timestamps or ())


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):  # fmt: skip
    """Writes the `checkpoint` state file of `save_dir`."""
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                            all_model_checkpoint_paths)  # fmt: skip
    _ckpt.write_state(str(save_dir), state.model_checkpoint_path,
                      state.all_model_checkpoint_paths, latest_filename or "checkpoint",
                      list(all_model_checkpoint_timestamps or []))  # fmt: skip


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yields each new latest checkpoint of `checkpoint_dir` as it appears, waiting at most
    `timeout` seconds for the next (then `timeout_fn()` decides: True stops)."""
    last = None
    while True:
        start = time.time()
        deadline = None if timeout is None else start + timeout
        path = None
        while True:
            path = latest_checkpoint(checkpoint_dir)
            if path is not None and path != last:
                break
            if deadline is not None and time.time() >= deadline:
                path = None
                break
            time.sleep(0.1)
        if path is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        last = path
        yield path
        time.sleep(max(0.0, min_interval_secs - (time.time() - start)))


def load_checkpoint(ckpt_dir_or_file):
    """A CheckpointReader of a checkpoint (its directory's latest when given a directory)."""
    path = str(ckpt_dir_or_file)
    if storage.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given directory "
                             f"{path}")  # fmt: skip
        path = latest
    if not checkpoint_exists(path):
        raise ValueError(f"Couldn't find checkpoint {path}")
    return CheckpointReader(path)


# Graph helpers -----------------------------------------------------------------------------------
def assert_global_step(global_step_tensor) -> None:
    """TypeError unless `global_step_tensor` is an integer scalar variable or tensor."""
    t = global_step_tensor
    if not (hasattr(t, "_ref") or isinstance(t, Tensor)):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: {t}.')
    if not t.dtype.base_dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {t.dtype}')
    if t.shape.ndims not in (None, 0):
        raise TypeError(f'Existing "global_step" is not scalar: {t.shape}')


def write_graph(graph_or_graph_def, logdir, name, as_text=True) -> str:
    """Writes the graph's GraphDef to logdir/name (text or binary proto); returns the path."""
    from google.protobuf import text_format

    from .graph_def import graph_to_graph_def

    graph_def = graph_or_graph_def
    if hasattr(graph_def, "get_operations"):
        graph_def = graph_to_graph_def(graph_def)
    elif graph_def is None:
        graph_def = graph_to_graph_def(get_default_graph())
    path = os.path.join(str(logdir), name)
    data = (text_format.MessageToString(graph_def).encode() if as_text
            else graph_def.SerializeToString())  # fmt: skip
    storage.atomic_write(path, lambda f: f.write(data))
    return path


# init_from_checkpoint ---------------------------------------------------------------------------
def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Makes variables start from a checkpoint's values (`tf.train.init_from_checkpoint`):
    their initializers assign the checkpoint's tensors instead of their initial values, so
    the usual init op (or a session creator) loads them. `assignment_map` maps checkpoint
    names to current ones: `"scope/var": "new_scope/var"` (or a Variable, or a list of a
    partitioned variable's parts), `"scope/": "new_scope/"` for every variable under a scope,
    `"/": "new_scope/"` for every variable of the checkpoint. Shapes must match
    (ValueError naming the variable), and a name the checkpoint lacks is a ValueError."""
    path = ckpt_dir_or_file
    if storage.isdir(str(path)):
        path = latest_checkpoint(str(path))
        if path is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory "
                f"{ckpt_dir_or_file}"
            )
    reader = CheckpointReader(path)
    saved = reader.get_variable_to_shape_map()
    graph = get_default_graph()
    by_name = {v.op.name: v for v in graph.get_collection("variables")}
    pairs = []
    for src, dst in assignment_map.items():
        if not isinstance(dst, str):
            targets = list(dst) if isinstance(dst, (list, tuple)) else [dst]
            if len(targets) == 1:
                pairs.append((src, targets[0]))
            else:  # a partitioned variable's parts, in order
                pairs += [(f"{src}/part_{k}", t) for k, t in enumerate(targets)]
            continue
        if not src.endswith("/") and src != "/":
            if src not in saved:
                raise ValueError(f"Tensor {src} is not found in {path} checkpoint")
            if dst not in by_name:
                raise ValueError(f"Variable {dst} is not found in the graph")
            pairs.append((src, by_name[dst]))
            continue
        prefix = "" if src == "/" else src
        scope = dst
        found = False
        for name in sorted(saved):
            if not name.startswith(prefix):
                continue
            target = scope + name[len(prefix) :]
            if target in by_name:
                pairs.append((name, by_name[target]))
                found = True
        if not found:
            raise ValueError(f"Assignment map with scope only name {src} should map to scope "
                             f"only {dst}, and the checkpoint and graph should share variables "
                             "under them")  # fmt: skip
    for name, var in pairs:
        value = reader.get_tensor(name)
        shape = var.shape.as_list() if var.shape.ndims is not None else None
        if shape is not None and None not in shape and list(np.shape(value)) != shape:
            raise ValueError(f"Shape of variable {var.op.name} ({shape}) doesn't match with "
                             f"shape of tensor {name} ({list(np.shape(value))}) from checkpoint "
                             "reader.")  # fmt: skip
        _initialize_from(graph, var, value, name)


def _initialize_from(graph, var, value, name) -> None:
    """Replaces `var`'s initializer with an assign of `value` (beside the variable)."""
    from .framework import colocate_with
    from .ops import state as _state

    parts = getattr(var, "_get_variable_list", None)
    if parts is not None and len(parts()) > 1:
        raise ValueError(f"{name}: map a partitioned variable part by part (NAME/part_K)")
    with graph.as_default(), colocate_with(var._variable.op):
        constant = _array.constant(np.asarray(value, dtype=var.dtype.base_dtype.np))
        var._initializer_op = _state.assign(var._variable, constant,
                                            name="init_from_checkpoint").op  # fmt: skip


class VocabInfo(tuple):
    """`tf.train.VocabInfo`: how a vocabulary changed between a checkpoint and the model
    (new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size,
    backup_initializer, axis). warm_start takes it only for a vocabulary that did not
    change (remapping rows between vocabularies is not provided)."""

    _fields = ("new_vocab", "new_vocab_size", "num_oov_buckets", "old_vocab",
               "old_vocab_size", "backup_initializer", "axis")  # fmt: skip

    def __new__(cls, new_vocab, new_vocab_size, num_oov_buckets, old_vocab,
                old_vocab_size=-1, backup_initializer=None, axis=0):  # fmt: skip
        return super().__new__(cls, (new_vocab, new_vocab_size, num_oov_buckets, old_vocab,
                                     old_vocab_size, backup_initializer, axis))  # fmt: skip

    def __getattr__(self, name):
        if name in VocabInfo._fields:
            return self[VocabInfo._fields.index(name)]
        raise AttributeError(name)


def warm_start(ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
               var_name_to_prev_var_name=None):  # fmt: skip
    """Starts the trainable variables whose names match `vars_to_warm_start` (a regex, or a
    list of names or regexes) from the checkpoint's values (`init_from_checkpoint`, under the
    same names unless `var_name_to_prev_var_name` says otherwise). A VocabInfo whose old and
    new vocabularies are the same file is taken as is; remapping is NotImplementedError."""
    import re

    for name, info in (var_name_to_vocab_info or {}).items():
        if info.old_vocab != info.new_vocab:
            raise NotImplementedError(f"warm_start of {name} across vocabularies")
    patterns = [vars_to_warm_start] if isinstance(vars_to_warm_start, str) else list(
        vars_to_warm_start or [])  # fmt: skip
    graph = get_default_graph()
    chosen = [v for v in graph.get_collection("trainable_variables")
              if any(re.match(p, v.op.name) for p in patterns)]  # fmt: skip
    if not chosen:
        return
    renamed = var_name_to_prev_var_name or {}
    init_from_checkpoint(ckpt_to_initialize_from,
                         {renamed.get(v.op.name, v.op.name): v for v in chosen})  # fmt: skip
