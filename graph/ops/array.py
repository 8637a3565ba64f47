"""Array ops: constants, placeholders, identity, shapes, reshaping, slicing, stacking.

Each op is one `OpDef`: `_x_infer`, `_x_kernel`, `_x_grad` above its registration, the
`tf.*` wrapper below it.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import (
    Tensor,
    apply_op,
    colocate_with,
    convert_to_tensor,
    make_constant,
    name_scope,
)
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape, as_shape
from ._common import normalize_axis, np_dtype, shape_str

newaxis = None
_INDEX = (_dt.int32, _dt.int64)


# Const ----------------------------------------------------------------------------------
def _const_infer(*, value, dtype):
    value.flags.writeable = False
    return TensorSpec(_dt.as_dtype(dtype), TensorShape(value.shape), value)


def _const_kernel(*, value, dtype):
    return value


register_op(
    OpDef(
        "Const",
        inputs=[],
        outputs=["output: dtype"],
        attrs={"value": None, "dtype": None},
        infer=_const_infer,
        kernel=_const_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False) -> Tensor:
    """A tensor holding `value` (broadcast to `shape` when it is a scalar)."""
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    if verify_shape and shape is not None and list(np.shape(value)) != list(shape):
        raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {np.shape(value)}.")
    return make_constant(value, dtype, name=name, shape=shape)


# Placeholder ----------------------------------------------------------------------------
def _placeholder_infer(*, dtype, shape):
    return TensorSpec(_dt.as_dtype(dtype), TensorShape(shape))


def _placeholder_kernel(*, dtype, shape):
    raise InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor with dtype {_dt.tf_type_name(dtype)}",
    )


register_op(
    OpDef(
        "Placeholder",
        inputs=[],
        outputs=["output: dtype"],
        attrs={"dtype": None, "shape": None},
        infer=_placeholder_infer,
        kernel=_placeholder_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """A tensor that must be fed: `sess.run(..., feed_dict={p: value})`."""
    dtype = _dt.as_dtype(dtype)
    shape = None if shape is None else as_shape(shape).as_tuple()
    shape = None if shape is None else list(shape)
    return apply_op("Placeholder", [], {"dtype": dtype.name, "shape": shape}, name=name).outputs[0]


def _placeholder_with_default_infer(x, *, dtype, shape):
    declared = TensorShape(shape)
    if not declared.is_compatible_with(x.shape):
        raise ValueError(
            f"Shapes {x.shape} and {declared} are incompatible for the default of a placeholder"
        )
    return TensorSpec(x.dtype, declared)


def _identity_like_kernel(x, **_):
    return x


def _pass_through_grad(op, grad):
    """d_x = grad."""
    return [grad]


register_op(
    OpDef(
        "PlaceholderWithDefault",
        inputs=["input: dtype"],
        outputs=["output: dtype"],
        types={"dtype": ()},
        attrs={"shape": None},
        infer=lambda x, *, shape: _placeholder_with_default_infer(
            x, dtype=x.dtype.name, shape=shape
        ),
        kernel=_identity_like_kernel,
        grad=_pass_through_grad,
    )
)


def placeholder_with_default(input, shape, name=None) -> Tensor:
    x = convert_to_tensor(input)
    shape = list(as_shape(shape).as_tuple()) if as_shape(shape).ndims is not None else None
    return apply_op("PlaceholderWithDefault", [x], {"shape": shape}, name=name).outputs[0]


# Identity -------------------------------------------------------------------------------
def _identity_infer(x):
    return TensorSpec(x.dtype, x.shape, x.value)


register_op(
    OpDef(
        "Identity",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": ()},
        infer=_identity_infer,
        kernel=_identity_like_kernel,
        grad=_pass_through_grad,
    )
)


def identity(input, name=None) -> Tensor:
    """A tensor with the same value as `input`."""
    return apply_op("Identity", [input], name=name).outputs[0]


def _stop_gradient_infer(x):
    return TensorSpec(x.dtype, x.shape)


register_op(
    OpDef(
        "StopGradient",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": ()},
        infer=_stop_gradient_infer,
        kernel=_identity_like_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def stop_gradient(input, name=None) -> Tensor:
    """Identity in the forward pass; blocks gradients."""
    return apply_op("StopGradient", [input], name=name).outputs[0]


# Shape, Size, Rank ----------------------------------------------------------------------
def _shape_infer(x, *, out_type):
    rank = x.shape.ndims
    value = np.array(x.shape.as_list(), np_dtype(out_type)) if x.shape.is_fully_defined() else None
    return TensorSpec(_dt.as_dtype(out_type), TensorShape([rank]), value)


def _shape_kernel(x, *, out_type):
    return np.array(np.shape(x), dtype=out_type)


def _np_out_type(kw):
    return {"out_type": np_dtype(kw["out_type"])}


register_op(
    OpDef(
        "Shape",
        inputs=["input: T"],
        outputs=["output: out_type"],
        types={"T": ()},
        attrs={"out_type": "int32"},
        infer=_shape_infer,
        kernel=_shape_kernel,
        grad=NOT_DIFFERENTIABLE,
        prepare=_np_out_type,
    )
)


def shape(input, name=None, out_type=_dt.int32) -> Tensor:
    """The shape of `input` as a 1-D integer tensor."""
    out_type = _dt.as_dtype(out_type).name
    return apply_op("Shape", [input], {"out_type": out_type}, name=name).outputs[0]


def _shape_n_infer(xs, *, out_type):
    return [_shape_infer(x, out_type=out_type) for x in xs]


def _shape_n_kernel(*xs, out_type):
    return tuple(np.array(np.shape(x), dtype=out_type) for x in xs)


register_op(
    OpDef(
        "ShapeN",
        inputs=["input: N*T"],
        outputs=["output: N*out_type"],
        types={"T": ()},
        attrs={"out_type": "int32"},
        infer=_shape_n_infer,
        kernel=_shape_n_kernel,
        grad=NOT_DIFFERENTIABLE,
        prepare=_np_out_type,
    )
)


def shape_n(input, out_type=_dt.int32, name=None) -> list[Tensor]:
    op = apply_op("ShapeN", [list(input)], {"out_type": _dt.as_dtype(out_type).name}, name=name)
    return op.outputs


def _size_infer(x, *, out_type):
    n = x.shape.num_elements()
    value = None if n is None else np.array(n, np_dtype(out_type))
    return TensorSpec(_dt.as_dtype(out_type), TensorShape([]), value)


def _size_kernel(x, *, out_type):
    return np.array(np.size(x), dtype=out_type)


register_op(
    OpDef(
        "Size",
        inputs=["input: T"],
        outputs=["output: out_type"],
        types={"T": ()},
        attrs={"out_type": "int32"},
        infer=_size_infer,
        kernel=_size_kernel,
        grad=NOT_DIFFERENTIABLE,
        prepare=_np_out_type,
    )
)


def size(input, name=None, out_type=_dt.int32) -> Tensor:
    """The number of elements of `input`."""
    return apply_op("Size", [input], {"out_type": _dt.as_dtype(out_type).name}, name=name).outputs[
        0
    ]


def _rank_infer(x):
    value = None if x.shape.ndims is None else np.array(x.shape.ndims, np.int32)
    return TensorSpec(_dt.int32, TensorShape([]), value)


def _rank_kernel(x):
    return np.array(np.ndim(x), dtype=np.int32)


register_op(
    OpDef(
        "Rank",
        inputs=["input: T"],
        outputs=["output: int32"],
        types={"T": ()},
        infer=_rank_infer,
        kernel=_rank_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def rank(input, name=None) -> Tensor:
    """The number of dimensions of `input`."""
    return apply_op("Rank", [input], name=name).outputs[0]


# Reshape --------------------------------------------------------------------------------
def _reshape_infer(x, shape):
    if shape.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {shape.shape.ndims}")
    if shape.value is None:
        n = shape.shape.as_list()[0] if shape.shape.ndims == 1 else None
        return TensorSpec(x.dtype, TensorShape(None if n is None else [None] * n))
    dims = [int(d) for d in shape.value.tolist()]
    if sum(1 for d in dims if d == -1) > 1:
        raise ValueError(f"Cannot infer multiple unknown dimensions in shape {dims}")
    total = x.shape.num_elements()
    known = int(np.prod([d for d in dims if d != -1])) if dims else 1
    if total is not None:
        if -1 in dims:
            if known == 0 or total % known:
                raise ValueError(
                    f"Cannot reshape a tensor with {total} elements to shape {dims} "
                    f"({known} elements)"
                )
            dims = [total // known if d == -1 else d for d in dims]
        elif known != total:
            raise ValueError(
                f"Cannot reshape a tensor with {total} elements to shape {dims} ({known} elements)"
            )
    value = None if x.value is None else x.value.reshape(dims)
    return TensorSpec(x.dtype, TensorShape([None if d == -1 else d for d in dims]), value)


def _reshape_kernel(x, shape):
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise InvalidArgumentError(
            None,
            None,
            f"Input to reshape is a tensor with {np.size(x)} values, but the requested shape "
            f"has {int(np.prod(shape))}",
        ) from None


def _reshape_grad(op, grad):
    """d_x = reshape(grad, shape(x))."""
    return [reshape(grad, shape(op.inputs[0])), None]


register_op(
    OpDef(
        "Reshape",
        inputs=["tensor: T", "shape: Tshape"],
        outputs=["output: T"],
        types={"T": (), "Tshape": _INDEX},
        infer=_reshape_infer,
        kernel=_reshape_kernel,
        grad=_reshape_grad,
    )
)


def reshape(tensor, shape, name=None) -> Tensor:
    """`tensor` with its elements in a new shape (one dimension may be -1)."""
    return apply_op("Reshape", [tensor, shape], name=name).outputs[0]


# Fill, zeros, ones ------------------------------------------------------------------------
def _fill_infer(dims, value):
    if value.shape.ndims not in (None, 0):
        raise ValueError(f"value must be a scalar, but has shape {value.shape}")
    if dims.value is not None:
        out = TensorShape(dims.value.tolist())
    elif dims.shape.ndims == 1 and dims.shape.as_list()[0] is not None:
        out = TensorShape([None] * dims.shape.as_list()[0])
    else:
        out = TensorShape(None)
    return TensorSpec(value.dtype, out)


def _fill_kernel(dims, value):
    return np.full(dims, value, dtype=np.asarray(value).dtype)


def _fill_grad(op, grad):
    """d_value = sum(grad)."""
    from .math import reduce_sum

    return [None, reduce_sum(grad)]


register_op(
    OpDef(
        "Fill",
        inputs=["dims: index_type", "value: T"],
        outputs=["output: T"],
        types={"T": (), "index_type": _INDEX},
        infer=_fill_infer,
        kernel=_fill_kernel,
        grad=_fill_grad,
    )
)


def fill(dims, value, name=None) -> Tensor:
    """A tensor of shape `dims` filled with the scalar `value`."""
    return apply_op("Fill", [dims, value], name=name).outputs[0]


def _filled(shape, value, dtype, name) -> Tensor:
    """A constant for small shapes, a Fill op for large or dynamic ones (as TF does)."""
    dtype = _dt.as_dtype(dtype)
    scalar = np.full((), value, dtype.np)
    if isinstance(shape, Tensor):
        return fill(shape, scalar, name=name)
    dims = as_shape(shape).as_list()
    if int(np.prod(dims)) < 1000:
        return constant(np.full(dims, value, dtype.np), name=name)
    return fill(np.asarray(dims, np.int32), scalar, name=name)


def zeros(shape, dtype=_dt.float32, name=None) -> Tensor:
    """A tensor of zeros."""
    return _filled(shape, 0, dtype, name or "zeros")


def ones(shape, dtype=_dt.float32, name=None) -> Tensor:
    """A tensor of ones."""
    return _filled(shape, 1, dtype, name or "ones")


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None) -> Tensor:
    """An identity matrix (or a batch of them), `num_rows` x `num_columns`. The sizes are
    Python ints here (TF also takes tensors)."""
    for what, size in (("num_rows", num_rows), ("num_columns", num_columns)):
        if size is not None and (not isinstance(size, (int, np.integer)) or size < 0):
            raise TypeError(f"eye: {what} must be a non-negative int, got {size!r}")
    value = np.eye(num_rows, num_rows if num_columns is None else num_columns)
    value = value.astype(_dt.as_dtype(dtype).np)
    if batch_shape is not None:
        value = np.broadcast_to(value, tuple(batch_shape) + value.shape).copy()
    return constant(value, name=name or "eye")


def _like_infer(x):
    return TensorSpec(x.dtype, x.shape)


register_op(
    OpDef(
        "ZerosLike",
        inputs=["x: T"],
        outputs=["y: T"],
        types={"T": ()},
        infer=_like_infer,
        kernel=np.zeros_like,
        grad=NOT_DIFFERENTIABLE,
    )
)
register_op(
    OpDef(
        "OnesLike",
        inputs=["x: T"],
        outputs=["y: T"],
        types={"T": ()},
        infer=_like_infer,
        kernel=np.ones_like,
        grad=NOT_DIFFERENTIABLE,
    )
)


def zeros_like(tensor, dtype=None, name=None, optimize=True) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `tensor`."""
    from .math import cast

    out = apply_op("ZerosLike", [tensor], name=name).outputs[0]
    return out if dtype is None else cast(out, dtype)


