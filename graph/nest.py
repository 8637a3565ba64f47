"""`tf.nest`: nested structures of lists, tuples, namedtuples and dicts (sorted by key),
flattened to their leaves and packed back, as TF's nest utility does."""

from __future__ import annotations

from collections.abc import Mapping


def is_nested(structure) -> bool:
    return isinstance(structure, (list, tuple, Mapping))


is_sequence = is_nested


def _children(structure):
    if isinstance(structure, Mapping):
        return [structure[k] for k in sorted(structure)]
    return list(structure)


def flatten(structure, expand_composites=False) -> list:
    """The leaves of `structure` in order (dict values by sorted key); a leaf is itself."""
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def _rebuild(template, children):
    if isinstance(template, Mapping):
        keys = sorted(template)
        return type(template)((k, v) for k, v in zip(keys, children))
    if isinstance(template, tuple) and hasattr(template, "_fields"):  # a namedtuple
        return type(template)(*children)
    return type(template)(children)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`flat_sequence` arranged in the shape of `structure`."""
    flat = list(flat_sequence)
    count = len(flatten(structure))
    if len(flat) != count:
        raise ValueError(
            f"Could not pack sequence. Structure had {count} elements, but flat_sequence had "
            f"{len(flat)} elements."
        )
    it = iter(flat)

    def build(t):
        if not is_nested(t):
            return next(it)
        return _rebuild(t, [build(c) for c in _children(t)])

    return build(structure)


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False):
    """ValueError (TypeError for different sequence types) unless both have one shape."""

    def check(a, b):
        if is_nested(a) != is_nested(b):
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {nest1}\n\nSecond structure: {nest2}"
            )
        if not is_nested(a):
            return
        if check_types and type(a) is not type(b):
            raise TypeError(
                "The two structures don't have the same sequence type. Input structure has "
                f"type {type(a)}, while shallow structure has type {type(b)}."
            )
        if isinstance(a, Mapping) and sorted(a) != sorted(b):
            raise ValueError(f"The two dictionaries don't have the same set of keys: {sorted(a)} "
                             f"vs {sorted(b)}")  # fmt: skip
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(
                "The two structures don't have the same number of elements.\n\n"
                f"First structure: {nest1}\n\nSecond structure: {nest2}"
            )
        for x, y in zip(ca, cb):
            check(x, y)

    check(nest1, nest2)


def map_structure(func, *structure, **kwargs):
    """`func` applied leaf by leaf across structures of the same shape."""
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    leaves = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*xs) for xs in zip(*leaves)])
