"""TF1's queue-based input pipeline: QueueRunner, start_queue_runners, and the producers and
batchers built on queues (`slice_input_producer`, `string_input_producer`,
`input_producer`, `range_input_producer`, `limit_epochs`, `batch`, `shuffle_batch`).

A QueueRunner runs its enqueue ops in threads, each a loop of `sess.run(enqueue_op)`, until
the coordinator stops or an enqueue raises OutOfRangeError (its input is exhausted: the
queue is then closed, so dequeues drain it and then raise OutOfRangeError themselves).
Queues run with the in-process Session (see graph/ops/queues.py).
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from . import dtypes as _dt
from .errors import CancelledError, OutOfRangeError
from .framework import (
    GraphKeys,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from .ops import array as _array, math as _math, random as _random, state as _state
from .ops.queues import FIFOQueue, RandomShuffleQueue, limit_epochs_check
from .shapes import TensorShape
from .variables import Variable


class QueueRunner:
    """Runs `enqueue_ops` of `queue` in threads (one per op)."""

    def __init__(
        self,
        queue=None,
        enqueue_ops=None,
        close_op=None,
        cancel_op=None,
        queue_closed_exception_types=None,
        queue_runner_def=None,
        import_scope=None,
    ):
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner needs a queue and its enqueue ops")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(True)
        self._exception_types = tuple(queue_closed_exception_types or (OutOfRangeError,))
        self._lock = threading.Lock()
        self._runs = 0
        self._exceptions: list[BaseException] = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return list(self._enqueue_ops)

    @property
    def exceptions_raised(self):
        return list(self._exceptions)

    def _run(self, sess, enqueue_op, coord):
        try:
            while coord is None or not coord.should_stop():
                try:
                    sess.run(enqueue_op)
                except self._exception_types + (CancelledError,):
                    with self._lock:
                        self._runs -= 1
                        last = self._runs == 0
                    if last:
                        with contextlib.suppress(Exception):  # the session may be closing
                            sess.run(self._close_op)
                    return
        except BaseException as err:  # reported to the coordinator, as TF1
            self._exceptions.append(err)
            if coord is not None:
                coord.request_stop(err)
            else:
                raise

    def _close_on_stop(self, sess, coord):
        coord.wait_for_stop()
        with contextlib.suppress(Exception):
            sess.run(self._cancel_op)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        with self._lock:
            self._runs = len(self._enqueue_ops)
        threads = [
            threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon)
            for op in self._enqueue_ops
        ]
        if coord is not None:
            threads.append(
                threading.Thread(target=self._close_on_stop, args=(sess, coord), daemon=True)
            )
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(
    sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS
):
    """Starts the threads of every QueueRunner in `collection`; returns them."""
    from .framework import get_default_session

    sess = sess or get_default_session()
    if sess is None:
        raise ValueError("Cannot start queue runners: No default session is registered.")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


# Producers -------------------------------------------------------------------------------------
def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, and OutOfRangeError after it was produced num_epochs times (a local
    counter variable, initialized by local_variables_initializer)."""
    if num_epochs is None:
        return convert_to_tensor(tensor)
    with name_scope(name, "limit_epochs"):
        counter = Variable(
            np.int64(0), trainable=False, name="epochs", collections=[GraphKeys.LOCAL_VARIABLES]
        )
        check = limit_epochs_check(_state.assign_add(counter, np.int64(1)), num_epochs)
        with control_dependencies([check]):
            return _array.identity(convert_to_tensor(tensor))


def input_producer(
    input_tensor,
    element_shape=None,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    summary_name=None,
    name=None,
    cancel_op=None,
):
    """A FIFOQueue fed the rows of `input_tensor` (shuffled each epoch), by a QueueRunner."""
    with name_scope(name, "input_producer"):
        x = convert_to_tensor(input_tensor)
        if shuffle:
            x = _random.random_shuffle(x, seed=seed)
        x = limit_epochs(x, num_epochs)
        shape = element_shape if element_shape is not None else x.shape[1:]
        q = FIFOQueue(capacity, [x.dtype], shapes=[_dims(shape)], shared_name=shared_name)
        add_queue_runner(QueueRunner(q, [q.enqueue_many([x])]))
        return q