def ones_like(tensor, dtype=None, name=None, optimize=True) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `tensor`."""
    from .math import cast

    out = apply_op("OnesLike", [tensor], name=name).outputs[0]
    return out if dtype is None else cast(out, dtype)


# Pack (tf.stack) --------------------------------------------------------------------------
def _pack_infer(values, *, axis):
    base = TensorShape(None)
    for v in values:
        base = (
            base.merge_with(v.shape)
            if base.ndims is None or v.shape.ndims is None
            else _merge_or_raise(base, v.shape, "Pack")
        )
    if not values:
        raise ValueError("Pack requires at least one value")
    if base.ndims is None:
        return TensorSpec(values[0].dtype, TensorShape(None))
    dims = base.as_list()
    axis = normalize_axis(axis, len(dims) + 1, "Pack")
    dims.insert(axis, len(values))
    value = None
    if all(v.value is not None for v in values):
        value = np.stack([v.value for v in values], axis=axis)
    return TensorSpec(values[0].dtype, TensorShape(dims), value)


def _merge_or_raise(a, b, op_type):
    try:
        return a.merge_with(b)
    except ValueError:
        raise ValueError(
            f"Shapes must be equal rank, but are {shape_str(a)} and {shape_str(b)} for '{op_type}'"
        ) from None


def _pack_kernel(*values, axis):
    return np.stack(values, axis=axis)


def _pack_grad(op, grad):
    """d_values[i] = unstack(grad, axis)[i]."""
    return unstack(grad, num=len(op.inputs), axis=op.get_attr("axis"))


register_op(
    OpDef(
        "Pack",
        inputs=["values: N*T"],
        outputs=["output: T"],
        types={"T": ()},
        attrs={"axis": 0},
        infer=_pack_infer,
        kernel=_pack_kernel,
        grad=_pack_grad,
    )
)


def stack(values, axis=0, name="stack") -> Tensor:
    """Stacks a list of rank-R tensors into one rank-(R+1) tensor."""
    return apply_op("Pack", [list(values)], {"axis": int(axis)}, name=name).outputs[0]


pack = stack


def _unpack_infer(value, *, num, axis):
    if value.shape.ndims is None:
        return [TensorSpec(value.dtype, TensorShape(None))] * num
    dims = value.shape.as_list()
    axis = normalize_axis(axis, len(dims), "Unpack")
    if dims[axis] is not None and dims[axis] != num:
        raise ValueError(f"Dimension {axis} of Unpack input has size {dims[axis]}, not {num}")
    out = dims[:axis] + dims[axis + 1 :]
    return [TensorSpec(value.dtype, TensorShape(out))] * num


def _unpack_kernel(value, *, num, axis):
    if value.shape[axis] != num:
        raise InvalidArgumentError(
            None, None, f"Input shape axis {axis} must equal {num}, got shape {list(value.shape)}"
        )
    return tuple(np.take(value, i, axis=axis) for i in range(num))


def _unpack_grad(op, *grads):
    """d_value = stack(grads, axis), zeros for outputs without a gradient."""
    filled = [g if g is not None else zeros_like(op.outputs[i]) for i, g in enumerate(grads)]
    return [stack(filled, axis=op.get_attr("axis"))]


register_op(
    OpDef(
        "Unpack",
        inputs=["value: T"],
        outputs=["output: num*T"],
        types={"T": ()},
        attrs={"num": None, "axis": 0},
        infer=_unpack_infer,
        kernel=_unpack_kernel,
        grad=_unpack_grad,
    )
)


def unstack(value, num=None, axis=0, name="unstack") -> list[Tensor]:
    """Splits the `axis` dimension of `value` into a list of tensors."""
    value = convert_to_tensor(value)
    if num is None:
        if value.shape.ndims is None or value.shape.as_list()[axis] is None:
            raise ValueError(f"Cannot infer num from shape {value.shape}")
        num = value.shape.as_list()[axis]
    return apply_op("Unpack", [value], {"num": int(num), "axis": int(axis)}, name=name).outputs


unpack = unstack


# BroadcastGradientArgs ----------------------------------------------------------------------
def _bga_infer(s0, s1):
    return [TensorSpec(s0.dtype, TensorShape([None])), TensorSpec(s0.dtype, TensorShape([None]))]


def _bga_kernel(s0, s1):
    s0, s1 = [int(d) for d in s0], [int(d) for d in s1]
    n = max(len(s0), len(s1))
    a = [1] * (n - len(s0)) + s0
    b = [1] * (n - len(s1)) + s1
    # Reduce the leading axes an input lacks, and its size-1 axes the other input widens.
    r0 = [i for i in range(n) if i < n - len(s0) or (a[i] == 1 and b[i] != 1)]
    r1 = [i for i in range(n) if i < n - len(s1) or (b[i] == 1 and a[i] != 1)]
    return np.array(r0, np.int32), np.array(r1, np.int32)


register_op(
    OpDef(
        "BroadcastGradientArgs",
        inputs=["s0: T", "s1: T"],
        outputs=["r0: T", "r1: T"],
        types={"T": _INDEX},
        infer=_bga_infer,
        kernel=_bga_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def broadcast_gradient_args(s0, s1, name=None):
    op = apply_op("BroadcastGradientArgs", [s0, s1], name=name)
    return op.outputs[0], op.outputs[1]


# StridedSlice (the Tensor.__getitem__ backend) --------------------------------------------
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _slice_index(
    begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
) -> tuple:
    """The numpy index tuple equal to a StridedSlice's (begin, end, strides, masks)."""
    index: list = []
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            index.append(Ellipsis)
        elif new_axis_mask & bit:
            index.append(None)
        elif shrink_axis_mask & bit:
            index.append(int(begin[i]))
        else:
            b = None if begin_mask & bit else int(begin[i])
            e = None if end_mask & bit else int(end[i])
            index.append(slice(b, e, int(strides[i])))
    return tuple(index)


