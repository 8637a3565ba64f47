"""`tf.summary.FileWriter` (and the old `tf.train.SummaryWriter`): events to a logdir through
the tensorboard package's own event writer (`events.out.tfevents.<time>.<host>...`, a
background flush thread), plus `FileWriterCache` and `summary_iterator` for reading back."""

from __future__ import annotations

import threading
import time

import numpy as np


def _event_pb2():
    from tensorboard.compat.proto import event_pb2

    return event_pb2


def _use_tensorboard_file_io() -> None:
    """Makes tensorboard's writer use its own file layer, not TensorFlow's: tensorboard
    imports a TensorFlow it finds installed (seconds of start-up and log noise) unless the
    `tensorboard.compat.notf` marker module exists. Left alone when TensorFlow is already
    loaded in this process."""
    import sys
    import types

    if "tensorflow" in sys.modules or "tensorboard.compat.notf" in sys.modules:
        return
    sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")


class FileWriter:
    """Writes Summary protos, the graph, session logs and run metadata to an event file."""

    def __init__(
        self,
        logdir,
        graph=None,
        max_queue=10,
        flush_secs=120,
        graph_def=None,
        filename_suffix=None,
        session=None,
    ):
        self._logdir = str(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._writer = None
        self._closed = True
        self._lock = threading.Lock()
        self.reopen()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def get_logdir(self) -> str:
        return self._logdir

    def reopen(self) -> None:
        """Opens a new event file after `close` (a no-op while open)."""
        _use_tensorboard_file_io()
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        with self._lock:
            if self._closed:
                self._writer = EventFileWriter(
                    self._logdir, self._max_queue, self._flush_secs, self._suffix
                )
                self._closed = False

    def add_event(self, event) -> None:
        if self._closed:
            raise RuntimeError("FileWriter is closed")
        if not event.wall_time:
            event.wall_time = time.time()
        self._writer.add_event(event)

    def add_summary(self, summary, global_step=None) -> None:
        """Adds a Summary proto or its serialized bytes (as `sess.run` returns them)."""
        from tensorboard.compat.proto import summary_pb2

        if isinstance(summary, np.ndarray):
            summary = summary.item()
        if isinstance(summary, bytes):
            summary = summary_pb2.Summary.FromString(summary)
        event = _event_pb2().Event(summary=summary)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_graph(self, graph, global_step=None, graph_def=None) -> None:
        """Adds the GraphDef of `graph` (every node with its device) for the Graph tab."""
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if graph is not None:
            graph_def = graph.as_graph_def(add_shapes=True, for_display=True)
        event = _event_pb2().Event(graph_def=graph_def.SerializeToString())
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_session_log(self, session_log, global_step=None) -> None:
        event = _event_pb2().Event(session_log=session_log)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_run_metadata(self, run_metadata, tag, global_step=None) -> None:
        pb = _event_pb2()
        tagged = pb.TaggedRunMetadata(tag=tag, run_metadata=run_metadata.SerializeToString())
        event = pb.Event(tagged_run_metadata=tagged)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def flush(self) -> None:
        if not self._closed:
            self._writer.flush()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._writer.close()
                self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


SummaryWriter = FileWriter


class FileWriterCache:
    """One FileWriter per logdir, shared."""

    _cache: dict = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir) -> FileWriter:
        with FileWriterCache._lock:
            key = str(logdir)
            if key not in FileWriterCache._cache:
                FileWriterCache._cache[key] = FileWriter(key)
            return FileWriterCache._cache[key]

    @staticmethod
    def clear() -> None:
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache.clear()


def summary_iterator(path):
    """Yields the Event protos of one event file, in order, as written."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    event_cls = _event_pb2().Event
    for record in RawEventFileLoader(str(path)).Load():
        yield event_cls.FromString(record)