def _dims(shape):
    """A shape as a list (None for an unknown rank)."""
    shape = TensorShape(shape)
    return shape.as_list() if shape.ndims is not None else None


def string_input_producer(
    string_tensor,
    num_epochs=None,
    shuffle=True,
    seed=None,
    capacity=32,
    shared_name=None,
    name=None,
    cancel_op=None,
):
    """A queue of the strings (usually file names), num_epochs times (None: forever)."""
    with name_scope(name, "input_producer"):
        return input_producer(
            convert_to_tensor(string_tensor, dtype=_dt.string),
            [],
            num_epochs,
            shuffle,
            seed,
            capacity,
            shared_name,
        )


def range_input_producer(
    limit, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
):
    """A queue of the integers 0 .. limit-1, num_epochs times."""
    with name_scope(name, "input_producer"):
        return input_producer(
            _math.range_(0, limit), [], num_epochs, shuffle, seed, capacity, shared_name
        )


def slice_input_producer(
    tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32, shared_name=None, name=None
):
    """One row of each tensor (the same row of all) per dequeue, num_epochs times."""
    with name_scope(name, "input_producer"):
        tensors = [convert_to_tensor(t) for t in tensor_list]
        n = _array.shape(tensors[0], out_type=_dt.int32)[0]
        q = range_input_producer(n, num_epochs, shuffle, seed, capacity, shared_name)
        index = q.dequeue()
        return [_array.gather(t, index) for t in tensors]


# Batching ----------------------------------------------------------------------------------------
def _flatten(tensors):
    """(flat tensor list, how to rebuild the caller's structure from dequeued tensors)."""
    if isinstance(tensors, dict):
        names = sorted(tensors)
        return [convert_to_tensor(tensors[k]) for k in names], lambda out: dict(zip(names, out))
    if isinstance(tensors, (list, tuple)):
        return [convert_to_tensor(t) for t in tensors], list
    return [convert_to_tensor(tensors)], lambda out: out[0]


def _kept(flat, keep_input, enqueue_many):
    """The rows of `flat` that `keep_input` keeps, as an enqueue_many list (TF's
    maybe_batch: a scalar keeps or drops the element, a vector each row)."""
    if keep_input is True:
        return flat, enqueue_many
    keep = convert_to_tensor(keep_input, dtype=_dt.bool_)
    if keep.shape.ndims not in (0, 1):
        raise ValueError(f"keep_input must be a scalar or a vector, got shape {keep.shape}")
    if not enqueue_many:
        flat = [_array.expand_dims(t, 0) for t in flat]
        keep = _array.reshape(keep, [1])
    elif keep.shape.ndims == 0:
        keep = _array.fill(_array.shape(flat[0])[:1], keep)
    return [_array.boolean_mask(t, keep) for t in flat], True


def _batch(
    tensors_list,
    batch_size,
    num_threads,
    capacity,
    enqueue_many,
    shapes,
    allow_smaller_final_batch,
    keep_input,
    make_queue,
):
    """Batches through a queue that one enqueue op per element of `tensors_list` fills
    (each run by its own QueueRunner thread, `num_threads` times for a single list)."""
    flats = [_flatten(t) for t in tensors_list]
    first, rebuild = flats[0]
    if any(len(f) != len(first) for f, _ in flats):
        raise ValueError("Expected all the tensor lists to have the same number of tensors")
    if shapes is None:
        shapes = [t.shape[1:] if enqueue_many else t.shape for t in first]
    shapes = [_dims(s) for s in shapes]
    if any(s is None or None in s for s in shapes):
        raise ValueError("All shapes must be fully defined (give shapes=)")
    q = make_queue(capacity, [t.dtype for t in first], shapes)
    enqueues = []
    for flat, _ in flats:
        rows, many = _kept(flat, keep_input, enqueue_many)
        enqueues.append(q.enqueue_many(rows) if many else q.enqueue(rows))
    add_queue_runner(QueueRunner(q, enqueues * (num_threads if len(flats) == 1 else 1)))
    out = q.dequeue_up_to(batch_size) if allow_smaller_final_batch else q.dequeue_many(batch_size)
    return rebuild(out if isinstance(out, list) else [out])


def _fifo(shared_name):
    return lambda c, d, s: FIFOQueue(c, d, s, shared_name=shared_name)


