"""Checks and prints inside a graph: `Assert` (InvalidArgumentError "assertion failed: ..."
when its condition is false, showing its data) with TF1's `assert_*` family built on it, and
`Print` (its input, unchanged, after writing the data to stderr). Both are stateful: never
folded away, and run when something depends on them (`tf.control_dependencies`).
"""

from __future__ import annotations

import sys

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from . import control_flow as _control_flow, math as _math


def _show(value, summarize: int) -> str:
    """A value as TF shows it in an assertion or Print message: `[text]`, `[1 -2 0.5]`,
    the first `summarize` elements then `...`."""
    value = np.asarray(value)
    if value.dtype == object or value.dtype.kind in "SU":
        items = [v.decode() if isinstance(v, bytes) else str(v) for v in value.ravel()]
    else:
        items = [f"{v:g}" if value.dtype.kind == "f" else str(v) for v in value.ravel()]
    more = "..." if len(items) > summarize and value.ndim else ""
    return "[" + " ".join(items[: summarize if value.ndim else 1]) + more + "]"


# Assert -------------------------------------------------------------------------------------------
def _assert_kernel(state, condition, *data, summarize):
    if not np.all(condition):
        message = " ".join(_show(d, summarize) for d in data)
        raise InvalidArgumentError(None, None, f"assertion failed: {message}")
    return None


