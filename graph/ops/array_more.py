"""More TF1 array names built from the op library: sort/argsort (top_k), roll, meshgrid,
repeat, bincount, matrix_band_part, cross, plus einsum (an op of its own, with TF's
gradient: each operand's is the einsum of the output gradient with the others)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, manip as _manip, math as _math, nn as _nn


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices that sort `values` along the last axis (int32), as TF (axis -1 only)."""
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be ASCENDING or DESCENDING, got {direction!r}")
    with name_scope(name, "argsort"):
        values = convert_to_tensor(values)
        rank = values.shape.ndims
        if axis not in (-1, None if rank is None else rank - 1):
            raise NotImplementedError("argsort along an axis other than the last")
        n = _array.shape(values)[-1]
        keys = values if direction == "DESCENDING" else _math.negative(values)
        return _nn.top_k(keys, k=n, sorted=True)[1]


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`values` sorted along the last axis."""
    with name_scope(name, "sort"):
        values = convert_to_tensor(values)
        n = _array.shape(values)[-1]
        if direction == "DESCENDING":
            return _nn.top_k(values, k=n, sorted=True)[0]
        if direction != "ASCENDING":
            raise ValueError(f"direction must be ASCENDING or DESCENDING, got {direction!r}")
        return _math.negative(_nn.top_k(_math.negative(values), k=n, sorted=True)[0])


def roll(input, shift, axis, name=None):
    """Elements shifted by `shift` along `axis` (static ints), wrapping around."""
    with name_scope(name, "Roll"):
        x = convert_to_tensor(input)
        shifts = np.atleast_1d(shift).tolist()
        axes = np.atleast_1d(axis).tolist()
        for s, a in zip(shifts, axes):
            n = x.shape.as_list()[a]
            if n is None:
                raise ValueError("roll needs the static size of each rolled axis")
            s = int(s) % n if n else 0
            if s:
                rank = x.shape.ndims
                a = a % rank
                begin_tail = [0] * rank
                begin_tail[a] = n - s
                size_tail = [-1] * rank
                size_tail[a] = s
                size_head = [-1] * rank
                size_head[a] = n - s
                x = _array.concat(
                    [
                        _manip.slice_(x, begin_tail, size_tail),
                        _manip.slice_(x, [0] * rank, size_head),
                    ],
                    a,
                )
        return x


def meshgrid(*args, **kwargs):
    """Coordinate grids of 1-D inputs (indexing 'xy', the default, or 'ij')."""
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"meshgrid got unexpected arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    xs = [_array.reshape(convert_to_tensor(a), [-1]) for a in args]
    n = len(xs)
    shapes = [_array.size(x) for x in xs]
    if indexing == "xy" and n > 1:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, x in enumerate(xs):
        axis = i
        if indexing == "xy" and n > 1 and i < 2:
            axis = 1 - i
        view = [1] * n
        view[axis] = -1
        full = _array.stack(shapes)
        out.append(_math.multiply(_array.reshape(x, view), _array.ones(full, x.dtype)))
    return out


def repeat(input, repeats, axis=None, name=None):
    """Each element (or slice along `axis`) repeated `repeats` times (a static int)."""
    with name_scope(name, "Repeat"):
        x = convert_to_tensor(input)
        if axis is None:
            x = _array.reshape(x, [-1])
            axis = 0
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("repeat needs the input's rank")
        axis = axis % rank
        reps = int(repeats)
        expanded = _array.expand_dims(x, axis + 1)
        multiples = [1] * (rank + 1)
        multiples[axis + 1] = reps
        tiled = _manip.tile(expanded, multiples)
        if x.shape.is_fully_defined():
            dims = x.shape.as_list()
            dims[axis] *= reps
            return _array.reshape(tiled, dims)
        shape = _array.shape(x)
        new_shape = _array.concat(
            [shape[:axis], _array.reshape(shape[axis] * reps, [1]), shape[axis + 1 :]], 0
        )
        return _array.reshape(tiled, new_shape)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32):
    """How often each value 0..max(arr) occurs in `arr` (or the sum of its weights)."""
    with name_scope(None, "bincount"):
        arr = _math.cast(_array.reshape(convert_to_tensor(arr), [-1]), _dt.int32)
        size = _math.add(_math.reduce_max(_math.maximum(arr, -1)), 1)
        if minlength is not None:
            size = _math.maximum(size, int(minlength))
        if maxlength is not None:
            size = _math.minimum(size, int(maxlength))
            arr = _math.where(_math.less(arr, size), arr, _array.ones_like(arr) * -1)
        if weights is None:
            values = _array.ones_like(arr, dtype=dtype)
        else:
            values = _array.reshape(_math.cast(convert_to_tensor(weights), dtype), [-1])
        return _math.unsorted_segment_sum(values, arr, size)


def matrix_band_part(input, num_lower, num_upper, name=None):
    """The band of each innermost matrix: num_lower sub- and num_upper superdiagonals
    (negative: all), zeros elsewhere."""
    with name_scope(name, "MatrixBandPart"):
        x = convert_to_tensor(input)
        rows = _array.shape(x)[-2]
        cols = _array.shape(x)[-1]
        i = _array.expand_dims(_math.range_(0, rows), 1)
        j = _array.expand_dims(_math.range_(0, cols), 0)
        keep = _array.ones_like(_math.add(i, j), dtype=_dt.bool_)
        if num_lower >= 0:
            keep = _math.logical_and(keep, _math.less_equal(_math.subtract(i, j), num_lower))
        if num_upper >= 0:
            keep = _math.logical_and(keep, _math.less_equal(_math.subtract(j, i), num_upper))
        return _math.multiply(x, _math.cast(keep, x.dtype))


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis."""
    with name_scope(name, "Cross"):
        a, b = convert_to_tensor(a), convert_to_tensor(b)

        def c(t, k):
            return t[..., k]

        parts = [
            _math.subtract(_math.multiply(c(a, 1), c(b, 2)), _math.multiply(c(a, 2), c(b, 1))),
            _math.subtract(_math.multiply(c(a, 2), c(b, 0)), _math.multiply(c(a, 0), c(b, 2))),
            _math.subtract(_math.multiply(c(a, 0), c(b, 1)), _math.multiply(c(a, 1), c(b, 0))),
        ]
        return _array.stack(parts, axis=-1)


