"""The op library, one module per family; importing it registers every op type."""

from . import (  # noqa: F401 - registration on import
    array,
    clip,
    control_flow,
    conv,
    debug,
    gradients,
    io,
    linalg,
    manip,
    math,
    math_more,
    nn,
    random,
    segment,
    sparse,
    state,
    summary,
    sync,
    training,
    while_loop,
)