register_op(
    OpDef(
        "Assert",
        inputs=["condition: bool", "data: N*any"],
        outputs=[],
        attrs={"summarize": 3},
        infer=lambda *a, **k: [],
        kernel=_assert_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's name
    """An op that fails the step with `data` in its message when `condition` is false."""
    inputs = [convert_to_tensor(condition, dtype=_dt.bool_), [convert_to_tensor(d) for d in data]]
    attrs = {"summarize": 3 if summarize is None else int(summarize)}
    return apply_op("Assert", inputs, attrs, name=name or "Assert")


def _compare(check, x, y, data, summarize, message, name, default_name, relation):
    with name_scope(name, default_name):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
        condition = _math.reduce_all(check(x, y))
        if data is None:
            data = [
                message or "",
                f"Condition x {relation} y did not hold element-wise:",
                f"x ({x.name}) = ", x,
                f"y ({y.name}) = ", y,
            ]  # fmt: skip
        return Assert(condition, data, summarize=summarize)


def _comparison(check, default_name, relation):
    def assert_fn(x, y, data=None, summarize=None, message=None, name=None):
        return _compare(check, x, y, data, summarize, message, name, default_name, relation)

    assert_fn.__name__ = default_name
    assert_fn.__doc__ = f"An Assert op that every element of x {relation} y (broadcast)."
    return assert_fn


assert_equal = _comparison(_math.equal, "assert_equal", "==")
assert_none_equal = _comparison(_math.not_equal, "assert_none_equal", "!=")
assert_less = _comparison(_math.less, "assert_less", "<")
assert_less_equal = _comparison(_math.less_equal, "assert_less_equal", "<=")
assert_greater = _comparison(_math.greater, "assert_greater", ">")
assert_greater_equal = _comparison(_math.greater_equal, "assert_greater_equal", ">=")


def _sign_check(relation, check, default_name):
    def assert_fn(x, data=None, summarize=None, message=None, name=None):
        x = convert_to_tensor(x, name="x")
        zero = np.zeros((), x.dtype.np)
        return _compare(check, x, zero, data, summarize, message, name, default_name, relation)

    assert_fn.__name__ = default_name
    assert_fn.__doc__ = f"An Assert op that every element of x {relation} 0."
    return assert_fn


assert_positive = _sign_check(">", _math.greater, "assert_positive")
assert_negative = _sign_check("<", _math.less, "assert_negative")
assert_non_negative = _sign_check(">=", _math.greater_equal, "assert_non_negative")
assert_non_positive = _sign_check("<=", _math.less_equal, "assert_non_positive")


def assert_rank(x, rank, message=None, name=None):
    """Checks the static rank of `x` (ValueError now); a no-op to depend on."""
    x = convert_to_tensor(x)
    if x.shape.ndims is not None and x.shape.ndims != int(rank):
        raise ValueError(
            f"{message or ''} Tensor {x.name} must have rank {int(rank)}. "
            f"Received rank {x.shape.ndims}, shape {x.shape}".strip()
        )
    return _control_flow.no_op(name=name or "assert_rank")


def assert_scalar(tensor, name=None, message=None):
    """`tensor` when it is a scalar (static check: ValueError otherwise)."""
    tensor = convert_to_tensor(tensor)
    if tensor.shape.ndims not in (None, 0):
        text = f"Expected scalar shape for {tensor.name}, saw shape: {tensor.shape}"
        raise ValueError(f"{message} {text}" if message else text)
    return tensor


def assert_type(tensor, tf_type, message=None, name=None):
    """Checks the dtype of `tensor` (static: TypeError); a no-op to depend on."""
    tensor = convert_to_tensor(tensor)
    if tensor.dtype.base_dtype != _dt.as_dtype(tf_type):
        raise TypeError(
            f"{message or ''} {tensor.name} must be of type {_dt.as_dtype(tf_type).name}; "
            f"got {tensor.dtype.name}".strip()
        )
    return _control_flow.no_op(name=name or "assert_type")


def assert_integer(x, message=None, name=None):
    """Checks that `x` has an integer dtype (static: TypeError); a no-op to depend on."""
    x = convert_to_tensor(x)
    if not x.dtype.is_integer:
        raise TypeError(f"{message or ''} Expected integer type for {x.name}, got {x.dtype.name}"
                        .strip())  # fmt: skip
    return _control_flow.no_op(name=name or "assert_integer")


# Print --------------------------------------------------------------------------------------------
def _print_kernel(state, input, *data, message, summarize):
    text = message + "".join(_show(d, summarize) for d in data)
    print(text, file=sys.stderr, flush=True)
    return input


register_op(
    OpDef(
        "Print",
        inputs=["input: T", "data: N*any"],
        outputs=["output: T"],
        types={"T": ()},
        attrs={"message": "", "summarize": 3},
        infer=lambda x, *data, **k: TensorSpec(x.dtype, x.shape),
        kernel=_print_kernel,
        grad=lambda op, grad: [grad] + [None] * (len(op.inputs) - 1),
        stateful=True,
    )
)


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802
    """`input_`, unchanged, after printing `message` and `data` to stderr each time it runs
    (`first_n` is accepted; every run prints)."""
    inputs = [convert_to_tensor(input_), [convert_to_tensor(d) for d in data]]
    attrs = {"message": message or "", "summarize": 3 if summarize is None else int(summarize)}
    return apply_op("Print", inputs, attrs, name=name).outputs[0]


def verify_tensor_all_finite(t, msg, name=None):
    """`t`, failing the step with `msg` when it holds a NaN or an infinity."""
    return _math.check_numerics(t, msg, name=name)


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """An Assert op that x and y are close elementwise: |x - y| <= atol + rtol * |y| (by
    default 10 times the dtype's resolution for both, as TF)."""
    with name_scope(name, "assert_near"):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
        eps = float(np.finfo(x.dtype.np).eps) if x.dtype.is_floating else 0.0
        rtol = 10 * eps if rtol is None else rtol
        atol = 10 * eps if atol is None else atol
        diff = _math.abs(_math.subtract(x, y))
        bound = _math.add(atol, _math.multiply(rtol, _math.abs(y)))
        condition = _math.reduce_all(_math.less_equal(diff, bound))
        if data is None:
            data = [
                message or "",
                f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}",
                f"x ({x.name}) = ", x,
                f"y ({y.name}) = ", y,
            ]  # fmt: skip
        return Assert(condition, data, summarize=summarize)


def _static_rank_check(x, ok, wanted, message, name, default_name):
    x = convert_to_tensor(x)
    if x.shape.ndims is not None and not ok(x.shape.ndims):
        raise ValueError(
            f"{message or ''} Tensor {x.name} must have rank {wanted}. "
            f"Received rank {x.shape.ndims}, shape {x.shape}".strip()
        )
    return _control_flow.no_op(name=name or default_name)


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that the static rank of `x` is at least `rank` (ValueError now)."""
    return _static_rank_check(x, lambda n: n >= int(rank), f"at least {int(rank)}", message,
                              name, "assert_rank_at_least")  # fmt: skip


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """Checks that the static rank of `x` is one of `ranks` (ValueError now)."""
    wanted = [int(r) for r in ranks]
    return _static_rank_check(x, lambda n: n in wanted, f"in {wanted}", message, name,
                              "assert_rank_in")  # fmt: skip


def assert_proper_iterable(values):
    """TypeError unless `values` is an iterable other than a string or a tensor."""
    from ..framework import Tensor

    if isinstance(values, (str, bytes, np.ndarray, Tensor)) or not hasattr(values, "__iter__"):
        raise TypeError(f"Expected argument 'values' to be iterable.  Found: {type(values)}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """The one floating dtype of `tensors` (and `dtype`), float32 when none is given;
    ValueError when they differ or are not floating."""
    found = _dt.as_dtype(dtype) if dtype is not None else None
    for t in tensors or []:
        t_dtype = t.dtype.base_dtype
        if found is not None and t_dtype != found:
            raise ValueError(f"{t.name}, type={t_dtype.name}: expected type {found.name}.")
        found = t_dtype
    found = found or _dt.float32
    if not found.is_floating:
        raise ValueError(f"Expected floating point type, got {found.name}.")
    return found


def _timestamp_kernel(state, op_name=None):
    import time

    return np.float64(time.time())


register_op(
    OpDef(
        "Timestamp",
        inputs=[],
        outputs=["ts: float64"],
        infer=lambda: TensorSpec(_dt.float64, _scalar_shape()),
        kernel=_timestamp_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def _scalar_shape():
    from ..shapes import TensorShape

    return TensorShape([])


def timestamp(name=None):
    """The time the op runs, in seconds since the epoch (float64)."""
    return apply_op("Timestamp", [], name=name).outputs[0]
