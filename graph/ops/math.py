"""Math ops: elementwise arithmetic with broadcasting, unary functions, comparisons,
MatMul, Cast and reductions; and the Tensor operator overloads built on them."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import DTypeMismatchError, InvalidArgumentError
from ..framework import Tensor, apply_op, convert_to_tensor, is_tensor_like
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, torch_kernels as _torch
from ._common import (
    broadcast_shape,
    normalize_axis,
    np_dtype,
    reduce_to_shape,
    segment_reduce,
    shape_str,
)

_NUM = _dt.NUMERIC
_FLOAT = _dt.FLOATS
_SIGNED = (_dt.float16, _dt.float32, _dt.float64, _dt.int8, _dt.int16, _dt.int32, _dt.int64)
_INDEX = (_dt.int32, _dt.int64)


# Elementwise binary ops ---------------------------------------------------------------------------
def _binary_infer(op_type, out_dtype=None):
    def infer(x, y):
        shape = broadcast_shape(x.shape, y.shape, op_type)
        return TensorSpec(out_dtype or x.dtype, shape)

    infer.__name__ = f"_{op_type.lower()}_infer"
    return infer


def _register_binary(op_type, kernel, grad, types=_NUM, out_dtype=None):
    register_op(
        OpDef(
            op_type,
            inputs=["x: T", "y: T"],
            outputs=["z: T"],
            types={"T": types},
            infer=_binary_infer(op_type, out_dtype),
            kernel=kernel,
            grad=grad,
        )
    )


def _binary(op_type, x, y, name):
    return apply_op(op_type, [x, y], name=name).outputs[0]


def _add_grad(op, grad):
    """d_x = grad, d_y = grad (each reduced to its input's shape)."""
    x, y = op.inputs
    return [reduce_to_shape(grad, x), reduce_to_shape(grad, y)]


def _sub_grad(op, grad):
    """d_x = grad, d_y = -grad."""
    x, y = op.inputs
    return [reduce_to_shape(grad, x), reduce_to_shape(negative(grad), y)]


def _mul_grad(op, grad):
    """d_x = grad * y, d_y = grad * x (complex: grad * conj(y), conj(x) * grad, TF's
    convention)."""
    x, y = op.inputs
    if x.dtype in _dt.COMPLEX:
        from .complex_ops import conj

        x, y = conj(x), conj(y)
    return [reduce_to_shape(multiply(grad, y), x), reduce_to_shape(multiply(x, grad), y)]


def _real_div_grad(op, grad):
    """d_x = grad / y, d_y = -grad * x / y^2."""
    x, y = op.inputs
    dy = multiply(grad, real_div(real_div(negative(x), y), y))
    return [reduce_to_shape(real_div(grad, y), x), reduce_to_shape(dy, y)]


def _floor_mod_grad(op, grad):
    """d_x = grad, d_y = -grad * floor(x / y)."""
    x, y = op.inputs
    dy = multiply(grad, negative(floor_div(x, y)))
    return [reduce_to_shape(grad, x), reduce_to_shape(dy, y)]


def _pow_grad(op, grad):
    """d_x = grad * y * x^(y-1), d_y = grad * z * log(x) (0 where x <= 0)."""
    x, y = op.inputs
    z = op.outputs[0]
    dx = multiply(multiply(grad, y), pow(x, subtract(y, _array.ones_like(y))))
    safe_log = _select(greater(x, _array.zeros_like(x)), log(x), _array.zeros_like(x))
    dy = multiply(multiply(grad, z), safe_log)
    return [reduce_to_shape(dx, x), reduce_to_shape(dy, y)]


def _int_checked(np_fn, op_type):
    def kernel(x, y):
        if (
            isinstance(y, np.ndarray | np.generic)
            and np.asarray(y).dtype.kind in "iu"
            and np.any(np.asarray(y) == 0)
        ):
            raise InvalidArgumentError(None, None, "Integer division by zero")
        return np_fn(x, y)

    kernel.__name__ = f"_{op_type.lower()}_kernel"
    return kernel


def _maximum_grad(op, grad):
    """d_x = grad where x >= y, d_y = grad where x < y."""
    x, y = op.inputs
    mask = greater_equal(x, y)
    zeros = _array.zeros_like(grad)
    return [
        reduce_to_shape(_select(mask, grad, zeros), x),
        reduce_to_shape(_select(mask, zeros, grad), y),
    ]


def _minimum_grad(op, grad):
    """d_x = grad where x <= y, d_y = grad where x > y."""
    x, y = op.inputs
    mask = less_equal(x, y)
    zeros = _array.zeros_like(grad)
    return [
        reduce_to_shape(_select(mask, grad, zeros), x),
        reduce_to_shape(_select(mask, zeros, grad), y),
    ]


def _squared_difference_grad(op, grad):
    """d_x = 2 * grad * (x - y), d_y = -d_x."""
    x, y = op.inputs
    d = multiply(multiply(grad, _scalar(2, grad.dtype)), subtract(x, y))
    return [reduce_to_shape(d, x), reduce_to_shape(negative(d), y)]


_register_binary("Add", np.add, _add_grad, types=_NUM + _dt.COMPLEX + (_dt.string,))
_register_binary("Sub", np.subtract, _sub_grad, types=_NUM + _dt.COMPLEX)
_register_binary("Mul", np.multiply, _mul_grad, types=_NUM + _dt.COMPLEX)
_register_binary("RealDiv", np.true_divide, _real_div_grad, types=_FLOAT)
# Piecewise constant: no gradient flows through floor division.
_register_binary("FloorDiv", _int_checked(np.floor_divide, "FloorDiv"), NOT_DIFFERENTIABLE)
_register_binary("FloorMod", _int_checked(np.mod, "FloorMod"), _floor_mod_grad)


# Rounded toward zero (C's division and remainder): TF's gradient of TruncateDiv is none.
def _truncate_div(x, y):
    if np.issubdtype(np.result_type(x, y), np.floating):
        return np.trunc(np.true_divide(x, y)).astype(np.result_type(x, y))
    return (np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))).astype(np.result_type(x, y))


_register_binary(
    "TruncateDiv", _int_checked(_truncate_div, "TruncateDiv"), lambda op, grad: [None, None]
)
_register_binary("TruncateMod", _int_checked(np.fmod, "TruncateMod"), NOT_DIFFERENTIABLE)
_register_binary("Pow", np.power, _pow_grad)
_register_binary("Maximum", np.maximum, _maximum_grad)
_register_binary("Minimum", np.minimum, _minimum_grad)
_register_binary(
    "SquaredDifference", lambda x, y: np.square(np.subtract(x, y)), _squared_difference_grad
)


