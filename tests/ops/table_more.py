"""Op table, second part: the rest of math, array, nn, convolution and pooling. Each
reference is written independently of the kernel (loops or plain numpy)."""

from __future__ import annotations

import numpy as np

import psflow as tf

from .table import Row, ints, pos, r

F64 = np.float64


def d(*shape, low=-1.0, high=1.0):
    return r(*shape, low=low, high=high, dtype=F64)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _conv_ref(x, f, strides, padding, dilations=(1, 1)):
    """Direct convolution: one dot product per output position."""
    n, h, w, c = x.shape
    kh, kw, _, o = f.shape
    sh, sw = strides
    dh, dw = dilations
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
        ph = max((oh - 1) * sh + eh - h, 0)
        pw = max((ow - 1) * sw + ew - w, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = (h - eh) // sh + 1, (w - ew) // sw + 1
    out = np.zeros((n, oh, ow, o), x.dtype)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh : i * sh + eh : dh, j * sw : j * sw + ew : dw, :]
            out[:, i, j, :] = np.einsum("nabc,abco->no", patch, f)
    return out


def _pool_ref(x, k, s, padding, how):
    """Direct pooling over NaN-padded windows (NaN cells are not counted)."""
    n, h, w, c = x.shape
    if padding == "SAME":
        oh, ow = -(-h // s), -(-w // s)
        ph, pw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - w, 0)
        x = np.pad(
            x.astype(F64),
            [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)],
            constant_values=np.nan,
        )
    else:
        oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * s : i * s + k, j * s : j * s + k, :]
            out[:, i, j, :] = np.nanmax(win, (1, 2)) if how == "max" else np.nanmean(win, (1, 2))
    return out


def _max_pool_grad_ref(x, g, k, s):
    """VALID max pool gradient: each window's gradient to its first maximum."""
    dx = np.zeros_like(x)
    n, oh, ow, c = g.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    win = x[b, i * s : i * s + k, j * s : j * s + k, ch]
                    a, bb = np.unravel_index(np.argmax(win), win.shape)
                    dx[b, i * s + a, j * s + bb, ch] += g[b, i, j, ch]
    return dx


def _xent_ref(logits, labels):
    log_p = logits - logits.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    return -(labels * log_p).sum(-1)


_x4 = d(2, 5, 6, 3)
_f4 = d(3, 2, 3, 4)
_labels = _softmax(d(4, 5) * 3)
_pool_x = np.random.RandomState(7).permutation(2 * 4 * 6 * 2).reshape(2, 4, 6, 2) / 10.0

