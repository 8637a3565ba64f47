"""Variable initializers: callables `init(shape, dtype=None, partition_info=None)` that build
the initial-value tensor, with TF1's classes, defaults and fan computations."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt
from .framework import apply_op, convert_to_tensor
from .ops import array as _array, random as _random


class Initializer:
    """Base class: subclasses build the initial value of one variable (or shard)."""

    dtype = _dt.float32

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def _dtype(self, dtype):
        return _dt.as_dtype(dtype or self.dtype)


class Zeros(Initializer):
    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array.zeros(list(shape), self._dtype(dtype))


class Ones(Initializer):
    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array.ones(list(shape), self._dtype(dtype))


class Constant(Initializer):
    """A scalar broadcast to the shape, or a value with exactly the shape's elements (a
    shard of a partitioned variable gets its own slice)."""

    def __init__(self, value=0, dtype=_dt.float32, verify_shape=False):
        self.value = value
        self.dtype = _dt.as_dtype(dtype)
        self.verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        value = np.asarray(self.value, dtype=dtype.np)
        shape = list(shape)
        if value.size == 1:
            return _array.constant(np.full(shape, value.reshape(()), dtype.np))
        if partition_info is not None:
            value = value.reshape(partition_info.full_shape)[partition_info.slices(shape)]
        if value.size != int(np.prod(shape)):
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {value.shape}.")
        return _array.constant(value.reshape(shape))


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dt.float32):
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random.random_normal(
            list(shape), self.mean, self.stddev, self._dtype(dtype), seed=self.seed
        )


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None, partition_info=None):
        return _random.truncated_normal(
            list(shape), self.mean, self.stddev, self._dtype(dtype), seed=self.seed
        )


class RandomUniform(Initializer):
    def __init__(self, minval=0, maxval=None, seed=None, dtype=_dt.float32):
        self.minval, self.maxval, self.seed = minval, maxval, seed
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random.random_uniform(
            list(shape), self.minval, self.maxval, self._dtype(dtype), seed=self.seed
        )


def _fans(shape):
    shape = list(shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Values with variance scale / n, n the fan-in, fan-out or their average."""

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        dtype=_dt.float32,
    ):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed, self.dtype = seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        full = partition_info.full_shape if partition_info is not None else shape
        fan_in, fan_out = _fans(full)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        shape = list(shape)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a unit normal truncated to [-2, 2].
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _random.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return _random.random_normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return _random.random_uniform(shape, -limit, limit, dtype, seed=self.seed)


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None, dtype=_dt.float32):
        super().__init__(1.0, "fan_avg", "uniform", seed, dtype)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None, dtype=_dt.float32):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, dtype)


class Orthogonal(Initializer):
    """An orthogonal matrix (of the shape flattened to 2-D), times `gain`."""

    def __init__(self, gain=1.0, seed=None, dtype=_dt.float32):
        self.gain, self.seed, self.dtype = gain, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        shape = list(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        attrs = {"dtype": dtype.name, "gain": float(self.gain), **_random._seed_attrs(self.seed)}
        return apply_op("RandomOrthogonal", [np.asarray(shape, np.int32)], attrs).outputs[0]


def default_initializer(dtype) -> Initializer:
    """glorot_uniform for floats, zeros for integers and bools (as get_variable does)."""
    dtype = _dt.as_dtype(dtype)
    if dtype.is_floating:
        return GlorotUniform()
    if dtype.is_integer or dtype is _dt.bool_:
        return Zeros(dtype)
    raise ValueError(f"An initializer for variable of type {dtype!r} is required")


def as_initial_value(initializer, shape, dtype, partition_info=None):
    """The initial-value tensor from an initializer, tensor or value."""
    if callable(initializer):
        return initializer(shape, dtype=dtype, partition_info=partition_info)
    return convert_to_tensor(initializer, dtype=dtype)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
orthogonal_initializer = Orthogonal


def he_normal(seed=None):
    """VarianceScaling(2.0, "fan_in", "truncated_normal")."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    """VarianceScaling(2.0, "fan_in", "uniform")."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    """VarianceScaling(1.0, "fan_in", "truncated_normal")."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    """VarianceScaling(1.0, "fan_in", "uniform")."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


class Identity(Initializer):
    """The identity matrix (2-D shapes only), times `gain`."""

    def __init__(self, gain=1.0, dtype=_dt.float32):
        self.gain, self.dtype = gain, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        full = partition_info.full_shape if partition_info is not None else list(shape)
        if len(full) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices.")
        return _array.constant(np.eye(*full) * self.gain, dtype=dtype)


class UniformUnitScaling(Initializer):
    """Uniform in [-m, m], m = factor * sqrt(3 / input size) (the product of all dimensions
    but the last): keeps the scale of a linear layer's inputs (TF1's, deprecated there)."""

    def __init__(self, factor=1.0, seed=None, dtype=_dt.float32):
        self.factor, self.seed, self.dtype = factor, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        full = partition_info.full_shape if partition_info is not None else list(shape)
        size = int(np.prod(full[:-1])) if len(full) > 1 else (full[0] if full else 1)
        limit = math.sqrt(3.0 / max(1, size)) * self.factor
        return _random.random_uniform(list(shape), -limit, limit, dtype, seed=self.seed)
