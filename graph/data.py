"""`tf.data`, the TF 1.x core: Dataset and its iterators.

A Dataset here is a description (plain data: which transformation, its arguments, its
input) plus the graph tensors it reads (the arrays of `from_tensor_slices`, a placeholder
fed to an initializer). An iterator's ops (graph/ops/dataset.py) build the pipeline from
them in the process that runs them -- a worker task on a cluster -- and keep it there, so
each worker reads its own shard without a trip through the client. Elements are tuples of
numpy arrays inside; `get_next()` returns them as tensors in the dataset's structure
(a tensor, a tuple or a dict), and raises OutOfRangeError("End of sequence") at the end.

`map`, `filter`, `flat_map` and `interleave` trace their function once into a graph of its
own (as TF1 does); it runs per element in the pipeline's process. Tensors of the enclosing
graph it uses are captured: they become inputs of the dataset, read when the iterator is
made (a placeholder fed to the initializer), and an inner dataset's function may use its
outer function's arguments. `num_parallel_calls` is accepted; the calls run one after
another. `from_generator` keeps its Python generator in the process that built it:
its iterator must run there (the in-process Session, or a client hosted in the task).
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable

import numpy as np

from . import dtypes as _dt, meta_graph as _meta, storage
from .errors import InvalidArgumentError, NotFoundError
from .framework import Graph, Tensor, convert_to_tensor
from .ops import array as _array, dataset as _ops
from .shapes import TensorShape
from .sparse_tensor import SparseTensor
from .tfrecord import compression_name, decode_records, read_file

_KEEP = object()  # _derive: the element structure stays
_GENERATORS: dict[str, Callable] = {}  # from_generator's functions, in this process
AUTOTUNE = -1  # num_parallel_calls / buffer sizes chosen by the runtime
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


# Integer arguments: a number, or a tensor read when the iterator is made ---------------------
def _int_arg(value, inputs: list, offset: int = 0):
    """An int argument as the pipeline will see it: the number itself when known now (a
    Python/numpy int or a constant tensor), else {"input": k} naming a tensor appended to
    `inputs` (dataset input `offset` + its place there), evaluated when the iterator is
    made (a placeholder fed to its initializer)."""
    if isinstance(value, Tensor):
        from .framework import constant_value

        known = constant_value(value)
        if known is None:
            inputs.append(value)
            return {"input": offset + len(inputs) - 1}
        value = known
    return int(np.asarray(value))


def _resolve(value, inputs) -> int:
    return int(np.asarray(inputs[value["input"]])) if isinstance(value, dict) else int(value)


def _static(value):
    return value if isinstance(value, int) else None


# Structures: a tensor, or tuples/dicts of them (a list is a tensor, as tf.data has it) -----
def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _flatten(structure[k])]
    if isinstance(structure, tuple):
        return [x for s in structure for x in _flatten(s)]
    return [structure]


def _pack(template, flat: list):
    it = iter(flat)

    def build(t):
        if isinstance(t, dict):
            return {k: build(t[k]) for k in sorted(t)}
        if isinstance(t, tuple):
            return tuple(build(s) for s in t)
        return next(it)

    return build(template)


def _leaves_like(template, value) -> list:
    """The leaves of `value` where `template` has leaves (shapes are lists themselves)."""
    if isinstance(template, dict):
        return [x for k in sorted(template) for x in _leaves_like(template[k], value[k])]
    if isinstance(template, tuple):
        return [x for t, v in zip(template, value) for x in _leaves_like(t, v)]
    return [value]


def _same_or_unknown(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])


def _as_tensors(structure):
    if isinstance(structure, SparseTensor):
        raise TypeError("tf.data here takes dense tensors (not SparseTensor)")
    flat = [convert_to_tensor(x) for x in _flatten(structure)]
    return flat, _pack(structure, [None] * len(flat))


class _Structured:
    """What an element looks like: its structure (`_template`), dtypes and static shapes."""

    _template: object
    _types: list
    _shapes: list

    @property
    def output_types(self):
        return _pack(self._template, self._types)

    @property
    def output_shapes(self):
        return _pack(self._template, self._shapes)

    @property
    def output_classes(self):
        return _pack(self._template, [Tensor] * len(self._types))


class Dataset(_Structured):
    """A dataset: its description, the tensors it reads, and its elements' structure,
    dtypes and static shapes."""

    def __init__(self, spec: dict, inputs: list, template, types: list, shapes: list):
        self._spec = spec
        self._inputs = list(inputs)
        self._template = template
        self._types = [_dt.as_dtype(t) for t in types]
        self._shapes = [TensorShape(s) for s in shapes]

    def _derive(self, kind: str, args: dict, template=_KEEP, types=None, shapes=None, extra=()):
        """A dataset made of this one by `kind` (its input indices shift past ours); the
        element structure is this one's unless `template` is given (None: one tensor)."""
        spec = {"kind": kind, "child": self._spec, **args}
        return Dataset(
            spec,
            self._inputs + list(extra),
            self._template if template is _KEEP else template,
            self._types if types is None else types,
            self._shapes if shapes is None else shapes,
        )

    # Sources ------------------------------------------------------------------------------------
    @staticmethod
    def from_tensors(tensors):
        """One element: `tensors`."""
        flat, template = _as_tensors(tensors)
        spec = {"kind": "tensors", "inputs": list(range(len(flat)))}
        return Dataset(spec, flat, template, [t.dtype for t in flat], [t.shape for t in flat])

    @staticmethod
    def from_tensor_slices(tensors):
        """One element per row of the tensors' first dimension (which they must share)."""
        flat, template = _as_tensors(tensors)
        if any(t.shape.ndims == 0 for t in flat):
            raise ValueError("from_tensor_slices needs tensors of rank >= 1")
        firsts = {t.shape.as_list()[0] for t in flat if t.shape.ndims}
        firsts.discard(None)
        if len(firsts) > 1:
            raise ValueError(f"Dimensions {sorted(firsts)} of the components are not equal")
        spec = {"kind": "slices", "inputs": list(range(len(flat)))}
        shapes = [t.shape[1:] if t.shape.ndims is not None else TensorShape(None) for t in flat]
        return Dataset(spec, flat, template, [t.dtype for t in flat], shapes)

    @staticmethod
    def range(*args, output_type=_dt.int64):
        """start, stop, step as Python's range (one to three ints or int tensors)."""
        if not 1 <= len(args) <= 3:
            raise ValueError(f"range takes 1 to 3 arguments, got {len(args)}")
        inputs: list = []
        values = [_int_arg(a, inputs) for a in args]
        if len(values) == 1:
            values = [0] + values
        start, stop, step = (values + [1])[:3]
        if step == 0:
            raise InvalidArgumentError(None, None, "step must be a non-zero integer.")
        spec = {"kind": "range", "start": start, "stop": stop, "step": step}
        return Dataset(spec, inputs, None, [_dt.as_dtype(output_type)], [[]])

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """The elements `generator()` yields, of the given types (and shapes)."""
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        template = _pack(output_types, [None] * len(_flatten(output_types)))
        types = _flatten(output_types)
        shapes = (
            _leaves_like(template, output_shapes)
            if output_shapes is not None
            else [None] * len(types)
        )
        token = uuid.uuid4().hex
        call_args = tuple(args or ())
        _GENERATORS[token] = lambda: generator(*call_args)
        spec = {"kind": "generator", "token": token, "template": _describe(template)}
        return Dataset(spec, [], template, types, shapes)

    @staticmethod
    def zip(datasets):
        """Elements of `datasets` (a tuple or dict of datasets) side by side."""
        parts = _flatten(datasets)
        if not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("zip takes a (nested) tuple or dict of datasets")
        inputs, children = [], []
        for d in parts:
            children.append(_shift(d._spec, len(inputs)))
            inputs += d._inputs
        template = _pack(datasets, [d._template for d in parts])
        return Dataset(
            {"kind": "zip", "children": children},
            inputs,
            template,
            [t for d in parts for t in d._types],
            [s for d in parts for s in d._shapes],
        )

    @staticmethod
    def _files(kind: str, filenames, args: dict):
        names = convert_to_tensor(filenames, dtype=_dt.string)
        if names.shape.ndims not in (None, 0, 1):
            raise ValueError("`filenames` must be a scalar or a vector of strings")
        return Dataset({"kind": kind, "inputs": [0], **args}, [names], None, [_dt.string], [[]])

    # Transformations ----------------------------------------------------------------------------
    def concatenate(self, dataset):
        if [t.name for t in self._types] != [t.name for t in dataset._types]:
            raise TypeError("Datasets to concatenate have different types")
        other = _shift(dataset._spec, len(self._inputs))
        shapes = [_same_or_unknown(a, b) for a, b in zip(self._shapes, dataset._shapes)]
        return self._derive("concat", {"other": other}, shapes=shapes, extra=dataset._inputs)

    def map(self, map_func, num_parallel_calls=None):
        """map_func of each element (traced once into a graph; see the module docstring)."""
        fn, template, types, shapes, captured = _trace(map_func, self, "map")
        return self._derive("map", {"fn": fn, **self._capture_args(captured)}, template, types,
                            shapes, extra=captured)  # fmt: skip

    def filter(self, predicate):
        """The elements for which `predicate` is true (a scalar bool)."""
        fn, _, types, shapes, captured = _trace(predicate, self, "filter")
        if len(types) != 1 or types[0] != _dt.bool_ or shapes[0].ndims not in (None, 0):
            raise ValueError(
                "`predicate` return type must be convertible to a scalar boolean tensor."
            )
        return self._derive("filter", {"fn": fn, **self._capture_args(captured)},
                            extra=captured)  # fmt: skip

    def _capture_args(self, captured) -> dict:
        """The input indices a function's captured tensors will have (past this dataset's)."""
        return {"captures": list(range(len(self._inputs), len(self._inputs) + len(captured)))}

    def flat_map(self, map_func):
        """The elements of the dataset map_func makes of each element, one after another."""
        graph = _function_graph("flat_map")
        with graph.as_default():
            phs = [_array.placeholder(t, s, name=f"arg{i}")
                   for i, (t, s) in enumerate(zip(self._types, self._shapes))]  # fmt: skip
            element = _pack(self._template, phs)
            inner = map_func(*element) if isinstance(element, tuple) else map_func(element)
            if not isinstance(inner, Dataset):
                raise TypeError("`map_func` must return a `Dataset` object.")
            fetches = [graph.capture(t) if t.graph is not graph else t for t in inner._inputs]
        fn, captured = _function_spec(graph, phs, fetches)
        args = {"fn": fn, "inner": inner._spec, **self._capture_args(captured)}
        return self._derive("flat_map", args, inner._template, inner._types, inner._shapes,
                            extra=captured)  # fmt: skip

    def batch(self, batch_size, drop_remainder=False):
        extra: list = []
        size = _int_arg(batch_size, extra, len(self._inputs))
        shapes = [TensorShape([_static(size) if drop_remainder else None]).concatenate(s)
                  for s in self._shapes]  # fmt: skip
        return self._derive("batch", {"size": size, "drop": bool(drop_remainder)},
                            shapes=shapes, extra=extra)  # fmt: skip

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False):  # fmt: skip
        """Batches whose components are padded (with `padding_values`, default 0) to
        `padded_shapes` (None dims: the longest in the batch; default: all None)."""
        if padded_shapes is None:
            padded = [[None] * (s.ndims or 0) for s in self._shapes]
        else:
            padded = [TensorShape(p).as_list() for p in _leaves_like(self._template, padded_shapes)]
        values = (
            [0] * len(self._types)
            if padding_values is None
            else [
                np.asarray(_padding_value(v)).item()
                for v in _leaves_like(self._template, padding_values)
            ]  # fmt: skip
        )
        shapes = [TensorShape([batch_size if drop_remainder else None] + p) for p in padded]
        args = {"size": int(batch_size), "drop": bool(drop_remainder), "shapes": padded,
                "values": values}  # fmt: skip
        return self._derive("padded_batch", args, shapes=shapes)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1,
                   num_parallel_calls=None):  # fmt: skip
        """The elements of the datasets map_func makes, `cycle_length` of them at a time,
        `block_length` elements from each in turn (an exhausted one is replaced by the
        next input element's); the order is TF's deterministic order."""
        flat = self.flat_map(map_func)
        cycle = _int_arg(cycle_length, [])
        if isinstance(cycle, dict):
            raise ValueError("interleave's cycle_length must be known when the dataset is built")
        if cycle == AUTOTUNE:
            cycle = 2  # the cores of the machines psflow sizes for
        if cycle < 1 or int(block_length) < 1:
            raise ValueError("cycle_length and block_length must be positive")
        spec = dict(flat._spec, kind="interleave", cycle=cycle, block=int(block_length))
        return Dataset(spec, flat._inputs, flat._template, flat._types, flat._shapes)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        from .ops.random import get_seed

        s1, s2 = get_seed(seed)
        args = {"buffer": int(buffer_size), "seed": -1 if s1 is None else int(s1),
                "seed2": -1 if s2 is None else int(s2),
                "reshuffle": reshuffle_each_iteration is not False}  # fmt: skip
        return self._derive("shuffle", args)

    def repeat(self, count=None):
        return self._counted("repeat", "count", -1 if count is None else count)

    def _counted(self, kind, key, value, **args):
        extra: list = []
        count = _int_arg(value, extra, len(self._inputs))
        return self._derive(kind, {key: count, **args}, extra=extra)

    def take(self, count):
        return self._counted("take", "count", count)

    def skip(self, count):
        return self._counted("skip", "count", count)

    def shard(self, num_shards, index):
        if not 0 <= int(index) < int(num_shards):
            raise ValueError(f"index must be in [0, num_shards), got {index} of {num_shards}")
        return self._derive("shard", {"num": int(num_shards), "index": int(index)})

    def prefetch(self, buffer_size):
        """Elements made ahead by a thread of the pipeline's process, up to buffer_size."""
        return self._derive("prefetch", {"size": max(1, int(buffer_size))})

    def cache(self, filename=""):
        """Elements kept in memory after the first pass (a filename is not supported)."""
        if filename:
            raise NotImplementedError("Dataset.cache to a file")
        return self._derive("cache", {"key": uuid.uuid4().hex})

    def with_options(self, options):
        """This dataset with `options` recorded (`options()` returns them). The pipeline runs
        its ops in turn in one process whatever they say (threading and optimization
        options have nothing to tune here)."""
        if not isinstance(options, Options):
            raise TypeError(f"options must be a tf.data.Options, got {type(options).__name__}")
        out = copy.copy(self)  # the same pipeline
        out._options = options
        return out

    def options(self):
        return getattr(self, "_options", None) or Options()

    # Iterators ----------------------------------------------------------------------------------
    def make_one_shot_iterator(self):
        return Iterator(self._types, self._shapes, self._template, dataset=self)

    def make_initializable_iterator(self, shared_name=None):
        it = Iterator(self._types, self._shapes, self._template, shared_name=shared_name)
        it._initializer = it.make_initializer(self)
        return it


