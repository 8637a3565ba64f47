"""Clipping: `clip_by_value`, `clip_by_norm`, `global_norm`, `clip_by_global_norm`,
composites of the elementwise ops (their gradients come from those ops)."""

from __future__ import annotations

from ..framework import Tensor, convert_to_tensor, name_scope
from . import array as _array, math as _math
from .array import IndexedSlices


def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """`t` with values below min set to min and above max set to max."""
    with name_scope(name, "clip_by_value"):
        t = convert_to_tensor(t)
        lo = convert_to_tensor(clip_value_min, dtype=t.dtype)
        hi = convert_to_tensor(clip_value_max, dtype=t.dtype)
        return _math.maximum(_math.minimum(t, hi), lo)


def clip_by_norm(t, clip_norm, axes=None, name=None) -> Tensor:
    """`t * clip_norm / max(l2norm(t), clip_norm)` (norm over `axes`, all by default)."""
    with name_scope(name, "clip_by_norm"):
        t = convert_to_tensor(t)
        clip = convert_to_tensor(clip_norm, dtype=t.dtype)
        l2sum = _math.reduce_sum(_math.square(t), axis=axes, keepdims=True)
        positive = _math.greater(l2sum, _array.zeros_like(l2sum))
        safe = _math._select(positive, l2sum, _array.ones_like(l2sum))
        norm = _math._select(positive, _math.sqrt(safe), l2sum)
        scaled = _math.multiply(t, clip)
        return _math.real_div(scaled, _math.maximum(norm, clip))


def global_norm(t_list, name=None) -> Tensor:
    """sqrt(sum of squared l2 norms) of the (non-None) tensors in `t_list`."""
    with name_scope(name, "global_norm"):
        parts = [
            _math.reduce_sum(_math.square(convert_to_tensor(t))) for t in t_list if t is not None
        ]
        if not parts:
            raise ValueError("global_norm needs at least one tensor")
        return _math.sqrt(_math.add_n(parts))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns
    (clipped list, global norm)."""

    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    with name_scope(name, "clip_by_global_norm"):
        values = [t.values if isinstance(t, IndexedSlices) else t for t in t_list]
        norm = global_norm(values) if use_norm is None else convert_to_tensor(use_norm)
        clip = convert_to_tensor(clip_norm, dtype=norm.dtype)
        scale = _math.real_div(clip, _math.maximum(norm, clip))
        out = []
        for t in t_list:
            if t is None:
                out.append(None)
            elif isinstance(t, IndexedSlices):
                out.append(
                    IndexedSlices(
                        _math.multiply(t.values, _math.cast(scale, t.dtype)),
                        t.indices,
                        t.dense_shape,
                    )
                )
            else:
                t = convert_to_tensor(t)
                out.append(_math.multiply(t, _math.cast(scale, t.dtype)))
        return out, norm