# Einsum -----------------------------------------------------------------------------------------
def _parse(equation: str, n: int):
    equation = equation.replace(" ", "")
    if "->" in equation:
        ins, out = equation.split("->")
    else:
        ins = equation
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    specs = ins.split(",")
    if len(specs) != n or "." in equation:
        raise ValueError(f"einsum: equation {equation!r} does not fit {n} inputs (no ellipses)")
    return specs, out


def _einsum_infer(inputs, *, equation):
    specs, out = _parse(equation, len(inputs))
    sizes: dict = {}
    for spec, t in zip(specs, inputs):
        if t.shape.ndims is not None:
            if t.shape.ndims != len(spec):
                raise ValueError(f"einsum: input {spec!r} has rank {t.shape.ndims}")
            for ch, d in zip(spec, t.shape.as_list()):
                if d is not None:
                    sizes[ch] = d
    return TensorSpec(inputs[0].dtype, TensorShape([sizes.get(c) for c in out]))


def _einsum_kernel(*inputs, equation):
    return np.asarray(np.einsum(equation, *inputs), dtype=inputs[0].dtype)


def _einsum_grad(op, grad):
    equation = op.get_attr("equation")
    specs, out = _parse(equation, len(op.inputs))
    grads = []
    for k, spec in enumerate(specs):
        others = [(s, t) for i, (s, t) in enumerate(zip(specs, op.inputs)) if i != k]
        summed = [c for c in spec if c not in out and all(c not in s for s, _ in others)]
        if summed or len(set(spec)) != len(spec):
            raise NotImplementedError(
                f"einsum gradient for {equation!r}: an index only input {k} sums, or repeats"
            )
        eq = ",".join([out] + [s for s, _ in others]) + "->" + spec
        grads.append(einsum(eq, grad, *[t for _, t in others]))
    return grads


register_op(
    OpDef(
        "Einsum",
        inputs=["inputs: N*T"],
        outputs=["output: T"],
        types={"T": _dt.NUMERIC},
        attrs={"equation": ""},
        infer=_einsum_infer,
        kernel=_einsum_kernel,
        grad=_einsum_grad,
    )
)


def einsum(equation, *inputs, **kwargs):
    """Einstein summation over the inputs (numpy's einsum; no ellipses)."""
    name = kwargs.pop("name", None)
    tensors = [convert_to_tensor(t) for t in inputs]
    _parse(equation, len(tensors))
    return apply_op("Einsum", [tensors], {"equation": equation}, name=name or "Einsum").outputs[0]
