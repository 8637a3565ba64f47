"""Connectionist temporal classification: CTCLoss (the negative log probability of each
label sequence under per-frame softmax outputs, by the forward-backward recursions in log
space, with its gradient with respect to the logits computed alongside, as TF's op does),
the greedy and beam-search decoders, and the label helpers collapse_repeated and
ctc_unique_labels. TF1's blank is the last class; ctc_loss_v2's the first by default."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from ..sparse_tensor import SparseTensor
from . import array as _array, manip as _manip, math as _math

_NEG = -np.inf


def _logsumexp(a, b):
    m = np.maximum(a, b)
    finite = np.isfinite(m)
    safe = np.where(finite, m, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(finite, safe + np.log(np.exp(a - safe) + np.exp(b - safe)), m)


def _ctc_one(log_probs, labels, blank):
    """(loss, gradient w.r.t. the logits) of one sequence; log_probs [T, K]."""
    steps, classes = log_probs.shape
    ext = [blank]
    for c in labels:
        ext += [c, blank]
    size = len(ext)
    ext = np.asarray(ext)
    skip = np.zeros(size, bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    lp = log_probs[:, ext]  # [T, S]
    alpha = np.full((steps, size), _NEG)
    beta = np.full((steps, size), _NEG)
    if steps:
        alpha[0, :2] = lp[0, :2] if size > 1 else lp[0, :1]
        for t in range(1, steps):
            prev = alpha[t - 1]
            a = prev.copy()
            a[1:] = _logsumexp(a[1:], prev[:-1])
            a[2:] = np.where(skip[2:], _logsumexp(a[2:], prev[:-2]), a[2:])
            alpha[t] = a + lp[t]
        beta[-1, -1] = lp[-1, -1]
        if size > 1:
            beta[-1, -2] = lp[-1, -2]
        for t in range(steps - 2, -1, -1):
            nxt = beta[t + 1]
            b = nxt.copy()
            b[:-1] = _logsumexp(b[:-1], nxt[1:])
            b[:-2] = np.where(skip[2:], _logsumexp(b[:-2], nxt[2:]), b[:-2])
            beta[t] = b + lp[t]
    ends = alpha[-1, -1] if size == 1 else _logsumexp(alpha[-1, -1], alpha[-1, -2])
    log_p = ends if steps else _NEG
    grad = np.zeros_like(log_probs)
    if not np.isfinite(log_p):
        return np.inf, grad
    probs = np.exp(log_probs)
    occupancy = np.full((steps, classes), _NEG)
    both = alpha + beta - lp  # alpha and beta both hold the frame's own probability
    for s in range(size):
        occupancy[:, ext[s]] = _logsumexp(occupancy[:, ext[s]], both[:, s])
    grad = probs - np.exp(occupancy - log_p)
    return -log_p, grad


def _ctc_kernel(
    inputs,
    labels_indices,
    labels_values,
    sequence_length,
    *,
    blank_index,
    preprocess_collapse_repeated,
    ignore_longer_outputs_than_inputs,
):
    logits = np.asarray(inputs, np.float64)  # [T, B, K]
    steps, batch, classes = logits.shape
    blank = blank_index % classes
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    per = [[] for _ in range(batch)]
    for (b, _), v in zip(np.asarray(labels_indices).tolist(), np.asarray(labels_values).tolist()):
        per[b].append(int(v))
    loss = np.zeros(batch)
    grad = np.zeros_like(logits)
    lengths = np.asarray(sequence_length)
    for b in range(batch):
        labels = per[b]
        if preprocess_collapse_repeated:
            labels = [c for k, c in enumerate(labels) if k == 0 or c != labels[k - 1]]
        n = int(lengths[b])
        if n > steps:
            raise InvalidArgumentError(None, None, f"sequence_length({b}) <= {steps}")
        repeats = sum(1 for k in range(1, len(labels)) if labels[k] == labels[k - 1])
        if len(labels) + repeats > n:
            if ignore_longer_outputs_than_inputs:
                continue
            raise InvalidArgumentError(
                None,
                None,
                f"Not enough time for target transition sequence (required: "
                f"{len(labels) + repeats}, available: {n})0You can turn this error into a "
                "warning by using the flag ignore_longer_outputs_than_inputs",
            )
        if any(c == blank or not 0 <= c < classes for c in labels):
            raise InvalidArgumentError(
                None,
                None,
                f"Saw a label that is the blank or out of range [0, {classes}) in example {b}",
            )
        loss[b], grad[:n, b] = _ctc_one(log_probs[:n, b], labels, blank)
    return loss.astype(inputs.dtype), grad.astype(inputs.dtype)


register_op(
    OpDef(
        "CTCLoss",
        inputs=[
            "inputs: T",
            "labels_indices: int64",
            "labels_values: int32",
            "sequence_length: int32",
        ],
        outputs=["loss: T", "gradient: T"],
        types={"T": (_dt.float32, _dt.float64)},
        attrs={
            "blank_index": -1,
            "preprocess_collapse_repeated": False,
            "ignore_longer_outputs_than_inputs": False,
        },
        infer=lambda inputs, *rest, **_: [
            TensorSpec(
                inputs.dtype,
                TensorShape([inputs.shape.as_list()[1] if inputs.shape.ndims == 3 else None]),
            ),
            TensorSpec(inputs.dtype, inputs.shape),
        ],
        kernel=_ctc_kernel,
        grad=lambda op, grad_loss, _: [
            _math.multiply(op.outputs[1], _array.reshape(grad_loss, [1, -1, 1])),
            None,
            None,
            None,
        ],
    )
)


def _ctc(labels, inputs, sequence_length, blank_index, collapse, ignore_longer, time_major, name):
    if not isinstance(labels, SparseTensor):
        raise TypeError("Expected labels (first argument) to be a SparseTensor")
    with name_scope(name, "CTCLoss"):
        inputs = convert_to_tensor(inputs)
        if not time_major:
            inputs = _manip.transpose(inputs, [1, 0, 2])
        attrs = {
            "blank_index": int(blank_index),
            "preprocess_collapse_repeated": bool(collapse),
            "ignore_longer_outputs_than_inputs": bool(ignore_longer),
        }
        args = [
            inputs,
            _math.cast(labels.indices, _dt.int64),
            _math.cast(labels.values, _dt.int32),
            _math.cast(convert_to_tensor(sequence_length), _dt.int32),
        ]
        return apply_op("CTCLoss", args, attrs).outputs[0]


def ctc_loss(
    labels,
    inputs=None,
    sequence_length=None,
    preprocess_collapse_repeated=False,
    ctc_merge_repeated=True,
    ignore_longer_outputs_than_inputs=False,
    time_major=True,
    logits=None,
):
    """The CTC loss (negative log probability) of each batch entry's label sequence (a
    SparseTensor of int32 classes) under `inputs`, unscaled logits [max_time, batch,
    num_classes] (batch-major when time_major is False); the blank is the last class."""
    if not ctc_merge_repeated:
        raise NotImplementedError("ctc_loss(ctc_merge_repeated=False)")
    inputs = logits if inputs is None else inputs
    return _ctc(
        labels,
        inputs,
        sequence_length,
        -1,
        preprocess_collapse_repeated,
        ignore_longer_outputs_than_inputs,
        time_major,
        None,
    )


def ctc_loss_v2(
    labels,
    logits,
    label_length,
    logit_length,
    logits_time_major=True,
    unique=None,
    blank_index=None,
    name=None,
):
    """TF 2's CTC loss: labels dense [batch, max_label] (label_length each) or sparse,
    logits [frames, batch, classes] (logits_time_major), the blank at blank_index
    (default 0; negative counts from the end)."""
    with name_scope(name, "ctc_loss_dense"):
        if not isinstance(labels, SparseTensor):
            labels = convert_to_tensor(labels)
            lengths = convert_to_tensor(label_length)
            mask = _manip.sequence_mask(lengths, _array.shape(labels)[1])
            labels = SparseTensor(
                _math.where(mask),
                _array.boolean_mask(labels, mask),
                _math.cast(_array.shape(labels), _dt.int64),
            )
        return _ctc(
            labels,
            logits,
            logit_length,
            0 if blank_index is None else blank_index,
            False,
            False,
            logits_time_major,
            None,
        )


# Decoders --------------------------------------------------------------------------------------
def _decoded(paths, batch):
    """SparseTensor parts of a list of label lists."""
    indices = [[b, t] for b, path in enumerate(paths) for t in range(len(path))]
    values = [c for path in paths for c in path]
    width = max((len(p) for p in paths), default=0)
    return (
        np.asarray(indices, np.int64).reshape(-1, 2),
        np.asarray(values, np.int64),
        np.asarray([batch, width], np.int64),
    )


def _greedy_kernel(inputs, sequence_length, *, merge_repeated, blank_index):
    logits = np.asarray(inputs)
    steps, batch, classes = logits.shape
    blank = blank_index % classes
    paths, scores = [], np.zeros((batch, 1), logits.dtype)
    for b in range(batch):
        n = int(sequence_length[b])
        best = logits[:n, b].argmax(axis=1)
        scores[b, 0] = -logits[np.arange(n), b, best].sum()
        path, prev = [], None
        for c in best.tolist():
            if c != blank and not (merge_repeated and c == prev):
                path.append(c)
            prev = c
        paths.append(path)
    return (*_decoded(paths, batch), scores)


def _beam_kernel(inputs, sequence_length, *, beam_width, top_paths, merge_repeated):
    """Prefix beam search over the softmax of each frame (blank the last class), log
    probabilities of each path; top_paths SparseTensors and [batch, top_paths] scores."""
    logits = np.asarray(inputs, np.float64)
    steps, batch, classes = logits.shape
    blank = classes - 1
    shifted = logits - logits.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    all_paths = [[] for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths))
    for b in range(batch):
        beams = {(): (0.0, _NEG)}  # prefix -> (log p ending in blank, ending in non-blank)
        for t in range(int(sequence_length[b])):
            nxt: dict = {}

            def add(prefix, pb, pnb, nxt=nxt):
                ob, onb = nxt.get(prefix, (_NEG, _NEG))
                nxt[prefix] = (float(_logsumexp(ob, pb)), float(_logsumexp(onb, pnb)))

            for prefix, (pb, pnb) in beams.items():
                total = float(_logsumexp(pb, pnb))
                add(prefix, total + logp[t, b, blank], _NEG)
                for c in range(classes - 1):
                    p = logp[t, b, c]
                    if prefix and prefix[-1] == c and merge_repeated:
                        add(prefix, _NEG, pnb + p)  # the repeat merges into the prefix
                        add(prefix + (c,), _NEG, pb + p)  # a new c after a blank
                    else:
                        add(prefix + (c,), _NEG, total + p)
            ranked = sorted(nxt.items(), key=lambda kv: -float(_logsumexp(*kv[1])))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -float(_logsumexp(*kv[1])))
        for k in range(top_paths):
            prefix, probs = ranked[k] if k < len(ranked) else ((), (_NEG, _NEG))
            all_paths[k].append(list(prefix))
            scores[b, k] = float(_logsumexp(*probs))
    out = []
    for k in range(top_paths):
        out += list(_decoded(all_paths[k], batch))
    return (*out, scores.astype(inputs.dtype))


register_op(
    OpDef(
        "CTCGreedyDecoder",
        inputs=["inputs: T", "sequence_length: int32"],
        outputs=[
            "decoded_indices: int64",
            "decoded_values: int64",
            "decoded_shape: int64",
            "log_probability: T",
        ],
        types={"T": (_dt.float32, _dt.float64)},
        attrs={"merge_repeated": True, "blank_index": -1},
        infer=lambda inputs, n, **_: [
            TensorSpec(_dt.int64, TensorShape([None, 2])),
            TensorSpec(_dt.int64, TensorShape([None])),
            TensorSpec(_dt.int64, TensorShape([2])),
            TensorSpec(inputs.dtype, TensorShape([None, 1])),
        ],
        kernel=_greedy_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def _beam_infer(inputs, n, *, beam_width, top_paths, merge_repeated):
    parts = [
        TensorSpec(_dt.int64, TensorShape([None, 2])),
        TensorSpec(_dt.int64, TensorShape([None])),
        TensorSpec(_dt.int64, TensorShape([2])),
    ]
    return parts * top_paths + [TensorSpec(inputs.dtype, TensorShape([None, top_paths]))]


register_op(
    OpDef(
        "CTCBeamSearchDecoder",
        inputs=["inputs: T", "sequence_length: int32"],
        outputs=["decoded: N*any"],
        types={"T": (_dt.float32, _dt.float64)},
        attrs={"beam_width": 100, "top_paths": 1, "merge_repeated": True},
        infer=_beam_infer,
        kernel=_beam_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """([SparseTensor of the best path: the most likely class per frame, repeats merged,
    blanks dropped]), [batch, 1] negative sum of the chosen logits."""
    attrs = {
        "merge_repeated": bool(merge_repeated),
        "blank_index": -1 if blank_index is None else int(blank_index),
    }
    out = apply_op(
        "CTCGreedyDecoder",
        [convert_to_tensor(inputs), _math.cast(convert_to_tensor(sequence_length), _dt.int32)],
        attrs,
    ).outputs
    return [SparseTensor(*out[:3])], out[3]


def ctc_beam_search_decoder(
    inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True
):
    """The top_paths most likely label sequences by prefix beam search: (list of
    SparseTensors, [batch, top_paths] log probabilities)."""
    attrs = {
        "beam_width": int(beam_width),
        "top_paths": int(top_paths),
        "merge_repeated": bool(merge_repeated),
    }
    out = apply_op(
        "CTCBeamSearchDecoder",
        [convert_to_tensor(inputs), _math.cast(convert_to_tensor(sequence_length), _dt.int32)],
        attrs,
    ).outputs
    return [SparseTensor(*out[3 * k : 3 * k + 3]) for k in range(top_paths)], out[-1]


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    return ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths, True)


# Label helpers -------------------------------------------------------------------------------
def _collapse_kernel(labels, seq_length):
    labels = np.asarray(labels)
    rows = []
    for row, n in zip(labels, np.asarray(seq_length)):
        kept = [c for k, c in enumerate(row[: int(n)].tolist()) if k == 0 or c != row[k - 1]]
        rows.append(kept)
    width = labels.shape[1] if labels.ndim == 2 else 0
    out = np.zeros((len(rows), width), labels.dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    used = max((len(r) for r in rows), default=0)
    return out[:, :used], np.asarray([len(r) for r in rows], np.asarray(seq_length).dtype)


register_op(
    OpDef(
        "CollapseRepeated",
        inputs=["labels: T", "seq_length: L"],
        outputs=["collapsed: T", "new_length: L"],
        types={"T": (_dt.int32, _dt.int64), "L": (_dt.int32, _dt.int64)},
        infer=lambda labels, n: [
            TensorSpec(labels.dtype, TensorShape([None, None])),
            TensorSpec(n.dtype, n.shape),
        ],
        kernel=_collapse_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def collapse_repeated(labels, seq_length, name=None):
    """(labels with each run of a repeated label kept once, the new lengths)."""
    out = apply_op(
        "CollapseRepeated",
        [convert_to_tensor(labels), convert_to_tensor(seq_length)],
        name=name or "collapse_repeated_labels",
    ).outputs
    return out[0], out[1]


def ctc_unique_labels(labels, name=None):
    """(the unique labels of each row in first-appearance order, padded with 0; each
    label's index among them): [batch, max_label] both."""
    from .array_ext import unique_with_counts

    with name_scope(name, "ctc_unique_labels"):
        labels = convert_to_tensor(labels)
        rows = _array.unstack(labels, axis=0)
        width = labels.shape.as_list()[1]
        uniques, indices = [], []
        for row in rows:
            y, idx, _ = unique_with_counts(row)
            pad = _math.subtract(width, _array.shape(y)[0])
            uniques.append(_manip.pad(y, _array.reshape(_array.stack([0, pad]), [1, 2])))
            indices.append(idx)
        return _array.stack(uniques), _array.stack(indices)
