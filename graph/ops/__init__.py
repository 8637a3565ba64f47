"""The op library, one module per family; importing it registers every op type."""

from . import array, control, math, nn, state  # noqa: F401 - registration on import
