"""psflow.graph: the whole single-process system (graph model, op registry and library,
autodiff, placement, plan compiler, executor, in-process Session). numpy and msgpack only;
this package never imports ray."""

from . import ops  # noqa: F401 - registers every op type
