"""`tf.lookup`: static hash tables from key/value tensors or text files, and vocabulary
tables with hashed out-of-vocabulary buckets. A table lives in the VariableStore of the
process that runs its ops (`store.tables`, by shared name); its initializer is added to
TABLE_INITIALIZERS (run by `tf.tables_initializer()`); a lookup before it raises
FailedPreconditionError "Table not initialized.", as TF."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from ..framework import GraphKeys, apply_op, convert_to_tensor, get_default_graph
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


class TextFileIndex:
    WHOLE_LINE = -2
    LINE_NUMBER = -1


def _key(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return value.item() if hasattr(value, "item") else value


def _table(state, name, create=False):
    store = state.store
    with store._lock:
        if create:
            return store.tables.setdefault(name, {})
        found = store.tables.get(name)
    if found is None:
        raise FailedPreconditionError(None, None, "Table not initialized.")
    return found


def _init_kernel(state, keys, values, *, shared_name, **_):
    table = {}
    for k, v in zip(np.asarray(keys, dtype=object).ravel(), np.asarray(values).ravel()):
        table[_key(k)] = v
    with state.store._lock:
        state.store.tables[shared_name] = table
    return None


def _text_init_kernel(
    state,
    filename,
    *,
    shared_name,
    key_index,
    value_index,
    delimiter,
    vocab_size,
    key_dtype,
    value_dtype,
    **_,
):
    from .. import storage

    path = np.asarray(filename, dtype=object).item()
    path = path.decode() if isinstance(path, bytes) else str(path)
    try:
        lines = storage.read_bytes(path).decode().splitlines()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    if vocab_size > 0:
        lines = lines[:vocab_size]

    def field(line, number, index, dtype):
        if index == TextFileIndex.WHOLE_LINE:
            text = line
        elif index == TextFileIndex.LINE_NUMBER:
            return number
        else:
            parts = line.split(delimiter)
            if index >= len(parts):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Invalid number of columns in {path} line {number} ({line}) for index {index}",
                )
            text = parts[index]
        if dtype == "string":
            return text.encode()
        return float(text) if dtype.startswith("float") else int(text)

    table = {}
    for number, line in enumerate(lines):
        table[field(line, number, key_index, key_dtype)] = field(
            line, number, value_index, value_dtype
        )
    with state.store._lock:
        state.store.tables[shared_name] = table
    return None


def _find_kernel(state, keys, default_value, *, shared_name, num_oov_buckets, value_dtype, **_):
    table = _table(state, shared_name)
    keys_arr = np.asarray(keys, dtype=object)
    dtype = _dt.as_dtype(value_dtype).np
    out = np.empty(keys_arr.shape, dtype=dtype)
    flat = out.reshape(-1)
    default = np.asarray(default_value).item() if np.size(default_value) == 1 else None
    for i, k in enumerate(keys_arr.reshape(-1)):
        key = _key(k)
        if key in table:
            flat[i] = table[key]
        elif num_oov_buckets > 0:
            import farmhash

            if isinstance(key, bytes):
                bucket = farmhash.fingerprint64(key)
            else:
                bucket = int(key) & ((1 << 64) - 1)
            flat[i] = len(table) + bucket % num_oov_buckets
        else:
            flat[i] = default
    return out


_ATTRS = {"shared_name": "", "key_dtype": "string", "value_dtype": "int64", "num_oov_buckets": 0}
register_op(
    OpDef(
        "LookupTableImport",
        inputs=["keys: Tin", "values: Tout"],
        outputs=[],
        types={"Tin": (), "Tout": ()},
        attrs=dict(_ATTRS),
        infer=lambda *a, **k: [],
        kernel=_init_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)
register_op(
    OpDef(
        "InitializeTableFromTextFile",
        inputs=["filename: string"],
        outputs=[],
        attrs={**_ATTRS, "key_index": -2, "value_index": -1, "delimiter": "\t", "vocab_size": -1},
        infer=lambda *a, **k: [],
        kernel=_text_init_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)
register_op(
    OpDef(
        "LookupTableFind",
        inputs=["keys: Tin", "default_value: Tout"],
        outputs=["values: Tout"],
        types={"Tin": (), "Tout": ()},
        attrs=dict(_ATTRS),
        infer=lambda keys, default, *, value_dtype, **_: TensorSpec(
            _dt.as_dtype(value_dtype), keys.shape
        ),
        kernel=_find_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def _size_kernel(state, **attrs):
    return np.int64(len(_table(state, attrs["shared_name"])))


def _export_kernel(state, **attrs):
    table = _table(state, attrs["shared_name"])
    key_np = _dt.as_dtype(attrs["key_dtype"]).np
    value_np = _dt.as_dtype(attrs["value_dtype"]).np
    keys = np.empty(len(table), dtype=key_np)
    values = np.empty(len(table), dtype=value_np)
    keys[:] = list(table)
    values[:] = list(table.values())
    return keys, values


register_op(
    OpDef(
        "LookupTableSize",
        inputs=[],
        outputs=["size: int64"],
        attrs=dict(_ATTRS),
        infer=lambda **k: TensorSpec(_dt.int64, TensorShape([])),
        kernel=_size_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)
register_op(
    OpDef(
        "LookupTableExport",
        inputs=[],
        outputs=["keys: any", "values: any"],
        attrs=dict(_ATTRS),
        infer=lambda *, key_dtype, value_dtype, **_: [
            TensorSpec(_dt.as_dtype(key_dtype), TensorShape([None])),
            TensorSpec(_dt.as_dtype(value_dtype), TensorShape([None])),
        ],
        kernel=_export_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


class KeyValueTensorInitializer:
    """Table contents from a keys tensor and a values tensor."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = convert_to_tensor(keys, dtype=key_dtype)
        self._values = convert_to_tensor(values, dtype=value_dtype)
        self.key_dtype, self.value_dtype = self._keys.dtype, self._values.dtype

    def initialize(self, table):
        return apply_op(
            "LookupTableImport",
            [self._keys, self._values],
            dict(table._attrs),
            name=f"{table.name}_init",
        )


