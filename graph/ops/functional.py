"""`tf.map_fn`, `tf.foldl`, `tf.foldr` and `tf.scan` over the first dimension of tensors.

With a length known when the graph is built (up to UNROLL), `fn` is applied to each element
in the graph itself (one copy per element); otherwise in a `tf.while_loop` (graph/ops/
while_loop.py), the results written to TensorArrays. Either way the result and its gradients
are those of TF1's functions (which use a while loop and TensorArrays).
"""

from __future__ import annotations

from ..framework import convert_to_tensor, name_scope
from . import array as _array, math as _math
from .while_loop import while_loop

UNROLL = 128  # up to this many elements (known statically), fn is applied in the graph


def _flat(x) -> tuple[list, bool]:
    if isinstance(x, (list, tuple)):
        return [convert_to_tensor(t) for t in x], False
    return [convert_to_tensor(x)], True


def _pack(values: list, single: bool, like=None):
    if single:
        return values[0]
    return type(like)(values) if isinstance(like, tuple) else list(values)


def _length(flat: list):
    static = flat[0].shape.as_list()[0] if flat[0].shape.ndims else None
    return static, _array.gather(_array.shape(flat[0]), 0)


def _element(flat, single, like, i):
    return _pack([t[i] if isinstance(i, int) else _array.gather(t, i) for t in flat], single, like)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):  # fmt: skip
    """fn applied to each element of `elems` (a tensor, or a tuple/list of tensors unpacked
    along their first dimension together); the results stacked."""
    flat, single = _flat(elems)
    with name_scope(name, "map"):
        static, n = _length(flat)
        if static is not None and static <= UNROLL:
            outs = [fn(_element(flat, single, elems, i)) for i in range(static)]
            if not outs:
                raise ValueError("map_fn over zero elements needs the output's dtype and shape")
            out_flat = [_flat(o)[0] for o in outs]
            stacked = [_array.stack([o[k] for o in out_flat]) for k in range(len(out_flat[0]))]
            return _pack(stacked, not isinstance(outs[0], (list, tuple)), outs[0])
        probe = fn(_element(flat, single, elems, 0))
        probe_flat, probe_single = _flat(probe)
        arrays = [_array_for(t, n) for t in probe_flat]

        def body(i, *arrays):
            out, _ = _flat(fn(_element(flat, single, elems, i)))
            return [i + 1] + [ta.write(i, o) for ta, o in zip(arrays, out)]

        result = while_loop(lambda i, *_: _math.less(i, n), body, [0] + arrays,
                            back_prop=back_prop)  # fmt: skip
        return _pack([ta.stack() for ta in result[1:]], probe_single, probe)


def _array_for(like, n):
    """A TensorArray of n elements shaped as `like`."""
    from .tensor_array import TensorArray

    return TensorArray(like.dtype, size=n, element_shape=like.shape)


def _fold(fn, elems, initializer, reverse, name, default_name):
    flat, single = _flat(elems)
    with name_scope(name, default_name):
        static, n = _length(flat)
        if static is not None and static <= UNROLL:
            order = list(range(static))[::-1] if reverse else list(range(static))
            if initializer is None:
                acc, order = _element(flat, single, elems, order[0]), order[1:]
            else:
                acc = initializer
            for i in order:
                acc = fn(acc, _element(flat, single, elems, i))
            return acc
        if initializer is None:
            first = n - 1 if reverse else 0
            acc, start = _element(flat, single, elems, first), (n - 2 if reverse else 1)
        else:
            acc, start = initializer, (n - 1 if reverse else 0)
        step = -1 if reverse else 1

        def cond(i, *_):
            return _math.greater_equal(i, 0) if reverse else _math.less(i, n)

        def body(i, *acc_flat):
            value = fn(_pack(list(acc_flat), acc_single, acc), _element(flat, single, elems, i))
            return [i + step] + _flat(value)[0]

        acc_flat, acc_single = _flat(acc)
        result = while_loop(cond, body, [start] + acc_flat)
        return _pack(list(result[1:]), acc_single, acc)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):  # fmt: skip
    """fn(...fn(fn(initializer, elems[0]), elems[1])..., elems[n-1]) (initializer: elems[0]
    when not given, then from elems[1])."""
    return _fold(fn, elems, initializer, False, name, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):  # fmt: skip
    """foldl from the last element to the first."""
    return _fold(fn, elems, initializer, True, name, "foldr")


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):  # fmt: skip
    """Every accumulator of foldl (foldr with `reverse`), stacked: out[i] = fn(out[i-1],
    elems[i]), out[0] = fn(initializer, elems[0]) (elems[0] when no initializer)."""
    flat, single = _flat(elems)
    with name_scope(name, "scan"):
        static, n = _length(flat)
        if static is None or static > UNROLL:
            return _looped_scan(fn, flat, single, elems, initializer, reverse, n, back_prop)
        order = list(range(static))[::-1] if reverse else list(range(static))
        outs = []
        if initializer is None:
            acc = _element(flat, single, elems, order[0])
            outs.append(acc)
            order = order[1:]
        else:
            acc = initializer
        for i in order:
            acc = fn(acc, _element(flat, single, elems, i))
            outs.append(acc)
        if reverse:
            outs = outs[::-1]
        out_flat = [_flat(o)[0] for o in outs]
        stacked = [_array.stack([o[k] for o in out_flat]) for k in range(len(out_flat[0]))]
        return _pack(stacked, not isinstance(outs[0], (list, tuple)), outs[0])


def _looped_scan(fn, flat, single, elems, initializer, reverse, n, back_prop):
    """scan in a while loop, each accumulator written to a TensorArray at its element's
    index (so `reverse` keeps the elements' order, as TF's)."""
    step = -1 if reverse else 1
    first = n - 1 if reverse else 0
    if initializer is None:
        acc = _element(flat, single, elems, first)
        start = first + step
    else:
        acc = initializer
        start = first
    acc_flat, acc_single = _flat(acc)
    arrays = [_array_for(t, n) for t in acc_flat]
    if initializer is None:
        arrays = [ta.write(first, t) for ta, t in zip(arrays, acc_flat)]
    k = len(acc_flat)

    def cond(i, *_):
        return _math.greater_equal(i, 0) if reverse else _math.less(i, n)

    def body(i, *state):
        value = fn(_pack(list(state[:k]), acc_single, acc), _element(flat, single, elems, i))
        value_flat = [convert_to_tensor(v) for v in _flat(value)[0]]
        return [i + step] + value_flat + [ta.write(i, v) for ta, v in zip(state[k:], value_flat)]

    result = while_loop(cond, body, [start] + acc_flat + arrays, back_prop=back_prop)
    return _pack([ta.stack() for ta in result[1 + k :]], acc_single, acc)
