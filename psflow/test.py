"""`tf.test`: TestCase with TF1's assertions and sessions, gradient checks, and the build
queries (no GPU, no CUDA here)."""

import contextlib
import os
import re
import tempfile
import unittest
from unittest import mock  # noqa: F401

import numpy as np

import psflow as _tf

_TEMP_DIR = None


def get_temp_dir():
    """A directory for this test process's files."""
    global _TEMP_DIR
    if _TEMP_DIR is None:
        _TEMP_DIR = tempfile.mkdtemp(prefix="psflow_test_")
    return _TEMP_DIR


def main(argv=None):
    """Runs the tests of the calling module (unittest.main)."""
    return unittest.main(argv=argv)


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    return False


def gpu_device_name():
    return ""


def is_built_with_cuda():
    return False


def is_built_with_gpu_support():
    return False


def is_built_with_rocm():
    return False


def is_built_with_xla():
    return False


def test_src_dir_path(relative_path):
    """`relative_path` under the psflow sources' root."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), relative_path)


def compute_gradient(
    x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None
):
    """(theoretical, numerical) Jacobians [x size, y size] of y with respect to x, by
    tf.gradients and by central differences, in the default session."""
    sess = _tf.get_default_session()
    if sess is None:
        raise ValueError("compute_gradient needs a default session")
    if init_targets is not None:
        sess.run(init_targets)
    x_value = np.asarray(
        x_init_value if x_init_value is not None else np.random.RandomState(1).randn(*x_shape),
        np.float64,
    )
    feed = dict(extra_feed_dict or {})
    n_x, n_y = int(np.prod(x_shape)), int(np.prod(y_shape))
    theoretical = np.zeros((n_x, n_y))
    dy = _tf.placeholder(y.dtype, y_shape)
    grad = _tf.gradients(y, x, grad_ys=dy)[0]
    for j in range(n_y):
        unit = np.zeros(n_y)
        unit[j] = 1
        g = sess.run(grad, {**feed, x: x_value.reshape(x_shape), dy: unit.reshape(y_shape)})
        theoretical[:, j] = np.asarray(g).reshape(-1)
    numerical = np.zeros((n_x, n_y))
    for i in range(n_x):
        step = np.zeros(n_x)
        step[i] = delta
        plus = sess.run(y, {**feed, x: (x_value.ravel() + step).reshape(x_shape)})
        minus = sess.run(y, {**feed, x: (x_value.ravel() - step).reshape(x_shape)})
        numerical[i] = (np.asarray(plus) - np.asarray(minus)).reshape(-1) / (2 * delta)
    return theoretical, numerical


def compute_gradient_error(
    x, x_shape, y, y_shape, x_init_value=None, delta=1e-3, init_targets=None, extra_feed_dict=None
):
    """The largest difference between the theoretical and numerical Jacobians."""
    theoretical, numerical = compute_gradient(
        x, x_shape, y, y_shape, x_init_value, delta, init_targets, extra_feed_dict
    )
    return float(np.max(np.abs(theoretical - numerical))) if theoretical.size else 0.0


class Benchmark:
    """Base class of benchmarks: report_benchmark records one (name, wall_time, extras)."""

    def report_benchmark(
        self,
        iters=None,
        cpu_time=None,
        wall_time=None,
        throughput=None,
        extras=None,
        name=None,
        metrics=None,
    ):
        print(
            f"benchmark {name or type(self).__name__}: iters={iters} wall_time={wall_time} "
            f"extras={extras or {}}"
        )


class TestCase(unittest.TestCase):
    """unittest.TestCase with a fresh default graph per test and TF1's assertions."""

    def setUp(self):
        super().setUp()
        _tf.reset_default_graph()

    def get_temp_dir(self):
        path = os.path.join(get_temp_dir(), self.id())
        os.makedirs(path, exist_ok=True)
        return path

    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        graph = graph or _tf.get_default_graph()
        with graph.as_default(), _tf.Session(graph=graph, config=config) as sess:
            yield sess

    cached_session = session
    test_session = session

    def evaluate(self, tensors):
        sess = _tf.get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.session() as sess:
            return sess.run(tensors)

    def _value(self, x):
        if isinstance(x, (_tf.Tensor, _tf.Variable)):
            return self.evaluate(x)
        return np.asarray(x)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        np.testing.assert_allclose(
            self._value(a), self._value(b), rtol=rtol, atol=atol, err_msg=msg or ""
        )

    def assertAllCloseAccordingToType(
        self,
        a,
        b,
        rtol=1e-6,
        atol=1e-6,
        float_rtol=1e-6,  # noqa: N802
        float_atol=1e-6,
        half_rtol=1e-3,
        half_atol=1e-3,
        bfloat16_rtol=1e-2,
        bfloat16_atol=1e-2,
        msg=None,
    ):
        a = self._value(a)
        if a.dtype == np.float32:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        elif a.dtype == np.float16:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        np.testing.assert_array_equal(self._value(a), self._value(b), err_msg=msg or "")

    def assertNotAllClose(self, a, b, **kwargs):  # noqa: N802
        with self.assertRaises(AssertionError):
            self.assertAllClose(a, b, **kwargs)

    def assertAllGreater(self, a, comparison_target):  # noqa: N802
        self.assertTrue(np.all(self._value(a) > comparison_target))

    def assertAllLess(self, a, comparison_target):  # noqa: N802
        self.assertTrue(np.all(self._value(a) < comparison_target))

    def assertAllInRange(
        self,
        target,
        lower_bound,
        upper_bound,
        open_lower_bound=False,  # noqa: N802
        open_upper_bound=False,
    ):
        t = self._value(target)
        low = t > lower_bound if open_lower_bound else t >= lower_bound
        high = t < upper_bound if open_upper_bound else t <= upper_bound
        self.assertTrue(np.all(low & high))

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        self.assertAllClose(farray1, farray2, rtol=0, atol=err, msg=msg)

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        self.assertTrue(abs(f1 - f2) <= err, msg or f"{f1} != {f2} +/- {err}")

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):  # noqa: N802
        self.assertEqual(list(np.shape(np_array)), tf_tensor.shape.as_list(), msg)

    def assertDTypeEqual(self, target, expected_dtype):  # noqa: N802
        self.assertEqual(np.asarray(target).dtype, np.dtype(expected_dtype))

    @contextlib.contextmanager
    def assertRaisesOpError(self, expected_err_re_or_predicate):  # noqa: N802
        with self.assertRaisesWithPredicateMatch(_tf.errors.OpError, expected_err_re_or_predicate):
            yield

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):  # noqa: N802
        try:
            yield
        except exception_type as err:
            check = expected_err_re_or_predicate
            ok = check(err) if callable(check) else re.search(check, str(err))
            if not ok:
                raise AssertionError(f"Exception {err!r} does not match {check!r}") from err
        else:
            raise AssertionError(f"{exception_type.__name__} not raised")

    assertRaisesWithLegacyMatch = assertRaisesWithPredicateMatch  # noqa: N815
