"""`tf.Session`: fetch and feed normalization, the plan cache, and the in-process runtime.

A `run` call maps its fetch structure and feed keys to a cache key; on a hit it only
converts feeds, runs the cached plan and re-nests the results. On a miss it resolves the
fetched tensors, fed tensors and target ops, asks the runtime to compile them, and caches
the result. The runtime is in-process (`InProcessRuntime`, an Executor per
signature over one VariableStore) unless the target provides one (a cluster).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Mapping

import numpy as np

from . import threads as _threads
from .device import DeviceSpec
from .errors import InvalidArgumentError
from .executor import Executor, check_fetched
from .framework import (
    Graph,
    Operation,
    Tensor,
    default_session,
    get_default_graph,
)
from .plan import compile_plan, prune_to_fetches
from .sparse_tensor import SparseTensor, SparseTensorValue, feed_items
from .variable_store import VariableStore


# Fetch structures --------------------------------------------------------------------------
class _FetchMapper:
    """Maps a fetch structure to unique graph elements and builds results back."""

    def unique_fetches(self) -> list:
        raise NotImplementedError

    def build_results(self, values: list):
        raise NotImplementedError

    @staticmethod
    def for_fetch(fetch, graph: Graph) -> _FetchMapper:
        if fetch is None:
            raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}")
        if isinstance(fetch, (list, tuple)) and not _is_namedtuple(fetch):
            return _ListMapper(fetch, graph)
        if _is_namedtuple(fetch):
            return _ListMapper(fetch, graph, rebuild=lambda vals: type(fetch)(*vals))
        if isinstance(fetch, Mapping):
            return _DictMapper(fetch, graph)
        if isinstance(fetch, SparseTensor):
            return _ListMapper(fetch.components(), graph, rebuild=lambda v: SparseTensorValue(*v))
        return _ElementMapper(fetch, graph)


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


class _ElementMapper(_FetchMapper):
    def __init__(self, fetch, graph: Graph):
        try:
            element = graph.as_graph_element(fetch, allow_tensor=True, allow_operation=True)
        except TypeError as e:
            raise TypeError(
                f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or "
                f"Tensor. ({e})"
            ) from None
        except ValueError as e:
            raise ValueError(
                f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e})"
            ) from None
        except KeyError as e:
            raise ValueError(
                f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e.args[0]})"
            ) from None
        self._element = element

    def unique_fetches(self):
        return [self._element]

    def build_results(self, values):
        return values[0]


class _ListMapper(_FetchMapper):
    def __init__(self, fetches, graph, rebuild=None):
        self._type = type(fetches)
        self._rebuild = rebuild
        self._mappers = [_FetchMapper.for_fetch(f, graph) for f in fetches]
        self._unique, self._paths = _uniquify(self._mappers)

    def unique_fetches(self):
        return self._unique

    def build_results(self, values):
        out = [
            m.build_results([values[j] for j in path])
            for m, path in zip(self._mappers, self._paths)
        ]
        if self._rebuild is not None:
            return self._rebuild(out)
        return out if self._type is list else self._type(out)


class _DictMapper(_FetchMapper):
    def __init__(self, fetches, graph):
        self._type = type(fetches)
        self._keys = list(fetches.keys())
        self._mappers = [_FetchMapper.for_fetch(fetches[k], graph) for k in self._keys]
        self._unique, self._paths = _uniquify(self._mappers)

    def unique_fetches(self):
        return self._unique

    def build_results(self, values):
        out = self._type() if self._type is not dict else {}
        for k, m, path in zip(self._keys, self._mappers, self._paths):
            out[k] = m.build_results([values[j] for j in path])
        return out


def _uniquify(mappers):
    unique, index, paths = [], {}, []
    for m in mappers:
        path = []
        for f in m.unique_fetches():
            if id(f) not in index:
                index[id(f)] = len(unique)
                unique.append(f)
            path.append(index[id(f)])
        paths.append(path)
    return unique, paths


def _structure_key(fetches):
    """A hashable key for a fetch structure (graph elements are hashed by identity)."""
    kind = type(fetches)
    if kind is list:
        return ("l",) + tuple(_structure_key(f) for f in fetches)
    if kind is tuple or isinstance(fetches, tuple):
        return (kind,) + tuple(_structure_key(f) for f in fetches)
    if isinstance(fetches, Mapping):
        return (kind,) + tuple((k, _structure_key(v)) for k, v in fetches.items())
    return fetches


def _expand_sparse_feeds(feed_dict) -> dict:
    """A feed_dict with each SparseTensor key replaced by its three component feeds."""
    out: dict = {}
    for k, v in feed_dict.items():
        if isinstance(k, SparseTensor):
            out.update(feed_items(k, v))
        else:
            out[k] = v
    return out


# Compiled entries -------------------------------------------------------------------------
class _FeedChecker:
    """Converts one feed value to its tensor's dtype and checks the static shape."""

    __slots__ = ("tensor", "np_dtype", "dims", "name", "shape_str")

    def __init__(self, tensor: Tensor):
        self.tensor = tensor
        self.np_dtype = tensor.dtype.np
        self.dims = tensor.shape.as_tuple()
        self.name = tensor.name
        self.shape_str = str(tensor.shape)

    def convert(self, value):
        if isinstance(value, Tensor):
            raise TypeError(
                "The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles."
            )
        if type(value) is np.ndarray and value.dtype == self.np_dtype:
            arr = value
        else:
            try:
                arr = np.asarray(value, dtype=self.np_dtype)
            except (ValueError, TypeError) as e:
                raise ValueError(
                    f"Cannot feed value {value!r} for Tensor '{self.name}': {e}"
                ) from None
        dims = self.dims
        if dims is not None:
            shape = arr.shape
            if len(shape) != len(dims) or any(
                d is not None and d != s for d, s in zip(dims, shape)
            ):
                raise ValueError(
                    f"Cannot feed value of shape {shape!r} for Tensor '{self.name}', "
                    f"which has shape '{self.shape_str}'"
                )
        return arr