def _shift(spec: dict, offset: int) -> dict:
    """`spec` with its input indices moved by `offset` (when datasets are combined)."""
    out = dict(spec)
    if "inputs" in out:
        out["inputs"] = [i + offset for i in out["inputs"]]
    if "captures" in out:
        out["captures"] = [i + offset for i in out["captures"]]
    for key in ("start", "stop", "step", "size", "count"):  # tensor-valued ints
        if isinstance(out.get(key), dict):
            out[key] = {"input": out[key]["input"] + offset}
    if "child" in out:
        out["child"] = _shift(out["child"], offset)
    if "other" in out:
        out["other"] = _shift(out["other"], offset)
    if "children" in out:
        out["children"] = [_shift(c, offset) for c in out["children"]]
    return out


def _describe(template):
    """A structure template as plain data."""
    if isinstance(template, dict):
        return {"dict": {k: _describe(v) for k, v in template.items()}}
    if isinstance(template, tuple):
        return {"tuple": [_describe(v) for v in template]}
    return None


def _undescribe(data):
    if data is None:
        return None
    if "dict" in data:
        return {k: _undescribe(v) for k, v in data["dict"].items()}
    return tuple(_undescribe(v) for v in data["tuple"])


def _function_graph(what: str):
    """The graph a dataset function is traced in: tensors of the enclosing graph it uses are
    captured (placeholders here, fed from the dataset's inputs when it runs)."""
    from .framework import FuncGraph, get_default_graph

    return FuncGraph(get_default_graph(), f"Dataset_{what}")


