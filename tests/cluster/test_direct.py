"""Direct calls (cluster/direct.py): values keep dtype, shape and nesting across the socket,
tf errors come back as the same class, a dead server is UnavailableError naming the task,
a silent one DeadlineExceededError. No Ray: a DirectServer runs a plain function here."""

import threading
import time

import numpy as np
import pytest
from psflow.cluster import direct

import psflow as tf


def _serve(run):
    server = direct.DirectServer(run)
    return server, direct.DirectChannel("/job:ps/task:0", server.address, timeout=5.0)


@pytest.mark.parametrize(
    "value",
    [
        np.float32(1.5),
        np.array(2.0),
        np.arange(12, dtype=np.int64).reshape(3, 4),
        np.ones((4, 3), dtype=np.float32).T,  # not C-contiguous
        np.zeros((0, 5), dtype=np.float16),
        np.array([b"ab", b""], dtype=object),
        np.array([True, False]),
        None,
        (np.ones(3), None),
    ],
    ids=["np-scalar", "0d", "int64-2d", "transposed", "empty", "strings", "bool", "none", "group"],
)
def test_values_cross_unchanged(value):
    _, channel = _serve(lambda header, args: args[0])
    got = channel.call("h", [value])
    expected = np.asarray(value) if isinstance(value, np.generic) else value
    if isinstance(expected, tuple):
        assert isinstance(got, list) and got[1] is None
        np.testing.assert_array_equal(got[0], expected[0])
    elif expected is None:
        assert got is None
    else:
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    channel.close()


def test_large_arrays_and_header_arrive_intact():
    big = np.random.RandomState(0).rand(784, 256).astype(np.float32)
    _, channel = _serve(lambda header, args: [header, args[0] * 2, args[1]])
    for _ in range(3):  # the connection is reused
        header, doubled, same = channel.call("plan:F:s.1:", [big, big[:10]])
        assert header == "plan:F:s.1:"
        np.testing.assert_array_equal(doubled, big * 2)
        np.testing.assert_array_equal(same, big[:10])


def test_errors_cross_as_the_same_class():
    def run(header, args):
        if header == "op":
            raise tf.errors.InvalidArgumentError(None, None, "shapes differ in 'update'")
        raise KeyError("bug")

    _, channel = _serve(run)
    with pytest.raises(tf.errors.InvalidArgumentError, match="shapes differ in 'update'"):
        channel.call("op", [])
    with pytest.raises(tf.errors.InternalError, match="KeyError: 'bug'"):
        channel.call("other", [])
    with pytest.raises(tf.errors.InvalidArgumentError):  # the channel goes on after errors
        channel.call("op", [])


def test_an_unreachable_task_is_unavailable_naming_it():
    channel = direct.DirectChannel("/job:ps/task:1", "\0psflow-nobody-listens", timeout=1.0)
    with pytest.raises(tf.errors.UnavailableError, match="/job:ps/task:1"):
        channel.call("h", [])


def test_a_connection_lost_mid_call_is_unavailable():
    import socket

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0psflow-test-hangup")
    listener.listen()

    def hang_up():
        conn, _ = listener.accept()
        conn.recv(16)
        conn.close()  # as a killed task's socket does

    threading.Thread(target=hang_up, daemon=True).start()
    channel = direct.DirectChannel("/job:ps/task:0", "\0psflow-test-hangup", timeout=5.0)
    with pytest.raises(tf.errors.UnavailableError, match="/job:ps/task:0"):
        channel.call("h", [np.ones(10)])
    listener.close()


def test_a_silent_task_is_a_deadline_error():
    release = threading.Event()

    def run(header, args):
        release.wait(10)
        return None

    server = direct.DirectServer(run)
    channel = direct.DirectChannel("/job:ps/task:0", server.address, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(tf.errors.DeadlineExceededError, match="/job:ps/task:0"):
        channel.call("h", [])
    assert time.monotonic() - start < 3
    release.set()


def test_more_arrays_than_one_sendmsg_takes():
    arrays = [np.full(3, i, np.float32) for i in range(2500)] + [np.zeros(0)]
    _, channel = _serve(lambda header, args: args)
    got = channel.call("h", arrays)
    assert len(got) == len(arrays)
    for sent, back in zip(arrays, got):
        np.testing.assert_array_equal(back, sent)


def test_submitted_calls_run_in_order_and_answers_are_taken_in_any_order():
    """A client sends a call and takes its answer later (a pipelined step's updates run
    on the PS while the client computes): the task runs calls in the order sent."""
    ran = []

    def run(header, args):
        ran.append(header)
        if header == "bad":
            raise tf.errors.InvalidArgumentError(None, None, "no such row in 'apply'")
        return [header, args[0] + 1]

    _, channel = _serve(run)
    first = channel.submit("a", [np.ones(3)])
    second = channel.submit("b", [np.zeros(2)])
    bad = channel.submit("bad", [])
    header, value = channel.result(second)
    assert header == "b" and value.tolist() == [1.0, 1.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="'apply'"):
        channel.result(bad)
    header, value = channel.result(first)
    assert header == "a" and value.tolist() == [2.0, 2.0, 2.0]
    assert ran == ["a", "b", "bad"]
    assert channel.call("c", [np.ones(1)])[0] == "c"  # and goes on as before


def test_a_call_sent_before_the_connection_was_lost_is_unavailable():
    _, channel = _serve(lambda header, args: header)
    ticket = channel.submit("a", [])
    channel.close()  # as a lost task's connection is dropped
    with pytest.raises(tf.errors.UnavailableError, match="/job:ps/task:0"):
        channel.result(ticket)
    assert channel.call("b", []) == "b"  # a new connection serves new calls
    with pytest.raises(tf.errors.UnavailableError):
        channel.result(ticket)
