"""Save and restore ops. Each is placed on the device that owns the variables it touches,
so on a cluster every parameter server writes and reads its own shard, in parallel.

When a parameter server cannot reach the chief's checkpoint directory (no shared
filesystem and no URI), its shard travels as a spool file (graph/storage.py): `SaveShard`
writes it to the server's own temporary directory and the chief pulls it with `ReadChunk`
in bounded chunks; on restore the chief pushes the tensors the server needs with
`WriteChunk` and `RestoreShard` reads them there. `FileCrc` is the probe that tells: the
server's checksum of a file the chief wrote (or reads) at the same path.

Restore is two-phase so that a failed restore changes no variable anywhere: every
`RestoreShard` reads and checks its tensors into a staging area of its VariableStore;
only when all succeeded does the Saver run the `CommitRestore` ops, which swap them in.
"""

from __future__ import annotations

import zlib

import msgpack
import numpy as np

from .. import checkpoint as _ckpt, dtypes as _dt, storage
from ..dynamic_table import HashTable
from ..errors import InvalidArgumentError, NotFoundError
from ..framework import apply_op
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from .dynamic import table_config


def _string_scalar(*_, **__):
    return TensorSpec(_dt.string, TensorShape([]))


def _text(value) -> str:
    value = np.asarray(value).item()
    return value.decode() if isinstance(value, bytes) else str(value)


def _save_shard_kernel(state, filename, *, tensor_names, var_names):
    tensors = []
    for key, var in zip(tensor_names, var_names):
        value = state.read(var)
        if isinstance(value, HashTable):  # a dynamic table: its arrays
            tensors += [(_ckpt.table_tensor_name(key, k), v) for k, v in value.export().items()]
        else:
            tensors.append((key, value))
    path = _text(filename)
    entries = _ckpt.write_data_file(path, tensors, sync=not path.startswith(storage.SPOOL))
    return np.array(msgpack.packb(entries), dtype=object)