def _function_spec(graph, phs, fetches) -> tuple[dict, list]:
    """(the function as plain data, the outer tensors it captured)."""
    spec = {
        "graph": _meta.graph_to_meta(graph),
        "feeds": [p.name for p in phs],
        "fetches": [t.name for t in fetches],
        "captures": [ph.name for _, ph in graph.captures],
    }
    return spec, [outer for outer, _ in graph.captures]


def _trace(func, dataset: Dataset, what: str):
    """(the function as plain data with its feed, fetch and capture names, the result's
    template, dtypes and shapes, the outer tensors it captured)."""
    graph = _function_graph(what)
    with graph.as_default():
        phs = [_array.placeholder(t, s, name=f"arg{i}")
               for i, (t, s) in enumerate(zip(dataset._types, dataset._shapes))]  # fmt: skip
        element = _pack(dataset._template, phs)
        result = func(*element) if isinstance(element, tuple) else func(element)
        if isinstance(result, list) and any(isinstance(r, Tensor) for r in result):
            result = tuple(result)  # TF 1.x: a function's list of tensors is a tuple
        flat, template = _as_tensors(result)
    spec, captured = _function_spec(graph, phs, flat)
    return spec, template, [t.dtype for t in flat], [t.shape for t in flat], captured


# Iterators ----------------------------------------------------------------------------------------
class Iterator(_Structured):
    """An iterator over datasets of one structure (`tf.data.Iterator`)."""

    def __init__(self, types, shapes, template, dataset=None, shared_name=None):
        self._types = list(types)
        self._shapes = list(shapes)
        self._template = template
        self._dataset = dataset  # one-shot: made by its first get_next
        self._name = shared_name or f"iterator_{uuid.uuid4().hex[:12]}"
        self._initializer = None

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        types = _flatten(output_types)
        shapes = _flatten(output_shapes) if output_shapes is not None else [None] * len(types)
        template = _pack(output_types, [None] * len(types))
        return Iterator(types, [TensorShape(s) for s in shapes], template,
                        shared_name=shared_name)  # fmt: skip

    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

    def make_initializer(self, dataset, name=None):
        if [t.name for t in dataset._types] != [_dt.as_dtype(t).name for t in self._types]:
            raise TypeError(
                f"Expected output types {self.output_types} but got dataset with output types "
                f"{dataset.output_types}."
            )
        return _ops.make_iterator(dataset._inputs, self._name, dataset._spec, name=name)

    def string_handle(self, name=None):
        """A string naming this iterator, to feed an iterator made by from_string_handle
        (a one-shot iterator is made when the handle is first evaluated)."""
        one_shot = self._dataset is not None
        return _ops.to_string_handle(self._dataset._inputs if one_shot else [], self._name,
                                     self._dataset._spec if one_shot else {}, one_shot,
                                     name=name)  # fmt: skip

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None):
        """An iterator reading whichever iterator the fed `string_handle` names (TF's
        feedable iterator: switch between datasets of one structure by feed)."""
        types = _flatten(output_types)
        shapes = _flatten(output_shapes) if output_shapes is not None else [None] * len(types)
        template = _pack(output_types, [None] * len(types))
        out = Iterator(types, [TensorShape(s) for s in shapes], template)
        out._handle = convert_to_tensor(string_handle, dtype=_dt.string)
        return out

    def get_next(self, name=None):
        """The next element's tensors (OutOfRangeError at the end when run)."""
        handle = getattr(self, "_handle", None)
        if handle is not None:
            flat = _ops.handle_get_next(handle, self._types, self._shapes, name=name)
            return _pack(self._template, flat)
        one_shot = self._dataset is not None
        flat = _ops.get_next(
            self._dataset._inputs if one_shot else [],
            self._name,
            self._dataset._spec if one_shot else {},
            self._types,
            self._shapes,
            one_shot,
            name=name,
        )
        return _pack(self._template, flat)