def add(x, y, name=None) -> Tensor:
    """x + y elementwise, with broadcasting."""
    return _binary("Add", x, y, name)


def subtract(x, y, name=None) -> Tensor:
    """x - y elementwise, with broadcasting."""
    return _binary("Sub", x, y, name)


def multiply(x, y, name=None) -> Tensor:
    """x * y elementwise, with broadcasting."""
    return _binary("Mul", x, y, name)


def real_div(x, y, name=None) -> Tensor:
    return _binary("RealDiv", x, y, name)


def floor_div(x, y, name=None) -> Tensor:
    return _binary("FloorDiv", x, y, name)


def floormod(x, y, name=None) -> Tensor:
    """x mod y with the sign of y (Python's %)."""
    return _binary("FloorMod", x, y, name)


mod = floormod


def truncatediv(x, y, name=None) -> Tensor:
    """x / y rounded toward zero (C's division)."""
    return _binary("TruncateDiv", x, y, name)


def truncatemod(x, y, name=None) -> Tensor:
    """The remainder of truncatediv: the sign of x (C's %, np.fmod)."""
    return _binary("TruncateMod", x, y, name)


def pow(x, y, name=None) -> Tensor:  # TF's name
    """x ** y elementwise."""
    return _binary("Pow", x, y, name)


def maximum(x, y, name=None) -> Tensor:
    return _binary("Maximum", x, y, name)


def minimum(x, y, name=None) -> Tensor:
    return _binary("Minimum", x, y, name)


def squared_difference(x, y, name=None) -> Tensor:
    return _binary("SquaredDifference", x, y, name)


_TRUEDIV_TARGET = {
    "int8": _dt.float32,
    "uint8": _dt.float32,
    "int16": _dt.float32,
    "int32": _dt.float64,
    "int64": _dt.float64,
}


def _pair(x, y):
    """Converts (x, y) with the dtype of whichever is already a tensor."""
    if is_tensor_like(x):
        x = convert_to_tensor(x)
        y = (
            convert_to_tensor(y, preferred_dtype=x.dtype)
            if not is_tensor_like(y)
            else convert_to_tensor(y)
        )
    elif is_tensor_like(y):
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, preferred_dtype=y.dtype)
    else:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, preferred_dtype=x.dtype)
    return x, y


def truediv(x, y, name=None) -> Tensor:
    """x / y with Python 3 semantics: integers are cast to floats first."""
    x, y = _pair(x, y)
    if x.dtype is not y.dtype:
        raise _mismatch("truediv", x, y)
    target = _TRUEDIV_TARGET.get(x.dtype.name)
    if target is not None:
        x, y = cast(x, target), cast(y, target)
    return real_div(x, y, name=name or "truediv")


divide = truediv


def div(x, y, name=None) -> Tensor:
    """x / y with Python 2 semantics: floor division for integers, true division for floats."""
    x, y = _pair(x, y)
    if x.dtype is not y.dtype:
        raise _mismatch("div", x, y)
    if x.dtype.is_floating:
        return real_div(x, y, name=name)
    return floor_div(x, y, name=name)


def floordiv(x, y, name=None) -> Tensor:
    """Floor of x / y (floor division for integers, floor(x / y) for floats)."""
    return floor_div(x, y, name=name or "floordiv")


def _mismatch(op_name, x, y):
    return DTypeMismatchError(
        f"x and y must have the same dtype, got {x.dtype!r} != {y.dtype!r} in '{op_name}'."
    )


# Unary ops ----------------------------------------------------------------------------------------
def _unary_infer(x):
    return TensorSpec(x.dtype, x.shape)


def _register_unary(op_type, kernel, grad, types=_NUM, predicate=False):
    """An elementwise op of one input; a `predicate` outputs bool (and has no gradient)."""
    register_op(
        OpDef(
            op_type,
            inputs=["x: T"],
            outputs=["y: bool" if predicate else "y: T"],
            types={"T": types},
            infer=_bool_like_infer if predicate else _unary_infer,
            kernel=kernel,
            grad=grad,
        )
    )


def _bool_like_infer(x):
    return TensorSpec(_dt.bool_, x.shape)


def _unary(op_type, x, name):
    return apply_op(op_type, [x], name=name).outputs[0]


def _scalar(value, dtype):
    return _array.constant(np.asarray(value, dtype=_dt.as_dtype(dtype).np))


def _neg_grad(op, grad):
    """d_x = -grad."""
    return [negative(grad)]


def _abs_grad(op, grad):
    """d_x = grad * sign(x)."""
    return [multiply(grad, sign(op.inputs[0]))]


def _square_grad(op, grad):
    """d_x = 2 * x * grad."""
    x = op.inputs[0]
    return [multiply(grad, multiply(x, _scalar(2, x.dtype)))]


def _sqrt_grad(op, grad):
    """d_x = grad * 0.5 / sqrt(x)."""
    y = op.outputs[0]
    return [real_div(multiply(grad, _scalar(0.5, y.dtype)), y)]


def _rsqrt_grad(op, grad):
    """d_x = grad * -0.5 * y^3."""
    y = op.outputs[0]
    return [multiply(grad, multiply(_scalar(-0.5, y.dtype), multiply(square(y), y)))]


def _exp_grad(op, grad):
    """d_x = grad * exp(x)."""
    return [multiply(grad, op.outputs[0])]


def _log_grad(op, grad):
    """d_x = grad / x."""
    return [real_div(grad, op.inputs[0])]


def _log1p_grad(op, grad):
    """d_x = grad / (1 + x)."""
    x = op.inputs[0]
    return [real_div(grad, add(_scalar(1, x.dtype), x))]


def _sin_grad(op, grad):
    """d_x = grad * cos(x)."""
    return [multiply(grad, cos(op.inputs[0]))]


def _cos_grad(op, grad):
    """d_x = -grad * sin(x)."""
    return [negative(multiply(grad, sin(op.inputs[0])))]


def _tanh_grad(op, grad):
    """d_x = grad * (1 - y^2)."""
    y = op.outputs[0]
    return [multiply(grad, subtract(_scalar(1, y.dtype), square(y)))]


def _sigmoid_grad(op, grad):
    """d_x = grad * y * (1 - y)."""
    y = op.outputs[0]
    return [multiply(grad, multiply(y, subtract(_scalar(1, y.dtype), y)))]


