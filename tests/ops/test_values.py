"""Op table, forward: values against numpy, dtypes, static shapes agreeing with results."""

import numpy as np
import pytest

import psflow as tf

from .table import ROWS


def _run(row):
    phs = [
        tf.placeholder(tf.as_dtype(np.asarray(x).dtype), shape=np.shape(x))
        if row.feed
        else tf.constant(x)
        for x in row.inputs
    ]
    out = row.build(*phs)
    with tf.Session() as sess:
        feed = dict(zip(phs, row.inputs)) if row.feed else None
        return out, sess.run(out, feed)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_value_matches_numpy(row):
    _, got = _run(row)
    want = row.ref(*row.inputs)
    if np.asarray(want).dtype == object:
        assert list(np.ravel(got)) == list(np.ravel(want))
    else:
        np.testing.assert_allclose(got, want, rtol=row.rtol, atol=1e-6)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_dtype_and_static_shape(row):
    out, got = _run(row)
    want = np.asarray(row.ref(*row.inputs))
    assert out.dtype.np == np.asarray(got).dtype
    if want.dtype != object:
        assert np.asarray(got).dtype == want.dtype
    static = out.shape
    if static.ndims is not None:
        assert static.ndims == np.ndim(got)
        for s, d in zip(static.as_list(), np.shape(got)):
            assert s is None or s == d