class ThreadingOptions:
    """`tf.data.ThreadingOptions`: accepted and recorded (see Dataset.with_options)."""

    def __init__(self):
        self.max_intra_op_parallelism = None
        self.private_threadpool_size = None


class Options:
    """`tf.data.Options`: accepted and recorded (see Dataset.with_options). Unknown names
    raise AttributeError, as TF's options object does."""

    _FIELDS = ("deterministic", "experimental_deterministic", "experimental_optimization",
               "experimental_distribute", "experimental_slack", "experimental_threading",
               "threading", "autotune", "experimental_external_state_policy",
               "experimental_warm_start", "experimental_symbolic_checkpoint")  # fmt: skip

    def __init__(self):
        for name in self._FIELDS:
            object.__setattr__(self, name, None)
        object.__setattr__(self, "threading", ThreadingOptions())

    def __setattr__(self, name, value):
        if name not in self._FIELDS:
            raise AttributeError(f"'Options' object has no attribute '{name}'")
        object.__setattr__(self, name, value)

    def merge(self, options):
        out = Options()
        for name in self._FIELDS:
            mine, theirs = getattr(self, name), getattr(options, name)
            object.__setattr__(out, name, theirs if theirs is not None else mine)
        return out


def TextLineDataset(filenames, compression_type=None, buffer_size=None,  # noqa: N802
                    num_parallel_reads=None):  # fmt: skip
    """The lines of the files (local paths or URIs), without their line endings, as bytes."""
    if compression_type:
        raise NotImplementedError("TextLineDataset: compressed files")
    return Dataset._files("text", filenames, {})