def _reciprocal_grad(op, grad):
    """d_x = -grad * y^2."""
    y = op.outputs[0]
    return [negative(multiply(grad, square(y)))]


def _zero_grad(op, grad):
    """Piecewise constant: the gradient is zero almost everywhere."""
    return [_array.zeros_like(op.inputs[0])]


def _sigmoid_kernel(x):
    # exp of -|x| never overflows; the two branches agree with 1 / (1 + exp(-x)).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _rsqrt_kernel(x):
    return 1 / np.sqrt(x)


def _round_kernel(x):
    return np.round(x)  # numpy rounds half to even, as TF's Round does


def _sign_kernel(x):
    return np.sign(x)


_register_unary("Neg", np.negative, _neg_grad, types=_SIGNED + _dt.COMPLEX)
_register_unary("Abs", np.abs, _abs_grad, types=_SIGNED)
_register_unary("Sign", _sign_kernel, _zero_grad, types=_SIGNED)
_register_unary("Square", np.square, _square_grad)
_register_unary("Sqrt", np.sqrt, _sqrt_grad, types=_FLOAT)
_register_unary("Rsqrt", _rsqrt_kernel, _rsqrt_grad, types=_FLOAT)
_register_unary("Exp", np.exp, _exp_grad, types=_FLOAT)
_register_unary("Log", np.log, _log_grad, types=_FLOAT)
_register_unary("Log1p", np.log1p, _log1p_grad, types=_FLOAT)


def _expm1_grad(op, grad):
    """d_x = grad * exp(x)."""
    return [multiply(grad, exp(op.inputs[0]))]


_register_unary("Expm1", np.expm1, _expm1_grad, types=_FLOAT)


_register_unary("IsNan", np.isnan, NOT_DIFFERENTIABLE, types=_FLOAT, predicate=True)
_register_unary("IsInf", np.isinf, NOT_DIFFERENTIABLE, types=_FLOAT, predicate=True)
_register_unary("IsFinite", np.isfinite, NOT_DIFFERENTIABLE, types=_FLOAT, predicate=True)


def _check_numerics_kernel(x, *, message):
    nan, inf = bool(np.isnan(x).any()), bool(np.isinf(x).any())
    if nan or inf:
        what = "Inf and NaN" if nan and inf else "NaN" if nan else "Inf"
        raise InvalidArgumentError(None, None, f"{message} : Tensor had {what} values")
    return x


def _check_numerics_grad(op, grad):
    """The gradient passes through, checked as TF checks it."""
    message = op.get_attr("message")
    return [
        check_numerics(
            grad, f"Not a number (NaN) or infinity (Inf) values detected in gradient. {message}"
        )
    ]


register_op(
    OpDef(
        "CheckNumerics",
        inputs=["tensor: T"],
        outputs=["output: T"],
        types={"T": _FLOAT},
        attrs={"message": ""},
        infer=lambda tensor, *, message: _unary_infer(tensor),
        kernel=_check_numerics_kernel,
        grad=_check_numerics_grad,
    )
)
_register_unary("Sin", np.sin, _sin_grad, types=_FLOAT)
_register_unary("Cos", np.cos, _cos_grad, types=_FLOAT)
_register_unary("Tanh", np.tanh, _tanh_grad, types=_FLOAT)
_register_unary("Sigmoid", _sigmoid_kernel, _sigmoid_grad, types=_FLOAT)
_register_unary("Reciprocal", np.reciprocal, _reciprocal_grad, types=_FLOAT)
_register_unary("Floor", np.floor, _zero_grad, types=_FLOAT)
_register_unary("Ceil", np.ceil, _zero_grad, types=_FLOAT)
_register_unary("Round", _round_kernel, _zero_grad, types=_FLOAT + _INDEX)
_register_unary("Rint", np.rint, _zero_grad, types=_FLOAT)  # half to even, as TF's Rint


def negative(x, name=None) -> Tensor:
    return _unary("Neg", x, name)


def rint(x, name=None) -> Tensor:
    return _unary("Rint", x, name)


def scalar_mul(scalar, x, name=None) -> Tensor:
    """`scalar * x` for a scalar (a 0-d value or tensor); ValueError for anything else."""
    scalar = convert_to_tensor(scalar, dtype=getattr(x, "dtype", None))
    if scalar.shape.ndims not in (0, None):
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    return multiply(scalar, x, name=name or "scalar_mul")


