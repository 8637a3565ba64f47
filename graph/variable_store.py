"""`VariableStore`: the variables of one process (the in-process Session or one PS actor).

Values are read-only numpy arrays, replaced on every write, so a read is a snapshot: a
value fetched or passed to a later op never changes under it. The one exception is a row
update (`StepState.write_rows`, the sparse optimizer updates and scatters): the first one
after a value was stored copies it into an array private to the store, and later ones
write the rows of that array in place, so a step that touches a few rows of a large table
costs those rows, not the table. Everything that leaves the store leaves as a copy (a
fetch, a Ray transfer) or is told (`on_mutate`: the cluster's cache of object-store
copies). `StepState` is what stateful kernels see during one step: it journals the first
write to each variable (the old array, or the old rows of an in-place update) so a failed
step can be undone (variables stay as they were).
"""

from __future__ import annotations

import threading

import numpy as np

from .dynamic_table import HashTable, TableUndo
from .errors import FailedPreconditionError, InvalidArgumentError


def frozen(value, dtype=None) -> np.ndarray:
    """A read-only copy of `value`, owned by the store."""
    arr = np.array(value, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


class RowUndo:
    """How to undo in-place row updates of one step: the array as it was stored when the
    step began (changed in place since), and the old values of the rows it changed."""

    __slots__ = ("array", "saved")

    def __init__(self, array: np.ndarray):
        self.array = array
        self.saved: list[tuple[np.ndarray, np.ndarray]] = []

    def absorb(self, later: RowUndo) -> None:
        """Adds what a later stage of the same step changed in the same array."""
        self.saved.extend(later.saved)

    def restore(self, store: VariableStore, name: str) -> None:
        """Puts the array back as the variable's value, with its old rows."""
        with _writable(self.array):
            for rows, old in reversed(self.saved):
                self.array[rows] = old
        store._values[name] = self.array
        store._private[name] = self.array
        store._mutated(self.array)


class _writable:
    """Lets an array of the store be written in place for a moment."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __enter__(self):
        self.array.flags.writeable = True

    def __exit__(self, *exc):
        self.array.flags.writeable = False


class VariableStore:
    """Name -> value for the variables this process owns."""

    def __init__(self):
        self._values: dict[str, np.ndarray] = {}
        # name -> its value when that array is the store's own (rows may change in place)
        self._private: dict[str, np.ndarray] = {}
        self._listeners: list = []
        self._staged: dict[str, dict[str, np.ndarray]] = {}
        self._generators: dict[str, np.random.Generator] = {}
        self.iterators: dict = {}  # tf.data iterators by shared name (graph/ops/dataset.py)
        self.queues: dict = {}  # TF1 queues by shared name (graph/ops/queues.py)
        self.readers: dict = {}  # TF1 readers by shared name (graph/ops/readers.py)
        self.accumulators: dict = {}  # conditional accumulators (graph/ops/accumulators.py)
        self.tables: dict = {}  # tf.lookup tables by shared name (graph/ops/lookup.py)
        self.sampler_counts: dict = {}  # learned unigram samplers' class counts, by op
        self._lock = threading.Lock()

    def generator(self, key: str, seed: int, seed2: int) -> np.random.Generator:
        """The random generator of one op, created on first use from its seeds (fresh
        entropy when both are 0)."""
        gen = self._generators.get(key)
        if gen is None:
            entropy = None if seed == 0 and seed2 == 0 else [int(seed), int(seed2)]
            with self._lock:
                gen = self._generators.setdefault(key, np.random.default_rng(entropy))
        return gen

    def stage(self, token: str, values: dict[str, np.ndarray]) -> None:
        """Holds restored values until `unstage` (phase one of a two-phase restore)."""
        with self._lock:
            self._staged.setdefault(token, {}).update(values)

    def unstage(self, token: str) -> dict[str, np.ndarray]:
        with self._lock:
            return self._staged.pop(token, {})

    def get(self, name: str):
        return self._values.get(name)

    def on_mutate(self, listener) -> None:
        """Calls listener(array) whenever rows of a stored array change in place."""
        self._listeners.append(listener)

    def _mutated(self, array: np.ndarray) -> None:
        for listener in self._listeners:
            listener(array)

    def set(self, name: str, value: np.ndarray) -> None:
        """Stores `value`, which the caller hands over (it must not be mutated afterwards)."""
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value.flags.writeable = False
        self._values[name] = value
        self._private.pop(name, None)

    def restore(self, name: str, old) -> None:
        """Puts back what an undo journal holds for `name` (None: it did not exist)."""
        if old is None:
            self.delete(name)
        elif hasattr(old, "restore"):  # RowUndo, or a dynamic table's TableUndo
            old.restore(self, name)
        else:
            self.set(name, old)

    def delete(self, name: str) -> None:
        self._values.pop(name, None)
        self._private.pop(name, None)

    def names(self) -> list[str]:
        return list(self._values)

    def items(self) -> list[tuple[str, np.ndarray]]:
        return list(self._values.items())

    def drop_generators(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._generators if k.startswith(prefix)]:
                del self._generators[key]

    def clear(self) -> None:
        self._values.clear()
        self._private.clear()
        self._generators.clear()
        self.iterators.clear()
        self.queues.clear()
        self.readers.clear()
        self.accumulators.clear()
        self.tables.clear()
        self.sampler_counts.clear()

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __len__(self) -> int:
        return len(self._values)


_UNSET = object()


class StepState:
    """One step's view of a VariableStore, with an undo journal for failed steps."""

    __slots__ = ("store", "journal")

    def __init__(self, store: VariableStore):
        self.store = store
        self.journal: dict[str, np.ndarray | RowUndo | TableUndo | HashTable | None] = {}

    def read(self, name: str) -> np.ndarray:
        value = self.store._values.get(name)
        if value is None:
            raise FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {name}"
            )
        return value

    def table(self, name: str) -> tuple[HashTable, TableUndo | None]:
        """The dynamic table `name` and the record of this step's changes to it (None when
        the step itself created it: undoing that removes the whole table)."""
        table = self.read(name)
        if not isinstance(table, HashTable):
            raise InvalidArgumentError(None, None, f"{name} is not a dynamic embedding table")
        undo = self.journal.get(name, _UNSET)
        if undo is _UNSET:
            undo = self.journal[name] = TableUndo(table)
        return table, undo if isinstance(undo, TableUndo) else None

    def is_initialized(self, name: str) -> bool:
        return name in self.store._values

    def _record(self, name: str) -> None:
        if name not in self.journal:
            self.journal[name] = self.store._values.get(name)

    def assign(self, name: str, value, validate_shape: bool = True) -> np.ndarray:
        old = self.store._values.get(name)
        value = np.asarray(value)
        if validate_shape and old is not None and old.shape != value.shape:
            raise InvalidArgumentError(
                None,
                None,
                f"Assign requires shapes of both tensors to match. lhs shape= {list(old.shape)} "
                f"rhs shape= {list(value.shape)}",
            )
        self._record(name)
        new = frozen(value)
        self.store._values[name] = new
        self.store._private.pop(name, None)
        return new

    def update(self, name: str, fn, value) -> np.ndarray:
        """Writes fn(current, value) (e.g. np.add for AssignAdd); shapes must match."""
        old = self.read(name)
        value = np.asarray(value)
        if value.shape != old.shape and value.size != 1:
            raise InvalidArgumentError(
                None,
                None,
                f"Update of {name} requires shapes to match: {list(old.shape)} vs "
                f"{list(value.shape)}",
            )
        new = np.asarray(fn(old, value)).astype(old.dtype, copy=False)
        return self.write(name, new)

    def write(self, name: str, new: np.ndarray) -> np.ndarray:
        """Stores a freshly computed array (no copy)."""
        self._record(name)
        if isinstance(new, np.ndarray) and new.flags.writeable:
            new.flags.writeable = False
        self.store._values[name] = new
        self.store._private.pop(name, None)
        return new

    def write_rows(self, name: str, rows: np.ndarray, values, old=None) -> np.ndarray:
        """Sets `rows` (unique indices, not changed by the caller afterwards) of variable
        `name` to `values`: in place when the array is the store's own, else on a private
        copy that later row updates then change in place (see the module docstring).
        `old`, if the caller has them, are the rows' current values (a copy)."""
        current = self.read(name)
        journaled = self.journal.get(name, _UNSET)
        private = self.store._private.get(name) is current
        if not private or journaled is current:  # shared, or this step's snapshot of it
            new = current.copy()
            new[rows] = values
            self.write(name, new)
            self.store._private[name] = new
            return new
        if journaled is _UNSET:
            journaled = self.journal[name] = RowUndo(current)
        if isinstance(journaled, RowUndo):
            journaled.saved.append((rows, np.take(current, rows, axis=0) if old is None else old))
        with _writable(current):
            current[rows] = values
        self.store._mutated(current)
        return current

    def rollback(self) -> None:
        for name, old in self.journal.items():
            self.store.restore(name, old)
        self.journal.clear()
