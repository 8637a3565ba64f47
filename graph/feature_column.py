"""`tf.feature_column` essentials for wide & deep models: numeric, bucketized, categorical
(hash bucket, identity, vocabulary list) columns, embedding and indicator columns, and
`input_layer` / `linear_model` that turn a features dict into a dense tensor or a linear
logit. Variables are named as TF1 names them (`input_layer/C_embedding/embedding_weights`,
`linear_model/C/weights`, `linear_model/bias_weights`), so checkpoints line up.

A categorical feature is a SparseTensor of ids or strings, or a dense tensor ([batch] or
[batch, k]) whose missing entries are -1 (ints) or '' (strings), as TF1 reads it.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt, init_ops
from .framework import convert_to_tensor, name_scope
from .ops import array as _array, manip as _manip, math as _math, nn as _nn, sparse as _sparse
from .sparse_tensor import SparseTensor
from .variable_scope import get_variable, variable_scope


class _CategoricalColumn:
    num_buckets: int
    name: str

    def _ids(self, features) -> SparseTensor:  # pragma: no cover - overridden
        raise NotImplementedError


class _DenseColumn:
    name: str


def _as_sparse(value, missing) -> SparseTensor:
    """A SparseTensor of a dense [batch] or [batch, k] tensor's non-missing entries."""
    if isinstance(value, SparseTensor):
        return value
    x = convert_to_tensor(value)
    if x.shape.ndims == 1:
        x = _array.expand_dims(x, 1)
    if x.dtype == _dt.string:
        keep = _math.not_equal(x, convert_to_tensor(b"", dtype=_dt.string))
    else:
        keep = _math.not_equal(x, _math.cast(convert_to_tensor(missing), x.dtype))
    indices = _math.where(keep)
    values = _manip.gather_nd(x, indices)
    return SparseTensor(indices, values, _math.cast(_array.shape(x), _dt.int64))


def _with_values(sp: SparseTensor, values) -> SparseTensor:
    return SparseTensor(sp.indices, values, sp.dense_shape)


class NumericColumn(_DenseColumn):
    def __init__(self, key, shape, default_value, dtype, normalizer_fn):
        self.key, self.name = key, key
        self.shape = tuple(shape)
        self.default_value, self.dtype, self.normalizer_fn = default_value, dtype, normalizer_fn

    @property
    def dimension(self) -> int:
        return int(np.prod(self.shape))

    def _dense(self, features, scope):
        x = _math.cast(convert_to_tensor(features[self.key]), _dt.float32)
        if self.normalizer_fn is not None:
            x = self.normalizer_fn(x)
        return _array.reshape(x, [-1, self.dimension])


class BucketizedColumn(_DenseColumn, _CategoricalColumn):
    def __init__(self, source, boundaries):
        if list(boundaries) != sorted(boundaries):
            raise ValueError("boundaries must be a sorted list.")
        self.source, self.boundaries = source, [float(b) for b in boundaries]
        self.name = f"{source.name}_bucketized"
        self.num_buckets = (len(self.boundaries) + 1) * source.dimension

    def _buckets(self, features):
        x = self.source._dense(features, None)  # [batch, dim]
        bounds = np.asarray(self.boundaries, np.float32)
        bucket = _math.reduce_sum(
            _math.cast(_math.greater_equal(_array.expand_dims(x, -1), bounds), _dt.int64), -1
        )
        offsets = np.arange(self.source.dimension, dtype=np.int64) * (len(bounds) + 1)
        return _math.add(bucket, offsets)  # [batch, dim]

    def _ids(self, features):
        return _as_sparse(self._buckets(features), -1)

    def _dense(self, features, scope):
        one_hot = _manip.one_hot(self._buckets(features), len(self.boundaries) + 1)
        return _array.reshape(one_hot, [-1, self.num_buckets])