class _Entry:
    __slots__ = ("mapper", "feed_keys", "checkers", "compiled", "echoes")

    def __init__(self, mapper, feed_keys, checkers, compiled):
        self.mapper = mapper
        self.feed_keys = feed_keys
        self.checkers = checkers
        self.compiled = compiled
        self.echoes: list[int] = []  # feeds that are also fetched, by position


class PlanCache:
    """Compiled entries by fetch-structure key; thread-safe, compiles once per key."""

    def __init__(self):
        self._entries: dict = {}
        self._lock = threading.Lock()
        self.compiles = 0

    def get(self, key):
        return self._entries.get(key)

    def put(self, key, entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self.compiles += 1

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# Runtimes -----------------------------------------------------------------------------------
LOCAL_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class InProcessRuntime:
    """Runs plans in this process over one VariableStore; never imports ray."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.store = VariableStore()

    def devices(self) -> list[str]:
        return [LOCAL_DEVICE]

    def device_of(self, op) -> str:
        return LOCAL_DEVICE

    def compile(self, fetches, feeds, targets):
        fed = {t.name for t in feeds}
        ops = prune_to_fetches([t.op for t in fetches] + list(targets), fed)
        return Executor(compile_plan(ops, fetches, feeds), self.store)

    def execute(self, compiled: Executor, feed_values, options=None, run_metadata=None):
        if options is not None and run_metadata is not None and _tracing(options):
            values, trace = compiled.run_traced(feed_values)
            fill_step_stats(run_metadata, {LOCAL_DEVICE: trace})
            return check_fetched(values)
        values = compiled.run(feed_values)
        return check_fetched(values) if compiled.plan.conditional else values

    def close(self) -> None:
        pass


def _tracing(options) -> bool:
    return getattr(options, "trace_level", 0) not in (0, None)


def fill_step_stats(run_metadata, traces: dict) -> None:
    """Adds one dev_stats entry per device and a node stat per op to RunMetadata."""
    for device, trace in traces.items():
        dev = run_metadata.step_stats.dev_stats.add()
        dev.device = device
        for name, op_type, start_us, dur_us in trace:
            node = dev.node_stats.add()
            node.node_name = name
            node.timeline_label = f"{name} = {op_type}()"
            node.all_start_micros = int(start_us)
            node.op_start_rel_micros = 0
            node.op_end_rel_micros = int(dur_us)
            node.all_end_rel_micros = int(dur_us)


# String targets by scheme ("psflow://..." -> a cluster): graph/ never imports the cluster
# layer, so the facade registers how a scheme's targets are resolved, lazily.
_TARGET_SCHEMES: dict[str, object] = {}


def register_target_scheme(scheme: str, resolve) -> None:
    """`resolve(target_string)` returns the cluster object of a `scheme://...` target."""
    _TARGET_SCHEMES[scheme] = resolve


def _resolve_target(target):
    if isinstance(target, bytes):
        target = target.decode()
    if isinstance(target, str):
        resolve = _TARGET_SCHEMES.get(target.partition("://")[0])
        if resolve is not None:
            return resolve(target)
    return target


def _runtime_for(target, graph: Graph):
    """The runtime of a target: in-process for none; a cluster object (or a target string
    naming one) provides its own through `_make_session_runtime(graph)`."""
    if target is None or target == "" or target == b"":
        return InProcessRuntime(graph)
    target = _resolve_target(target)
    if hasattr(target, "_make_session_runtime"):
        return target._make_session_runtime(graph)
    raise InvalidArgumentError(None, None, f"Unsupported session target: {target!r}")


# Sessions ------------------------------------------------------------------------------------
class BaseSession:
    """The common Session machinery: run(), the plan cache, default-session handling."""

    def __init__(self, target=None, graph=None, config=None):
        if graph is not None and not isinstance(graph, Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(graph)}")
        self._graph = graph if graph is not None else get_default_graph()
        self._target = target
        self._config = config
        # TF1's intra-op threads: BLAS's thread count for in-process steps (graph/threads.py;
        # 0: the governor decides). Inter-op threads are accepted: ops run in turn here.
        self._intra_threads = int(getattr(config, "intra_op_parallelism_threads", 0) or 0)
        self._closed = False
        self._cache = PlanCache()
        self._runtime = _runtime_for(target, self._graph)
        self._default_stack = contextlib.ExitStack()

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    @property
    def sess_str(self) -> str:
        return "" if self._target is None else str(self._target)

    @property
    def plan_cache(self) -> PlanCache:
        return self._cache

    @property
    def runtime(self):
        return self._runtime

    def list_devices(self) -> list:
        return self._runtime.devices()

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops and evaluates the tensors in `fetches`, with `feed_dict` values
        substituted for the keyed tensors. Returns values in the structure of `fetches`."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if feed_dict and any(isinstance(k, SparseTensor) for k in feed_dict):
            feed_dict = _expand_sparse_feeds(feed_dict)
        key = (
            _structure_key(fetches),
            tuple(feed_dict) if feed_dict else (),
            self._graph._mutations,
        )
        entry = self._cache.get(key)
        if entry is None:
            entry = self._prepare(fetches, feed_dict, key)
        if entry.checkers:
            feed_values = [c.convert(feed_dict[k]) for c, k in zip(entry.checkers, entry.feed_keys)]
        else:
            feed_values = ()
        if self._target is None:
            _threads.BLAS.before_run(self._intra_threads)
        values = self._runtime.execute(entry.compiled, feed_values, options, run_metadata)
        if entry.echoes:
            values = [*values, *(feed_values[i] for i in entry.echoes)]
        # Stored and constant arrays are read-only and shared: the caller gets its own copy;
        # 0-d results come back as numpy scalars (bytes for strings), as TF returns them.
        results = [_as_result(v) for v in values]
        return entry.mapper.build_results(results)

    def _check_placement(self, fetches, feeds, targets) -> None:
        """TF1's placement rules at a step's first run: an op pinned to a device type this
        runtime does not have (GPU, TPU, ...) is an InvalidArgumentError naming it unless
        `config.allow_soft_placement` (then it runs on the CPU of its task); with
        `config.log_device_placement` each op's device is written to stderr once, as TF1
        writes it (`name: (Type): /job:.../replica:0/task:N/device:CPU:0`)."""
        config = self._config
        soft = bool(getattr(config, "allow_soft_placement", False))
        log = bool(getattr(config, "log_device_placement", False))
        fed = {t.name for t in feeds}
        ops = prune_to_fetches([t.op for t in fetches] + list(targets), fed)
        for op in ops:
            if not op.device or soft:
                continue
            kind = DeviceSpec.from_string(op.device).device_type
            if kind is not None and kind.upper() != "CPU":
                raise InvalidArgumentError(
                    op.name,
                    None,
                    f"Cannot assign a device for operation {op.name}: Operation was explicitly "
                    f"assigned to {op.device} but available devices are "
                    f"[ {', '.join(self._runtime.devices())} ]. Make sure the device "
                    "specification refers to a valid device.",
                )
        if log:
            logged = self.__dict__.setdefault("_placement_logged", set())
            for op in ops:
                if op.name not in logged:
                    logged.add(op.name)
                    print(f"{op.name}: ({op.type}): {self._runtime.device_of(op)}",
                          file=sys.stderr)  # fmt: skip

    def _prepare(self, fetches, feed_dict, key) -> _Entry:
        graph = self._graph
        mapper = _FetchMapper.for_fetch(fetches, graph)
        elements = mapper.unique_fetches()
        feed_keys = list(feed_dict) if feed_dict else []
        feeds = []
        for k in feed_keys:
            try:
                t = graph.as_graph_element(k, allow_tensor=True, allow_operation=False)
            except (KeyError, ValueError, TypeError) as err:
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {err}") from None
            if not isinstance(t, Tensor):
                raise TypeError(f"Cannot interpret feed_dict key {k!r} as Tensor")
            feeds.append(t)
        seen = {}
        for k, t in zip(feed_keys, feeds):
            if t.name in seen:
                raise ValueError(f"Tensor {t.name} is fed more than once in feed_dict")
            seen[t.name] = k
        # A fetched tensor that is fed comes back as fed (TF's rule), without the runtime.
        fed_at = {t.name: i for i, t in enumerate(feeds)}
        fetch_tensors = [e for e in elements if isinstance(e, Tensor) and e.name not in fed_at]
        echoes = [fed_at[e.name] for e in elements if isinstance(e, Tensor) and e.name in fed_at]
        targets = [e for e in elements if isinstance(e, Operation)]
        self._check_placement(fetch_tensors, feeds, targets)
        compiled = self._runtime.compile(fetch_tensors, feeds, targets)
        # Values come back for fetched tensors in order, then the echoed feeds; targets
        # give None.
        tensor_index = {id(t): i for i, t in enumerate(fetch_tensors)}
        echo_index: dict[str, int] = {}
        for e in elements:
            if isinstance(e, Tensor) and e.name in fed_at and e.name not in echo_index:
                echo_index[e.name] = len(fetch_tensors) + len(echo_index)
        order = [
            echo_index[e.name]
            if isinstance(e, Tensor) and e.name in fed_at
            else tensor_index.get(id(e))
            for e in elements
        ]
        entry = _Entry(
            _Reorder(mapper, order), feed_keys, [_FeedChecker(t) for t in feeds], compiled
        )
        entry.echoes = list(dict.fromkeys(echoes))
        self._cache.put(key, entry)
        return entry

    def close(self) -> None:
        """Frees the session's resources; later `run` calls raise RuntimeError."""
        if not self._closed:
            self._closed = True
            self._runtime.close()
            self._cache.clear()

    def as_default(self):
        return default_session(self)

    def __enter__(self):
        self._default_stack.enter_context(self._graph.as_default())
        self._default_stack.enter_context(self.as_default())
        return self

    def __exit__(self, exc_type, exc, tb):
        self._default_stack.close()
        self.close()

    def __del__(self):
        try:
            if not self._closed:
                self._runtime.close()
        except Exception:  # best effort at interpreter exit
            pass


def _as_result(value):
    if type(value) is np.ndarray:
        if value.ndim == 0:
            return value[()]
        if not value.flags.writeable:
            return value.copy()
    return value


class _Reorder:
    """Adapts values of unique fetched tensors to the mapper's unique-element order."""

    __slots__ = ("mapper", "order")

    def __init__(self, mapper, order):
        self.mapper = mapper
        self.order = order

    def build_results(self, values):
        return self.mapper.build_results([None if i is None else values[i] for i in self.order])


class Session(BaseSession):
    """`tf.Session(target=None, graph=None, config=None)`: in-process without a target,
    on a psflow cluster with one."""

    @staticmethod
    def reset(target, containers=None, config=None) -> None:
        """Clears the variables every session of `target` shares (cluster targets)."""
        target = _resolve_target(target)
        if hasattr(target, "reset"):
            target.reset(containers)


class InteractiveSession(BaseSession):
    """A Session that installs itself (and its graph) as the default on construction."""

    def __init__(self, target=None, graph=None, config=None):
        super().__init__(target, graph, config)
        self._default_stack.enter_context(self._graph.as_default())
        self._default_stack.enter_context(self.as_default())

    def close(self) -> None:
        super().close()
        self._default_stack.close()