def _shuffling(min_after_dequeue, seed, shared_name):
    return lambda c, d, s: RandomShuffleQueue(
        c, min_after_dequeue, d, s, seed=seed, shared_name=shared_name
    )


def batch(
    tensors,
    batch_size,
    num_threads=1,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches of `tensors` (a tensor, list or dict) through a FIFOQueue and a QueueRunner."""
    return maybe_batch(
        tensors,
        True,
        batch_size,
        num_threads,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
        name or "batch",
    )


def maybe_batch(
    tensors,
    keep_input,
    batch_size,
    num_threads=1,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """`batch` of the elements (or rows) for which `keep_input` is true."""
    return maybe_batch_join(
        [tensors],
        keep_input,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
        name or "batch",
        num_threads,
    )


def batch_join(
    tensors_list,
    batch_size,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches from several lists of tensors (one enqueuing thread each) through one queue."""
    return maybe_batch_join(
        tensors_list,
        True,
        batch_size,
        capacity,
        enqueue_many,
        shapes,
        dynamic_pad,
        allow_smaller_final_batch,
        shared_name,
        name or "batch_join",
    )


def maybe_batch_join(
    tensors_list,
    keep_input,
    batch_size,
    capacity=32,
    enqueue_many=False,
    shapes=None,
    dynamic_pad=False,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
    _num_threads=1,
):
    """`batch_join` of the elements (or rows) for which `keep_input` is true."""
    if dynamic_pad:
        raise NotImplementedError("tf.train.batch(dynamic_pad=True)")
    with name_scope(name, "batch_join"):
        return _batch(
            tensors_list,
            batch_size,
            _num_threads,
            capacity,
            enqueue_many,
            shapes,
            allow_smaller_final_batch,
            keep_input,
            _fifo(shared_name),
        )


def shuffle_batch(
    tensors,
    batch_size,
    capacity,
    min_after_dequeue,
    num_threads=1,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Batches of randomly chosen elements through a RandomShuffleQueue."""
    return maybe_shuffle_batch(
        tensors,
        batch_size,
        capacity,
        min_after_dequeue,
        True,
        num_threads,
        seed,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        shared_name,
        name or "shuffle_batch",
    )


def maybe_shuffle_batch(
    tensors,
    batch_size,
    capacity,
    min_after_dequeue,
    keep_input,
    num_threads=1,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """`shuffle_batch` of the elements (or rows) for which `keep_input` is true."""
    with name_scope(name, "shuffle_batch"):
        return _batch(
            [tensors],
            batch_size,
            num_threads,
            capacity,
            enqueue_many,
            shapes,
            allow_smaller_final_batch,
            keep_input,
            _shuffling(min_after_dequeue, seed, shared_name),
        )


def shuffle_batch_join(
    tensors_list,
    batch_size,
    capacity,
    min_after_dequeue,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """Shuffled batches from several lists of tensors through one RandomShuffleQueue."""
    return maybe_shuffle_batch_join(
        tensors_list,
        batch_size,
        capacity,
        min_after_dequeue,
        True,
        seed,
        enqueue_many,
        shapes,
        allow_smaller_final_batch,
        shared_name,
        name or "shuffle_batch_join",
    )


def maybe_shuffle_batch_join(
    tensors_list,
    batch_size,
    capacity,
    min_after_dequeue,
    keep_input,
    seed=None,
    enqueue_many=False,
    shapes=None,
    allow_smaller_final_batch=False,
    shared_name=None,
    name=None,
):
    """`shuffle_batch_join` of the elements (or rows) for which `keep_input` is true."""
    with name_scope(name, "shuffle_batch_join"):
        return _batch(
            tensors_list,
            batch_size,
            1,
            capacity,
            enqueue_many,
            shapes,
            allow_smaller_final_batch,
            keep_input,
            _shuffling(min_after_dequeue, seed, shared_name),
        )


def match_filenames_once(pattern, name=None):
    """A local variable holding the file names matching `pattern` (a glob), found when the
    local variables are initialized."""
    from .ops import files as _files

    with name_scope(name, "matching_filenames", [pattern]) as scope:
        return Variable(
            _files.matching_files(pattern),
            trainable=False,
            validate_shape=False,
            name=scope.rstrip("/") if scope else "matching_filenames",
            collections=[GraphKeys.LOCAL_VARIABLES],
        )
