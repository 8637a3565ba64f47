"""`tf.SparseTensor` and `tf.SparseTensorValue`.

A sparse tensor is three dense tensors, as in TF1: `indices` (int64, [N, rank]: the
coordinates of the N values, in any order unless an op asks for row-major order),
`values` ([N]) and `dense_shape` (int64, [rank]). A Session fetches a SparseTensor as a
SparseTensorValue, and a SparseTensor in a feed_dict (`tf.sparse_placeholder`) is fed one
(or an (indices, values, dense_shape) tuple) component by component.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import dtypes as _dt
from .framework import Tensor, constant_value, convert_to_tensor
from .shapes import TensorShape


class SparseTensorValue(namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])):
    """A sparse tensor's value: numpy `indices`, `values` and `dense_shape`."""

    __slots__ = ()


class SparseTensor:
    """A sparse tensor: `values[i]` sits at `indices[i]` of a tensor of shape `dense_shape`."""

    def __init__(self, indices, values, dense_shape):
        self._indices = convert_to_tensor(indices, dtype=_dt.int64, name="indices")
        self._values = convert_to_tensor(values, name="values")
        self._dense_shape = convert_to_tensor(dense_shape, dtype=_dt.int64, name="dense_shape")
        self._lookup_parts = None  # what embedding_lookup_sparse derives once (graph/ops/nn.py)
        if self._indices.shape.ndims not in (None, 2):
            raise ValueError(f"SparseTensor indices must be a matrix, got {self._indices.shape}")
        if self._values.shape.ndims not in (None, 1):
            raise ValueError(f"SparseTensor values must be a vector, got {self._values.shape}")
        if self._dense_shape.shape.ndims not in (None, 1):
            raise ValueError(
                f"SparseTensor dense_shape must be a vector, got {self._dense_shape.shape}"
            )

    @classmethod
    def from_value(cls, value) -> SparseTensor:
        if isinstance(value, SparseTensor):
            return value
        return cls(value.indices, value.values, value.dense_shape)

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: known where `dense_shape` is a constant."""
        known = constant_value(self._dense_shape)
        if known is not None:
            return TensorShape([int(d) for d in np.asarray(known).ravel()])
        rank = self._dense_shape.shape.as_list()[0] if self._dense_shape.shape.ndims else None
        return TensorShape(None if rank is None else [None] * rank)

    def get_shape(self) -> TensorShape:
        return self.shape

    def components(self) -> list[Tensor]:
        return [self._indices, self._values, self._dense_shape]

    def eval(self, feed_dict=None, session=None):
        from .framework import get_default_session

        sess = session or get_default_session()
        if sess is None:
            raise ValueError("Cannot evaluate a SparseTensor without a default session")
        return sess.run(self, feed_dict)

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self._indices}, values={self._values}, "
            f"dense_shape={self._dense_shape})"
        )


def feed_items(key, value) -> list[tuple[Tensor, object]]:
    """The component feeds of a SparseTensor fed `value` (a SparseTensorValue or a
    3-tuple)."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise TypeError(
            f"A SparseTensor feed must be a SparseTensorValue or an (indices, values, "
            f"dense_shape) tuple, got {type(value).__name__}"
        )
    return list(zip(key.components(), value))