def _strided_slice_partial(x, begin, strides, masks):
    """The shape TF infers when begin or end are known only at run time: shrunk axes go,
    new axes are 1, a full range with unit stride keeps its dimension, others unknown."""
    if x.shape.ndims is None or begin.shape.ndims != 1 or begin.shape.as_list()[0] is None:
        return TensorShape(None)
    n_specs = begin.shape.as_list()[0]
    unit = [strides.value is not None and abs(int(v)) == 1 for v in np.ravel(strides.value)]
    unit += [False] * (n_specs - len(unit))
    dims = x.shape.as_list()
    bit = {k: int(masks.get(k, 0) or 0) for k in _MASKS}
    explicit = sum(1 for i in range(n_specs) if not (bit["ellipsis_mask"] >> i) & 1
                   and not (bit["new_axis_mask"] >> i) & 1)  # fmt: skip
    out: list = []
    d = 0
    for i in range(n_specs):
        if (bit["ellipsis_mask"] >> i) & 1:
            span = max(len(dims) - explicit, 0)
            out.extend(dims[d : d + span])
            d += span
        elif (bit["new_axis_mask"] >> i) & 1:
            out.append(1)
        elif (bit["shrink_axis_mask"] >> i) & 1:
            d += 1
        else:
            full = (bit["begin_mask"] >> i) & 1 and (bit["end_mask"] >> i) & 1 and unit[i]
            out.append(dims[d] if full and d < len(dims) else None)
            d += 1
    if d > len(dims):
        return TensorShape(None)
    return TensorShape(out + dims[d:])


