"""The convolution and max-pooling kernels against loop-by-loop numpy references, with the
columns built a few images at a time (several chunks forced), strides, dilations and both
paddings; and MaxPoolGrad's choice among tied maxima (the first in window order, as
np.argmax picks it), NaN included. float64 runs numpy's kernels; float32 runs torch's where
torch is installed (graph/ops/torch_kernels.py: TF's uneven SAME padding included), and
numpy's float32 kernels with torch switched off."""

import numpy as np
import pytest
from psflow.graph.ops import conv, torch_kernels

# (dtype, torch's kernels on, tolerance)
KERNELS = {
    "numpy64": (np.float64, False, 1e-10),
    "numpy32": (np.float32, False, 1e-4),
    "torch32": (np.float32, True, 1e-4),
}


@pytest.fixture(params=list(KERNELS))
def kernels(request, monkeypatch):
    dtype, use_torch, tol = KERNELS[request.param]
    if use_torch:
        pytest.importorskip("torch", reason="torch's kernels need the `conv` extra")
        if not torch_kernels.wanted(np.ones(1, np.float32)):
            pytest.skip("torch's kernels are switched off (PSFLOW_TORCH_KERNELS=0)")
    else:
        monkeypatch.setattr(torch_kernels, "wanted", lambda *arrays: False)
        monkeypatch.setattr(torch_kernels, "wanted_large", lambda *arrays: False)
        monkeypatch.setattr(torch_kernels, "wanted_product", lambda a, b: False)
    return dtype, tol


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
def test_conv2d_and_its_backprops_match_loops(case, kernels, monkeypatch):
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 200)  # one or two images per chunk
    dtype, tol = kernels
    in_shape, f_shape, strides, dilations, padding = case
    x = RNG.standard_normal(in_shape).astype(dtype)
    f = RNG.standard_normal(f_shape).astype(dtype)
    attrs = dict(strides=strides, padding=padding, data_format="NHWC", dilations=dilations)
    y = conv._conv2d_kernel(x, f, **attrs)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, _reference(x, f, strides, dilations, padding), atol=tol)
    dy = RNG.standard_normal(y.shape).astype(dtype)
    # <dy, conv(x, f)> is linear in x and in f: its gradients are the backprops.
    dx = conv._backprop_input_kernel(np.array(in_shape), f, dy, **attrs)
    df = conv._backprop_filter_kernel(x, np.array(f_shape), dy, **attrs)
    assert dx.shape == in_shape and df.shape == f_shape
    for _ in range(3):
        e = np.zeros(x.size)
        e[RNG.integers(x.size)] = 1
        e = e.reshape(x.shape)
        want = np.sum(dy * _reference(e, f, strides, dilations, padding))
        assert np.sum(dx * e) == pytest.approx(want, abs=tol)
        e = np.zeros(f.size)
        e[RNG.integers(f.size)] = 1
        e = e.reshape(f.shape)
        want = np.sum(dy * _reference(x, e, strides, dilations, padding))
        assert np.sum(df * e) == pytest.approx(want, rel=tol, abs=tol)


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
def test_max_pool_grad_goes_to_the_first_of_tied_maxima(ksize, strides, padding, kernels):
    dtype, tol = kernels
    x = np.maximum(RNG.standard_normal((2, 7, 6, 3)), 0).astype(dtype)  # relu: tied zeros
    x[0, 0, 0, 0] = x[1, 3, 2, 1] = np.nan
    attrs = dict(ksize=ksize, strides=strides, padding=padding, data_format="NHWC")
    y = conv._max_pool_kernel(x, **attrs)
    assert y.dtype == dtype
    g = RNG.standard_normal(y.shape).astype(dtype)
    got = conv._max_pool_grad_kernel(x, y, g, **attrs)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, _argmax_pool_grad(x, g, ksize, strides, padding), atol=tol)
    # MaxPoolGradGrad picks the same positions: <gg, MaxPoolGrad(g)> = <g, GradGrad(gg)>.
    gg = RNG.standard_normal(x.shape).astype(dtype)
    picked = conv._max_pool_grad_grad_kernel(x, y, gg, **attrs)
    assert np.sum(gg * got) == pytest.approx(np.sum(g * picked), rel=tol)


