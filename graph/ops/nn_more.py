"""More of `tf.nn`, as TF1 defines it: fused_batch_norm and the moments family,
depth_to_space/space_to_depth, conv1d/convolution, log_poisson_loss, the candidate
samplers (`LogUniformCandidateSampler`, `UniformCandidateSampler`) and the sampled losses
built on them, `nce_loss` and `sampled_softmax_loss`."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..framework import apply_op, convert_to_tensor, name_scope
from ..registry import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register_op
from ..shapes import TensorShape
from . import array as _array, conv as _conv, manip as _manip, math as _math, nn as _nn
from .math_more import div_no_nan as _div_no_nan


# Moments and batch normalization ---------------------------------------------------------------
def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """(count, sum of (x - shift), sum of (x - shift)^2, shift) over `axes`."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "sufficient_statistics"):
        x = convert_to_tensor(x)
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is not None and all(dims[a] is not None for a in axes):
            count = convert_to_tensor(float(np.prod([dims[a] for a in axes])), dtype=x.dtype)
        else:
            sizes = _array.gather(_array.shape(x), list(axes))
            count = _math.cast(_math.reduce_prod(sizes), x.dtype)
        if shift is not None:
            shift = convert_to_tensor(shift, dtype=x.dtype)
        y = x if shift is None else _math.subtract(x, shift)
        mean_ss = _math.reduce_sum(y, axis=axes, keepdims=keep)
        var_ss = _math.reduce_sum(_math.square(y), axis=axes, keepdims=keep)
        return count, mean_ss, var_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from sufficient statistics."""
    with name_scope(name, "normalize"):
        mean_ss = convert_to_tensor(mean_ss)
        divisor = _math.reciprocal(convert_to_tensor(counts, dtype=mean_ss.dtype))
        shifted_mean = _math.multiply(mean_ss, divisor)
        mean = (
            shifted_mean
            if shift is None
            else _math.add(shifted_mean, convert_to_tensor(shift, dtype=mean_ss.dtype))
        )
        variance = _math.subtract(_math.multiply(variance_ss, divisor), _math.square(shifted_mean))
        return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`, each element counted `frequency_weights` times."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "weighted_moments"):
        x = convert_to_tensor(x)
        w = _math.cast(convert_to_tensor(frequency_weights), x.dtype)
        total = _math.reduce_sum(_math.multiply(x, w), axis=axes, keepdims=True)
        weight = _math.reduce_sum(_math.multiply(w, _array.ones_like(x)), axis=axes, keepdims=True)
        mean = _div_no_nan(total, weight)
        variance = _div_no_nan(
            _math.reduce_sum(
                _math.multiply(w, _math.squared_difference(x, mean)), axis=axes, keepdims=True
            ),
            weight,
        )
        if not keep:
            mean = _array.squeeze(mean, list(axes))
            variance = _array.squeeze(variance, list(axes))
        return mean, variance


def fused_batch_norm(
    x,
    scale,
    offset,
    mean=None,
    variance=None,
    epsilon=0.001,
    data_format="NHWC",
    is_training=True,
    name=None,
    exponential_avg_factor=1.0,
):
    """(y, batch mean, batch variance) of a 4-D `x` normalized per channel, as TF1's fused
    kernel: in training the batch moments normalize and the variance returned has Bessel's
    correction (what moving averages take); otherwise `mean` and `variance` normalize and
    come back (blended with the batch's by `exponential_avg_factor` < 1 in training)."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be NHWC or NCHW, got {data_format!r}")
    with name_scope(name, "FusedBatchNorm"):
        x = convert_to_tensor(x)
        if x.shape.ndims not in (None, 4):
            raise ValueError(f"fused_batch_norm needs a 4-D input, got shape {x.shape}")
        axes = [0, 1, 2] if data_format == "NHWC" else [0, 2, 3]
        shape = [1, 1, 1, -1] if data_format == "NHWC" else [1, -1, 1, 1]

        def norm(m, v):
            return _nn.batch_normalization(
                x,
                _array.reshape(m, shape),
                _array.reshape(v, shape),
                _array.reshape(offset, shape),
                _array.reshape(scale, shape),
                epsilon,
            )

        if not is_training:
            if mean is None or variance is None:
                raise ValueError("fused_batch_norm needs mean and variance when not training")
            return norm(mean, variance), convert_to_tensor(mean), convert_to_tensor(variance)
        batch_mean, batch_var = _nn.moments(x, axes)
        count = _math.cast(_math.reduce_prod(_array.gather(_array.shape(x), axes)), x.dtype)
        corrected = _math.multiply(
            batch_var, _math.real_div(count, _math.maximum(_math.subtract(count, 1.0), 1.0))
        )
        y = norm(batch_mean, batch_var)
        if exponential_avg_factor != 1.0 and mean is not None and variance is not None:
            f = float(exponential_avg_factor)
            batch_mean = _math.add(_math.multiply(mean, 1.0 - f), _math.multiply(batch_mean, f))
            corrected = _math.add(_math.multiply(variance, 1.0 - f), _math.multiply(corrected, f))
        return y, batch_mean, corrected


# Shapes of images ------------------------------------------------------------------------------
def _block(value, block_size, what):
    value = convert_to_tensor(value)
    if not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"{what}: block_size must be an integer >= 2, got {block_size!r}")
    if value.shape.ndims not in (None, 4):
        raise ValueError(f"{what}: input must be 4-D, got shape {value.shape}")
    return value


