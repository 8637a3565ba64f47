"""TF1's queues (the input pipeline before tf.data): FIFOQueue and RandomShuffleQueue.

A queue lives in the VariableStore of the process that runs its ops (`store.queues`, by
its shared name) and is made by its first op. Enqueue waits while the queue is full,
dequeue while it is empty (or holds fewer than min_after_dequeue more), both as TF: until
the queue is closed, when a dequeue that cannot be served raises OutOfRangeError. Waiting
needs other threads to run steps meanwhile (QueueRunner threads, graph/queue_runner.py),
which the in-process Session allows; a cluster task runs one stage at a time, so queue ops
are for the in-process runtime (a queue op placed on a cluster task raises Unimplemented).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import CancelledError, InvalidArgumentError, OutOfRangeError
from ..framework import apply_op, convert_to_tensor
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape

WAIT_S = 0.05  # how often a waiting op wakes to see the queue closed


class _Queue:
    def __init__(self, capacity, min_after_dequeue, shuffle, seed, kind="fifo"):
        self.kind = kind
        self.capacity = capacity
        self.min_after_dequeue = min_after_dequeue
        self.items: list[tuple] = []
        self.closed = False
        self.cancelled = False
        self.cond = threading.Condition()
        self.rng = np.random.default_rng(None if seed == 0 else seed) if shuffle else None

    def put(self, rows: list[tuple], name: str) -> None:
        with self.cond:
            for row in rows:
                while len(self.items) >= self.capacity and not self.closed:
                    self.cond.wait(WAIT_S)
                if self.closed:
                    raise CancelledError(None, None, f"Queue '{name}' is closed.")
                self.items.append(row)
                self.cond.notify_all()

    def take(self, n: int, up_to: bool, name: str) -> list[tuple]:
        with self.cond:
            while True:
                keep = 0 if self.closed else self.min_after_dequeue
                if len(self.items) - keep >= n:
                    break
                if self.closed:
                    if up_to and self.items:
                        n = len(self.items)
                        break
                    raise OutOfRangeError(
                        None,
                        None,
                        f"{'FIFOQueue' if self.rng is None else 'RandomShuffleQueue'} '{name}' "
                        f"is closed and has insufficient elements (requested {n}, current size "
                        f"{len(self.items)})",
                    )
                self.cond.wait(WAIT_S)
            out = []
            for _ in range(n):
                if self.kind == "priority":  # the lowest priority first
                    k = min(range(len(self.items)), key=lambda i: int(self.items[i][0]))
                else:
                    k = 0 if self.rng is None else int(self.rng.integers(len(self.items)))
                out.append(self.items.pop(k))
            self.cond.notify_all()
            return out


_ATTRS = {
    "shared_name": "",
    "capacity": -1,
    "min_after_dequeue": 0,
    "shuffle": False,
    "seed": 0,
    "component_types": [],
    "shapes": [],
    "kind": "fifo",
}


def _queue(state, shared_name, capacity, min_after_dequeue, shuffle, seed, kind="fifo", **_):
    store = state.store
    with store._lock:
        q = store.queues.get(shared_name)
        if q is None:
            cap = capacity if capacity > 0 else 2**31
            q = store.queues[shared_name] = _Queue(cap, min_after_dequeue, shuffle, seed, kind)
    return q


def _padded_stack(parts):
    """The components stacked, each padded (zeros, or b"" for strings) to the largest
    shape among them (PaddingFIFOQueue's dequeue_many)."""
    arrays = [np.asarray(p) for p in parts]
    top = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else ()
    fill = b"" if arrays[0].dtype == object else 0
    out = np.full((len(arrays), *top), fill, dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[(i, *(slice(0, d) for d in a.shape))] = a
    return out


def _enqueue_kernel(state, *components, many, **attrs):
    q = _queue(state, **attrs)
    arrays = [np.asarray(c) for c in components]
    if many:
        n = len(arrays[0]) if arrays[0].ndim else 0
        if any(a.ndim == 0 or len(a) != n for a in arrays):
            raise InvalidArgumentError(
                None, None, "enqueue_many: all components must share their first dimension"
            )
        rows = [tuple(a[i] for a in arrays) for i in range(n)]
    else:
        rows = [tuple(arrays)]
    q.put(rows, attrs["shared_name"])
    return None


def _dequeue_kernel(state, n, *, many, up_to, **attrs):
    q = _queue(state, **attrs)
    rows = q.take(int(n) if many else 1, up_to, attrs["shared_name"])
    if many:
        stack = _padded_stack if attrs.get("kind") == "padding" else np.stack
        return tuple(
            stack([r[i] for r in rows]) if rows else np.zeros((0,))
            for i in range(len(attrs["component_types"]))
        )
    return tuple(rows[0])


def _close_kernel(state, *, cancel_pending_enqueues, **attrs):
    q = _queue(state, **attrs)
    with q.cond:
        q.closed = True
        q.cond.notify_all()
    return None


def _size_kernel(state, **attrs):
    q = _queue(state, **attrs)
    with q.cond:
        return np.int32(len(q.items))


def _is_closed_kernel(state, **attrs):
    return np.bool_(_queue(state, **attrs).closed)


def _specs(component_types, shapes, many=False, batch=None):
    """Each component's spec; with `many`, a leading dimension of `batch` (None: unknown)."""
    out = []
    for i, t in enumerate(component_types):
        shape = TensorShape(shapes[i]) if shapes else TensorShape(None)
        if many:
            shape = TensorShape([batch]).concatenate(shape)
        out.append(TensorSpec(_dt.as_dtype(t), shape))
    return out


for _type, _kernel, _inputs, _outputs, _extra, _infer in (
    (
        "QueueEnqueue",
        _enqueue_kernel,
        ["components: N*any"],
        [],
        {"many": False},
        lambda *a, **k: [],
    ),
    (
        "QueueDequeue",
        _dequeue_kernel,
        ["n: int32"],
        ["components: N*any"],
        {"many": False, "up_to": False},
        lambda n, *, component_types, shapes, many, up_to, **_: _specs(
            component_types, shapes, many, None if up_to or n.value is None else int(n.value)
        ),
    ),
    ("QueueClose", _close_kernel, [], [], {"cancel_pending_enqueues": False}, lambda *a, **k: []),
    (
        "QueueSize",
        _size_kernel,
        [],
        ["size: int32"],
        {},
        lambda **k: TensorSpec(_dt.int32, TensorShape([])),
    ),
    (
        "QueueIsClosed",
        _is_closed_kernel,
        [],
        ["is_closed: bool"],
        {},
        lambda **k: TensorSpec(_dt.bool_, TensorShape([])),
    ),
):
    register_op(
        OpDef(
            _type,
            inputs=_inputs,
            outputs=_outputs,
            attrs={**_ATTRS, **_extra},
            infer=_infer,
            kernel=_kernel,
            grad=NOT_DIFFERENTIABLE,
            stateful=True,
        )
    )


class QueueBase:
    """A queue of elements (tuples of tensors of `dtypes`, optionally of fixed `shapes`)."""

    def __init__(
        self,
        capacity,
        dtypes,
        shapes=None,
        names=None,
        shared_name=None,
        name="fifo_queue",
        min_after_dequeue=0,
        shuffle=False,
        seed=None,
        kind="fifo",
    ):
        from ..framework import get_default_graph
        from .random import get_seed

        self._dtypes = [
            _dt.as_dtype(d) for d in (dtypes if isinstance(dtypes, (list, tuple)) else [dtypes])
        ]
        if shapes is not None:
            shapes = [
                TensorShape(s).as_list()
                for s in (
                    shapes
                    if isinstance(shapes, (list, tuple))
                    and shapes
                    and not isinstance(shapes[0], int)
                    else [shapes]
                )
            ]
            if len(shapes) != len(self._dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes")
        self._shapes = shapes
        self._names = names
        graph = get_default_graph()
        self._name = shared_name or graph.unique_name(name)
        s1, s2 = get_seed(seed)
        self._attrs = {
            "shared_name": self._name,
            "capacity": int(capacity),
            "min_after_dequeue": int(min_after_dequeue),
            "shuffle": bool(shuffle),
            "seed": 0 if s1 is None else int(s1) * 1000003 + int(s2),
            "component_types": [d.name for d in self._dtypes],
            "shapes": shapes or [],
            "kind": kind,
        }

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return [TensorShape(s) for s in self._shapes] if self._shapes else None

    def _components(self, vals):
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            vals = [vals[n] for n in self._names]
        if not isinstance(vals, (list, tuple)):
            vals = [vals]
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components, got {len(vals)}")
        return [convert_to_tensor(v, dtype=d) for v, d in zip(vals, self._dtypes)]

    def enqueue(self, vals, name=None):
        return apply_op(
            "QueueEnqueue",
            [self._components(vals)],
            {**self._attrs, "many": False},
            name=name or f"{self._name}_enqueue",
        )

    def enqueue_many(self, vals, name=None):
        return apply_op(
            "QueueEnqueue",
            [self._components(vals)],
            {**self._attrs, "many": True},
            name=name or f"{self._name}_EnqueueMany",
        )

    def _dequeue(self, n, many, up_to, name):
        op = apply_op(
            "QueueDequeue",
            [convert_to_tensor(n, dtype=_dt.int32)],
            {**self._attrs, "many": many, "up_to": up_to},
            name=name,
        )
        out = list(op.outputs)
        if self._names:
            return dict(zip(self._names, out))
        return out[0] if len(out) == 1 else out

    def dequeue(self, name=None):
        return self._dequeue(1, False, False, name or f"{self._name}_Dequeue")

    def dequeue_many(self, n, name=None):
        return self._dequeue(n, True, False, name or f"{self._name}_DequeueMany")

    def dequeue_up_to(self, n, name=None):
        return self._dequeue(n, True, True, name or f"{self._name}_DequeueUpTo")

    def close(self, cancel_pending_enqueues=False, name=None):
        return apply_op(
            "QueueClose",
            [],
            {**self._attrs, "cancel_pending_enqueues": bool(cancel_pending_enqueues)},
            name=name or f"{self._name}_Close",
        )

    def size(self, name=None):
        return apply_op(
            "QueueSize", [], dict(self._attrs), name=name or f"{self._name}_Size"
        ).outputs[0]

    def is_closed(self, name=None):
        return apply_op(
            "QueueIsClosed", [], dict(self._attrs), name=name or f"{self._name}_IsClosed"
        ).outputs[0]


class FIFOQueue(QueueBase):
    def __init__(
        self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"
    ):
        super().__init__(capacity, dtypes, shapes, names, shared_name, name)


class RandomShuffleQueue(QueueBase):
    """Dequeues a uniformly random element, keeping min_after_dequeue back until closed."""

    def __init__(
        self,
        capacity,
        min_after_dequeue,
        dtypes,
        shapes=None,
        names=None,
        seed=None,
        shared_name=None,
        name="random_shuffle_queue",
    ):
        if min_after_dequeue >= capacity:
            raise ValueError("min_after_dequeue must be less than capacity")
        super().__init__(
            capacity, dtypes, shapes, names, shared_name, name, min_after_dequeue, True, seed
        )


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose components may have unknown dimensions (None in `shapes`);
    dequeue_many pads each batch's components to the largest among them (zeros, or empty
    strings)."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):  # fmt: skip
        if shapes is None:
            raise ValueError("PaddingFIFOQueue needs shapes (use None for unknown dimensions)")
        super().__init__(capacity, dtypes, shapes, names, shared_name, name, kind="padding")


class PriorityQueue(QueueBase):
    """A queue whose elements are (int64 priority, *components) and leave lowest priority
    first."""

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None,
                 name="priority_queue"):  # fmt: skip
        types = list(types) if isinstance(types, (list, tuple)) else [types]
        if shapes is not None:
            shapes = [[]] + [list(s) if s is not None else None for s in shapes]
        names = None if names is None else ["priority"] + list(names)
        super().__init__(capacity, [_dt.int64] + types, shapes, names, shared_name, name,
                         kind="priority")  # fmt: skip


def _limit_kernel(count, *, limit):
    if int(count) > limit:
        raise OutOfRangeError(None, None, "Reached limit of epochs")
    return None


register_op(
    OpDef(
        "LimitEpochsCheck",
        inputs=["count: int64"],
        outputs=[],
        attrs={"limit": 0},
        infer=lambda *a, **k: [],
        kernel=_limit_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def limit_epochs_check(count, limit):
    """An op raising OutOfRangeError once `count` exceeds `limit` (tf.train.limit_epochs)."""
    return apply_op("LimitEpochsCheck", [count], {"limit": int(limit)}, name="LimitEpochsCheck")