def _strided_slice_infer(x, begin, end, strides, **masks):
    if x.shape.ndims is None or begin.value is None or end.value is None or strides.value is None:
        return TensorSpec(x.dtype, _strided_slice_partial(x, begin, strides, masks))
    if any(int(s) == 0 for s in strides.value):
        raise ValueError("strides[i] must be non-zero")
    index = _slice_index(begin.value, end.value, strides.value, **masks)
    dims = x.shape.as_list()
    consumed = sum(1 for s in index if s is not None and s is not Ellipsis)
    out, d = [], 0
    for s in index:
        if s is Ellipsis:
            span = len(dims) - consumed
            out.extend(dims[d : d + span])
            d += span
        elif s is None:
            out.append(1)
        elif isinstance(s, int):
            if d >= len(dims):
                raise ValueError(f"Index out of range using input dim {d}")
            n = dims[d]
            if n is not None and not -n <= s < n:
                raise ValueError(f"slice index {s} of dimension {d} out of bounds.")
            d += 1
        else:
            if d >= len(dims):
                raise ValueError(f"Index out of range using input dim {d}")
            n = dims[d]
            out.append(None if n is None else len(range(*s.indices(n))))
            d += 1
    out.extend(dims[d:])
    value = None
    if x.value is not None:
        value = np.asarray(x.value[index])
    return TensorSpec(x.dtype, TensorShape(out), value)