def TFRecordDataset(filenames, compression_type=None, buffer_size=None,  # noqa: N802
                    num_parallel_reads=None):  # fmt: skip
    """The records of TFRecord files (graph/tfrecord.py), as bytes; `compression_type`
    '', 'ZLIB' or 'GZIP'. A corrupt record is a DataLossError when reached."""
    args = {"compression": compression_name(compression_type)}
    return Dataset._files("tfrecord", filenames, args)


def FixedLengthRecordDataset(filenames, record_bytes, header_bytes=None,  # noqa: N802
                             footer_bytes=None, buffer_size=None, compression_type=None,
                             num_parallel_reads=None):  # fmt: skip
    """The records of `record_bytes` bytes of the files (after `header_bytes`, before
    `footer_bytes`), as bytes."""
    if compression_type:
        raise NotImplementedError("FixedLengthRecordDataset: compressed files")
    if int(record_bytes) <= 0:
        raise ValueError(f"record_bytes must be positive, got {record_bytes}")
    args = {"record": int(record_bytes), "header": int(header_bytes or 0),
            "footer": int(footer_bytes or 0)}  # fmt: skip
    return Dataset._files("records", filenames, args)


def make_one_shot_iterator(dataset):
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    return dataset.make_initializable_iterator(shared_name)


