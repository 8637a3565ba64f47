"""`HashTable`: one shard of a dynamic embedding table, as the process that owns it holds it.

A dynamic table maps int64 ids to embedding rows with no fixed vocabulary: a row is created
the first time its id is looked up, from the table's initializer, and the optimizer's slot
rows (Adagrad's accumulator, Adam's moments, ...) live beside it at the same position. The
table lives in a VariableStore under its shard's name, like a variable, and only its rows
for a step's ids ever leave it.

- Storage: one array of rows (and one per slot), grown by doubling; a dict from id to
  position; positions freed by eviction are reused.
- Initial rows are a pure function of (seed, id, column) (a counter-based hash, splitmix64,
  turned into uniform or normal draws), so a row is the same whichever task creates it, in
  whatever order, and again after it was evicted.
- A bound (`capacity`, rows per shard; 0 = none) is kept by evicting, before inserting, the
  rows least recently updated (`lru`) or least often updated (`lfu`, ties to the older);
  the rows of the ids being inserted or looked up in the same call are never chosen.
  `evictions` counts them.
- Every change of a step is recorded in the step's `TableUndo`, so a failed step leaves the
  table as it was (inserted rows removed, evicted rows back, updated rows restored).
- `export`/`HashTable.load` turn it into plain arrays (ids sorted) for checkpoints; a restore
  may hand a shard the ids of any number of old shards (see graph/ops/io.py).
"""

from __future__ import annotations

import threading
from itertools import repeat

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError, ResourceExhaustedError

POLICIES = ("lru", "lfu")
INITIALIZERS = ("zeros", "constant", "uniform", "normal", "truncated_normal")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, on arrays (uint64 arithmetic wraps)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _uniform(seed: int, keys: np.ndarray, dim: int, stream: int) -> np.ndarray:
    """[len(keys), dim] draws in (0, 1), each a function of (seed, stream, key, column)."""
    base = np.array([seed * 1000003 + stream], dtype=np.uint64)
    row = _mix(keys.astype(np.int64).view(np.uint64) ^ _mix(base))
    z = _mix(row[:, None] + (np.arange(1, dim + 1, dtype=np.uint64) * _GOLDEN)[None, :])
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))


