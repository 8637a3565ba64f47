"""Save and restore ops. Each is placed on the device that owns the variables it touches,
so on a cluster every parameter server writes and reads its own shard, in parallel.

Restore is two-phase so that a failed restore changes no variable anywhere: every
`RestoreShard` reads and checks its tensors into a staging area of its VariableStore;
only when all succeeded does the Saver run the `CommitRestore` ops, which swap them in.
"""

from __future__ import annotations

import msgpack
import numpy as np

from .. import checkpoint as _ckpt, dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..framework import apply_op
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape


def _string_scalar(*_, **__):
    return TensorSpec(_dt.string, TensorShape([]))


def _text(value) -> str:
    value = np.asarray(value).item()
    return value.decode() if isinstance(value, bytes) else str(value)


def _save_shard_kernel(state, filename, *, tensor_names, var_names):
    tensors = [(key, state.read(var)) for key, var in zip(tensor_names, var_names)]
    entries = _ckpt.write_data_file(_text(filename), tensors)
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


def _restore_shard_kernel(state, prefix, token, *, tensor_names, var_names, dtypes, shapes):
    prefix = _text(prefix)
    index = _ckpt.read_index(prefix)["tensors"]
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
    state.store.stage(_text(token), staged)
    return None


register_op(
    OpDef(
        "RestoreShard",
        inputs=["prefix: string", "token: string"],
        outputs=[],
        attrs={"tensor_names": [], "var_names": [], "dtypes": [], "shapes": []},
        infer=lambda *a, **k: [],
        kernel=_restore_shard_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
    )
)


def restore_shard(prefix, token, tensor_names, var_names, dtypes, shapes, name=None):
    attrs = {
        "tensor_names": list(tensor_names),
        "var_names": list(var_names),
        "dtypes": list(dtypes),
        "shapes": list(shapes),
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
