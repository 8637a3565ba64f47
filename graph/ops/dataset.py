"""Iterator ops of `tf.data` (graph/data.py builds datasets and runs their pipelines).

`MakeIterator` creates an iterator over a dataset in the process that runs it (its
VariableStore's `iterators`, by the iterator's shared name) from the dataset's description
(plain data) and its input tensors; `IteratorGetNext` returns the next element's
components, raising OutOfRangeError("End of sequence") at the end. A one-shot iterator's
GetNext carries the description and inputs itself and makes the iterator on first use. On a
cluster both run where the device function puts them (a worker task), so each worker reads
its own data without a trip through the client.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError, OutOfRangeError
from ..framework import apply_op
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

# graph/data.py sets this: pipeline(spec, inputs) -> an iterator of element tuples.
PIPELINE: dict[str, Callable | None] = {"build": None}


def _build(spec, inputs):
    build = PIPELINE["build"]
    if build is None:  # pragma: no cover - graph/data.py is imported with psflow
        raise FailedPreconditionError(None, None, "tf.data is not loaded in this process")
    return build(spec, list(inputs))


def _make_kernel(state, *inputs, shared_name, spec):
    with state.store._lock:
        state.store.iterators[shared_name] = _build(spec, inputs)
    return None


register_op(
    OpDef(
        "MakeIterator",
        inputs=["components: N*any"],
        outputs=[],
        attrs={"shared_name": "", "spec": {}},
        infer=lambda *a, **k: [],
        kernel=_make_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def make_iterator(inputs, shared_name, spec, name=None):
    attrs = {"shared_name": shared_name, "spec": spec}
    return apply_op("MakeIterator", [list(inputs)], attrs, name=name or "MakeIterator")


def _get_next_infer(*inputs, shared_name, spec, output_types, output_shapes, one_shot):
    return [
        TensorSpec(_dt.as_dtype(t), TensorShape(s)) for t, s in zip(output_types, output_shapes)
    ]


def _iterator(state, inputs, shared_name, spec, one_shot):
    """The iterator `shared_name` of this process (a one-shot one made on first use)."""
    store = state.store
    it = store.iterators.get(shared_name)
    if it is None:
        if not one_shot:
            raise FailedPreconditionError(
                None,
                None,
                "GetNext() failed because the iterator has not been initialized. Ensure that "
                "you have run the initializer operation for this iterator before getting the "
                "next element.",
            )
        with store._lock:
            it = store.iterators.setdefault(shared_name, _build(spec, inputs))
    return it


def _get_next_kernel(state, *inputs, shared_name, spec, output_types, output_shapes, one_shot):
    it = _iterator(state, inputs, shared_name, spec, one_shot)
    return _next_element(it, output_types, output_shapes)


def _next_element(it, output_types, output_shapes):
    try:
        element = next(it)
    except StopIteration:
        raise OutOfRangeError(None, None, "End of sequence") from None
    out = []
    for value, dtype, shape in zip(element, output_types, output_shapes):
        value = np.asarray(value, dtype=_dt.as_dtype(dtype).np)
        if shape is not None and (
            value.ndim != len(shape) or any(d is not None and d != v for d, v in
                                            zip(shape, value.shape))
        ):  # fmt: skip
            raise InvalidArgumentError(
                None,
                None,
                f"An element of shape {list(value.shape)} does not match the iterator's "
                f"output shape {shape}",
            )
        out.append(value)
    return tuple(out)


register_op(
    OpDef(
        "IteratorGetNext",
        inputs=["components: N*any"],
        outputs=["components: N*any"],
        attrs={
            "shared_name": "",
            "spec": {},
            "output_types": [],
            "output_shapes": [],
            "one_shot": False,
        },  # fmt: skip
        infer=_get_next_infer,
        kernel=_get_next_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def get_next(inputs, shared_name, spec, output_types, output_shapes, one_shot, name=None):
    attrs = {
        "shared_name": shared_name,
        "spec": spec if one_shot else {},
        "output_types": [_dt.as_dtype(t).name for t in output_types],
        "output_shapes": [s.as_list() if s.ndims is not None else None for s in output_shapes],
        "one_shot": bool(one_shot),
    }
    op = apply_op(
        "IteratorGetNext", [list(inputs) if one_shot else []], attrs, name=name or "IteratorGetNext"
    )
    return list(op.outputs)


# String handles (feedable iterators) ----------------------------------------------------------
def _to_handle_kernel(state, *inputs, shared_name, spec, one_shot):
    if one_shot:
        _iterator(state, inputs, shared_name, spec, one_shot)
    return np.array(shared_name.encode(), dtype=object)


register_op(
    OpDef(
        "IteratorToStringHandle",
        inputs=["components: N*any"],
        outputs=["string_handle: string"],
        attrs={"shared_name": "", "spec": {}, "one_shot": False},
        infer=lambda *a, **k: TensorSpec(_dt.string, TensorShape([])),
        kernel=_to_handle_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def to_string_handle(inputs, shared_name, spec, one_shot, name=None):
    attrs = {"shared_name": shared_name, "spec": spec if one_shot else {},
             "one_shot": bool(one_shot)}  # fmt: skip
    args = [list(inputs) if one_shot else []]
    return apply_op("IteratorToStringHandle", args, attrs, name=name).outputs[0]


def _handle_get_next_kernel(state, handle, *, output_types, output_shapes):
    name = handle.item() if isinstance(handle, np.ndarray) else handle
    name = name.decode() if isinstance(name, bytes) else str(name)
    it = state.store.iterators.get(name)
    if it is None:
        raise InvalidArgumentError(
            None, None, f"Iterator handle {name!r} names no iterator of this process (run "
            "its string_handle() or initializer first, in the same task)")  # fmt: skip
    return _next_element(it, output_types, output_shapes)


def _handle_get_next_infer(handle, *, output_types, output_shapes):
    return [TensorSpec(_dt.as_dtype(t), TensorShape(s))
            for t, s in zip(output_types, output_shapes)]  # fmt: skip


register_op(
    OpDef(
        "IteratorFromStringHandleGetNext",
        inputs=["string_handle: string"],
        outputs=["components: N*any"],
        attrs={"output_types": [], "output_shapes": []},
        infer=_handle_get_next_infer,
        kernel=_handle_get_next_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def handle_get_next(handle, output_types, output_shapes, name=None):
    attrs = {
        "output_types": [_dt.as_dtype(t).name for t in output_types],
        "output_shapes": [s.as_list() if s.ndims is not None else None for s in output_shapes],
    }
    op = apply_op("IteratorFromStringHandleGetNext", [handle], attrs,
                  name=name or "IteratorGetNext")  # fmt: skip
    return list(op.outputs)