def get_output_types(dataset_or_iterator):
    return dataset_or_iterator.output_types


def get_output_shapes(dataset_or_iterator):
    return dataset_or_iterator.output_shapes


def get_output_classes(dataset_or_iterator):
    return dataset_or_iterator.output_classes


# The pipeline, run where the iterator's ops run -------------------------------------------------
class _Function:
    """A traced map/filter function, imported into a graph of its own and run in-process."""

    def __init__(self, spec: dict, captured=()):
        from .session import Session

        graph = Graph()
        with graph.as_default():
            _meta.import_graph(spec["graph"])
        self._feeds = [graph.get_tensor_by_name(n) for n in spec["feeds"]]
        self._fetches = [graph.get_tensor_by_name(n) for n in spec["fetches"]]
        names = spec.get("captures", [])
        self._captured = {graph.get_tensor_by_name(n): v for n, v in zip(names, captured)}
        self._session = Session(graph=graph)

    def __call__(self, element) -> tuple:
        feed = dict(zip(self._feeds, element))
        feed.update(self._captured)
        return tuple(self._session.run(self._fetches, feed))


def _interleave(stream, fn, spec, caches):
    """TF's interleave order: up to `cycle` open inner streams, `block` elements from each
    in turn; an exhausted stream's slot takes the next input element's."""
    cycle, block = spec["cycle"], spec["block"]
    slots: list = []
    exhausted_input = False

    def open_next():
        element = next(stream, None)
        if element is None:
            return None
        return _pipeline(spec["inner"], [np.asarray(v) for v in fn(element)], caches)

    while True:
        while not exhausted_input and len(slots) < cycle:
            inner = open_next()
            if inner is None:
                exhausted_input = True
                break
            slots.append(inner)
        if not slots:
            return
        k = 0
        while k < len(slots):
            taken = 0
            for item in slots[k]:
                yield item
                taken += 1
                if taken == block:
                    break
            if taken < block:  # this one ended: the next input element takes its slot
                replacement = None if exhausted_input else open_next()
                if replacement is None:
                    exhausted_input = True
                    slots.pop(k)
                    continue
                slots[k] = replacement
            k += 1


