"""Sub-namespaces TF exposes as modules (tf.math.special, tf.train.queue_runner) built from
names psflow defines elsewhere."""

from __future__ import annotations

import sys
import types


def namespace(name: str, doc: str, source, names) -> types.ModuleType:
    """A module `name` holding `source`'s `names`, importable by its dotted name."""
    module = types.ModuleType(name, doc)
    for attr in names:
        setattr(module, attr, getattr(source, attr))
    sys.modules[name] = module
    return module