def _strided_slice_kernel(x, begin, end, strides, **masks):
    index = _slice_index(begin, end, strides, **masks)
    try:
        return np.asarray(x[index])
    except IndexError as e:
        raise InvalidArgumentError(None, None, f"slice index out of bounds: {e}") from None


def _strided_slice_grad(op, grad):
    """d_x = zeros(shape(x)) with grad scattered into the sliced region."""
    attrs = {k: op.get_attr(k) for k in _MASKS}
    x, begin, end, strides = op.inputs
    out = apply_op("StridedSliceGrad", [shape(x), begin, end, strides, grad], attrs).outputs[0]
    return [out, None, None, None]


register_op(
    OpDef(
        "StridedSlice",
        inputs=["input: T", "begin: Index", "end: Index", "strides: Index"],
        outputs=["output: T"],
        types={"T": (), "Index": _INDEX},
        attrs={k: 0 for k in _MASKS},
        infer=_strided_slice_infer,
        kernel=_strided_slice_kernel,
        grad=_strided_slice_grad,
    )
)


def _strided_slice_grad_infer(shape_, begin, end, strides, dy, **masks):
    dims = None if shape_.value is None else shape_.value.tolist()
    return TensorSpec(dy.dtype, TensorShape(dims))


def _strided_slice_grad_kernel(shape_, begin, end, strides, dy, **masks):
    out = np.zeros(shape_, dtype=dy.dtype)
    out[_slice_index(begin, end, strides, **masks)] = dy
    return out


def _strided_slice_grad_grad(op, grad):
    """d_dy = strided_slice(grad) with the same index."""
    attrs = {k: op.get_attr(k) for k in _MASKS}
    _, begin, end, strides, _ = op.inputs
    sliced = apply_op("StridedSlice", [grad, begin, end, strides], attrs).outputs[0]
    return [None, None, None, None, sliced]


register_op(
    OpDef(
        "StridedSliceGrad",
        inputs=["shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"],
        outputs=["output: T"],
        types={"T": (), "Index": _INDEX},
        attrs={k: 0 for k in _MASKS},
        infer=_strided_slice_grad_infer,
        kernel=_strided_slice_grad_kernel,
        grad=_strided_slice_grad_grad,
    )
)


def strided_slice(
    input_,
    begin,
    end,
    strides=None,
    begin_mask=0,
    end_mask=0,
    ellipsis_mask=0,
    new_axis_mask=0,
    shrink_axis_mask=0,
    name=None,
) -> Tensor:
    """`input_[begin:end:strides]` per dimension, with TF's masks."""
    if strides is None:
        strides = [1] * len(begin)
    attrs = dict(
        begin_mask=begin_mask,
        end_mask=end_mask,
        ellipsis_mask=ellipsis_mask,
        new_axis_mask=new_axis_mask,
        shrink_axis_mask=shrink_axis_mask,
    )
    return apply_op("StridedSlice", [input_, begin, end, strides], attrs, name=name).outputs[0]