def _dims(x):
    """The 4 dimensions of `x`: Python ints where known (static shapes follow), else
    scalar tensors."""
    known = x.shape.as_list() if x.shape.ndims == 4 else [None] * 4
    return [d if d is not None else _array.shape(x)[i] for i, d in enumerate(known)]


def space_to_depth(input, block_size, name=None, data_format="NHWC"):
    """Blocks of block_size x block_size pixels moved into the channels (NHWC)."""
    if data_format != "NHWC":
        raise ValueError("space_to_depth supports data_format NHWC only")
    with name_scope(name, "SpaceToDepth"):
        x = _block(input, block_size, "space_to_depth")
        b = block_size
        n, h, w, c = _dims(x)
        y = _array.reshape(x, _array.stack([n, h // b, b, w // b, b, c]))
        y = _manip.transpose(y, [0, 1, 3, 2, 4, 5])
        return _array.reshape(y, _array.stack([n, h // b, w // b, c * b * b]))


def depth_to_space(input, block_size, name=None, data_format="NHWC"):
    """The inverse of space_to_depth: channels spread into block_size x block_size pixels."""
    if data_format != "NHWC":
        raise ValueError("depth_to_space supports data_format NHWC only")
    with name_scope(name, "DepthToSpace"):
        x = _block(input, block_size, "depth_to_space")
        b = block_size
        n, h, w, c = _dims(x)
        y = _array.reshape(x, _array.stack([n, h, w, b, b, c // (b * b)]))
        y = _manip.transpose(y, [0, 1, 3, 2, 4, 5])
        return _array.reshape(y, _array.stack([n, h * b, w * b, c // (b * b)]))


# Convolution over 1-D and of either rank -------------------------------------------------------
def conv1d(
    value=None,
    filters=None,
    stride=None,
    padding=None,
    use_cudnn_on_gpu=None,
    data_format=None,
    name=None,
    input=None,
    dilations=None,
):
    """1-D convolution of [batch, width, in] `value` with [k, in, out] `filters` (as a
    2-D convolution of height 1)."""
    value = input if value is None else value
    if data_format not in (None, "NWC"):
        raise ValueError("conv1d supports data_format NWC only")
    if value is None or filters is None or stride is None or padding is None:
        raise TypeError("conv1d() needs value, filters, stride and padding")
    stride = stride if isinstance(stride, int) else list(stride)[-2 if len(stride) == 3 else 0]
    dilation = (
        1
        if dilations is None
        else (dilations if isinstance(dilations, int) else list(dilations)[-2])
    )
    with name_scope(name, "conv1d"):
        x = _array.expand_dims(convert_to_tensor(value), 1)
        f = _array.expand_dims(convert_to_tensor(filters), 0)
        y = _conv.conv2d(
            x, f, strides=[1, 1, stride, 1], padding=padding, dilations=[1, 1, dilation, 1]
        )
        return _array.squeeze(y, [1])


def convolution(
    input,
    filter,
    padding,
    strides=None,
    dilation_rate=None,
    name=None,
    data_format=None,
    filters=None,
    dilations=None,
):
    """N-D convolution for N = 1 or 2 (`strides` and `dilation_rate` per spatial dim)."""
    filter = filters if filter is None else filter
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    input = convert_to_tensor(input)
    rank = input.shape.ndims
    strides = [1] * (rank - 2) if strides is None else list(np.atleast_1d(strides))
    rate = [1] * (rank - 2) if dilation_rate is None else list(np.atleast_1d(dilation_rate))
    if rank == 3:
        return conv1d(
            input,
            filter,
            int(strides[0]),
            padding,
            data_format=data_format,
            name=name,
            dilations=int(rate[0]),
        )
    if rank == 4:
        return _conv.conv2d(
            input,
            filter,
            strides=[1, *map(int, strides), 1],
            padding=padding,
            dilations=[1, *map(int, rate), 1],
            name=name,
        )
    raise ValueError(f"convolution supports 1-D and 2-D inputs (rank 3 or 4), got rank {rank}")


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    return _conv.max_pool(input, _four(ksize), _four(strides), padding, data_format or "NHWC", name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    return _conv.avg_pool(input, _four(ksize), _four(strides), padding, data_format or "NHWC", name)


def _four(v):
    """TF2-style pool sizes (an int, or one per spatial dim) as NHWC 4-lists."""
    if isinstance(v, int):
        return [1, v, v, 1]
    v = list(v)
    return [1, *v, 1] if len(v) == 2 else v


# Losses ------------------------------------------------------------------------------------------
def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """exp(log_input) - targets * log_input (+ Stirling's term for targets > 1)."""
    with name_scope(name, "log_poisson_loss"):
        log_input = convert_to_tensor(log_input)
        targets = convert_to_tensor(targets, dtype=log_input.dtype)
        loss = _math.subtract(_math.exp(log_input), _math.multiply(log_input, targets))
        if not compute_full_loss:
            return loss
        safe = _math.maximum(targets, _array.ones_like(targets))
        stirling = _math.add(
            _math.subtract(_math.multiply(targets, _math.log(safe)), targets),
            _math.multiply(0.5, _math.log(_math.multiply(2.0 * np.pi, safe))),
        )
        use = _math.greater(targets, _array.ones_like(targets))
        return _math.add(loss, _math.where(use, stirling, _array.zeros_like(targets)))


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """sum(per_example_loss * sample_weight) / global batch size (one replica here)."""
    loss = convert_to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = _math.multiply(loss, _math.cast(sample_weight, loss.dtype))
    total = _math.reduce_sum(loss)
    if global_batch_size is None:
        global_batch_size = _math.cast(_array.size(loss), loss.dtype)
    return _div_no_nan(total, _math.cast(global_batch_size, loss.dtype))


def scale_regularization_loss(regularization_loss):
    """The regularization loss scaled by 1 / the number of replicas (one here)."""
    return _math.reduce_sum(convert_to_tensor(regularization_loss))


# Candidate samplers -------------------------------------------------------------------------------
def _sampler_infer(true_classes, *, num_sampled, **_):
    return [
        TensorSpec(_dt.int64, TensorShape([num_sampled])),
        TensorSpec(_dt.float32, true_classes.shape),
        TensorSpec(_dt.float32, TensorShape([num_sampled])),
    ]


def _unigram_weights(attrs):
    """The fixed unigram distribution over [0, range_max): the reserved ids first (weight
    0), the given counts raised to `distortion`, ids outside this shard dropped."""
    if attrs["vocab_file"]:
        with open(attrs["vocab_file"]) as f:
            counts = [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]
    else:
        counts = list(attrs["unigrams"])
    weights = np.asarray([0.0] * attrs["num_reserved_ids"] + counts, np.float64)
    if len(weights) != attrs["range_max"]:
        raise InvalidArgumentError(
            None, None, f"range_max must equal the number of reserved ids plus unigrams: "
            f"{attrs['range_max']} vs {len(weights)}"
        )  # fmt: skip
    weights = weights ** attrs["distortion"]
    weights[np.arange(len(weights)) % attrs["num_shards"] != attrs["shard"]] = 0.0
    return weights / weights.sum()


def _distribution(state, kind, attrs, op_name):
    """Each class's probability, or None for the closed-form kinds."""
    if kind == "fixed_unigram":
        return _unigram_weights(attrs)
    if kind == "learned_unigram":  # counts of the true classes seen so far (1 to start)
        with state.store._lock:
            counts = state.store.sampler_counts.setdefault(
                op_name, np.ones(attrs["range_max"], np.float64)
            )
        return counts / counts.sum()
    return None


def _probability(kind, classes, range_max, dist=None):
    classes = np.asarray(classes)
    if dist is not None:
        return dist[np.clip(classes, 0, range_max - 1)]
    classes = classes.astype(np.float64)
    if kind == "log_uniform":
        return (np.log(classes + 2.0) - np.log(classes + 1.0)) / np.log(range_max + 1.0)
    return np.full(classes.shape, 1.0 / range_max)


def _draw(kind, rng, batch, range_max, dist):
    if dist is not None:
        return rng.choice(range_max, size=batch, p=dist)
    if kind == "log_uniform":  # exp(U * log(range_max + 1)) - 1, floored
        cand = (np.exp(rng.random(batch) * np.log(range_max + 1.0)) - 1.0).astype(np.int64)
        return np.minimum(cand, range_max - 1)
    return rng.integers(0, range_max, batch)


def _sampler_kernel(state, true_classes, *, num_true, num_sampled, unique, range_max, seed,
                    seed2, kind, op_name, **attrs):  # fmt: skip
    """num_sampled classes in [0, range_max) (distinct when `unique`) and the expected
    count of each true and sampled class, TF's way: p (or, when unique, 1 - (1-p)^tries,
    tries being the draws it took). `all`: the classes 0..num_sampled-1, each expected once."""
    if kind == "all":
        sampled = np.arange(num_sampled, dtype=np.int64)
        return (sampled, np.ones(np.shape(true_classes), np.float32),
                np.ones(num_sampled, np.float32))  # fmt: skip
    attrs["range_max"] = range_max
    dist = _distribution(state, kind, attrs, op_name)
    if unique and num_sampled > (range_max if dist is None else int(np.count_nonzero(dist))):
        raise InvalidArgumentError(
            None, None, f"Sampler's range is too small: range_max={range_max} < {num_sampled}"
        )
    rng = state.store.generator(op_name, seed, seed2)
    draws: list[int] = []
    seen: set[int] = set()
    tries = 0
    while len(draws) < num_sampled:
        for c in _draw(kind, rng, max(num_sampled - len(draws), 16), range_max, dist).tolist():
            if len(draws) == num_sampled:
                break
            tries += 1
            if unique and c in seen:
                continue
            seen.add(c)
            draws.append(c)
    sampled = np.asarray(draws, np.int64)

    def expected(classes):
        p = _probability(kind, classes, range_max, dist)
        if unique:
            return (-np.expm1(tries * np.log1p(-np.minimum(p, 1 - 1e-12)))).astype(np.float32)
        return (p * num_sampled).astype(np.float32)

    out = sampled, expected(true_classes), expected(sampled)
    if kind == "learned_unigram":  # learns from this batch's true classes
        with state.store._lock:
            np.add.at(state.store.sampler_counts[op_name], np.asarray(true_classes).ravel(), 1.0)
    return out


_SAMPLER_ATTRS = {
    "num_true": 1,
    "num_sampled": 1,
    "unique": True,
    "range_max": 1,
    "seed": 0,
    "seed2": 0,
    "kind": "log_uniform",
    "unigrams": [],
    "vocab_file": "",
    "distortion": 1.0,
    "num_reserved_ids": 0,
    "num_shards": 1,
    "shard": 0,
}

register_op(
    OpDef(
        "CandidateSampler",
        inputs=["true_classes: int64"],
        outputs=[
            "sampled_candidates: int64",
            "true_expected_count: float",
            "sampled_expected_count: float",
        ],
        attrs=dict(_SAMPLER_ATTRS),
        infer=_sampler_infer,
        kernel=_sampler_kernel,
        grad=NOT_DIFFERENTIABLE,
        stateful=True,
        keeps_op_state=True,
    )
)


def _run_sampler(kind, true_classes, num_true, num_sampled, unique, range_max, seed, name,
                 **extra):  # fmt: skip
    from .random import _seed_attrs

    if range_max < 1:
        raise ValueError(f"range_max must be >= 1, got {range_max}")
    attrs = {
        "num_true": int(num_true),
        "num_sampled": int(num_sampled),
        "unique": bool(unique),
        "range_max": int(range_max),
        "kind": kind,
        **_seed_attrs(seed),
        **extra,
    }
    classes = _math.cast(convert_to_tensor(true_classes), _dt.int64)
    default = "".join(w.title() for w in kind.split("_")) + "CandidateSampler"
    op = apply_op("CandidateSampler", [classes], attrs, name=name or default)
    return tuple(op.outputs)


def _sampler(kind):
    def sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
        return _run_sampler(kind, true_classes, num_true, num_sampled, unique, range_max,
                            seed, name)  # fmt: skip

    sampler.__name__ = f"{kind}_candidate_sampler"
    sampler.__doc__ = (
        f"(sampled classes, expected count of each true class, of each sampled class): "
        f"num_sampled classes drawn {kind.replace('_', '-')} from [0, range_max)."
    )
    return sampler


log_uniform_candidate_sampler = _sampler("log_uniform")
uniform_candidate_sampler = _sampler("uniform")
learned_unigram_candidate_sampler = _sampler("learned_unigram")
learned_unigram_candidate_sampler.__doc__ = (
    "Candidates drawn from the unigram distribution of the true classes seen so far by this "
    "op (every class counted once to start): (sampled, true expected, sampled expected)."
)


def fixed_unigram_candidate_sampler(
    true_classes,
    num_true,
    num_sampled,
    unique,
    range_max,
    vocab_file="",
    distortion=1.0,
    num_reserved_ids=0,
    num_shards=1,
    shard=0,
    unigrams=(),
    seed=None,
    name=None,
):
    """Candidates drawn from a fixed unigram distribution (`unigrams`, or the last column
    of each line of `vocab_file`), raised to `distortion`, after `num_reserved_ids` ids of
    weight 0; with num_shards > 1 only ids with id % num_shards == shard."""
    return _run_sampler("fixed_unigram", true_classes, num_true, num_sampled, unique,
                        range_max, seed, name, unigrams=[float(u) for u in unigrams],
                        vocab_file=str(vocab_file or ""), distortion=float(distortion),
                        num_reserved_ids=int(num_reserved_ids), num_shards=int(num_shards),
                        shard=int(shard))  # fmt: skip


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """The classes 0..num_sampled-1 as the candidates (every class, for tests and small
    vocabularies), each with expected count 1."""
    return _run_sampler("all", true_classes, num_true, num_sampled, True, num_sampled, seed,
                        name)  # fmt: skip


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """(indices, ids, weights): for each sampled candidate equal to a true class of an
    example, the example's row, the candidate's position and -FLOAT_MAX (to add to that
    logit, removing it)."""
    with name_scope(name, "ComputeAccidentalHits"):
        true_classes = _math.cast(convert_to_tensor(true_classes), _dt.int64)
        sampled = _math.cast(convert_to_tensor(sampled_candidates), _dt.int64)
        hits = _math.equal(_array.expand_dims(true_classes, -1),
                           _array.reshape(sampled, [1, 1, -1]))  # fmt: skip
        # [batch, num_true, num_sampled] -> any true class of the row
        where = _math.where(_math.reduce_any(hits, axis=1))
        rows = _math.cast(where[:, 0], _dt.int32)
        ids = where[:, 1]
        weights = _array.fill(_array.shape(rows), np.float32(-np.finfo(np.float32).max))
        return rows, ids, weights


def _sampled_logits(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true,
    sampled_values,
    subtract_log_q,
    remove_accidental_hits,
    partition_strategy,
    name,
):
    """(logits [batch, num_true + num_sampled], labels of the same shape), TF1's
    `_compute_sampled_logits`."""
    with name_scope(name, "compute_sampled_logits"):
        labels = _math.cast(convert_to_tensor(labels), _dt.int64)
        if labels.shape.ndims == 1:
            labels = _array.expand_dims(labels, -1)
        flat_labels = _array.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(
                labels, num_true, num_sampled, True, num_classes
            )
        sampled, true_expected, sampled_expected = (_array.stop_gradient(v) for v in sampled_values)
        all_ids = _array.concat([flat_labels, sampled], 0)
        all_w = _nn.embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
        inputs = convert_to_tensor(inputs)
        n_true = _array.size(flat_labels)
        true_w = _manip.slice_(all_w, [0, 0], _array.stack([n_true, -1]))
        sampled_w = _manip.slice_(all_w, _array.stack([n_true, 0]), [-1, -1])
        sampled_logits = _math.matmul(inputs, sampled_w, transpose_b=True)
        all_b = _nn.embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
        true_b = _manip.slice_(all_b, [0], _array.reshape(n_true, [1]))
        sampled_b = _manip.slice_(all_b, _array.reshape(n_true, [1]), [-1])
        dim = _array.shape(true_w)[1:2]
        true_w = _array.reshape(true_w, _array.concat([[-1, num_true], dim], 0))
        true_logits = _math.reduce_sum(
            _math.multiply(_array.expand_dims(inputs, 1), true_w), axis=2
        )
        true_logits = _math.add(true_logits, _array.reshape(true_b, [-1, num_true]))
        sampled_logits = _math.add(sampled_logits, sampled_b)
        if remove_accidental_hits:
            hit = _math.equal(_array.expand_dims(labels, -1), _array.reshape(sampled, [1, 1, -1]))
            hit = _math.reduce_any(hit, axis=1)
            sampled_logits = _math.add(
                sampled_logits,
                _math.multiply(_math.cast(hit, sampled_logits.dtype), -np.finfo(np.float32).max),
            )
        if subtract_log_q:
            true_logits = _math.subtract(true_logits, _math.log(true_expected))
            sampled_logits = _math.subtract(sampled_logits, _math.log(sampled_expected))
        logits = _array.concat([true_logits, sampled_logits], 1)
        out_labels = _array.concat(
            [_array.ones_like(true_logits) / num_true, _array.zeros_like(sampled_logits)], 1
        )
        return logits, out_labels


def nce_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=False,
    partition_strategy="mod",
    name="nce_loss",
):
    """Noise-contrastive estimation loss per example ([batch]), TF1's definition: sigmoid
    cross entropy of the true and sampled classes' logits less log expected counts."""
    logits, labels = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled,
        num_classes,
        num_true,
        sampled_values,
        True,
        remove_accidental_hits,
        partition_strategy,
        name,
    )
    with name_scope(name, "nce_loss"):
        losses = _nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return _math.reduce_sum(losses, axis=1)


def sampled_softmax_loss(
    weights,
    biases,
    labels,
    inputs,
    num_sampled,
    num_classes,
    num_true=1,
    sampled_values=None,
    remove_accidental_hits=True,
    partition_strategy="mod",
    name="sampled_softmax_loss",
    seed=None,
):
    """Softmax cross entropy over the true class and num_sampled sampled classes, with the
    logits corrected by log expected counts ([batch]), TF1's definition."""
    if sampled_values is None and seed is not None:
        labels_t = _math.cast(convert_to_tensor(labels), _dt.int64)
        if labels_t.shape.ndims == 1:
            labels_t = _array.expand_dims(labels_t, -1)
        sampled_values = log_uniform_candidate_sampler(
            labels_t, num_true, num_sampled, True, num_classes, seed=seed
        )
    logits, labels = _sampled_logits(
        weights,
        biases,
        labels,
        inputs,
        num_sampled,
        num_classes,
        num_true,
        sampled_values,
        True,
        remove_accidental_hits,
        partition_strategy,
        name,
    )
    with name_scope(name, "sampled_softmax_loss"):
        return _nn.softmax_cross_entropy_with_logits(
            labels=_array.stop_gradient(labels), logits=logits
        )


# Local response normalization (AlexNet's; TF's LRN) ----------------------------------------------
def _window_sum(x: np.ndarray, radius: int) -> np.ndarray:
    """Per position of the last axis, the sum of x over [d - radius, d + radius]."""
    depth = x.shape[-1]
    padded = np.concatenate([np.zeros(x.shape[:-1] + (1,), x.dtype), np.cumsum(x, -1)], -1)
    hi = np.minimum(np.arange(depth) + radius + 1, depth)
    lo = np.maximum(np.arange(depth) - radius, 0)
    return padded[..., hi] - padded[..., lo]


def _lrn_kernel(input, *, depth_radius, bias, alpha, beta):
    x = np.asarray(input)
    if x.ndim != 4:
        raise InvalidArgumentError(None, None, f"input must be 4-dimensional, got {x.ndim}")
    norm = bias + alpha * _window_sum(x.astype(np.float64) ** 2, depth_radius)
    return (x / norm**beta).astype(x.dtype)


def _lrn_grad_kernel(grads, input, output, *, depth_radius, bias, alpha, beta):
    g, x = np.asarray(grads, np.float64), np.asarray(input, np.float64)
    norm = bias + alpha * _window_sum(x**2, depth_radius)
    inner = _window_sum(g * x * norm ** (-beta - 1), depth_radius)
    return (g * norm ** (-beta) - 2 * alpha * beta * x * inner).astype(np.asarray(input).dtype)


_LRN_ATTRS = {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5}
register_op(
    OpDef(
        "LRN",
        inputs=["input: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs=dict(_LRN_ATTRS),
        infer=lambda input, **_: TensorSpec(input.dtype, input.shape),
        kernel=_lrn_kernel,
        grad=lambda op, grad: [
            apply_op(
                "LRNGrad",
                [grad, op.inputs[0], op.outputs[0]],
                {k: op.get_attr(k) for k in _LRN_ATTRS},
            ).outputs[0]
        ],  # fmt: skip
    )
)
register_op(
    OpDef(
        "LRNGrad",
        inputs=["input_grads: T", "input_image: T", "output_image: T"],
        outputs=["output: T"],
        types={"T": _dt.FLOATS},
        attrs=dict(_LRN_ATTRS),
        infer=lambda g, *_, **__: TensorSpec(g.dtype, g.shape),
        kernel=_lrn_grad_kernel,
        grad=NOT_DIFFERENTIABLE,
    )
)


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5,  # noqa: A002
                                 name=None):  # fmt: skip
    """input / (bias + alpha * sum of squares over the depth window) ** beta, per position
    of the last axis (a window of 2 * depth_radius + 1 channels)."""
    attrs = {"depth_radius": int(depth_radius), "bias": float(bias), "alpha": float(alpha),
             "beta": float(beta)}  # fmt: skip
    return apply_op("LRN", [convert_to_tensor(input)], attrs, name=name or "LRN").outputs[0]


lrn = local_response_normalization