ROWS = [
    # math
    Row("BatchMatMulV2-float64", tf.matmul, np.matmul, [d(2, 3, 4), d(2, 4, 5)]),
    Row(
        "BatchMatMulV2-broadcast-adjoint-float64",
        lambda a, b: tf.matmul(a, b, transpose_a=True),
        lambda a, b: np.swapaxes(a, -1, -2) @ b,
        [d(3, 4, 2), d(4, 5)],
    ),
    Row(
        "BatchMatMulV2-adj_y-float64",
        lambda a, b: tf.matmul(a, b, transpose_b=True),
        lambda a, b: a @ np.swapaxes(b, -1, -2),
        [d(2, 3, 4), d(2, 5, 4)],
    ),
    Row(
        "tensordot-float64",
        lambda a, b: tf.tensordot(a, b, [[1, 2], [0, 1]]),
        lambda a, b: np.tensordot(a, b, [[1, 2], [0, 1]]),
        [d(2, 3, 4), d(3, 4, 2)],
    ),
    Row(
        "tensordot-int-axes-float64",
        lambda a, b: tf.tensordot(a, b, 1),
        lambda a, b: np.tensordot(a, b, 1),
        [d(2, 3), d(3, 4)],
    ),
    Row(
        "ArgMax-float32",
        lambda x: tf.argmax(x, axis=1),
        lambda x: np.argmax(x, 1),
        [r(3, 5)],
        grad=False,
    ),
    Row(
        "ArgMax-dimension-int32-out",
        lambda x: tf.argmax(x, dimension=0, output_type=tf.int32),
        lambda x: np.argmax(x, 0).astype(np.int32),
        [ints(4, 3)],
        grad=False,
    ),
    Row(
        "ArgMin-float32",
        lambda x: tf.argmin(x, 1),
        lambda x: np.argmin(x, 1),
        [r(3, 5)],
        grad=False,
    ),
    Row("Cumsum-float64", lambda x: tf.cumsum(x, axis=1), lambda x: np.cumsum(x, 1), [d(2, 4)]),
    Row(
        "Cumsum-exclusive-reverse-float64",
        lambda x: tf.cumsum(x, 0, exclusive=True, reverse=True),
        lambda x: np.concatenate([np.cumsum(x[::-1], 0)[::-1][1:], np.zeros((1, 3))]),
        [d(4, 3)],
    ),
    Row(
        "Cumprod-float32",
        lambda x: tf.cumprod(x, axis=1),
        lambda x: np.cumprod(x, 1),
        [d(2, 4).astype(np.float32)],
        grad=False,
    ),
    Row(
        "Cumprod-float64",
        lambda x: tf.cumprod(x, axis=1),
        lambda x: np.cumprod(x, 1),
        [d(2, 4, low=0.5, high=2.0)],
    ),
    Row(
        "Cumprod-exclusive-reverse-float64",
        lambda x: tf.cumprod(x, 0, exclusive=True, reverse=True),
        lambda x: np.concatenate([np.cumprod(x[::-1], 0)[::-1][1:], np.ones((1, 3))]),
        [d(4, 3, low=0.5, high=2.0)],
    ),
    Row(
        "where-coordinates",
        lambda c: tf.where(c),
        lambda c: np.argwhere(c),
        [np.array([[True, False], [False, True]])],
        grad=False,
    ),
    Row(
        "where-select-rows-float64",
        lambda x, y: tf.where(tf.constant([True, False]), x, y),
        lambda x, y: np.where(np.array([[True], [False]]), x, y),
        [d(2, 3), d(2, 3)],
    ),
    Row(
        "clip_by_value-float64",
        lambda x: tf.clip_by_value(x, -0.5, 0.5),
        lambda x: np.clip(x, -0.5, 0.5),
        [np.array([-0.9, -0.2, 0.3, 0.8])],
    ),
    Row(
        "clip_by_norm-float64",
        lambda x: tf.clip_by_norm(x, 1.0),
        lambda x: x * 1.0 / max(np.linalg.norm(x), 1.0),
        [d(3, 2) * 3],
    ),
    Row(
        "clip_by_norm-axes-float64",
        lambda x: tf.clip_by_norm(x, 0.5, axes=[1]),
        lambda x: x * 0.5 / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 0.5),
        [d(3, 2) * 2],
    ),
    Row(
        "clip_by_global_norm-float64",
        lambda a, b: tf.clip_by_global_norm([a, b], 1.0)[0][1],
        lambda a, b: b / max(np.sqrt((a**2).sum() + (b**2).sum()), 1.0),
        [d(2, 2) * 2, d(3) * 2],
    ),
    # array
    Row(
        "Transpose-float64",
        lambda x: tf.transpose(x, [2, 0, 1]),
        lambda x: np.transpose(x, [2, 0, 1]),
        [d(2, 3, 4)],
    ),
    Row("Transpose-default-float32", tf.transpose, np.transpose, [r(2, 3)], grad=False),
    Row(
        "InvertPermutation",
        tf.invert_permutation,
        lambda p: np.argsort(p).astype(np.int32),
        [np.array([2, 0, 3, 1], np.int32)],
        grad=False,
    ),
    Row("Tile-float64", lambda x: tf.tile(x, [2, 3]), lambda x: np.tile(x, [2, 3]), [d(2, 2)]),
    Row(
        "Pad-constant-float64",
        lambda x: tf.pad(x, [[1, 0], [2, 1]]),
        lambda x: np.pad(x, [(1, 0), (2, 1)]),
        [d(2, 3)],
    ),
    Row(
        "Pad-value-int32",
        lambda x: tf.pad(x, [[1, 1]], constant_values=7),
        lambda x: np.pad(x, [(1, 1)], constant_values=7),
        [ints(3)],
        grad=False,
    ),
    Row(
        "MirrorPad-reflect-float64",
        lambda x: tf.pad(x, [[1, 1], [2, 0]], "REFLECT"),
        lambda x: np.pad(x, [(1, 1), (2, 0)], mode="reflect"),
        [d(3, 4)],
    ),
    Row(
        "MirrorPad-symmetric-float64",
        lambda x: tf.pad(x, [[2, 1]], "SYMMETRIC"),
        lambda x: np.pad(x, [(2, 1)], mode="symmetric"),
        [d(4)],
    ),
    Row(
        "MirrorPadGrad-float64",
        lambda x, g: tf.gradients(tf.pad(x, [[1, 2]], "REFLECT"), x, grad_ys=g)[0],
        lambda x, g: np.bincount(
            np.pad(np.arange(4), [(1, 2)], mode="reflect"), weights=g, minlength=4
        ),
        [d(4), d(7)],
        diff=[1],
    ),
    Row("Slice-float64", lambda x: tf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3, :], [d(4, 3)]),
    Row(
        "GatherNd-float64",
        lambda p: tf.gather_nd(p, [[1, 0], [2, 1]]),
        lambda p: np.array([p[1, 0], p[2, 1]]),
        [d(3, 2, 2)],
    ),
    Row(
        "GatherNd-scalars-float64",
        lambda p: tf.gather_nd(p, [[[0, 1, 1]], [[2, 0, 0]]]),
        lambda p: np.array([[p[0, 1, 1]], [p[2, 0, 0]]]),
        [d(3, 2, 2)],
    ),
    Row(
        "ScatterNd-float64",
        lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]),
        lambda u: np.stack([np.zeros(2), u[0] + u[2], np.zeros(2), u[1], np.zeros(2)]),
        [d(3, 2)],
    ),
    Row(
        "OneHot-float32",
        lambda i: tf.one_hot(i, 4),
        lambda i: np.eye(4, dtype=np.float32)[i],
        [np.array([0, 3, 1], np.int32)],
        grad=False,
    ),
    Row(
        "OneHot-axis0-on-off",
        lambda i: tf.one_hot(i, 3, on_value=5, off_value=-1, axis=0),
        lambda i: np.where(np.eye(3, dtype=bool)[i].T, 5, -1).astype(np.int32),
        [np.array([2, 0], np.int64)],
        grad=False,
    ),
    Row("ReverseV2-float64", lambda x: tf.reverse(x, [1]), lambda x: x[:, ::-1], [d(2, 3)]),
    Row(
        "LinSpace-float32",
        lambda: tf.linspace(0.0, 1.0, 5),
        lambda: np.linspace(0, 1, 5, dtype=np.float32),
        [],
        grad=False,
    ),
    Row(
        "Split-float64",
        lambda x: tf.split(x, 2, axis=1)[1] * 2.0,
        lambda x: x[:, 2:] * 2,
        [d(3, 4)],
    ),
    Row("split-sizes-float64", lambda x: tf.split(x, [1, -1], 0)[1], lambda x: x[1:], [d(3, 2)]),
    Row(
        "DynamicPartition-float64",
        lambda x: tf.reshape(tf.dynamic_partition(x, [1, 0, 1, 1], 2)[1], [3, 2]),
        lambda x: x[[0, 2, 3]],
        [d(4, 2)],
    ),
    Row(
        "DynamicStitch-float64",
        lambda a, b: tf.reshape(tf.dynamic_stitch([[0, 2], [1, 3]], [a, b]), [4, 2]),
        lambda a, b: np.stack([a[0], b[0], a[1], b[1]]),
        [d(2, 2), d(2, 2)],
    ),
    Row(
        "sequence_mask",
        lambda n: tf.sequence_mask(n, 4),
        lambda n: np.arange(4)[None, :] < n[:, None],
        [np.array([1, 3, 0], np.int32)],
        grad=False,
    ),
    # nn: activations, softmax, losses
    Row(
        "Relu6-float64",
        tf.nn.relu6,
        lambda x: np.clip(x, 0, 6),
        [d(5) * 4],
        grad_inputs=[np.array([-1.0, 0.5, 3.0, 5.5, 7.0])],
    ),
    Row(
        "Elu-float64",
        tf.nn.elu,
        lambda x: np.where(x > 0, x, np.expm1(x)),
        [d(2, 3)],
        grad_inputs=[np.array([[-1.0, -0.2, 0.3], [0.9, -2.0, 1.5]])],
    ),
    Row(
        "LeakyRelu-float64",
        lambda x: tf.nn.leaky_relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        [d(2, 3)],
        grad_inputs=[np.array([[-1.0, -0.2, 0.3], [0.9, -2.0, 1.5]])],
    ),
    Row("Softplus-float64", tf.nn.softplus, lambda x: np.log1p(np.exp(x)), [d(2, 3) * 5]),
    Row("Softmax-float64", tf.nn.softmax, _softmax, [d(3, 4) * 3]),
    Row(
        "Softmax-axis0-float64",
        lambda x: tf.nn.softmax(x, axis=0),
        lambda x: _softmax(x.T).T,
        [d(3, 4)],
    ),
    Row("LogSoftmax-float64", tf.nn.log_softmax, lambda x: np.log(_softmax(x)), [d(3, 4) * 3]),
    Row("BiasAdd-float64", tf.nn.bias_add, lambda x, b: x + b, [d(2, 3, 4), d(4)]),
    Row(
        "BiasAddGrad-float64",
        lambda x, b, g: tf.gradients(tf.nn.bias_add(x, b), b, grad_ys=g)[0],
        lambda x, b, g: g.sum((0, 1)),
        [d(2, 3, 4), d(4), d(2, 3, 4)],
        diff=[2],
    ),
    Row("L2Loss-float64", tf.nn.l2_loss, lambda x: np.sum(x**2) / 2, [d(3, 2)]),
    Row(
        "SoftmaxCrossEntropyWithLogits-float64",
        lambda x, y: tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x),
        _xent_ref,
        [d(4, 5) * 3, _labels],
    ),
    Row(
        "SoftmaxCrossEntropyWithLogits-v1-float32",
        lambda x, y: tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x),
        _xent_ref,
        [r(4, 5) * 3, _labels.astype(np.float32)],
        grad=False,
    ),
    Row(
        "SparseSoftmaxCrossEntropyWithLogits-float64",
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([1, 0, 4, 2]), logits=x
        ),
        lambda x: _xent_ref(x, np.eye(5)[[1, 0, 4, 2]]),
        [d(4, 5) * 3],
    ),
    Row(
        "sigmoid_cross_entropy_with_logits-float64",
        lambda x, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
        lambda x, z: (
            -(z * np.log(1 / (1 + np.exp(-x))) + (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))))
        ),
        [d(2, 3) * 4, r(2, 3, low=0, high=1, dtype=F64)],
    ),
    Row(
        "moments-float64",
        lambda x: tf.stack(tf.nn.moments(x, [0])),
        lambda x: np.stack([x.mean(0), x.var(0)]),
        [d(5, 3)],
    ),
    Row(
        "batch_normalization-float64",
        lambda x, m, v, o, s: tf.nn.batch_normalization(x, m, v, o, s, 1e-3),
        lambda x, m, v, o, s: (x - m) / np.sqrt(v + 1e-3) * s + o,
        [d(4, 3), d(3), pos(3, dtype=F64), d(3), d(3)],
    ),
    Row(
        "l2_normalize-float64",
        lambda x: tf.nn.l2_normalize(x, axis=1),
        lambda x: x / np.linalg.norm(x, axis=1, keepdims=True),
        [d(3, 4)],
    ),
    Row(
        "embedding_lookup-float64",
        lambda p: tf.nn.embedding_lookup(p, [[3, 1], [0, 3]]),
        lambda p: p[[[3, 1], [0, 3]]],
        [d(5, 2)],
    ),
    Row(
        "embedding_lookup-sharded-mod-float64",
        lambda a, b: tf.nn.embedding_lookup([a, b], tf.constant([3, 0, 2, 1])),
        lambda a, b: np.stack([b[1], a[0], a[1], b[0]]),
        [d(2, 2), d(2, 2)],
    ),
    Row(
        "embedding_lookup-sharded-div-float64",
        lambda a, b: tf.nn.embedding_lookup(
            [a, b], tf.constant([3, 0, 2, 1]), partition_strategy="div"
        ),
        lambda a, b: np.concatenate([a, b])[[3, 0, 2, 1]],
        [d(3, 2), d(2, 2)],
    ),
    Row(
        "TopKV2-float64",
        lambda x: tf.nn.top_k(x, 2)[0],
        lambda x: -np.sort(-x, axis=-1)[..., :2],
        [d(3, 5)],
    ),
    Row(
        "TopKV2-indices",
        lambda x: tf.nn.top_k(x, 3)[1],
        lambda x: np.argsort(-x, -1, kind="stable")[:, :3].astype(np.int32),
        [np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 1.0, 0.0, 4.0]], np.float32)],
        grad=False,
    ),
    Row(
        "InTopKV2",
        lambda p: tf.nn.in_top_k(p, [1, 0], 2),
        lambda p: np.array([True, False]),
        [np.array([[0.1, 0.5, 0.7], [0.2, 0.9, 0.8]], np.float32)],
        grad=False,
    ),
    # convolution and pooling
    Row(
        "Conv2D-SAME-stride2-float64",
        lambda x, f: tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME"),
        lambda x, f: _conv_ref(x, f, (2, 2), "SAME"),
        [_x4, _f4],
    ),
    Row(
        "Conv2D-VALID-float64",
        lambda x, f: tf.nn.conv2d(x, f, [1, 1, 1, 1], "VALID"),
        lambda x, f: _conv_ref(x, f, (1, 1), "VALID"),
        [_x4, _f4],
    ),
    Row(
        "Conv2D-dilated-float64",
        lambda x, f: tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME", dilations=[1, 2, 1, 1]),
        lambda x, f: _conv_ref(x, f, (1, 1), "SAME", (2, 1)),
        [_x4, _f4],
    ),
    Row(
        "Conv2D-float32",
        lambda x, f: tf.nn.conv2d(x, f, [1, 1, 2, 1], "SAME"),
        lambda x, f: _conv_ref(x, f, (1, 2), "SAME"),
        [_x4.astype(np.float32), _f4.astype(np.float32)],
        grad=False,
        rtol=1e-4,
    ),
    Row(
        "Conv2DBackpropInput-float64",
        lambda x, f, g: tf.gradients(tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME"), x, grad_ys=g)[0],
        lambda x, f, g: _conv_input_grad(x, f, g),
        [_x4, _f4, d(2, 3, 3, 4)],
        diff=[1, 2],
    ),
    Row(
        "Conv2DBackpropFilter-float64",
        lambda x, f, g: tf.gradients(tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME"), f, grad_ys=g)[0],
        lambda x, f, g: _conv_filter_grad(x, f, g),
        [_x4, _f4, d(2, 3, 3, 4)],
        diff=[0, 2],
    ),
    Row(
        "MaxPool-VALID-float64",
        lambda x: tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        lambda x: _pool_ref(x, 2, 2, "VALID", "max"),
        [_pool_x],
    ),
    Row(
        "MaxPool-SAME-overlap-float64",
        lambda x: tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        lambda x: _pool_ref(x, 3, 2, "SAME", "max"),
        [_pool_x],
    ),
    Row(
        "MaxPoolGrad-float64",
        lambda x, g: tf.gradients(
            tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), x, grad_ys=g
        )[0],
        lambda x, g: _max_pool_grad_ref(x, g, 2, 2),
        [_pool_x, d(2, 2, 3, 2)],
        diff=[1],
    ),
    Row(
        "MaxPoolGradGrad-float64",
        lambda x, g, h: tf.gradients(
            tf.gradients(tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), x, grad_ys=g)[0],
            g,
            grad_ys=h,
        )[0],
        lambda x, g, h: _pool_pick(x, h),
        [_pool_x, d(2, 2, 3, 2), d(2, 4, 6, 2)],
        diff=[2],
    ),
    Row(
        "AvgPool-SAME-float64",
        lambda x: tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        lambda x: _pool_ref(x, 3, 2, "SAME", "avg"),
        [_pool_x],
    ),
    Row(
        "AvgPoolGrad-float64",
        lambda x, g: tf.gradients(
            tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"), x, grad_ys=g
        )[0],
        lambda x, g: np.repeat(np.repeat(g, 2, 1), 2, 2) / 4,
        [_pool_x, d(2, 2, 3, 2)],
        diff=[1],
    ),
]