def test_max_pool_forward_matches_the_window_maxima(kernels):
    dtype, _ = kernels
    x = RNG.standard_normal((2, 7, 6, 3)).astype(dtype)
    for ksize, strides, padding in [((3, 3), (2, 2), "SAME"), ((2, 3), (1, 2), "VALID")]:
        attrs = dict(
            ksize=(1, *ksize, 1), strides=(1, *strides, 1), padding=padding, data_format="NHWC"
        )
        y = conv._max_pool_kernel(x, **attrs)
        xp, (oh, ow), _ = _padded(x, *ksize, (1, *strides, 1), (1, 1, 1, 1), padding)
        mask = np.zeros(xp.shape, bool)
        (top, left) = ((xp.shape[1] - x.shape[1]) // 2, (xp.shape[2] - x.shape[2]) // 2)
        mask[:, top : top + x.shape[1], left : left + x.shape[2]] = True
        xp = np.where(mask, xp, -np.inf)
        want = np.stack(
            [
                np.stack(
                    [
                        xp[:, i * strides[0] : i * strides[0] + ksize[0],
                           j * strides[1] : j * strides[1] + ksize[1]].max(axis=(1, 2))
                        for j in range(ow)
                    ],
                    axis=1,
                )
                for i in range(oh)
            ],
            axis=1,
        )  # fmt: skip
        np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("size", [7, 70_000])  # below and above torch's elementwise threshold
def test_relu_and_bias_add_kernels_and_their_gradients(size, kernels):
    from psflow.graph.ops import nn

    dtype, tol = kernels
    x = RNG.standard_normal((size, 4)).astype(dtype)
    x[0] = [0.0, -0.0, np.nan, 1.0]
    dy = RNG.standard_normal((size, 4)).astype(dtype)
    dy[0, :2] = np.inf  # at x <= 0: inf * 0 is NaN, as TF1's ReluGrad computes it
    b = RNG.standard_normal(4).astype(dtype)
    np.testing.assert_array_equal(nn._relu_kernel(x), np.maximum(x, 0))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(nn._relu_grad_kernel(dy, x), dy * (x > 0))
    np.testing.assert_array_equal(nn._bias_add_kernel(x, b, data_format="NHWC"), x + b)
    total = nn._bias_add_grad_kernel(dy[1:])
    assert total.dtype == dtype and total.shape == (4,)
    np.testing.assert_allclose(total, dy[1:].astype(np.float64).sum(0), rtol=tol, atol=tol)


@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (True, False), (False, True)])
def test_large_matmuls_once_torch_is_loaded(transpose_a, transpose_b, kernels):
    """Above torch's size threshold (with torch loaded by a convolution) and below it."""
    from psflow.graph.ops import math as math_ops

    dtype, _ = kernels
    for m, k, n in [(256, 256, 256), (8, 9, 10)]:
        a = RNG.standard_normal((k, m) if transpose_a else (m, k)).astype(dtype)
        b = RNG.standard_normal((n, k) if transpose_b else (k, n)).astype(dtype)
        got = math_ops._matmul_kernel(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
        want = (a.T if transpose_a else a).astype(np.float64) @ (b.T if transpose_b else b)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_a_torch_that_cannot_load_leaves_numpys_kernels_with_a_warning():
    import subprocess
    import sys

    code = """
import importlib.abc, sys, warnings
class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch":
            raise OSError("libtorch_cpu.so: cannot open shared object file")
sys.meta_path.insert(0, Broken())
import numpy as np
from psflow.graph.ops import conv
x, f = np.ones((1, 3, 3, 1), np.float32), np.ones((2, 2, 1, 1), np.float32)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = conv._conv2d_kernel(x, f, strides=[1] * 4, padding="VALID", data_format="NHWC",
                            dilations=[1] * 4)
print(y.ravel().tolist())
print(*(str(w.message) for w in caught), sep="\\n")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    values, message = out.stdout.splitlines()
    assert values == "[4.0, 4.0, 4.0, 4.0]"
    assert message.startswith("psflow: torch failed to load (libtorch_cpu.so: cannot open")


def test_backprops_refuse_mismatched_operands_on_every_kernel(kernels):
    """An output gradient or depth that does not fit the forward convolution or pooling: an
    InvalidArgumentError naming the op, from numpy's and torch's kernels alike."""
    from psflow.graph.errors import InvalidArgumentError

    dtype, _ = kernels
    attrs = dict(strides=(1, 1, 1, 1), padding="SAME", data_format="NHWC", dilations=(1,) * 4)
    x = np.ones((2, 6, 6, 3), dtype)
    f = np.ones((3, 3, 3, 4), dtype)
    for dy in (np.ones((2, 5, 5, 4), dtype), np.ones((2, 6, 6, 5), dtype)):
        with pytest.raises(InvalidArgumentError, match="Conv2DBackpropFilter: out_backprop shape"):
            conv._backprop_filter_kernel(x, np.array(f.shape), dy, **attrs)
        with pytest.raises(InvalidArgumentError, match="Conv2DBackpropInput: out_backprop shape"):
            conv._backprop_input_kernel(np.array(x.shape), f, dy, **attrs)
    dy = np.ones((2, 6, 6, 4), dtype)
    with pytest.raises(InvalidArgumentError, match="input depth .* 2 vs 3"):
        conv._backprop_filter_kernel(x[..., :2], np.array(f.shape), dy, **attrs)
    with pytest.raises(InvalidArgumentError, match="input depth .* 2 vs 3"):
        conv._backprop_input_kernel(np.array([2, 6, 6, 2]), f, dy, **attrs)
    attrs = dict(ksize=(1, 2, 2, 1), strides=(1, 2, 2, 1), padding="VALID", data_format="NHWC")
    with pytest.raises(InvalidArgumentError, match=r"MaxPoolGrad: grad shape \[2, 2, 2, 3\]"):
        conv._max_pool_grad_kernel(x, None, np.ones((2, 2, 2, 3), dtype), **attrs)
