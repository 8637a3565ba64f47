"""The convolution and max-pooling kernels against loop-by-loop numpy references, with the
columns built a few images at a time (several chunks forced), strides, dilations and both
paddings; and MaxPoolGrad's choice among tied maxima (the first in window order, as
np.argmax picks it), NaN included."""

import numpy as np
import pytest
from psflow.graph.ops import conv

RNG = np.random.default_rng(3)
CASES = [  # (input shape, filter shape, strides, dilations, padding)
    ((5, 9, 8, 3), (3, 3, 3, 4), (1, 1, 1, 1), (1, 1, 1, 1), "SAME"),
    ((5, 9, 8, 3), (5, 5, 3, 2), (1, 1, 1, 1), (1, 1, 1, 1), "SAME"),
    ((3, 10, 7, 2), (3, 2, 2, 5), (1, 2, 3, 1), (1, 1, 1, 1), "SAME"),
    ((3, 10, 7, 2), (3, 3, 2, 3), (1, 2, 2, 1), (1, 1, 1, 1), "VALID"),
    ((2, 11, 9, 2), (3, 2, 2, 3), (1, 1, 1, 1), (1, 2, 3, 1), "SAME"),
    ((2, 11, 9, 2), (2, 3, 2, 3), (1, 2, 1, 1), (1, 3, 2, 1), "VALID"),
]


def _padded(x, kh, kw, strides, dilations, padding):
    n, h, w, c = x.shape
    oh, top, bottom = conv._geometry(h, kh, strides[1], dilations[1], padding)
    ow, left, right = conv._geometry(w, kw, strides[2], dilations[2], padding)
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))), (oh, ow), (top, left)


def _reference(x, f, strides, dilations, padding):
    """Conv2D output, and the matrices mapping each output gradient to the input and the
    filter, by loops over every output position and tap."""
    kh, kw, c, o = f.shape
    xp, (oh, ow), _ = _padded(x, kh, kw, strides, dilations, padding)
    out = np.zeros((x.shape[0], oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    row = i * strides[1] + a * dilations[1]
                    col = j * strides[2] + b * dilations[2]
                    out[:, i, j, :] += xp[:, row, col, :] @ f[a, b]
    return out


@pytest.mark.parametrize("case", CASES)
def test_conv2d_and_its_backprops_match_loops(case, monkeypatch):
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 200)  # one or two images per chunk
    in_shape, f_shape, strides, dilations, padding = case
    x = RNG.standard_normal(in_shape)
    f = RNG.standard_normal(f_shape)
    attrs = dict(strides=strides, padding=padding, data_format="NHWC", dilations=dilations)
    y = conv._conv2d_kernel(x, f, **attrs)
    np.testing.assert_allclose(y, _reference(x, f, strides, dilations, padding), atol=1e-12)
    dy = RNG.standard_normal(y.shape)
    # <dy, conv(x, f)> is linear in x and in f: its gradients are the backprops.
    dx = conv._backprop_input_kernel(np.array(in_shape), f, dy, **attrs)
    df = conv._backprop_filter_kernel(x, np.array(f_shape), dy, **attrs)
    for _ in range(3):
        e = np.zeros(x.size)
        e[RNG.integers(x.size)] = 1
        e = e.reshape(x.shape)
        want = np.sum(dy * _reference(e, f, strides, dilations, padding))
        assert np.sum(dx * e) == pytest.approx(want, abs=1e-10)
        e = np.zeros(f.size)
        e[RNG.integers(f.size)] = 1
        e = e.reshape(f.shape)
        want = np.sum(dy * _reference(x, e, strides, dilations, padding))
        assert np.sum(df * e) == pytest.approx(want, abs=1e-10)


def _argmax_pool_grad(x, g, ksize, strides, padding):
    """Each window's gradient to its first maximum, window by window."""
    kh, kw = ksize[1], ksize[2]
    xp, (oh, ow), (top, left) = _padded(x, kh, kw, strides, (1, 1, 1, 1), padding)
    mask = np.zeros(xp.shape, bool)
    mask[:, top : top + x.shape[1], left : left + x.shape[2]] = True
    xp = np.where(mask, xp, -np.inf)
    dxp = np.zeros(xp.shape)
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                for ch in range(x.shape[3]):
                    r, c = i * strides[1], j * strides[2]
                    window = xp[n, r : r + kh, c : c + kw, ch]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dxp[n, r + a, c + b, ch] += g[n, i, j, ch]
    return dxp[:, top : top + x.shape[1], left : left + x.shape[2]]


@pytest.mark.parametrize(
    "ksize,strides,padding",
    [
        ((1, 2, 2, 1), (1, 2, 2, 1), "SAME"),
        ((1, 3, 3, 1), (1, 1, 1, 1), "SAME"),
        ((1, 3, 3, 1), (1, 2, 2, 1), "VALID"),
        ((1, 3, 2, 1), (1, 2, 1, 1), "SAME"),
    ],
)
def test_max_pool_grad_goes_to_the_first_of_tied_maxima(ksize, strides, padding):
    x = np.maximum(RNG.standard_normal((2, 7, 6, 3)), 0)  # relu: many tied zeros
    x[0, 0, 0, 0] = x[1, 3, 2, 1] = np.nan
    attrs = dict(ksize=ksize, strides=strides, padding=padding, data_format="NHWC")
    y = conv._max_pool_kernel(x, **attrs)
    g = RNG.standard_normal(y.shape)
    got = conv._max_pool_grad_kernel(x, y, g, **attrs)
    np.testing.assert_allclose(got, _argmax_pool_grad(x, g, ksize, strides, padding))
    # MaxPoolGradGrad picks the same positions: <gg, MaxPoolGrad(g)> = <g, GradGrad(gg)>.
    gg = RNG.standard_normal(x.shape)
    picked = conv._max_pool_grad_grad_kernel(x, y, gg, **attrs)
    assert np.sum(gg * got) == pytest.approx(np.sum(g * picked))