def slice_helper(tensor, key) -> Tensor:
    """`tensor[key]` for ints, slices, `...`, `tf.newaxis` and scalar tensors."""
    if not isinstance(key, tuple):
        key = (key,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, item in enumerate(key):
        bit = 1 << i
        if isinstance(item, slice):
            for part in (item.start, item.stop, item.step):
                if part is not None and not isinstance(part, (int, np.integer, Tensor)):
                    raise TypeError(
                        "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                        f"scalar tf.int32/tf.int64 tensors are valid indices, got {item!r}"
                    )
            if item.start is None:
                masks["begin_mask"] |= bit
            if item.stop is None:
                masks["end_mask"] |= bit
            begin.append(0 if item.start is None else item.start)
            end.append(0 if item.stop is None else item.stop)
            strides.append(1 if item.step is None else item.step)
        elif item is Ellipsis:
            masks["ellipsis_mask"] |= bit
            begin.append(0)
            end.append(0)
            strides.append(1)
        elif item is None:
            masks["new_axis_mask"] |= bit
            begin.append(0)
            end.append(0)
            strides.append(1)
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            masks["shrink_axis_mask"] |= bit
            begin.append(int(item))
            end.append(int(item) + 1)
            strides.append(1)
        elif isinstance(item, Tensor) and item.dtype in _INDEX:
            from .math import add

            masks["shrink_axis_mask"] |= bit
            begin.append(item)
            end.append(add(item, 1))
            strides.append(1)
        else:
            raise TypeError(
                "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                f"tf.int32/tf.int64 tensors are valid indices, got {item!r}"
            )
    with_tensors = any(isinstance(v, Tensor) for v in begin + end + strides)
    args = [stack(begin), stack(end), stack(strides)] if with_tensors else [begin, end, strides]
    return apply_op("StridedSlice", [tensor, *args], masks, name="strided_slice").outputs[0]


# ExpandDims, Squeeze --------------------------------------------------------------------------
def _expand_dims_infer(x, dim):
    if x.shape.ndims is None or dim.value is None:
        return TensorSpec(x.dtype, TensorShape(None))
    dims = x.shape.as_list()
    axis = int(np.ravel(dim.value)[0])
    axis = normalize_axis(axis, len(dims) + 1, "ExpandDims")
    dims.insert(axis, 1)
    value = None if x.value is None else np.expand_dims(x.value, axis)
    return TensorSpec(x.dtype, TensorShape(dims), value)


def _expand_dims_kernel(x, dim):
    return np.expand_dims(x, int(np.ravel(dim)[0]))


def _expand_dims_grad(op, grad):
    """d_x = reshape(grad, shape(x))."""
    return [reshape(grad, shape(op.inputs[0])), None]


register_op(
    OpDef(
        "ExpandDims",
        inputs=["input: T", "dim: Tdim"],
        outputs=["output: T"],
        types={"T": (), "Tdim": _INDEX},
        infer=_expand_dims_infer,
        kernel=_expand_dims_kernel,
        grad=_expand_dims_grad,
    )
)


def expand_dims(input, axis=None, name=None, dim=None) -> Tensor:
    """`input` with a size-1 dimension inserted at `axis`."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return apply_op("ExpandDims", [input, axis], name=name).outputs[0]


def _squeeze_infer(x, *, squeeze_dims):
    if x.shape.ndims is None:
        return TensorSpec(x.dtype, TensorShape(None))
    dims = x.shape.as_list()
    if squeeze_dims:
        axes = {normalize_axis(a, len(dims), "Squeeze") for a in squeeze_dims}
        for a in axes:
            if dims[a] is not None and dims[a] != 1:
                raise ValueError(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]}"
                )
        out = [d for i, d in enumerate(dims) if i not in axes]
    else:
        if any(d is None for d in dims):
            return TensorSpec(x.dtype, TensorShape(None))
        out = [d for d in dims if d != 1]
    return TensorSpec(x.dtype, TensorShape(out))


def _squeeze_kernel(x, *, squeeze_dims):
    try:
        return np.squeeze(x, axis=tuple(squeeze_dims) if squeeze_dims else None)
    except ValueError as e:
        raise InvalidArgumentError(None, None, f"Can not squeeze: {e}") from None


def _squeeze_grad(op, grad):
    """d_x = reshape(grad, shape(x))."""
    return [reshape(grad, shape(op.inputs[0]))]


register_op(
    OpDef(
        "Squeeze",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": ()},
        attrs={"squeeze_dims": []},
        infer=_squeeze_infer,
        kernel=_squeeze_kernel,
        grad=_squeeze_grad,
    )
)


def squeeze(input, axis=None, name=None, squeeze_dims=None) -> Tensor:
    """`input` without its size-1 dimensions (or only those in `axis`)."""
    axis = squeeze_dims if axis is None else axis
    if isinstance(axis, int):
        axis = [axis]
    return apply_op("Squeeze", [input], {"squeeze_dims": list(axis or [])}, name=name).outputs[0]


# Where (indices of true elements), GatherV2 ---------------------------------------------------
def _where_infer(x):
    rank = x.shape.ndims
    return TensorSpec(_dt.int64, TensorShape([None, rank]))


def _where_kernel(x):
    return np.argwhere(x).astype(np.int64)


register_op(
    OpDef(
        "Where",
        inputs=["input: T"],
        outputs=["index: int64"],
        types={"T": _dt.REAL_AND_BOOL},
        infer=_where_infer,
        kernel=_where_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _gather_infer(params, indices, axis):
    if params.shape.ndims is None or indices.shape.ndims is None or axis.value is None:
        return TensorSpec(params.dtype, TensorShape(None))
    a = normalize_axis(int(axis.value), params.shape.ndims, "GatherV2")
    dims = params.shape.as_list()
    out = dims[:a] + indices.shape.as_list() + dims[a + 1 :]
    return TensorSpec(params.dtype, TensorShape(out))


def _gather_kernel(params, indices, axis):
    n = params.shape[int(axis)]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = indices[(indices < 0) | (indices >= n)].ravel()[0]
        raise InvalidArgumentError(None, None, f"indices = {bad} is not in [0, {n})")
    return np.take(params, indices, axis=int(axis))


class IndexedSlices:
    """A sparse gradient: `values[i]` is the slice at row `indices[i]` of a tensor of
    shape `dense_shape`. `tf.convert_to_tensor` turns it dense."""

    def __init__(self, values: Tensor, indices: Tensor, dense_shape: Tensor | None = None):
        self.values = values
        self.indices = indices
        self.dense_shape = dense_shape

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def name(self) -> str:
        return self.values.name

    @property
    def op(self):
        return self.values.op

    @property
    def graph(self):
        return self.values.graph

    @property
    def device(self) -> str:
        return self.values.device

    def _as_tensor(self) -> Tensor:
        from .math import unsorted_segment_sum  # math builds on array: resolved at call time

        if self.dense_shape is None:
            raise ValueError("Cannot convert IndexedSlices without dense_shape to a Tensor")
        rows = strided_slice(self.dense_shape, [0], [1], shrink_axis_mask=1)
        return unsorted_segment_sum(self.values, self.indices, rows)

    def __repr__(self) -> str:
        return (
            f"IndexedSlices(indices={self.indices}, values={self.values}, "
            f"dense_shape={self.dense_shape})"
        )


def _gather_grad(op, grad):
    """d_params: grad rows scattered back as IndexedSlices (axis 0 only)."""
    params, indices, axis = op.inputs
    axis_value = axis.op._const_values[axis.value_index]
    static = params.shape
    if (
        axis_value is not None
        and int(axis_value) == 0
        and static.is_fully_defined()
        and indices.shape.ndims == 1
        and isinstance(grad, Tensor)
        and grad.shape.ndims == static.ndims
    ):  # the common embedding case, with no shape op at all: values are the grad rows
        dense_shape = constant(static.as_list(), dtype=indices.dtype)
        return [IndexedSlices(grad, indices, dense_shape), None, None]
    with colocate_with(params.op):  # where the table is: only its shape travels
        params_shape = shape(params, out_type=indices.dtype)
    if axis_value is not None and int(axis_value) == 0:
        flat_indices = reshape(indices, [-1])
        inner = params_shape[1:]
        values_shape = concat([constant([-1], dtype=indices.dtype), inner], 0)
        values = reshape(grad, values_shape)
        return [IndexedSlices(values, flat_indices, params_shape), None, None]
    raise NotImplementedError(
        f"gradient of {op.name} along axis {axis_value} (only axis 0 is supported)"
    )


register_op(
    OpDef(
        "GatherV2",
        inputs=["params: Tparams", "indices: Tindices", "axis: Taxis"],
        outputs=["output: Tparams"],
        types={"Tparams": (), "Tindices": _INDEX, "Taxis": _INDEX},
        infer=_gather_infer,
        kernel=_gather_kernel,
        grad=_gather_grad,
    )
)


def gather(params, indices, validate_indices=None, name=None, axis=0) -> Tensor:
    """Slices of `params` along `axis` at `indices`."""
    return apply_op("GatherV2", [params, indices, axis], name=name).outputs[0]


def boolean_mask(tensor, mask, name="boolean_mask", axis=None) -> Tensor:
    """The elements (or slices along the leading mask dimensions) where `mask` is true."""
    with name_scope_(name):
        tensor = convert_to_tensor(tensor)
        mask = convert_to_tensor(mask)
        k = mask.shape.ndims
        if k is None:
            raise ValueError(
                "Number of mask dimensions must be specified, even if some dimensions are None."
            )
        if k == 0:
            raise ValueError("mask cannot be scalar.")
        axis = 0 if axis is None else axis
        if axis != 0:
            raise NotImplementedError("boolean_mask supports axis=0")
        if k > 1:
            rest = tensor.shape.as_list()[k:] if tensor.shape.ndims is not None else None
            if rest is None or any(d is None for d in rest):
                raise ValueError(
                    "boolean_mask with a multi-dimensional mask needs the "
                    "trailing dimensions of tensor known"
                )
            tensor = reshape(tensor, [-1] + rest)
            mask = reshape(mask, [-1])
        indices = squeeze(apply_op("Where", [mask]).outputs[0], axis=[1])
        return gather(tensor, indices, axis=0)


def name_scope_(name):
    return name_scope(name)


# ConcatV2 -------------------------------------------------------------------------------------
def _concat_infer(values, axis):
    if axis.value is None or any(v.shape.ndims is None for v in values):
        return TensorSpec(values[0].dtype, TensorShape(None))
    rank = values[0].shape.ndims
    a = normalize_axis(int(axis.value), rank, "ConcatV2")
    out = values[0].shape.as_list()
    for v in values[1:]:
        dims = v.shape.as_list()
        if len(dims) != rank:
            raise ValueError(
                f"Shape must be rank {rank} but is rank {len(dims)} for 'ConcatV2' with input "
                f"shapes: {', '.join(shape_str(x.shape) for x in values)}."
            )
        for i, d in enumerate(dims):
            if i == a:
                out[a] = None if out[a] is None or d is None else out[a] + d
            elif out[i] is None:
                out[i] = d
            elif d is not None and d != out[i]:
                raise ValueError(
                    f"Dimension {i} in both shapes must be equal, but are {out[i]} and {d} "
                    "for 'ConcatV2'."
                )
    value = None
    if all(v.value is not None for v in values):
        value = np.concatenate([v.value for v in values], axis=a)
    return TensorSpec(values[0].dtype, TensorShape(out), value)


def _concat_kernel(*args):
    *values, axis = args
    try:
        return np.concatenate(values, axis=int(axis))
    except ValueError as e:
        raise InvalidArgumentError(None, None, f"ConcatOp : {e}") from None


def _concat_grad(op, grad):
    """d_values[i] = the slice of grad at values[i]'s offset along axis."""
    *values, axis = op.inputs
    sizes = [shape(v) for v in values]
    parts = apply_op(
        "SplitV", [grad, _concat_sizes(sizes, axis), axis], {"num_split": len(values)}
    ).outputs
    return list(parts) + [None]


def _concat_sizes(sizes, axis):
    axis_value = axis.op._const_values[axis.value_index]
    if axis_value is None:
        raise NotImplementedError("gradient of concat needs a constant axis")
    return stack([sz[int(axis_value)] for sz in sizes])


register_op(
    OpDef(
        "ConcatV2",
        inputs=["values: N*T", "axis: Tidx"],
        outputs=["output: T"],
        types={"T": (), "Tidx": _INDEX},
        infer=_concat_infer,
        kernel=_concat_kernel,
        grad=_concat_grad,
    )
)


def concat(values, axis, name="concat") -> Tensor:
    """Concatenates tensors along `axis`."""
    values = list(values)
    if len(values) == 1:
        return identity(values[0], name=name)
    return apply_op("ConcatV2", [values, axis], name=name).outputs[0]


def _split_v_infer(value, size_splits, axis, *, num_split):
    if value.shape.ndims is None or axis.value is None:
        return [TensorSpec(value.dtype, TensorShape(None))] * num_split
    a = normalize_axis(int(axis.value), value.shape.ndims, "SplitV")
    sizes = None if size_splits.value is None else [int(v) for v in size_splits.value]
    total = value.shape.as_list()[a]
    if sizes is not None and -1 in sizes and total is not None:
        sizes[sizes.index(-1)] = total - sum(v for v in sizes if v != -1)
    out = []
    for i in range(num_split):
        dims = value.shape.as_list()
        dims[a] = None if sizes is None or sizes[i] == -1 else sizes[i]
        out.append(TensorSpec(value.dtype, TensorShape(dims)))
    return out


def _split_v_kernel(value, size_splits, axis, *, num_split):
    sizes = [int(s) for s in size_splits]
    if -1 in sizes:
        known = sum(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = value.shape[int(axis)] - known
    if sum(sizes) != value.shape[int(axis)]:
        raise InvalidArgumentError(
            None,
            None,
            f"Determined shape must either match input shape along split_dim "
            f"exactly if fully specified, or be less than the size of the input along split_dim "
            f"if not fully specified.  Got: {sum(sizes)}",
        )
    return tuple(np.split(value, np.cumsum(sizes)[:-1], axis=int(axis)))


def _split_v_grad(op, *grads):
    """d_value = concat(grads, axis) (zeros for unused parts)."""
    filled = [g if g is not None else zeros_like(op.outputs[i]) for i, g in enumerate(grads)]
    return [concat(filled, op.inputs[2]), None, None]


register_op(
    OpDef(
        "SplitV",
        inputs=["value: T", "size_splits: Tlen", "split_dim: int32"],
        outputs=["output: num_split*T"],
        types={"T": (), "Tlen": _INDEX},
        attrs={"num_split": None},
        infer=_split_v_infer,
        kernel=_split_v_kernel,
        grad=_split_v_grad,
    )
)