def _padding_value(value):
    if isinstance(value, Tensor):
        from .framework import constant_value

        known = constant_value(value)
        if known is None:
            raise ValueError("padded_batch's padding_values must be known when the dataset "
                             "is built (constants)")  # fmt: skip
        return known
    return value


def _pipeline(spec: dict, inputs: list, caches: dict):
    """A fresh iterator of the elements (tuples of arrays) `spec` describes."""
    kind = spec["kind"]
    if kind == "tensors":
        yield tuple(inputs[i] for i in spec["inputs"])
    elif kind == "slices":
        arrays = [np.asarray(inputs[i]) for i in spec["inputs"]]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise InvalidArgumentError(
                None, None, f"Dimensions of the components of from_tensor_slices are not equal: "
                f"{[len(a) for a in arrays]}"
            )  # fmt: skip
        for k in range(n):
            yield tuple(a[k] for a in arrays)
    elif kind == "range":
        bounds = [_resolve(spec[k], inputs) for k in ("start", "stop", "step")]
        for v in range(*bounds):
            yield (np.int64(v),)
    elif kind == "generator":
        fn = _GENERATORS.get(spec["token"])
        if fn is None:
            raise NotFoundError(
                None, None, "A from_generator dataset runs only in the process that built it "
                "(run it with the in-process Session, or a client hosted in the task)"
            )  # fmt: skip
        template = _undescribe(spec["template"])
        for item in fn():
            yield tuple(_flatten(item) if template is not None else [item])
    elif kind == "tfrecord":
        for name in np.atleast_1d(inputs[spec["inputs"][0]]).tolist():
            path = name.decode() if isinstance(name, bytes) else str(name)
            for record in decode_records(read_file(path, spec["compression"]), path):
                yield (np.array(record, dtype=object),)
    elif kind in ("text", "records"):
        for name in np.atleast_1d(inputs[spec["inputs"][0]]).tolist():
            path = name.decode() if isinstance(name, bytes) else str(name)
            try:
                data = storage.read_bytes(path)
            except FileNotFoundError:
                raise NotFoundError(None, None, f"{path}; No such file or directory") from None
            if kind == "text":
                for line in data.splitlines():
                    yield (np.array(line, dtype=object),)
            else:
                body = data[spec["header"] : len(data) - spec["footer"]]
                size = spec["record"]
                for k in range(0, len(body) - size + 1, size):
                    yield (np.array(body[k : k + size], dtype=object),)
    elif kind == "zip":
        streams = [_pipeline(c, inputs, caches) for c in spec["children"]]
        for parts in zip(*streams):
            yield tuple(x for p in parts for x in p)
    else:
        yield from _transform(kind, spec, inputs, caches)