class TextFileInitializer:
    """Table contents from a text file: keys and values from the columns `key_index` and
    `value_index` of each line (split at `delimiter`), or TextFileIndex.WHOLE_LINE /
    LINE_NUMBER."""

    def __init__(
        self,
        filename,
        key_dtype,
        key_index,
        value_dtype,
        value_index,
        vocab_size=None,
        delimiter="\t",
        name=None,
        value_index_offset=0,
    ):
        self._filename = convert_to_tensor(filename, dtype=_dt.string)
        self.key_dtype, self.value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        self._attrs = {
            "key_index": int(key_index),
            "value_index": int(value_index),
            "delimiter": delimiter,
            "vocab_size": int(vocab_size or -1),
        }

    def initialize(self, table):
        attrs = {**table._attrs, **self._attrs}
        return apply_op(
            "InitializeTableFromTextFile", [self._filename], attrs, name=f"{table.name}_init"
        )


class StaticHashTable:
    """An immutable key -> value table (initialized once by its initializer)."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        self._name = get_default_graph().unique_name(name or "hash_table")
        self._default = convert_to_tensor(default_value, dtype=initializer.value_dtype)
        self._initializer = initializer
        self._attrs = {
            "shared_name": self._name,
            "key_dtype": initializer.key_dtype.name,
            "value_dtype": initializer.value_dtype.name,
            "num_oov_buckets": 0,
        }
        self._init_op = initializer.initialize(self)
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, self._init_op)

    name = property(lambda self: self._name)
    key_dtype = property(lambda self: self._initializer.key_dtype)
    value_dtype = property(lambda self: self._initializer.value_dtype)
    default_value = property(lambda self: self._default)
    initializer = property(lambda self: self._init_op)

    def lookup(self, keys, name=None):
        keys = convert_to_tensor(keys, dtype=self.key_dtype)
        return apply_op(
            "LookupTableFind",
            [keys, self._default],
            dict(self._attrs),
            name=name or f"{self._name}_Lookup",
        ).outputs[0]

    def size(self, name=None):
        return apply_op("LookupTableSize", [], dict(self._attrs), name=name).outputs[0]

    def export(self, name=None):
        out = apply_op("LookupTableExport", [], dict(self._attrs), name=name).outputs
        return out[0], out[1]


class StaticVocabularyTable(StaticHashTable):
    """Vocabulary ids (int64) with out-of-vocabulary keys hashed into num_oov_buckets ids
    after the vocabulary (FarmHash Fingerprint64 of the key modulo the buckets, as TF)."""

    def __init__(
        self,
        initializer,
        num_oov_buckets,
        lookup_key_dtype=None,
        name=None,
        experimental_is_anonymous=False,
    ):
        if num_oov_buckets <= 0:
            raise ValueError("num_oov_buckets must be > 0.")
        super().__init__(initializer, -1, name or "hash_table")
        self._attrs["num_oov_buckets"] = int(num_oov_buckets)