def _normal(seed: int, keys: np.ndarray, dim: int, stream: int) -> np.ndarray:
    u1 = _uniform(seed, keys, dim, 2 * stream)
    u2 = _uniform(seed, keys, dim, 2 * stream + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def initial_rows(init: str, a: float, b: float, seed: int, keys: np.ndarray, dim: int, dtype):
    """The initial rows of `keys`: zeros, constant a, uniform [a, b), normal (mean a,
    stddev b), or normal truncated at two standard deviations (redrawn, as TF's)."""
    n = len(keys)
    if init == "zeros":
        return np.zeros((n, dim), dtype)
    if init == "constant":
        return np.full((n, dim), a, dtype)
    if init == "uniform":
        return (a + (b - a) * _uniform(seed, keys, dim, 0)).astype(dtype)
    if init == "normal":
        return (a + b * _normal(seed, keys, dim, 0)).astype(dtype)
    if init == "truncated_normal":
        draw = _normal(seed, keys, dim, 0)
        for stream in range(1, 64):
            bad = np.abs(draw) > 2.0
            if not bad.any():
                break
            rows = np.flatnonzero(bad.any(axis=1))
            again = _normal(seed, keys[rows], dim, stream)
            draw[rows] = np.where(bad[rows], again, draw[rows])
        return (a + b * np.clip(draw, -2.0, 2.0)).astype(dtype)
    raise InvalidArgumentError(None, None, f"unknown dynamic table initializer {init!r}")


class TableUndo:
    """The changes one step made to one table, undone in reverse order."""

    __slots__ = ("table", "records")

    def __init__(self, table: HashTable):
        self.table = table
        self.records: list[tuple] = []

    def absorb(self, later: TableUndo) -> None:
        """Adds what a later stage of the same step changed."""
        self.records.extend(later.records)

    def restore(self, store, name: str) -> None:
        with self.table.lock:
            for record in reversed(self.records):
                self.table._undo(record)
        self.records.clear()
        store._values[name] = self.table


class HashTable:
    """One shard of a dynamic table (see the module docstring)."""

    def __init__(
        self,
        dim: int,
        dtype="float32",
        capacity: int = 0,
        policy: str = "lru",
        init: str = "zeros",
        init_a: float = 0.0,
        init_b: float = 1.0,
        seed: int = 0,
        name: str = "",
    ):
        if policy not in POLICIES:
            raise InvalidArgumentError(
                None, None, f"eviction policy must be one of {POLICIES}, got {policy!r}"
            )
        self.name = name
        self.dim = int(dim)
        self.dtype = np.dtype(_dt.as_dtype(dtype).name)
        self.capacity = int(capacity)
        self.policy = policy
        self.init = (init, float(init_a), float(init_b), int(seed))
        self.index: dict[int, int] = {}
        self.free: list[int] = []
        self.top = 0  # positions [0, top) have been handed out
        self.tick = 0  # counts update calls (recency)
        self.evictions = 0
        self.lock = threading.RLock()
        self._allocate(16)
        self.slot_init: dict[str, float] = {}
        self.slots: dict[str, np.ndarray] = {}

    def _allocate(self, rows: int) -> None:
        self.keys = np.zeros(rows, np.int64)
        self.values = np.zeros((rows, self.dim), self.dtype)
        self.updated = np.zeros(rows, np.int64)
        self.count = np.zeros(rows, np.int64)

    # What the store and the reports see --------------------------------------------
    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.size, self.dim)

    @property
    def nbytes(self) -> int:
        per_row = self.dim * self.dtype.itemsize * (1 + len(self.slots)) + 8 * 3
        return self.values.shape[0] * per_row

    def config(self) -> dict:
        init, a, b, seed = self.init
        return {
            "dim": self.dim,
            "dtype": self.dtype.name,
            "capacity": self.capacity,
            "policy": self.policy,
            "init": init,
            "init_a": a,
            "init_b": b,
            "seed": seed,
            "name": self.name,
        }

    # Lookups and inserts ----------------------------------------------------------------
    def find(self, keys: np.ndarray, undo: TableUndo | None) -> np.ndarray:
        """Positions of `keys` (1-D int64), inserting the missing ones."""
        pos = np.fromiter(map(self.index.get, keys.tolist(), repeat(-1)), np.int64, len(keys))
        missing = pos < 0
        if missing.any():
            new_keys = np.unique(keys[missing])
            protect = pos[~missing]
            new_pos = self._insert(new_keys, protect, undo)
            pos[missing] = new_pos[np.searchsorted(new_keys, keys[missing])]
        return pos

    def lookup(self, keys: np.ndarray, undo: TableUndo | None) -> np.ndarray:
        """Rows of `keys` (any shape), created from the initializer where missing."""
        flat = np.asarray(keys, np.int64).ravel()
        with self.lock:
            pos = self.find(flat, undo)  # may grow (replace) the arrays
            rows = self.values[pos]
        return rows.reshape(np.shape(keys) + (self.dim,))

    def _insert(self, new_keys: np.ndarray, protect: np.ndarray, undo) -> np.ndarray:
        n = len(new_keys)
        if self.capacity:
            if n > self.capacity:
                raise ResourceExhaustedError(
                    None,
                    None,
                    f"dynamic table {self.name}: {n} new ids in one call exceed its capacity of "
                    f"{self.capacity} rows per shard",
                )
            over = self.size + n - self.capacity
            if over > 0:
                self._evict(over, protect, undo)
        reuse = min(n, len(self.free))
        pos = np.empty(n, np.int64)
        if reuse:
            pos[:reuse] = self.free[len(self.free) - reuse :]
            del self.free[len(self.free) - reuse :]
        fresh = n - reuse
        if fresh:
            self._grow(self.top + fresh)
            pos[reuse:] = np.arange(self.top, self.top + fresh)
            self.top += fresh
        self.keys[pos] = new_keys
        self.values[pos] = initial_rows(*self.init, new_keys, self.dim, self.dtype)
        for slot, arr in self.slots.items():
            arr[pos] = self.slot_init[slot]
        self.updated[pos] = self.tick
        self.count[pos] = 0
        self.index.update(zip(new_keys.tolist(), pos.tolist()))
        if undo is not None:
            undo.records.append(("insert", new_keys, pos))
        return pos

    def _grow(self, rows: int) -> None:
        have = self.values.shape[0]
        if rows <= have:
            return
        size = max(rows, 2 * have)
        for attr in ("keys", "values", "updated", "count"):
            old = getattr(self, attr)
            new = np.zeros((size,) + old.shape[1:], old.dtype)
            new[:have] = old
            setattr(self, attr, new)
        for slot, old in self.slots.items():
            new = np.full((size,) + old.shape[1:], self.slot_init[slot], old.dtype)
            new[:have] = old
            self.slots[slot] = new

    def _evict(self, n: int, protect: np.ndarray, undo) -> None:
        live = np.fromiter(self.index.values(), np.int64, self.size)
        if protect.size:
            live = live[~np.isin(live, protect)]
        if len(live) < n:
            raise ResourceExhaustedError(
                None,
                None,
                f"dynamic table {self.name}: the ids of one call need more than its capacity "
                f"of {self.capacity} rows per shard",
            )
        if self.policy == "lru":
            score = self.updated[live]
        else:  # least often updated; among equals, the least recently
            score = self.count[live] * (self.tick + 1) + self.updated[live]
        victims = live[np.argpartition(score, n - 1)[:n]] if n < len(live) else live
        if undo is not None:
            undo.records.append(("evict", *self._rows_of(victims)))
        for key in self.keys[victims].tolist():
            del self.index[key]
        self.free.extend(victims.tolist())
        self.evictions += len(victims)

    def _rows_of(self, pos: np.ndarray) -> tuple:
        return (
            pos.copy(),
            self.keys[pos].copy(),
            self.values[pos].copy(),
            {s: a[pos].copy() for s, a in self.slots.items()},
            self.updated[pos].copy(),
            self.count[pos].copy(),
        )

    def _put_rows(self, pos, keys, values, slots, updated, count) -> None:
        self.keys[pos] = keys
        self.values[pos] = values
        for slot, rows in slots.items():
            self.slots[slot][pos] = rows
        self.updated[pos] = updated
        self.count[pos] = count
        self.index.update(zip(keys.tolist(), pos.tolist()))

    # Updates ----------------------------------------------------------------
    def slot(self, name: str, initial: float) -> np.ndarray:
        """The rows of slot `name` (created filled with `initial`)."""
        arr = self.slots.get(name)
        if arr is None:
            self.slot_init[name] = float(initial)
            arr = self.slots[name] = np.full(self.values.shape, initial, self.dtype)
        return arr

    def write(self, pos: np.ndarray, values: np.ndarray, slots: dict, undo) -> None:
        """Sets the rows at `pos` (unique) and their slot rows, and counts the update."""
        if undo is not None:
            undo.records.append(("rows", *self._rows_of(pos)))
        self.tick += 1
        self.values[pos] = values
        for name, rows in slots.items():
            self.slots[name][pos] = rows
        self.updated[pos] = self.tick
        self.count[pos] += 1

    def _undo(self, record: tuple) -> None:
        kind, *rest = record
        if kind == "insert":
            keys, pos = rest
            for key in keys.tolist():
                del self.index[key]
            self.free.extend(pos.tolist())
        elif kind == "evict":
            back = set(rest[0].tolist())
            self.free = [p for p in self.free if p not in back]
            self._put_rows(*rest)
            self.evictions -= len(back)
        else:  # rows
            self._put_rows(*rest)

    # Checkpoints ----------------------------------------------------------------
    def export(self) -> dict[str, np.ndarray]:
        """The table as arrays, ids sorted: keys, values, freq and one entry per slot."""
        with self.lock:
            keys = np.fromiter(self.index.keys(), np.int64, self.size)
            pos = np.fromiter(self.index.values(), np.int64, self.size)
            order = np.argsort(keys, kind="stable")
            keys, pos = keys[order], pos[order]
            out = {"keys": keys, "values": self.values[pos], "freq": self.count[pos]}
            for slot, arr in self.slots.items():
                out[f"slot:{slot}"] = arr[pos]
                out[f"slotinit:{slot}"] = np.array(self.slot_init[slot], self.dtype)
            return out

    @classmethod
    def load(cls, config: dict, parts: dict[str, np.ndarray]) -> HashTable:
        """A table with `config` holding the rows of `parts` (as `export` gives them); over
        the capacity, the least often updated rows are evicted (and counted)."""
        table = cls(**config)
        keys = np.asarray(parts["keys"], np.int64)
        keep = np.arange(len(keys))
        if table.capacity and len(keys) > table.capacity:
            order = np.argsort(-np.asarray(parts["freq"]), kind="stable")
            keep = np.sort(order[: table.capacity])
            table.evictions = len(keys) - table.capacity
        n = len(keep)
        table._grow(max(n, 16))
        pos = np.arange(n)
        table.top = n
        table.keys[pos] = keys[keep]
        table.values[pos] = np.asarray(parts["values"])[keep]
        table.count[pos] = np.asarray(parts["freq"])[keep]
        for entry, initial in parts.items():
            if entry.startswith("slotinit:"):
                name = entry.partition(":")[2]
                table.slot(name, float(initial))[pos] = np.asarray(parts[f"slot:{name}"])[keep]
        table.index = dict(zip(keys[keep].tolist(), pos.tolist()))
        return table