def reduce_logsumexp(
    input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
) -> Tensor:
    """log(sum(exp(input_tensor), axis)), computed as TF does it: the maximum (where finite)
    is taken out first, so large inputs do not overflow."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axis = reduction_indices if axis is None else axis
    x = convert_to_tensor(input_tensor)
    raw_max = reduce_max(x, axis=axis, keepdims=True)
    my_max = _array.stop_gradient(where(is_finite(raw_max), raw_max, _array.zeros_like(raw_max)))
    result = add(log(reduce_sum(exp(subtract(x, my_max)), axis=axis, keepdims=True)), my_max)
    if not keep:
        result = reduce_sum(result, axis=axis)  # drops the kept axes (each of size 1)
    return _array.identity(result, name=name or "ReduceLogSumExp")


def expm1(x, name=None) -> Tensor:
    return _unary("Expm1", x, name)


def is_nan(x, name=None) -> Tensor:
    return _unary("IsNan", x, name)


def is_inf(x, name=None) -> Tensor:
    return _unary("IsInf", x, name)


def is_finite(x, name=None) -> Tensor:
    return _unary("IsFinite", x, name)


def check_numerics(tensor, message, name=None) -> Tensor:
    """`tensor`, unchanged; InvalidArgumentError naming `message` when it holds NaN or Inf."""
    return apply_op("CheckNumerics", [tensor], {"message": str(message)}, name=name).outputs[0]


def abs(x, name=None) -> Tensor:  # TF's name
    """|x|; of a complex tensor, its magnitude (a real tensor)."""
    x = convert_to_tensor(x)
    if x.dtype in _dt.COMPLEX:
        from .complex_ops import complex_abs

        return complex_abs(x, name)
    return _unary("Abs", x, name)


def sign(x, name=None) -> Tensor:
    return _unary("Sign", x, name)


def square(x, name=None) -> Tensor:
    return _unary("Square", x, name)


def sqrt(x, name=None) -> Tensor:
    return _unary("Sqrt", x, name)


def rsqrt(x, name=None) -> Tensor:
    return _unary("Rsqrt", x, name)


def exp(x, name=None) -> Tensor:
    return _unary("Exp", x, name)


def log(x, name=None) -> Tensor:
    return _unary("Log", x, name)


def log1p(x, name=None) -> Tensor:
    return _unary("Log1p", x, name)


def sin(x, name=None) -> Tensor:
    return _unary("Sin", x, name)


def cos(x, name=None) -> Tensor:
    return _unary("Cos", x, name)


def tanh(x, name=None) -> Tensor:
    return _unary("Tanh", x, name)


def sigmoid(x, name=None) -> Tensor:
    return _unary("Sigmoid", x, name)


def reciprocal(x, name=None) -> Tensor:
    return _unary("Reciprocal", x, name)


def floor(x, name=None) -> Tensor:
    return _unary("Floor", x, name)


def ceil(x, name=None) -> Tensor:
    return _unary("Ceil", x, name)


def round(x, name=None) -> Tensor:  # TF's name
    """Rounds half to even, as TF does."""
    return _unary("Round", x, name)


# Comparisons and logic ----------------------------------------------------------------------------
def _register_compare(op_type, kernel, types=_NUM):
    register_op(
        OpDef(
            op_type,
            inputs=["x: T", "y: T"],
            outputs=["z: bool"],
            types={"T": types},
            infer=_binary_infer(op_type, _dt.bool_),
            kernel=kernel,
            grad=NOT_DIFFERENTIABLE,
        )
    )


_register_compare("Less", np.less)
_register_compare("LessEqual", np.less_equal)
_register_compare("Greater", np.greater)
_register_compare("GreaterEqual", np.greater_equal)
_register_compare("Equal", np.equal, types=_dt.ALL)
_register_compare("NotEqual", np.not_equal, types=_dt.ALL)
_register_compare("LogicalAnd", np.logical_and, types=(_dt.bool_,))
_register_compare("LogicalOr", np.logical_or, types=(_dt.bool_,))
register_op(
    OpDef(
        "LogicalNot",
        inputs=["x: bool"],
        outputs=["y: bool"],
        infer=_unary_infer,
        kernel=np.logical_not,
        grad=NOT_DIFFERENTIABLE,
    )
)


def less(x, y, name=None) -> Tensor:
    return _binary("Less", x, y, name)


def less_equal(x, y, name=None) -> Tensor:
    return _binary("LessEqual", x, y, name)


def greater(x, y, name=None) -> Tensor:
    return _binary("Greater", x, y, name)


def greater_equal(x, y, name=None) -> Tensor:
    return _binary("GreaterEqual", x, y, name)


def equal(x, y, name=None) -> Tensor:
    return _binary("Equal", x, y, name)


def not_equal(x, y, name=None) -> Tensor:
    return _binary("NotEqual", x, y, name)


def logical_and(x, y, name=None) -> Tensor:
    return _binary("LogicalAnd", x, y, name)


def logical_or(x, y, name=None) -> Tensor:
    return _binary("LogicalOr", x, y, name)


def logical_not(x, name=None) -> Tensor:
    return apply_op("LogicalNot", [x], name=name).outputs[0]


def logical_xor(x, y, name="LogicalXor") -> Tensor:
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


# Select (where with x and y) ----------------------------------------------------------------------
def _select_infer(condition, x, y):
    shape = broadcast_shape(x.shape, y.shape, "Select")
    if condition.shape.ndims not in (None, 1) or shape.ndims is None:
        shape = broadcast_shape(condition.shape, shape, "Select")
    return TensorSpec(x.dtype, shape)


def _select_kernel(condition, x, y):
    if condition.ndim == 1 and np.ndim(x) > 1:
        condition = condition.reshape((-1,) + (1,) * (np.ndim(x) - 1))
    return np.where(condition, x, y)


def _select_grad(op, grad):
    """d_x = grad where condition, d_y = grad elsewhere."""
    c = op.inputs[0]
    zeros = _array.zeros_like(grad)
    return [None, _select(c, grad, zeros), _select(c, zeros, grad)]


register_op(
    OpDef(
        "Select",
        inputs=["condition: bool", "t: T", "e: T"],
        outputs=["output: T"],
        types={"T": ()},
        infer=_select_infer,
        kernel=_select_kernel,
        grad=_select_grad,
    )
)


def _select(condition, x, y, name=None) -> Tensor:
    return apply_op("Select", [condition, x, y], name=name).outputs[0]


# SelectV2 (where_v2: condition, x and y broadcast together) -----------------------------------
def _select_v2_infer(condition, x, y):
    shape = broadcast_shape(condition.shape, broadcast_shape(x.shape, y.shape, "SelectV2"),
                            "SelectV2")  # fmt: skip
    return TensorSpec(x.dtype, shape)


def _select_v2_grad(op, grad):
    """d_x = grad where condition, d_y = grad elsewhere, each reduced to its shape."""
    c, x, y = op.inputs
    zeros = _array.zeros_like(grad)
    return [
        None,
        reduce_to_shape(apply_op("SelectV2", [c, grad, zeros]).outputs[0], x),
        reduce_to_shape(apply_op("SelectV2", [c, zeros, grad]).outputs[0], y),
    ]


register_op(
    OpDef(
        "SelectV2",
        inputs=["condition: bool", "t: T", "e: T"],
        outputs=["output: T"],
        types={"T": ()},
        infer=_select_v2_infer,
        kernel=lambda condition, t, e: np.where(condition, t, e),
        grad=_select_v2_grad,
    )
)


def where_v2(condition, x=None, y=None, name=None) -> Tensor:
    """`x` where `condition`, else `y`, all three broadcast together; with only
    `condition`, the coordinates of its true elements (as `where`)."""
    if x is None and y is None:
        return where(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype)
    return apply_op("SelectV2", [condition, x, y], name=name).outputs[0]


# MatMul -------------------------------------------------------------------------------------------
def _matmul_infer(a, b, *, transpose_a, transpose_b):
    if a.shape.ndims is not None and a.shape.ndims != 2:
        raise ValueError(
            f"Shape must be rank 2 but is rank {a.shape.ndims} for 'MatMul' "
            f"with input shapes: {shape_str(a.shape)}, {shape_str(b.shape)}."
        )
    if b.shape.ndims is not None and b.shape.ndims != 2:
        raise ValueError(
            f"Shape must be rank 2 but is rank {b.shape.ndims} for 'MatMul' "
            f"with input shapes: {shape_str(a.shape)}, {shape_str(b.shape)}."
        )
    ad = a.shape.as_list() if a.shape.ndims else [None, None]
    bd = b.shape.as_list() if b.shape.ndims else [None, None]
    m, k1 = (ad[1], ad[0]) if transpose_a else (ad[0], ad[1])
    k2, n = (bd[1], bd[0]) if transpose_b else (bd[0], bd[1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(
            f"Dimensions must be equal, but are {k1} and {k2} for 'MatMul' (op: 'MatMul') "
            f"with input shapes: {shape_str(a.shape)}, {shape_str(b.shape)}."
        )
    return TensorSpec(a.dtype, TensorShape([m, n]))


def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.shape[1] != b.shape[0]:
        raise InvalidArgumentError(
            None, None, f"Matrix size-incompatible: In[0]: {list(a.shape)}, In[1]: {list(b.shape)}"
        )
    if _torch.wanted_product(a, b):
        return _torch.matmul(a, b)
    return np.dot(a, b)


def _matmul_grad(op, grad):
    """d_a = grad @ b.T, d_b = a.T @ grad (transposes swapped per attrs)."""
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        return [matmul(grad, b, transpose_b=True), matmul(a, grad, transpose_a=True)]
    if not ta and tb:
        return [matmul(grad, b), matmul(grad, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, grad, transpose_b=True), matmul(a, grad)]
    return [
        matmul(b, grad, transpose_a=True, transpose_b=True),
        matmul(grad, a, transpose_a=True, transpose_b=True),
    ]


register_op(
    OpDef(
        "MatMul",
        inputs=["a: T", "b: T"],
        outputs=["product: T"],
        types={"T": _NUM},
        attrs={"transpose_a": False, "transpose_b": False},
        infer=_matmul_infer,
        kernel=_matmul_kernel,
        grad=_matmul_grad,
    )
)


def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    name=None,
) -> Tensor:
    """The matrix product of `a` and `b` (batched when either has rank > 2)."""
    a, b = _pair(a, b)
    attrs = {
        "transpose_a": bool(transpose_a or adjoint_a),
        "transpose_b": bool(transpose_b or adjoint_b),
    }
    rank_a, rank_b = a.shape.ndims, b.shape.ndims
    if (rank_a or 2) > 2 or (rank_b or 2) > 2:
        return _batch_matmul(a, b, attrs["transpose_a"], attrs["transpose_b"], name)
    return apply_op("MatMul", [a, b], attrs, name=name).outputs[0]


def _batch_matmul(a, b, adj_x, adj_y, name):
    # linalg builds on this module (MatMul): the one import of it is resolved at call time.
    from . import linalg

    return linalg.batch_matmul(a, b, adj_x, adj_y, name)


# Cast ---------------------------------------------------------------------------------------------
def _cast_infer(x, *, DstT):  # TF's attr name
    value = None if x.value is None else _cast_kernel(x.value, DstT=np_dtype(DstT))
    return TensorSpec(_dt.as_dtype(DstT), x.shape, value)


def _cast_kernel(x, *, DstT):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(DstT).kind != "c":
        x = x.real  # TF keeps the real part
    return x.astype(DstT, copy=False)


def _cast_grad(op, grad):
    """d_x = cast(grad, SrcT) between float and complex types (complex to float keeps the
    real part); none otherwise."""
    src, dst = op.inputs[0].dtype, op.outputs[0].dtype
    if (src.is_floating or src in _dt.COMPLEX) and (dst.is_floating or dst in _dt.COMPLEX):
        return [cast(grad, src)]
    return [None]


register_op(
    OpDef(
        "Cast",
        inputs=["x: SrcT"],
        outputs=["y: DstT"],
        types={"SrcT": ()},
        attrs={"DstT": None},
        infer=_cast_infer,
        kernel=_cast_kernel,
        grad=_cast_grad,
        prepare=lambda kw: {"DstT": np_dtype(kw["DstT"])},
    )
)


def saturate_cast(value, dtype, name=None) -> Tensor:
    """`value` cast to `dtype`, first clamped to the range `dtype` can hold."""
    from .clip import clip_by_value

    value = convert_to_tensor(value)
    dtype = _dt.as_dtype(dtype)
    if dtype.is_floating:
        if value.dtype.is_floating and dtype.size < value.dtype.size:
            limits = np.finfo(dtype.np)
            value = clip_by_value(value, float(limits.min), float(limits.max))
    elif not dtype.is_bool and value.dtype != dtype:
        info = np.iinfo(dtype.np)
        low, high = max(info.min, -(2**62)), min(info.max, 2**62)
        if not value.dtype.is_floating and not value.dtype.is_bool:
            src = np.iinfo(value.dtype.np)
            low, high = max(low, src.min), min(high, src.max)
        value = clip_by_value(value, low, high)
    return cast(value, dtype, name=name)


def cast(x, dtype, name=None) -> Tensor:
    """`x` converted to `dtype`."""
    dtype = _dt.as_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype is dtype:
        return x if name is None else _array.identity(x, name=name)
    return apply_op("Cast", [x], {"DstT": dtype.name}, name=name or "Cast").outputs[0]


def to_float(x, name="ToFloat") -> Tensor:
    return cast(x, _dt.float32, name=name)


def to_int32(x, name="ToInt32") -> Tensor:
    return cast(x, _dt.int32, name=name)


def to_int64(x, name="ToInt64") -> Tensor:
    return cast(x, _dt.int64, name=name)


def to_double(x, name="ToDouble") -> Tensor:
    return cast(x, _dt.float64, name=name)


# Reductions ---------------------------------------------------------------------------------------
def _reduce_infer(op_type):
    def infer(x, axis, *, keep_dims):
        if x.shape.ndims is None:
            return TensorSpec(x.dtype, TensorShape(None))
        rank = x.shape.ndims
        if axis.value is None:
            return TensorSpec(x.dtype, TensorShape([None] * rank if keep_dims else None))
        axes = {normalize_axis(int(a), rank, op_type) for a in np.ravel(axis.value)}
        dims = x.shape.as_list()
        out = (
            [1 if i in axes else d for i, d in enumerate(dims)]
            if keep_dims
            else [d for i, d in enumerate(dims) if i not in axes]
        )
        return TensorSpec(x.dtype, TensorShape(out))

    infer.__name__ = f"_{op_type.lower()}_infer"
    return infer


def _axes(axis):
    return tuple(int(a) for a in np.ravel(axis))


def _sum_kernel(x, axis, *, keep_dims):
    return np.asarray(np.sum(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype))


def _mean_kernel(x, axis, *, keep_dims):
    axes = _axes(axis)
    if x.dtype.kind in "iu":
        count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        total = np.sum(x, axis=axes, keepdims=keep_dims, dtype=np.int64)
        return np.asarray(np.trunc(total / max(count, 1))).astype(x.dtype)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    total = np.add.reduce(x, axis=axes, keepdims=keep_dims, dtype=x.dtype)
    return np.asarray(total / x.dtype.type(count) if count else total * x.dtype.type(np.nan))


def _prod_kernel(x, axis, *, keep_dims):
    return np.asarray(np.prod(x, axis=_axes(axis), keepdims=keep_dims, dtype=x.dtype))


def _max_kernel(x, axis, *, keep_dims):
    return np.asarray(np.max(x, axis=_axes(axis), keepdims=keep_dims))


def _min_kernel(x, axis, *, keep_dims):
    return np.asarray(np.min(x, axis=_axes(axis), keepdims=keep_dims))


def _any_kernel(x, axis, *, keep_dims):
    return np.asarray(np.any(x, axis=_axes(axis), keepdims=keep_dims))


def _all_kernel(x, axis, *, keep_dims):
    return np.asarray(np.all(x, axis=_axes(axis), keepdims=keep_dims))


def _kept_dims_shape(x, axis_tensor):
    """The shape of x with the reduced axes set to 1 (static when possible)."""
    axes_value = axis_tensor.op._const_values[axis_tensor.value_index]
    rank = x.shape.ndims
    if rank is None or axes_value is None:
        raise NotImplementedError(
            f"gradient of a reduction of {x.name} needs its rank and axes known at graph "
            "construction"
        )
    axes = {normalize_axis(int(a), rank, "reduction") for a in np.ravel(axes_value)}
    if x.shape.is_fully_defined():
        return [1 if i in axes else d for i, d in enumerate(x.shape.as_list())]
    dims = _array.shape(x)
    parts = [1 if i in axes else dims[i] for i in range(rank)]
    return _array.stack(parts)


def _broadcast_back(grad, x, axis_tensor):
    if grad.shape.ndims == 0:  # a full reduction: the scalar broadcasts as it is
        return broadcast_to(grad, _array.shape(x))
    kept = _array.reshape(grad, _kept_dims_shape(x, axis_tensor))
    return broadcast_to(kept, _array.shape(x))


def _sum_grad(op, grad):
    """d_x = grad broadcast back over the reduced axes."""
    x, axis = op.inputs
    return [_broadcast_back(grad, x, axis), None]


def _mean_grad(op, grad):
    """d_x = grad broadcast back over the reduced axes, divided by their size."""
    x, axis = op.inputs
    y = op.outputs[0]
    count = cast(
        real_div(cast(_array.size(x), _dt.float64), cast(maximum(_array.size(y), 1), _dt.float64)),
        grad.dtype,
    )
    return [real_div(_broadcast_back(grad, x, axis), count), None]


def _prod_grad(op, grad):
    """d_x = grad * prod / x (x without zeros)."""
    x, axis = op.inputs
    y = op.outputs[0]
    back = _broadcast_back(grad, x, axis)
    prod_back = _broadcast_back(y, x, axis)
    return [real_div(multiply(back, prod_back), x), None]


def _min_max_grad(op, grad):
    """d_x = grad split equally among the entries equal to the extremum."""
    x, axis = op.inputs
    y = op.outputs[0]
    y_back = _broadcast_back(y, x, axis)
    hits = cast(equal(x, y_back), grad.dtype)
    counts = _broadcast_back(_reduce("Sum", hits, axis, False, None), x, axis)
    return [real_div(multiply(_broadcast_back(grad, x, axis), hits), counts), None]


for _type, _kernel, _grad, _types in (
    ("Sum", _sum_kernel, _sum_grad, _NUM + _dt.COMPLEX),
    ("Mean", _mean_kernel, _mean_grad, _NUM),
    ("Prod", _prod_kernel, _prod_grad, _NUM),
    ("Max", _max_kernel, _min_max_grad, _NUM),
    ("Min", _min_kernel, _min_max_grad, _NUM),
    ("Any", _any_kernel, NOT_DIFFERENTIABLE, (_dt.bool_,)),
    ("All", _all_kernel, NOT_DIFFERENTIABLE, (_dt.bool_,)),
):
    register_op(
        OpDef(
            _type,
            inputs=["input: T", "reduction_indices: Tidx"],
            outputs=["output: T"],
            types={"T": _types, "Tidx": _INDEX},
            attrs={"keep_dims": False},
            infer=_reduce_infer(_type),
            kernel=_kernel,
            grad=_grad,
        )
    )


def _reduce(op_type, x, axis, keepdims, name):
    x = convert_to_tensor(x)
    if axis is None:
        if x.shape.ndims is not None:
            axis = np.arange(x.shape.ndims, dtype=np.int32)
        else:
            axis = range_(0, _array.rank(x))
    elif not isinstance(axis, Tensor):
        axis = np.asarray(axis, dtype=np.int32)
    return apply_op(op_type, [x, axis], {"keep_dims": bool(keepdims)}, name=name).outputs[0]


def _reduction(op_type, default_name):
    def reduce_fn(
        input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
    ):
        if axis is not None and reduction_indices is not None:
            raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
        if keepdims is not None and keep_dims is not None:
            raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
        axis = reduction_indices if axis is None else axis
        keep = bool(keepdims if keepdims is not None else keep_dims)
        out = _reduce(op_type, input_tensor, axis, keep, name or default_name)
        if axis is None and not keep and out.shape.ndims is None:
            out.set_shape([])  # all axes of a tensor of unknown rank: a scalar, as TF says
        return out

    reduce_fn.__name__ = default_name
    reduce_fn.__doc__ = f"Reduces `input_tensor` along `axis` with {op_type} (all axes if None)."
    return reduce_fn


reduce_sum = _reduction("Sum", "Sum")
reduce_mean = _reduction("Mean", "Mean")
reduce_prod = _reduction("Prod", "Prod")
reduce_max = _reduction("Max", "Max")
reduce_min = _reduction("Min", "Min")
reduce_any = _reduction("Any", "Any")
reduce_all = _reduction("All", "All")


# BroadcastTo and Range ----------------------------------------------------------------------------
def _broadcast_to_infer(x, shape):
    if shape.value is None:
        return TensorSpec(x.dtype, TensorShape(None))
    target = TensorShape(shape.value.tolist())
    broadcast_shape(x.shape, target, "BroadcastTo")
    return TensorSpec(x.dtype, target)


def _broadcast_to_kernel(x, shape):
    try:
        return np.broadcast_to(x, tuple(shape))
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"Incompatible shapes: {list(np.shape(x))} vs. {list(shape)}"
        ) from None


def _broadcast_to_grad(op, grad):
    """d_x = grad summed back to x's shape."""
    return [reduce_to_shape(grad, op.inputs[0]), None]