def _transform(kind: str, spec: dict, inputs: list, caches: dict):
    def child():
        return _pipeline(spec["child"], inputs, caches)

    if kind == "flat_map":
        fn = _Function(spec["fn"], [inputs[i] for i in spec.get("captures", [])])
        for element in child():
            yield from _pipeline(spec["inner"], [np.asarray(v) for v in fn(element)], caches)
    elif kind == "interleave":
        fn = _Function(spec["fn"], [inputs[i] for i in spec.get("captures", [])])
        yield from _interleave(child(), fn, spec, caches)
    elif kind == "concat":
        yield from itertools.chain(child(), _pipeline(spec["other"], inputs, caches))
    elif kind == "map":
        fn = _Function(spec["fn"], [inputs[i] for i in spec.get("captures", [])])
        for element in child():
            yield fn(element)
    elif kind == "filter":
        fn = _Function(spec["fn"], [inputs[i] for i in spec.get("captures", [])])
        for element in child():
            if bool(fn(element)[0]):
                yield element
    elif kind in ("batch", "padded_batch"):
        stream = child()
        size = _resolve(spec["size"], inputs)
        if size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        while True:
            rows = list(itertools.islice(stream, size))
            if not rows or (spec["drop"] and len(rows) < size):
                return
            if kind == "batch":
                yield tuple(np.stack(c) for c in zip(*rows))
            else:
                yield tuple(_pad(c, shape, value) for c, shape, value in
                            zip(zip(*rows), spec["shapes"], spec["values"]))  # fmt: skip
    elif kind == "shuffle":
        yield from _shuffle(child(), spec, caches)
    elif kind == "repeat":
        count = _resolve(spec["count"], inputs)
        k = 0
        while count < 0 or k < count:
            empty = True
            for element in child():
                empty = False
                yield element
            k += 1
            if empty:
                return
    elif kind == "take":
        count = _resolve(spec["count"], inputs)
        yield from itertools.islice(child(), count if count >= 0 else None)
    elif kind == "skip":
        count = _resolve(spec["count"], inputs)
        yield from itertools.islice(child(), count if count >= 0 else None, None)
    elif kind == "shard":
        yield from itertools.islice(child(), spec["index"], None, spec["num"])
    elif kind == "prefetch":
        yield from _prefetch(child(), spec["size"])
    elif kind == "cache":
        done = caches.get(spec["key"])
        if done is not None:
            yield from done
            return
        kept = []
        for element in child():
            kept.append(element)
            yield element
        caches[spec["key"]] = kept
    else:
        raise InvalidArgumentError(None, None, f"unknown dataset transformation {kind!r}")


def _pad(rows, shape, value):
    dims = [max(np.shape(r)[i] for r in rows) if d is None else d for i, d in enumerate(shape)]
    out = np.full([len(rows)] + dims, value, dtype=np.asarray(rows[0]).dtype)
    for k, r in enumerate(rows):
        r = np.asarray(r)
        if any(a > b for a, b in zip(r.shape, dims)):
            raise InvalidArgumentError(
                None, None, f"Attempted to pad to a smaller size than the input element: "
                f"{list(r.shape)} > {dims}"
            )  # fmt: skip
        out[(k,) + tuple(slice(0, a) for a in r.shape)] = r
    return out


def _shuffle(stream, spec: dict, caches: dict):
    key = id(spec)
    epoch = caches.get(key, 0)
    caches[key] = epoch + 1
    seeded = spec["seed"] >= 0
    entropy = [spec["seed"], spec["seed2"], epoch if spec["reshuffle"] else 0] if seeded else None
    rng = np.random.default_rng(entropy)
    buffer = []
    for element in stream:
        buffer.append(element)
        if len(buffer) >= spec["buffer"]:
            k = int(rng.integers(len(buffer)))
            buffer[k], buffer[-1] = buffer[-1], buffer[k]
            yield buffer.pop()
    while buffer:
        k = int(rng.integers(len(buffer)))
        buffer[k], buffer[-1] = buffer[-1], buffer[k]
        yield buffer.pop()


def _prefetch(stream, size: int):
    """The elements of `stream`, made up to `size` ahead by a thread."""
    import queue

    q: queue.Queue = queue.Queue(maxsize=size)
    done = object()

    def fill():
        try:
            for element in stream:
                q.put(element)
            q.put(done)
        except BaseException as err:  # surfaces in the consumer
            q.put(err)

    threading.Thread(target=fill, daemon=True).start()
    while True:
        item = q.get()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _build(spec: dict, inputs: list):
    return _pipeline(spec, [np.asarray(x) for x in inputs], {})


_ops.PIPELINE["build"] = _build
