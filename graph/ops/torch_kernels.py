"""PyTorch's CPU kernels behind float32 Conv2D, its two backprop ops, MaxPool and
MaxPoolGrad, when torch is installed (the `conv` extra); numpy's kernels in conv.py
otherwise, and for every other dtype. Once a convolution has loaded torch, large float32
Relu, BiasAdd, their gradients and MatMul use it too.

Its convolutions are oneDNN's, the kernels TF1's own CPU build uses. On the LeNet step of
bench/conv_step.py (2 cores) the second layer's forward product took 5.5 ms against 8.3 ms
for numpy's im2col GEMM, each backprop ~5 ms against 11.6 and ~7 ms, and 2x2 max-pooling
with its gradient ~1.7 ms against ~9 ms: the step went from 57 ms to ~26 ms (with the
kept heap of graph/heap.py; numpy's kernels there: ~48 ms; TF1: ~19.5 ms).

Arrays cross without copies (an NHWC array is a channels-last NCHW tensor). Loading torch
is deferred to the first kernel that wants it, so `import psflow` stays light, and
`PSFLOW_TORCH_KERNELS=0` keeps numpy's kernels. Once loaded, torch's thread pool gets the
step's threads and OpenBLAS one (graph/threads.py): OpenBLAS's idle threads spin for a
while after each product, and beside torch's busy pool they doubled a convolution's time.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import Any

import numpy as np

_lock = threading.Lock()
_torch: Any = None  # the module once loaded
_tried = False


def _load():
    global _torch, _tried
    with _lock:
        if _tried:
            return _torch
        _tried = True
        if os.environ.get("PSFLOW_TORCH_KERNELS", "1") == "0":
            return None
        # OpenMP workers that sleep when idle, as TF1's pool does (spinning ones took the
        # core numpy's code runs on between two kernels).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import torch
        except ImportError:
            return None
        except (OSError, RuntimeError) as e:  # installed but cannot load (a missing library)
            warnings.warn(f"psflow: torch failed to load ({e}); numpy's kernels run", stacklevel=2)
            return None
        # Arrays a step reads are often read-only views; the kernels never write them.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        from .. import threads

        threads.BLAS.share_with(torch)
        _torch = torch
        return torch


def loaded():
    """torch, once its kernels are in use in this process (None before, or without it)."""
    return _torch


def wanted(*arrays) -> bool:
    """Whether torch's kernels take these operands: all float32, non-empty and without
    negative strides (torch has none), torch installed and not switched off."""
    for a in arrays:
        if a.dtype != np.float32 or not a.size or min(a.strides, default=0) < 0:
            return False
    return (_torch if _tried else _load()) is not None


# Elements from which an elementwise op crosses to torch, once a convolution has loaded it
# (an MLP never loads it: OpenBLAS keeps its threads there): torch's two threads then beat
# numpy's one (a [64, 28, 28, 32] ReluGrad: 0.24 ms against 0.65); below, the crossing
# costs more than it saves.
_LARGE = 1 << 16


def wanted_large(*arrays) -> bool:
    """Whether torch's kernels take these elementwise operands: large, float32, and torch
    already loaded by a convolution."""
    return _torch is not None and arrays[0].size >= _LARGE and wanted(*arrays)


# Multiply-adds from which a float32 MatMul goes to torch once it is loaded: OpenBLAS has one
# thread then, and torch's pool ran [512 x 784] x [784 x 1024] in 4.4 ms against 4.0 for
# OpenBLAS on both cores; a [64 x 3136] x [3136 x 10] took 0.20 ms against 0.05 on numpy.
_LARGE_PRODUCT = 1 << 23


def wanted_product(a, b) -> bool:
    """Whether torch multiplies these matrices: float32, large, torch already loaded."""
    return (
        _torch is not None
        and a.shape[0] * a.shape[1] * b.shape[1] >= _LARGE_PRODUCT
        and wanted(a, b)
    )


def matmul(a, b) -> np.ndarray:
    return _torch.mm(_torch.from_numpy(a), _torch.from_numpy(b)).numpy()


def relu(x) -> np.ndarray:
    return _torch.relu(_torch.from_numpy(x)).numpy()


def relu_grad(dy, x) -> np.ndarray:
    """dy where x > 0, as a product (an infinite dy at x <= 0 gives NaN, as TF1's)."""
    t = _torch.from_numpy(dy)
    return _torch.mul(t, _torch.from_numpy(x) > 0).numpy()


def bias_add(x, bias) -> np.ndarray:
    return _torch.add(_torch.from_numpy(x), _torch.from_numpy(bias)).numpy()


def bias_add_grad(dy) -> np.ndarray:
    return _torch.from_numpy(dy).reshape(-1, dy.shape[-1]).sum(0).numpy()


def _nchw(a):
    return _torch.from_numpy(a).permute(0, 3, 1, 2)


def _nhwc(t) -> np.ndarray:
    return np.ascontiguousarray(t.permute(0, 2, 3, 1).numpy())


def _blank_nchw(shape):
    """An uninitialized channels-last tensor of NHWC `shape`: a backprop's stand-in for an
    operand whose values it does not read."""
    n, h, w, c = shape
    return _torch.empty((n, h, w, c)).permute(0, 3, 1, 2)


def _padded(win, x, value=0.0):
    """(input, torch padding): torch pads both sides alike, TF's SAME may pad one more
    cell after, so an uneven padding is applied to the array instead."""
    if win.top == win.bottom and win.left == win.right:
        return x, [win.top, win.left]
    return win.pad(x, value), [0, 0]


def conv2d(x, f, win) -> np.ndarray:
    xp, padding = _padded(win, x)
    y = _torch.nn.functional.conv2d(
        _nchw(xp),
        _torch.from_numpy(f).permute(3, 2, 0, 1),
        stride=list(win.strides),
        padding=padding,
        dilation=list(win.dilations),
    )
    return _nhwc(y)


def _backward(dy, x, f, win, padding, mask):
    return _torch.ops.aten.convolution_backward(
        _nchw(dy), x, f, None, list(win.strides), padding, list(win.dilations),
        False, [0, 0], 1, mask,
    )  # fmt: skip


def conv2d_backprop_input(f, dy, win) -> np.ndarray:
    even = win.top == win.bottom and win.left == win.right
    padding = [win.top, win.left] if even else [0, 0]
    n, h, w, c = win.in_shape
    shape = win.in_shape if even else (n, h + win.top + win.bottom, w + win.left + win.right, c)
    weights = _torch.from_numpy(f).permute(3, 2, 0, 1)
    dx = _backward(dy, _blank_nchw(shape), weights, win, padding, [True, False, False])[0]
    dx = _nhwc(dx)
    return dx if even else np.ascontiguousarray(win.crop(dx))


def conv2d_backprop_filter(x, filter_shape, dy, win) -> np.ndarray:
    xp, padding = _padded(win, x)
    kh, kw, c, o = filter_shape
    weights = _torch.empty((o, c, kh, kw))
    df = _backward(dy, _nchw(xp), weights, win, padding, [False, True, False])[1]
    return np.ascontiguousarray(df.permute(2, 3, 1, 0).numpy())


def _pool_args(win):
    return list(win.kernel), list(win.strides)


def max_pool(x, win) -> np.ndarray:
    xp, padding = _padded(win, x, -np.inf)
    kernel, strides = _pool_args(win)
    y = _torch.nn.functional.max_pool2d(_nchw(xp), kernel, strides, padding)
    return _nhwc(y)


def max_pool_grad(x, dy, win) -> np.ndarray:
    """Each window's gradient to its first maximum, as TF1's MaxPoolGrad (torch keeps the
    first of equal values in the same row-major order)."""
    xp, padding = _padded(win, x, -np.inf)
    kernel, strides = _pool_args(win)
    xt = _nchw(xp)
    _, argmax = _torch.ops.aten.max_pool2d_with_indices(xt, kernel, strides, padding, [1, 1], False)
    dx = _torch.ops.aten.max_pool2d_with_indices_backward(
        _nchw(dy), xt, kernel, strides, padding, [1, 1], False, argmax
    )
    dx = _nhwc(dx)
    return dx if xp is x else np.ascontiguousarray(win.crop(dx))
