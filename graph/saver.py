"""`tf.train.Saver` and the checkpoint helpers (`latest_checkpoint`, `list_variables`, ...).

The Saver builds, at construction, one `SaveShard` and one `RestoreShard`/`CommitRestore`
pair per device that owns variables (colocated with them). `save` runs the shard ops in
one step (each device writes its own data file), then writes the index and the
`checkpoint` state file here, last. `restore` checks names, dtypes and shapes against
the index first, then stages every shard and commits only if all staged cleanly.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
import zlib
from typing import Any

import msgpack
import numpy as np

from . import checkpoint as _ckpt, console, dtypes as _dt, meta_graph as _meta, storage
from .errors import CheckpointNotFoundError, DataLossError, InvalidArgumentError, NotFoundError
from .framework import Tensor, colocate_with, get_default_graph, name_scope
from .ops import array as _array, io as _io
from .variables import global_variables

LARGE_BYTES = 256 << 20  # saves and restores of this much show progress


class Saver:
    """Saves and restores variables to and from checkpoints."""

    def __init__(
        self,
        var_list=None,
        reshape=False,
        sharded=False,
        max_to_keep=5,
        keep_checkpoint_every_n_hours=10000.0,
        name=None,
        restore_sequentially=False,
        saver_def=None,
        builder=None,
        defer_build=False,
        allow_empty=False,
        write_version=2,
        pad_step_number=False,
        save_relative_paths=False,
        filename=None,
        checkpoint_format="psflow",
    ):
        if checkpoint_format not in _ckpt.FORMATS:
            raise ValueError(
                f"checkpoint_format must be one of {', '.join(_ckpt.FORMATS)}, got "
                f"{checkpoint_format!r}"
            )
        # psflow's own format (faster, checked with xxh3), or TensorFlow's V2 format (a save
        # is written in psflow's, then rewritten: for checkpoints that leave for TensorFlow).
        self._format = checkpoint_format
        if var_list is None:
            var_list = global_variables()
        self._items = _named_variables(var_list)
        self._slices = {
            name: v._save_slice_info
            for name, v in self._items
            if getattr(v, "_save_slice_info", None) is not None
        }
        self._bytes = sum(  # what a save writes, as far as static shapes tell
            v.shape.num_elements() * v.dtype.size
            for _, v in self._items
            if v.shape.is_fully_defined() and v.dtype.name != "string"
        )
        if not self._items and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._keep_every = keep_checkpoint_every_n_hours
        self._next_keep_time = time.time() + keep_checkpoint_every_n_hours * 3600
        self._last_checkpoints: list[tuple[str, float]] = []
        self._save_relative_paths = save_relative_paths
        self._filename = filename
        self._sharded = sharded
        self._graph = get_default_graph()
        self._build(name)

    def _build(self, name) -> None:
        groups: dict[str, list[tuple[str, Any]]] = {}
        for key, var in self._items:
            groups.setdefault(var.device, []).append((key, var))
        self._shards = list(groups.values())
        with name_scope(name or "save"):
            n = len(self._shards)
            self._filename_feeds = [
                _array.placeholder("string", [], name=f"filename_{i}") for i in range(n)
            ]
            self._prefix_feeds = [
                _array.placeholder("string", [], name=f"restore_prefix_{i}") for i in range(n)
            ]
            self._token_feed = _array.placeholder("string", [], name="restore_token")
            # Probing and moving spooled shards (graph/storage.py): one op of each per shard.
            self._path_feed = _array.placeholder("string", [], name="path")
            self._offset_feed = _array.placeholder("int64", [], name="offset")
            self._length_feed = _array.placeholder("int64", [], name="length")
            self._chunk_feed = _array.placeholder("uint8", [None], name="chunk")
            self._save_ops, self._restore_ops, self._commit_ops, self._discard_ops = [], [], [], []
            self._probe_ops, self._read_ops, self._write_ops, self._drop_ops = [], [], [], []
            for i, items in enumerate(self._shards):
                keys = [k for k, _ in items]
                var_names = [v.op.name for _, v in items]
                plain = [(k, v) for k, v in items if _table_of(v) is None]
                tables = [[v.op.name, *_table_of(v)] for _, v in items if _table_of(v)]
                with colocate_with(items[0][1].op):
                    self._save_ops.append(_io.save_shard(self._filename_feeds[i], keys, var_names))
                    self._restore_ops.append(
                        _io.restore_shard(
                            self._prefix_feeds[i],
                            self._token_feed,
                            [k for k, _ in plain],
                            [v.op.name for _, v in plain],
                            [v.dtype.name for _, v in plain],
                            [
                                v.shape.as_list() if v.shape.ndims is not None else None
                                for _, v in plain
                            ],
                            tables,
                        )
                    )
                    self._commit_ops.append(_io.commit_restore(self._token_feed))
                    self._discard_ops.append(_io.commit_restore(self._token_feed, discard=True))
                    self._probe_ops.append(_io.file_crc(self._path_feed))
                    self._read_ops.append(
                        _io.read_chunk(self._path_feed, self._offset_feed, self._length_feed)
                    )
                    self._write_ops.append(
                        _io.write_chunk(self._path_feed, self._offset_feed, self._chunk_feed)
                    )
                    self._drop_ops.append(_io.drop_spool(self._token_feed))

    # Saving ---------------------------------------------------------------------------------
    def save(
        self,
        sess,
        save_path,
        global_step=None,
        latest_filename=None,
        meta_graph_suffix="meta",
        write_meta_graph=True,
        write_state=True,
        strip_default_attrs=False,
        save_debug_info=False,
    ):
        """Writes a checkpoint; returns its prefix (`save_path` or `save_path-STEP`)."""
        if global_step is not None:
            if isinstance(global_step, (int, np.integer)):
                global_step = int(global_step)
            else:
                global_step = int(sess.run(global_step))
            prefix = f"{save_path}-{global_step}"
        else:
            prefix = str(save_path)
        directory = os.path.dirname(prefix) or "."
        if not storage.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        latest_filename = latest_filename or "checkpoint"
        started = time.time()
        token = uuid.uuid4().hex[:12]
        n = len(self._shards)
        names = [_ckpt.data_file_name(prefix, i, n, token) for i in range(n)]
        spooled = self._unreachable_for_save(sess, directory, token) if n else []
        targets = [
            storage.spool_path(token, os.path.basename(p)) if i in spooled else p
            for i, p in enumerate(names)
        ]
        try:
            with self._activity(f"saving {prefix}"):
                feed = dict(zip(self._filename_feeds, targets))
                results = sess.run(self._save_ops, feed) if n else []
            for i in spooled:
                self._pull_spool(sess, i, targets[i], names[i])
        finally:
            if spooled:
                sess.run([self._drop_ops[i] for i in spooled], {self._token_feed: token})
        entries = [e for blob in results for e in msgpack.unpackb(blob)]
        for entry in entries:  # a partitioned variable's part: where it lies in the whole
            info = self._slices.get(entry["name"])
            if info is not None:
                entry["slice"] = [info[0], list(info[1]), list(info[2])]
        shard_files = [os.path.basename(p) for p in names]
        _ckpt.write_index(prefix, entries, shard_files)
        if self._format == "tensorflow":  # rewritten for TensorFlow's Saver to read
            _ckpt.convert(prefix, prefix, "tensorflow")
        _ckpt.remove_unreferenced_data(str(save_path), started)
        if write_meta_graph:
            self.export_meta_graph(f"{prefix}.{meta_graph_suffix}")
        if write_state:
            self._record(prefix, directory, latest_filename)
        return prefix

    def _activity(self, desc: str):
        """Progress for saves and restores of at least LARGE_BYTES (graph/console.py)."""
        return console.activity(desc) if self._bytes >= LARGE_BYTES else contextlib.nullcontext()

    # Shards that travel: a task that cannot reach the chief's checkpoint directory -------------
    def _unreachable(self, sess, shards, path, crc) -> list[int]:
        """The shards whose task does not see the chief's file `path` (checksum `crc`)."""
        shards = list(shards)
        found = sess.run([self._probe_ops[i] for i in shards], {self._path_feed: path})
        return [i for i, got in zip(shards, found) if int(got) != crc]

    def _unreachable_for_save(self, sess, directory, token) -> list[int]:
        """Probes with a marker file the chief writes into `directory` (a URI is reached by
        every task: no probe)."""
        if storage.is_uri(directory):
            return []
        marker = os.path.join(directory, f".psflow-probe-{token}")
        content = f"psflow probe {token}".encode()
        storage.atomic_write(marker, lambda f: f.write(content), sync=False)
        try:
            return self._unreachable(sess, range(len(self._shards)), marker, zlib.crc32(content))
        finally:
            storage.remove(marker)

    def _pull_spool(self, sess, shard, source, path) -> None:
        """Copies a spooled data file from its task to `path`, CHUNK_BYTES at a time."""
        read = self._read_ops[shard]

        def write(f) -> None:
            offset = 0
            with console.bar(desc=f"fetching shard {shard}", unit="B", unit_scale=True) as bar:
                while True:
                    feed = {
                        self._path_feed: source,
                        self._offset_feed: offset,
                        self._length_feed: _ckpt.CHUNK_BYTES,
                    }
                    chunk = sess.run(read, feed)
                    _ckpt.write_all(f, chunk)
                    offset += chunk.size
                    bar.update(chunk.size)
                    if chunk.size < _ckpt.CHUNK_BYTES:
                        return

        storage.atomic_write(path, write, buffered=False)

    def _push_shard(self, sess, shard, save_path, index, token) -> str:
        """Copies the tensors of one shard to its task as a spool checkpoint (their bytes
        at aligned offsets, and an index naming them), CHUNK_BYTES at a time; returns its
        prefix there."""
        data_name, moved, offset = f"shard{shard}.data", [], 0
        target = storage.spool_path(token, data_name)
        self._push(sess, shard, target, 0, b"")  # the file exists even when all are empty
        for key in _checkpoint_keys(self._shards[shard], index):
            entry = index[key]
            offset += -offset % _ckpt.ALIGN
            with storage.open_read(_ckpt.data_path(save_path, entry)) as f:
                f.seek(entry["offset"])
                done = 0
                while done < entry["nbytes"]:
                    buf = np.empty(min(_ckpt.CHUNK_BYTES, entry["nbytes"] - done), np.uint8)
                    if _ckpt.read_into(f, buf) != buf.size:
                        raise DataLossError(
                            None, None, f"Truncated checkpoint data for tensor {key} in {save_path}"
                        )
                    self._push(sess, shard, target, offset + done, buf)
                    done += buf.size
            moved.append({**entry, "file": data_name, "offset": offset})
            offset += entry["nbytes"]
        prefix = storage.spool_path(token, f"shard{shard}")
        self._push(sess, shard, f"{prefix}.index", 0, _ckpt.index_bytes(moved, [data_name]))
        return prefix

    def _push(self, sess, shard, path, offset, data) -> None:
        view = np.frombuffer(data, np.uint8) if isinstance(data, bytes) else data
        start = 0
        while True:
            piece = view[start : start + _ckpt.CHUNK_BYTES]
            feed = {
                self._path_feed: path,
                self._offset_feed: offset + start,
                self._chunk_feed: piece,
            }
            sess.run(self._write_ops[shard], feed)
            start += piece.size
            if start >= view.size:
                return

    def _record(self, prefix, directory, latest_filename) -> None:
        """Updates the `checkpoint` state file, then deletes what fell out of it: as TF1
        does, the state is written first, so a kill in between leaves it naming complete
        checkpoints only (what is deleted afterwards is no longer named)."""
        now = time.time()
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != prefix]
        self._last_checkpoints.append((prefix, now))
        pruned = []
        if self._max_to_keep:
            while len(self._last_checkpoints) > self._max_to_keep:
                old, stamp = self._last_checkpoints.pop(0)
                if stamp > self._next_keep_time:
                    self._next_keep_time += self._keep_every * 3600
                    continue
                pruned.append(old)
        paths = [self._state_path(p, directory) for p, _ in self._last_checkpoints]
        _ckpt.write_state(
            directory,
            self._state_path(prefix, directory),
            paths,
            latest_filename,
            [t for _, t in self._last_checkpoints],
        )
        for old in pruned:
            _ckpt.remove_checkpoint(old)

    def _state_path(self, prefix, directory) -> str:
        """A path for the state file: relative to the checkpoint directory unless given
        absolute (a relative path resolved against the process's working directory would
        break `latest_checkpoint(DIR)` from anywhere else)."""
        if storage.is_uri(prefix):
            return prefix
        if self._save_relative_paths or not os.path.isabs(prefix):
            return os.path.relpath(prefix, directory)
        return prefix

    # Restoring ------------------------------------------------------------------------------
    def restore(self, sess, save_path) -> None:
        """Restores every variable of this Saver from `save_path`; on any error, none changes."""
        self._restore(sess, save_path, range(len(self._shards)))

    def restore_variables(self, sess, save_path, names) -> list[str]:
        """Restores the shards (one per device) holding any of the variables `names` (op
        names), as `restore` does; the other devices keep their values. Returns the names of
        the variables restored. A psflow extension: the chief restores what a restarted
        parameter server lost (graph/monitored_session.py)."""
        wanted = set(names)
        shards = [
            i for i, items in enumerate(self._shards) if any(v.op.name in wanted for _, v in items)
        ]
        self._restore(sess, save_path, shards)
        return [v.op.name for i in shards for _, v in self._shards[i]]

    def _restore(self, sess, save_path, shards) -> None:
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        save_path = str(save_path)
        if not checkpoint_exists(save_path):
            raise CheckpointNotFoundError(
                None, None, f"The passed save_path is not a valid checkpoint: {save_path}"
            )
        shards = list(shards)
        if not shards:
            return
        index = _ckpt.read_index(save_path)["tensors"]
        for key, var in (item for i in shards for item in self._shards[i]):
            if _table_of(var) is not None:
                if not _ckpt.table_entries(index, _table_of(var)[0]):
                    raise NotFoundError(
                        None,
                        None,
                        f"Key {_table_of(var)[0]} not found in checkpoint {save_path} "
                        f"(dynamic embedding table {var.op.name})",
                    )
                continue
            entry = index.get(key)
            if entry is None:
                raise NotFoundError(
                    None,
                    None,
                    f"Key {key} not found in checkpoint {save_path} (variable {var.op.name})",
                )
            shape = var.shape.as_list() if var.shape.is_fully_defined() else None
            if entry["dtype"] != var.dtype.name or (
                shape is not None and list(entry["shape"]) != shape
            ):
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Restoring variable {var.op.name} from {save_path}: the checkpoint holds "
                    f"{key} with dtype {entry['dtype']} and shape {entry['shape']}, the variable "
                    f"has dtype {var.dtype.name} and shape {var.shape}",
                )
        token = uuid.uuid4().hex[:12]
        index_crc = zlib.crc32(storage.read_bytes(f"{save_path}.index"))
        spooled = (
            []
            if storage.is_uri(save_path)
            else self._unreachable(sess, shards, f"{save_path}.index", index_crc)
        )
        feed = {self._prefix_feeds[i]: save_path for i in shards}
        feed[self._token_feed] = token
        try:
            for i in spooled:
                feed[self._prefix_feeds[i]] = self._push_shard(sess, i, save_path, index, token)
            with self._activity(f"restoring {save_path}"):
                sess.run([self._restore_ops[i] for i in shards], feed)
        except BaseException:
            sess.run([self._discard_ops[i] for i in shards], {self._token_feed: token})
            raise
        finally:
            if spooled:
                sess.run([self._drop_ops[i] for i in spooled], {self._token_feed: token})
        sess.run([self._commit_ops[i] for i in shards], {self._token_feed: token})

    # Bookkeeping ----------------------------------------------------------------------------
    @property
    def last_checkpoints(self) -> list[str]:
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints) -> None:
        self._last_checkpoints = [(p, time.time()) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time) -> None:
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths) -> None:
        self.set_last_checkpoints([p for p in checkpoint_paths if checkpoint_exists(p)])

    def export_meta_graph(
        self,
        filename=None,
        collection_list=None,
        as_text=False,
        export_scope=None,
        clear_devices=False,
        **_ignored,
    ):
        return _meta.export_meta_graph(
            filename, collection_list, graph=self._graph, saver=self, clear_devices=clear_devices
        )

    def _to_meta(self) -> dict:
        return {
            "var_names": {k: v.op.name for k, v in self._items},
            "max_to_keep": self._max_to_keep,
        }

    def as_saver_def(self) -> dict:
        return self._to_meta()