class HashedCategoricalColumn(_CategoricalColumn):
    def __init__(self, key, hash_bucket_size, dtype):
        if hash_bucket_size < 1:
            raise ValueError(
                f"hash_bucket_size must be at least 1. hash_bucket_size: "
                f"{hash_bucket_size}, key: {key}"
            )
        self.key, self.name, self.num_buckets, self.dtype = key, key, hash_bucket_size, dtype

    def _ids(self, features):
        from .ops.strings import as_string

        value = features[self.key]
        dtype = value.dtype if hasattr(value, "dtype") else convert_to_tensor(value).dtype
        sp = _as_sparse(value, "" if dtype == _dt.string else -1)
        strings = sp.values if sp.values.dtype == _dt.string else as_string(sp.values)
        return _with_values(sp, _sparse.string_to_hash_bucket_fast(strings, self.num_buckets))


class IdentityCategoricalColumn(_CategoricalColumn):
    def __init__(self, key, num_buckets, default_value):
        self.key, self.name, self.num_buckets = key, key, num_buckets
        self.default_value = default_value

    def _ids(self, features):
        sp = _as_sparse(features[self.key], -1)
        ids = _math.cast(sp.values, _dt.int64)
        if self.default_value is not None:
            bad = _math.logical_or(_math.less(ids, 0), _math.greater_equal(ids, self.num_buckets))
            ids = _math.where(bad, _array.ones_like(ids) * self.default_value, ids)
        return _with_values(sp, ids)


class VocabularyListCategoricalColumn(_CategoricalColumn):
    def __init__(self, key, vocabulary_list, dtype, default_value, num_oov_buckets):
        if len(set(vocabulary_list)) != len(vocabulary_list):
            raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}")
        self.key, self.name = key, key
        self.vocabulary = list(vocabulary_list)
        self.dtype = dtype
        self.default_value, self.num_oov_buckets = default_value, num_oov_buckets
        self.num_buckets = len(self.vocabulary) + num_oov_buckets

    def _ids(self, features):
        value = features[self.key]
        strings = isinstance(self.vocabulary[0], (str, bytes))
        sp = _as_sparse(value, "" if strings else -1)
        vocab = np.array(
            [v.encode() if isinstance(v, str) else v for v in self.vocabulary],
            dtype=object if strings else np.int64,
        )
        values = sp.values
        hit = _math.equal(_array.expand_dims(values, 1), vocab[None, :])
        found = _math.reduce_any(hit, 1)
        index = _math.argmax(_math.cast(hit, _dt.int32), 1)
        if self.num_oov_buckets:
            from .ops.strings import as_string

            keys = values if strings else as_string(values)
            oov = _math.add(
                _sparse.string_to_hash_bucket_fast(keys, self.num_oov_buckets), len(self.vocabulary)
            )
        else:
            oov = _array.ones_like(index) * self.default_value
        return _with_values(sp, _math.where(found, index, oov))


class EmbeddingColumn(_DenseColumn):
    def __init__(self, categorical, dimension, combiner, initializer, max_norm, trainable):
        if combiner not in ("mean", "sqrtn", "sum"):
            raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
        self.categorical, self.dimension, self.combiner = categorical, int(dimension), combiner
        self.initializer = initializer or init_ops.TruncatedNormal(0.0, 1.0 / math.sqrt(dimension))
        self.max_norm, self.trainable = max_norm, trainable
        self.name = f"{categorical.name}_embedding"

    def _dense(self, features, scope):
        with variable_scope(self.name):
            weights = get_variable(
                "embedding_weights",
                [self.categorical.num_buckets, self.dimension],
                initializer=self.initializer,
                trainable=self.trainable,
            )
        ids = self.categorical._ids(features)
        return _nn.safe_embedding_lookup_sparse(
            weights, ids, None, combiner=self.combiner, max_norm=self.max_norm
        )


class IndicatorColumn(_DenseColumn):
    def __init__(self, categorical):
        self.categorical = categorical
        self.name = f"{categorical.name}_indicator"

    def _dense(self, features, scope):
        ids = self.categorical._ids(features)
        rows = _math.cast(ids.indices[:, 0], _dt.int32)
        n = self.categorical.num_buckets
        one_hot = _manip.one_hot(ids.values, n)
        batch = _math.cast(ids.dense_shape[0], _dt.int32)
        return _math.unsorted_segment_sum(one_hot, rows, batch)


