"""`VariableStore`: the variables of one process (the in-process Session or one PS actor).

Values are read-only numpy arrays that are replaced on every write and never mutated in
place, so a read is a snapshot: a value fetched or passed to a later op never changes
under it. `StepState` is what stateful kernels see during one step: it journals the
first write to each variable so a failed step can be undone (variables stay as they were).
"""

from __future__ import annotations

import threading

import numpy as np

from .errors import FailedPreconditionError, InvalidArgumentError


def frozen(value, dtype=None) -> np.ndarray:
    """A read-only copy of `value`, owned by the store."""
    arr = np.array(value, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


class VariableStore:
    """Name -> value for the variables this process owns."""

    def __init__(self):
        self._values: dict[str, np.ndarray] = {}
        self._staged: dict[str, dict[str, np.ndarray]] = {}
        self._generators: dict[str, np.random.Generator] = {}
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

    def set(self, name: str, value: np.ndarray) -> None:
        """Stores `value`, which the caller hands over (it must not be mutated afterwards)."""
        if value.flags.writeable:
            value.flags.writeable = False
        self._values[name] = value

    def delete(self, name: str) -> None:
        self._values.pop(name, None)

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
        self._generators.clear()

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __len__(self) -> int:
        return len(self._values)


class StepState:
    """One step's view of a VariableStore, with an undo journal for failed steps."""

    __slots__ = ("store", "journal")

    def __init__(self, store: VariableStore):
        self.store = store
        self.journal: dict[str, np.ndarray | None] = {}

    def read(self, name: str) -> np.ndarray:
        value = self.store._values.get(name)
        if value is None:
            raise FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {name}"
            )
        return value

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
        if new.flags.writeable:
            new.flags.writeable = False
        self.store._values[name] = new
        return new

    def rollback(self) -> None:
        values = self.store._values
        for name, old in self.journal.items():
            if old is None:
                values.pop(name, None)
            else:
                values[name] = old
        self.journal.clear()