register_op(
    OpDef(
        "SaveShard",
        inputs=["filename: string"],
        outputs=["entries: string"],
        attrs={"tensor_names": [], "var_names": []},
        infer=_string_scalar,
        kernel=_save_shard_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def save_shard(filename, tensor_names, var_names, name=None):
    attrs = {"tensor_names": list(tensor_names), "var_names": list(var_names)}
    return apply_op("SaveShard", [filename], attrs, name=name or "SaveShard").outputs[0]


def _restore_table(prefix, index, var, base, shard, num_shards, config) -> HashTable:
    """Shard `shard` of `num_shards` of the dynamic table `base`, from the rows of every
    shard the checkpoint holds whose id falls to it (any number of shards saved it)."""
    saved = _ckpt.table_entries(index, base)
    if not saved:
        raise NotFoundError(None, None, f"Key {base} not found in checkpoint")
    pieces: dict[str, list] = {}
    initial: dict[str, float] = {}
    for names in saved.values():
        for part, key in names.items():
            if part.startswith("slotinit:"):
                initial[part.partition(":")[2]] = float(_ckpt.read_tensor(prefix, index[key]))
    for names in saved.values():
        entry = index[names["values"]]
        if len(entry["shape"]) != 2 or entry["shape"][1] != config["dim"]:
            raise InvalidArgumentError(
                None,
                None,
                f"dynamic table {var} has rows of dimension {config['dim']}; the checkpoint "
                f"holds {names['values']} with shape {entry['shape']}",
            )
        keys = _ckpt.read_tensor(prefix, index[names["keys"]])
        mine = np.flatnonzero(np.mod(keys, num_shards) == shard)
        pieces.setdefault("keys", []).append(keys[mine])
        for part in ["values", "freq", *(f"slot:{s}" for s in initial)]:
            saved_as = names.get(part)
            if saved_as is not None:
                rows = _ckpt.read_tensor(prefix, index[saved_as])[mine]
            elif part == "freq":
                rows = np.zeros(len(mine), np.int64)
            else:  # a slot this shard had not made yet: its initial value
                rows = np.full((len(mine), config["dim"]), initial[part[5:]], config["dtype"])
            pieces.setdefault(part, []).append(rows)
    parts = {k: np.concatenate(v) for k, v in pieces.items()}
    parts.update({f"slotinit:{s}": np.asarray(v) for s, v in initial.items()})
    return HashTable.load(table_config(config, var), parts)


def _restore_shard_kernel(state, prefix, token, *, tensor_names, var_names, dtypes, shapes, tables):
    prefix = _text(prefix)
    index = _ckpt.read_index(prefix)["tensors"]
    staged_tables = {t[0]: _restore_table(prefix, index, *t) for t in tables}
    wanted = []
    for key, var, dtype, shape in zip(tensor_names, var_names, dtypes, shapes):
        entry = index.get(key)
        if entry is None:
            raise NotFoundError(None, None, f"Key {key} not found in checkpoint")
        if entry["dtype"] != dtype or (shape is not None and list(entry["shape"]) != list(shape)):
            raise InvalidArgumentError(
                None,
                None,
                f"tensor {key} in the checkpoint has dtype {entry['dtype']} and shape "
                f"{entry['shape']}; variable {var} expects {dtype} and shape {shape}",
            )
        wanted.append(entry)
    staged = dict(zip(var_names, _ckpt.read_tensors(prefix, wanted)))
    state.store.stage(_text(token), {**staged, **staged_tables})
    return None


register_op(
    OpDef(
        "RestoreShard",
        inputs=["prefix: string", "token: string"],
        outputs=[],
        attrs={"tensor_names": [], "var_names": [], "dtypes": [], "shapes": [], "tables": []},
        infer=lambda *a, **k: [],
        kernel=_restore_shard_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def restore_shard(prefix, token, tensor_names, var_names, dtypes, shapes, tables=(), name=None):
    """`tables`: [store name, table name, shard, number of shards, config] per dynamic table
    shard restored here (graph/dynamic_embedding.py)."""
    attrs = {
        "tensor_names": list(tensor_names),
        "var_names": list(var_names),
        "dtypes": list(dtypes),
        "shapes": list(shapes),
        "tables": [list(t) for t in tables],
    }
    return apply_op("RestoreShard", [prefix, token], attrs, name=name or "RestoreShard")


def _commit_restore_kernel(state, token, *, discard):
    staged = state.store.unstage(_text(token))
    if not discard:
        for var, value in staged.items():
            state.write(var, value)
    return None


register_op(
    OpDef(
        "CommitRestore",
        inputs=["token: string"],
        outputs=[],
        attrs={"discard": False},
        infer=lambda *a, **k: [],
        kernel=_commit_restore_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def commit_restore(token, discard=False, name=None):
    return apply_op(
        "CommitRestore", [token], {"discard": bool(discard)}, name=name or "CommitRestore"
    )


# Reaching the chief's files, and spool files ---------------------------------------------------
def _file_crc_kernel(_state, path):
    """crc32 of the file at `path` as this task sees it; -1 when it cannot read it."""
    try:
        return np.int64(zlib.crc32(storage.read_bytes(_text(path))))
    except OSError:
        return np.int64(-1)


register_op(
    OpDef(
        "FileCrc",
        inputs=["path: string"],
        outputs=["crc: int64"],
        infer=lambda *a, **k: TensorSpec(_dt.int64, TensorShape([])),
        kernel=_file_crc_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def file_crc(path, name=None):
    return apply_op("FileCrc", [path], {}, name=name or "FileCrc").outputs[0]


def _read_chunk_kernel(_state, path, offset, length):
    data = storage.read_at(_text(path), int(offset), int(length))
    return np.frombuffer(data, dtype=np.uint8)


register_op(
    OpDef(
        "ReadChunk",
        inputs=["path: string", "offset: int64", "length: int64"],
        outputs=["data: uint8"],
        infer=lambda *a, **k: TensorSpec(_dt.uint8, TensorShape([None])),
        kernel=_read_chunk_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def read_chunk(path, offset, length, name=None):
    return apply_op("ReadChunk", [path, offset, length], {}, name=name or "ReadChunk").outputs[0]


def _write_chunk_kernel(_state, path, offset, data):
    storage.write_at(_text(path), int(offset), np.ascontiguousarray(data, dtype=np.uint8))
    return None


register_op(
    OpDef(
        "WriteChunk",
        inputs=["path: string", "offset: int64", "data: uint8"],
        outputs=[],
        infer=lambda *a, **k: [],
        kernel=_write_chunk_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def write_chunk(path, offset, data, name=None):
    return apply_op("WriteChunk", [path, offset, data], {}, name=name or "WriteChunk")


def _drop_spool_kernel(_state, token):
    storage.drop_spool(_text(token))
    return None


register_op(
    OpDef(
        "DropSpool",
        inputs=["token: string"],
        outputs=[],
        infer=lambda *a, **k: [],
        kernel=_drop_spool_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def drop_spool(token, name=None):
    return apply_op("DropSpool", [token], {}, name=name or "DropSpool")