def _conv_input_grad(x, f, g):
    """d<g, conv(x, f)>/dx by linearity: the conv applied to unit inputs."""
    out = np.zeros_like(x)
    flat = out.reshape(-1)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1
        flat[i] = np.sum(g * _conv_ref(e.reshape(x.shape), f, (2, 2), "SAME"))
    return out


def _conv_filter_grad(x, f, g):
    out = np.zeros_like(f)
    flat = out.reshape(-1)
    for i in range(f.size):
        e = np.zeros(f.size)
        e[i] = 1
        flat[i] = np.sum(g * _conv_ref(x, e.reshape(f.shape), (2, 2), "SAME"))
    return out


def _pool_pick(x, h):
    """VALID 2x2/2 max pool of positions: h at each window's maximum."""
    n, hh, ww, c = x.shape
    out = np.zeros((n, hh // 2, ww // 2, c))
    for b in range(n):
        for i in range(hh // 2):
            for j in range(ww // 2):
                for ch in range(c):
                    win = x[b, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, ch]
                    a, bb = np.unravel_index(np.argmax(win), win.shape)
                    out[b, i, j, ch] = h[b, 2 * i + a, 2 * j + bb, ch]
    return out


def _loop_ref(x):
    a = np.zeros_like(x)
    for _ in range(3):
        a = a * x + 1.0
    return a


ROWS += [
    Row(
        "While-float64",
        lambda x: tf.while_loop(
            lambda i, a: i < 3,
            lambda i, a: (i + 1, a * x + 1.0),
            [tf.constant(0), tf.zeros_like(x)],
        )[1],
        _loop_ref,
        [d(3)],
    ),
    Row(
        "While-single-var-int32",
        lambda n: tf.while_loop(lambda k: k < n, lambda k: k * 2, 1),
        lambda n: np.array(16, np.int32),
        [np.array(10, np.int32)],
        grad=False,
    ),
]

ROWS += [
    Row(
        "Rint-float32",
        tf.rint,
        np.rint,
        [np.array([0.5, 1.5, -2.5, 2.4, -0.6], np.float32)],
        grad=False,
    ),
    Row(
        "Rint-float64",
        tf.rint,
        np.rint,
        [d(2, 3) * 4],
        grad_inputs=[np.array([[0.3, 1.2, -2.2], [0.9, -1.4, 2.6]])],
    ),
    Row(
        "Softsign-float32",
        tf.nn.softsign,
        lambda x: x / (1 + np.abs(x)),
        [d(2, 3).astype(np.float32) * 3],
        grad=False,
    ),
    Row("Softsign-float64", tf.nn.softsign, lambda x: x / (1 + np.abs(x)), [d(2, 3) * 3]),
    Row(
        "reduce_logsumexp-axis1-float64",
        lambda x: tf.reduce_logsumexp(x, axis=1),
        lambda x: np.log(np.exp(x).sum(axis=1)),
        [d(3, 4) * 3],
    ),
    Row(
        "reduce_logsumexp-all-keepdims-float64",
        lambda x: tf.reduce_logsumexp(x, keepdims=True),
        lambda x: np.log(np.exp(x).sum(keepdims=True)),
        [d(2, 3)],
    ),
    Row(
        "reduce_logsumexp-large-float64",  # no overflow: the maximum is taken out first
        lambda x: tf.reduce_logsumexp(x, axis=0),
        lambda x: x.max(axis=0) + np.log(np.exp(x - x.max(axis=0)).sum(axis=0)),
        [np.array([[1000.0, -1000.0], [999.0, -1001.0]])],
    ),
    Row("scalar_mul-float64", lambda x: tf.scalar_mul(2.5, x), lambda x: 2.5 * x, [d(2, 3)]),
    Row(
        "eye-batch-float32",
        lambda x: tf.eye(2, 3, batch_shape=[2]) + x,
        lambda x: np.broadcast_to(np.eye(2, 3, dtype=np.float32), (2, 2, 3)) + x,
        [d(2, 2, 3).astype(np.float32)],
        grad=False,
    ),
]
