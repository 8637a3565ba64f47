"""The op library, one module per family; importing it registers every op type."""

from . import (  # noqa: F401 - registration on import
    array,
    array_extra,
    control,
    control_flow,
    conv,
    io,
    math,
    math_extra,
    nn,
    random,
    state,
    summary,
    training,
    while_loop,
)