def numeric_column(key, shape=(1,), default_value=None, dtype=_dt.float32, normalizer_fn=None):
    shape = (shape,) if isinstance(shape, int) else shape
    return NumericColumn(key, shape, default_value, _dt.as_dtype(dtype), normalizer_fn)


def bucketized_column(source_column, boundaries):
    if not isinstance(source_column, NumericColumn):
        raise ValueError("source_column must be a column generated with numeric_column().")
    return BucketizedColumn(source_column, boundaries)


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_dt.string):
    return HashedCategoricalColumn(key, int(hash_bucket_size), _dt.as_dtype(dtype))


def categorical_column_with_identity(key, num_buckets, default_value=None):
    return IdentityCategoricalColumn(key, int(num_buckets), default_value)


def categorical_column_with_vocabulary_list(
    key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0
):
    return VocabularyListCategoricalColumn(
        key, vocabulary_list, dtype, default_value, int(num_oov_buckets)
    )


def embedding_column(
    categorical_column,
    dimension,
    combiner="mean",
    initializer=None,
    ckpt_to_load_from=None,
    tensor_name_in_ckpt=None,
    max_norm=None,
    trainable=True,
):
    if ckpt_to_load_from is not None:
        raise NotImplementedError("embedding_column(ckpt_to_load_from=...)")
    return EmbeddingColumn(
        categorical_column, dimension, combiner, initializer, max_norm, trainable
    )


def indicator_column(categorical_column):
    return IndicatorColumn(categorical_column)


def input_layer(
    features, feature_columns, weight_collections=None, trainable=True, cols_to_vars=None
):
    """The dense columns' tensors concatenated ([batch, sum of their sizes]), in the order
    of their names (TF's)."""
    columns = sorted(feature_columns, key=lambda c: c.name)
    if not columns:
        raise ValueError("feature_columns must not be empty.")
    for c in columns:
        if not isinstance(c, _DenseColumn):
            raise ValueError(
                f"Items of feature_columns must be a _DenseColumn. You can wrap a "
                f"categorical column with an embedding_column or "
                f"indicator_column. Given: {c.name}"
            )
    with variable_scope(None, default_name="input_layer"):
        parts = []
        for c in columns:
            with name_scope(c.name):
                parts.append(c._dense(features, None))
        return _array.concat(parts, 1)


def linear_model(
    features,
    feature_columns,
    units=1,
    sparse_combiner="sum",
    weight_collections=None,
    trainable=True,
    cols_to_vars=None,
):
    """sum over columns of (dense value @ weights, or the combined weights of a categorical
    column's ids) + bias: a [batch, units] logit (`linear_model/C/weights`,
    `linear_model/bias_weights`)."""
    columns = sorted(feature_columns, key=lambda c: c.name)
    with variable_scope(None, default_name="linear_model"):
        terms = []
        for c in columns:
            with variable_scope(c.name):
                if isinstance(c, _CategoricalColumn):
                    w = get_variable(
                        "weights",
                        [c.num_buckets, units],
                        initializer=init_ops.Zeros(),
                        trainable=trainable,
                    )
                    terms.append(
                        _nn.safe_embedding_lookup_sparse(
                            w, c._ids(features), None, combiner=sparse_combiner
                        )
                    )
                else:
                    x = c._dense(features, None)
                    dim = x.shape.as_list()[1]
                    w = get_variable(
                        "weights", [dim, units], initializer=init_ops.Zeros(), trainable=trainable
                    )
                    terms.append(_math.matmul(x, w))
        bias = get_variable(
            "bias_weights", [units], initializer=init_ops.Zeros(), trainable=trainable
        )
        return _nn.bias_add(_math.add_n(terms) if len(terms) > 1 else terms[0], bias)
