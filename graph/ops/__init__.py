"""The op library, one module per family; importing it registers every op type."""

from . import array, control, control_flow, io, math, nn, state, summary  # noqa: F401 - registration on import