register_op(
    OpDef(
        "BroadcastTo",
        inputs=["input: T", "shape: Tidx"],
        outputs=["output: T"],
        types={"T": (), "Tidx": _INDEX},
        infer=_broadcast_to_infer,
        kernel=_broadcast_to_kernel,
        grad=_broadcast_to_grad,
    )
)


def broadcast_to(input, shape, name=None) -> Tensor:
    """`input` broadcast to `shape`."""
    return apply_op("BroadcastTo", [input, shape], name=name).outputs[0]


def _range_infer(start, limit, delta):
    if start.value is not None and limit.value is not None and delta.value is not None:
        n = len(np.arange(start.value, limit.value, delta.value))
        return TensorSpec(start.dtype, TensorShape([n]))
    return TensorSpec(start.dtype, TensorShape([None]))


def _range_kernel(start, limit, delta):
    if delta == 0:
        raise InvalidArgumentError(None, None, "Requires delta != 0: 0")
    return np.arange(start, limit, delta, dtype=np.asarray(start).dtype)


register_op(
    OpDef(
        "Range",
        inputs=["start: Tidx", "limit: Tidx", "delta: Tidx"],
        outputs=["output: Tidx"],
        types={"Tidx": (_dt.int32, _dt.int64, _dt.float32, _dt.float64)},
        infer=_range_infer,
        kernel=_range_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def range_(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:
    """`tf.range`: [start, limit) in steps of delta (start defaults to 0)."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:  # TF's rule: the widest of the arguments' types
        order = [_dt.int32, _dt.int64, _dt.float32, _dt.float64]
        kinds = [v.dtype if isinstance(v, Tensor) else _dt.infer_dtype(v)
                 for v in (start, limit, delta)]  # fmt: skip
        ranked = [k for k in kinds if k in order]
        if ranked:
            dtype = max(ranked, key=order.index)
    if dtype is not None:
        start, limit, delta = (
            cast(v, dtype) if isinstance(v, Tensor) else np.asarray(v, _dt.as_dtype(dtype).np)
            for v in (start, limit, delta)
        )
    return apply_op("Range", [start, limit, delta], name=name).outputs[0]


# Tensor operator overloads ------------------------------------------------------------------------
def _binary_operator(fn, op_name, reflected=False):
    def method(self, other):
        if reflected:
            x, y = _pair(other, self)
        else:
            x, y = _pair(self, other)
        if x.dtype is not y.dtype:
            raise _mismatch(op_name, x, y)
        return fn(x, y, name=op_name)

    return method


def _install_operators() -> None:
    pairs = {
        "add": (add, "add"),
        "sub": (subtract, "sub"),
        "mul": (multiply, "mul"),
        "truediv": (truediv, "truediv"),
        "floordiv": (floordiv, "floordiv"),
        "mod": (floormod, "mod"),
        "pow": (pow, "pow"),
        "matmul": (matmul, "MatMul"),
        "and": (logical_and, "and"),
        "or": (logical_or, "or"),
        "xor": (logical_xor, "xor"),
    }
    for key, (fn, op_name) in pairs.items():
        setattr(Tensor, f"__{key}__", _binary_operator(fn, op_name))
        setattr(Tensor, f"__r{key}__", _binary_operator(fn, op_name, reflected=True))
    for key, fn in (("lt", less), ("le", less_equal), ("gt", greater), ("ge", greater_equal)):
        setattr(Tensor, f"__{key}__", _binary_operator(fn, key.capitalize()))
    setattr(Tensor, "__neg__", lambda self: negative(self, name="Neg"))  # noqa: B010
    setattr(Tensor, "__abs__", lambda self: abs(self, name="Abs"))  # noqa: B010
    setattr(Tensor, "__invert__", lambda self: logical_not(self, name="LogicalNot"))  # noqa: B010
    setattr(Tensor, "__getitem__", _array.slice_helper)  # noqa: B010


_install_operators()


# AddN, UnsortedSegmentSum -------------------------------------------------------------------------
def _add_n_infer(inputs):
    shape = TensorShape(None)
    for s in inputs:
        shape = shape.merge_with(s.shape)
    return TensorSpec(inputs[0].dtype, shape)


def _add_n_kernel(*inputs):
    total = inputs[0].copy() if isinstance(inputs[0], np.ndarray) else inputs[0]
    for x in inputs[1:]:
        total = total + x
    return total


def _add_n_grad(op, grad):
    """d_inputs[i] = grad."""
    return [grad] * len(op.inputs)


register_op(
    OpDef(
        "AddN",
        inputs=["inputs: N*T"],
        outputs=["sum: T"],
        types={"T": _NUM + _dt.COMPLEX},
        infer=_add_n_infer,
        kernel=_add_n_kernel,
        grad=_add_n_grad,
    )
)


def add_n(inputs, name=None) -> Tensor:
    """The elementwise sum of a list of same-shape tensors."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError(
            "inputs must be a list of at least one Tensor with the same dtype and shape"
        )
    if len(inputs) == 1:
        return _array.identity(inputs[0], name=name) if name else convert_to_tensor(inputs[0])
    return apply_op("AddN", [list(inputs)], name=name).outputs[0]


def _segment_sum_infer(data, segment_ids, num_segments):
    n = None if num_segments.value is None else int(num_segments.value)
    if data.shape.ndims is None or segment_ids.shape.ndims is None:
        return TensorSpec(data.dtype, TensorShape(None))
    rest = data.shape.as_list()[segment_ids.shape.ndims :]
    return TensorSpec(data.dtype, TensorShape([n] + rest))


def _segment_sum_kernel(data, segment_ids, num_segments):
    n = int(num_segments)
    ids = np.asarray(segment_ids).ravel()
    if ids.size and ids.max() >= n:
        raise InvalidArgumentError(
            None,
            None,
            f"segment_ids[{int(np.argmax(ids >= n))}] = {int(ids.max())} is out of range [0, {n})",
        )
    rows = np.asarray(data).reshape((ids.size,) + np.shape(data)[np.ndim(segment_ids) :])
    return segment_reduce(np.add, rows, ids, n, 0)


def _segment_sum_grad(op, grad):
    """d_data = gather(grad, segment_ids) (zero for negative ids)."""
    _, ids, _ = op.inputs
    safe = maximum(ids, _array.zeros_like(ids))
    gathered = _array.gather(grad, safe)
    valid = greater_equal(ids, _array.zeros_like(ids))
    if gathered.shape.ndims is not None and ids.shape.ndims is not None:
        extra = gathered.shape.ndims - ids.shape.ndims
        mask = valid
        for _ in range(extra):
            mask = _array.expand_dims(mask, -1)
        mask = cast(mask, grad.dtype)
        return [multiply(gathered, mask), None, None]
    return [gathered, None, None]


register_op(
    OpDef(
        "UnsortedSegmentSum",
        inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
        outputs=["output: T"],
        types={"T": _NUM, "Tindices": _INDEX, "Tnumsegments": _INDEX},
        infer=_segment_sum_infer,
        kernel=_segment_sum_kernel,
        grad=_segment_sum_grad,
    )
)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None) -> Tensor:
    """Sums the rows of `data` into `num_segments` rows by `segment_ids`."""
    return apply_op("UnsortedSegmentSum", [data, segment_ids, num_segments], name=name).outputs[0]


# ArgMax, ArgMin -----------------------------------------------------------------------------------
def _arg_infer(op_type):
    def infer(x, dimension, *, output_type):
        if x.shape.ndims is None or dimension.value is None:
            return TensorSpec(_dt.as_dtype(output_type), TensorShape(None))
        a = normalize_axis(int(dimension.value), x.shape.ndims, op_type)
        dims = [d for i, d in enumerate(x.shape.as_list()) if i != a]
        return TensorSpec(_dt.as_dtype(output_type), TensorShape(dims))

    return infer


def _arg_kernel(np_fn):
    def kernel(x, dimension, *, output_type):
        a = int(dimension)
        if x.shape[a] == 0:
            raise InvalidArgumentError(None, None, "Reduction axis is empty")
        return np_fn(x, axis=a).astype(output_type)

    return kernel


for _type, _fn in (("ArgMax", np.argmax), ("ArgMin", np.argmin)):
    register_op(
        OpDef(
            _type,
            inputs=["input: T", "dimension: Tidx"],
            outputs=["output: output_type"],
            types={"T": _NUM + (_dt.bool_,), "Tidx": _INDEX},
            attrs={"output_type": "int64"},
            infer=_arg_infer(_type),
            kernel=_arg_kernel(_fn),
            grad=NOT_DIFFERENTIABLE,
            prepare=lambda kw: {"output_type": np.dtype(kw["output_type"])},
        )
    )


def _arg(op_type, input, axis, name, dimension, output_type):
    if axis is not None and dimension is not None:
        raise ValueError("Cannot specify both 'axis' and 'dimension'")
    axis = dimension if axis is None else axis
    axis = 0 if axis is None else axis
    return apply_op(
        op_type, [input, axis], {"output_type": _dt.as_dtype(output_type).name}, name=name
    ).outputs[0]


def argmax(input, axis=None, name=None, dimension=None, output_type=_dt.int64) -> Tensor:
    """The index of the largest value along `axis` (the first one on ties)."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=_dt.int64) -> Tensor:
    """The index of the smallest value along `axis` (the first one on ties)."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)


# Cumsum, Cumprod ----------------------------------------------------------------------------------
def _register_scan(op_type, scan, identity, grad):
    """A cumulative op (np.cumsum, np.cumprod along `axis`) with TF's exclusive and reverse."""

    def infer(x, axis, *, exclusive, reverse):
        if x.shape.ndims is not None and axis.value is not None:
            normalize_axis(int(axis.value), x.shape.ndims, op_type)
        return TensorSpec(x.dtype, x.shape)

    def kernel(x, axis, *, exclusive, reverse):
        a = int(axis)
        if reverse:
            x = np.flip(x, a)
        out = scan(x, axis=a, dtype=x.dtype)
        if exclusive:
            out = np.roll(out, 1, axis=a)
            index = [slice(None)] * out.ndim
            index[a] = 0
            out[tuple(index)] = identity
        return np.flip(out, a) if reverse else out

    register_op(
        OpDef(
            op_type,
            inputs=["x: T", "axis: Tidx"],
            outputs=["out: T"],
            types={"T": _NUM, "Tidx": _INDEX},
            attrs={"exclusive": False, "reverse": False},
            infer=infer,
            kernel=kernel,
            grad=grad,
        )
    )


def _scan(op_type, x, axis, exclusive, reverse, name) -> Tensor:
    attrs = {"exclusive": bool(exclusive), "reverse": bool(reverse)}
    return apply_op(op_type, [x, axis], attrs, name=name).outputs[0]


def _cumsum_grad(op, grad):
    """d_x = cumsum of grad in the opposite direction."""
    exclusive, reverse = op.get_attr("exclusive"), op.get_attr("reverse")
    return [cumsum(grad, op.inputs[1], exclusive=exclusive, reverse=not reverse), None]


def _cumprod_grad(op, grad):
    """As TF: d_x = cumsum(cumprod(x) * grad in the opposite direction) / x (x nonzero)."""
    x, axis = op.inputs
    exclusive, reverse = op.get_attr("exclusive"), op.get_attr("reverse")
    prod = cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = cumsum(multiply(prod, grad), axis, exclusive=exclusive, reverse=not reverse)
    return [real_div(out, x), None]


_register_scan("Cumsum", np.cumsum, 0, _cumsum_grad)
_register_scan("Cumprod", np.cumprod, 1, _cumprod_grad)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative sum along `axis`."""
    return _scan("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative product along `axis`."""
    return _scan("Cumprod", x, axis, exclusive, reverse, name)


# where (TF 1.x semantics) -------------------------------------------------------------------------
def where(condition, x=None, y=None, name=None) -> Tensor:
    """With only `condition`: the coordinates of its true elements ([N, rank] int64). With
    `x` and `y`: elements of x where condition, else of y; `condition` has x's shape or is
    a vector selecting rows."""
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    if x is None:
        return apply_op("Where", [condition], name=name).outputs[0]
    x, y = _pair(x, y)
    cond = convert_to_tensor(condition)
    if (
        cond.shape.ndims is not None
        and x.shape.ndims is not None
        and cond.shape.ndims not in (1, x.shape.ndims)
        and cond.shape.ndims != 0
    ):
        raise ValueError(
            f"Shapes must be equal rank, but are {cond.shape.ndims} and "
            f"{x.shape.ndims} for 'Select'"
        )
    return apply_op("Select", [cond, x, y], name=name).outputs[0]