def _table_of(var):
    """(table name, shard, number of shards, config) of a dynamic table shard, else None."""
    return getattr(var, "_dynamic_table", None)


def _checkpoint_keys(items, index) -> list[str]:
    """The index keys a restore of `items` reads: a dynamic table shard reads every saved
    shard of its table (its ids may be in any of them)."""
    keys = []
    for key, var in items:
        table = _table_of(var)
        if table is None:
            keys.append(key)
        else:
            keys += [k for names in _ckpt.table_entries(index, table[0]).values()
                     for k in names.values()]  # fmt: skip
    return keys


def _named_variables(var_list) -> list[tuple[str, object]]:
    if isinstance(var_list, dict):
        items = list(var_list.items())
    else:
        items = []
        for v in (s for v in var_list for s in getattr(v, "_get_variable_list", lambda v=v: [v])()):
            if isinstance(v, Tensor):
                raise TypeError(f"Saver var_list entries must be Variables, not {v!r}")
            items.append((v.op.name, v))
    seen = set()
    for key, var in items:
        if not hasattr(var, "_ref"):
            raise TypeError(f"Variable to save is not a Variable: {var!r}")
        if key in seen:
            raise ValueError(f"At least two variables have the same name: {key}")
        seen.add(key)
    return items


# Helpers ------------------------------------------------------------------------------------
class CheckpointState:
    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths, timestamps=()):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(timestamps)

    def __repr__(self) -> str:
        return f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r})"


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The `checkpoint` state file of `checkpoint_dir` (None when there is none)."""
    state = _ckpt.read_state(str(checkpoint_dir), latest_filename or "checkpoint")
    if state is None:
        return None

    def absolute(p):
        return p if storage.isabs(p) else os.path.join(str(checkpoint_dir), p)

    return CheckpointState(
        absolute(state["model_checkpoint_path"]),
        [absolute(p) for p in state["all_model_checkpoint_paths"]],
        state["all_model_checkpoint_timestamps"],
    )


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint in `checkpoint_dir`, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix) -> bool:
    return storage.exists(f"{checkpoint_prefix}.index")


def _prefix_of(ckpt_dir_or_file) -> str:
    path = str(ckpt_dir_or_file)
    if storage.isdir(path):
        found = latest_checkpoint(path)
        if found is None:
            raise CheckpointNotFoundError(
                None,
                None,
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}",
            )
        return found
    return path


class CheckpointReader:
    """Reads tensors of one checkpoint by name (TF's NewCheckpointReader)."""

    def __init__(self, prefix):
        self._prefix = _prefix_of(prefix)
        index = _ckpt.read_index(self._prefix)["tensors"]
        # (the parts of a variable TensorFlow saved in slices are for restoring into a
        # partitioned variable; the checkpoint holds the whole, as TF lists it)
        self._index = {k: e for k, e in index.items() if not e.get("derived")}

    def has_tensor(self, name) -> bool:
        return name in self._index

    def get_tensor(self, name):
        entry = self._index.get(name)
        if entry is None:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint")
        return _ckpt.read_tensor(self._prefix, entry)

    def get_variable_to_shape_map(self) -> dict:
        return {k: list(e["shape"]) for k, e in self._index.items()}

    def get_variable_to_dtype_map(self) -> dict:
        return {k: _dt.as_dtype(e["dtype"]) for k, e in self._index.items()}


NewCheckpointReader = CheckpointReader


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list]]:
    reader = CheckpointReader(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    return CheckpointReader(ckpt_dir_or_file).get_tensor(name)


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None, **kwargs):
    """Rebuilds a meta graph's ops and collections in the default graph; returns a Saver
    over its variables (None when it had none)."""
    var_list, saver_info = _meta.import_graph(meta_graph_or_file, clear_devices, import_scope)
    if var_list is None:
        return None
    return Saver(var_list, max_to_keep=saver_info.get("max_to_keep", 5))


def export_meta_graph(filename=None, collection_list=None, **kwargs):
    return _meta.export_meta_graph(filename, collection_list, **kwargs)
