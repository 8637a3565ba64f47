"""The distributed step protocol, as typed plain data: where each value of a step comes from,
how a stage's call is wired (`StageRoute`), the call header, and how fetched values are
picked out of what the stages returned (`resolve_fetches`).

A client compiles a run signature into stages (graph/partition.py), each with a route;
the route ships with the stage's plan to its task (workers/task.py), and each step the
client calls every stage with the arguments its route names (cluster/runtime.py, plain
calls, or cluster/fast.py, a compiled graph). Sources are named tuples in the code and plain
tuples tagged by kind on the wire: ("feed", i), ("group", s, g), ("token", s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

ROUTE_VERSION = 1


class FromFeed(NamedTuple):
    """The `feed_index`-th value the client feeds this step."""

    feed_index: int


class FromStage(NamedTuple):
    """Output `output` of stage `stage` (before outputs are grouped per destination)."""

    stage: int
    output: int


class FromGroup(NamedTuple):
    """Object `group` returned by stage `stage` (what it sends to one destination), and the
    position in it; `pos` -1: the group holds one tensor, which travels bare."""

    stage: int
    group: int
    pos: int = -1


class FromToken(NamedTuple):
    """The completion token of stage `stage` (a control edge: only makes the call wait)."""

    stage: int


Source = FromFeed | FromStage | FromGroup | FromToken
_TAGS: dict[type, str] = {
    FromFeed: "feed",
    FromStage: "stage",
    FromGroup: "group",
    FromToken: "token",
}
_BY_TAG = {tag: cls for cls, tag in _TAGS.items()}


def source_to_wire(src: Source) -> tuple:
    return (_TAGS[type(src)], *src)


def source_from_wire(data) -> Source:
    return _BY_TAG[data[0]](*data[1:])


@dataclass
class StageRoute:
    """How one stage's call is wired.

    groups: the call returns one object per entry (the output indices one destination
        needs: a later stage or the client), in this order;
    token: after the groups, the call returns a completion token (someone waits on it);
        the op trace follows when the call is traced;
    args: the call's arguments, each a FromFeed, a FromGroup (pos unused: the whole object)
        or a FromToken;
    arg_map: per plan feed, (argument index, position in that argument's group, or -1 for
        a feed or a group of one);
    scope: the client session's id, keying per-session op state (random generators);
    local: the groups bound for a later stage on the same task, which never leave it (the
        transfer report counts the others).
    """

    groups: list[list[int]]
    token: bool
    args: list[Source]
    arg_map: list[tuple[int, int]]
    scope: str = ""
    local: tuple[int, ...] = ()  # groups bound for a stage of the same task (they stay here)

    @property
    def num_returns(self) -> int:
        return len(self.groups) + (1 if self.token else 0)

    def upstream_stages(self) -> tuple[int, ...]:
        """Stages whose returns this stage's call takes (groups and tokens), ascending."""
        return tuple(sorted({src.stage for src in self.args if not isinstance(src, FromFeed)}))

    def to_wire(self) -> dict:
        return {
            "version": ROUTE_VERSION,
            "groups": self.groups,
            "token": self.token,
            "args": [source_to_wire(a) for a in self.args],
            "arg_map": [list(m) for m in self.arg_map],
            "scope": self.scope,
            "local": list(self.local),
        }

    @classmethod
    def from_wire(cls, data: dict) -> StageRoute:
        if data.get("version") != ROUTE_VERSION:
            raise ValueError(f"Unsupported stage route version {data.get('version')}")
        return cls(
            [list(g) for g in data["groups"]],
            bool(data["token"]),
            [source_from_wire(a) for a in data["args"]],
            [tuple(m) for m in data["arg_map"]],
            data.get("scope", ""),
            tuple(data.get("local", ())),
        )


@dataclass(frozen=True)
class CallHeader:
    """The bookkeeping a stage call carries in one string argument (each argument of an
    actor call costs): the step's id, earlier steps that finished everywhere (the task may
    drop their undo journals), and, for calls that do not name the plan by their method,
    the plan id and whether to trace."""

    step_id: str
    done: tuple[str, ...] = ()
    plan_id: str = ""
    traced: bool = False

    def encode(self) -> str:
        return f"{self.plan_id}:{'T' if self.traced else 'F'}:{self.step_id}:{','.join(self.done)}"

    @classmethod
    def decode(cls, text: str) -> CallHeader:
        plan_id, mode, step_id, done = text.split(":", 3)
        return cls(step_id, tuple(done.split(",")) if done else (), plan_id, mode == "T")


# What a stage reads from a compiled graph's input each step, as a plain tuple (it crosses
# a channel every step, and a plain tuple pickles smallest): (step id, the fed values, the
# previous step's id, which finished everywhere so its journals can go).
StepInput = tuple[str, tuple, str]
NO_STEP_INPUT: StepInput = ("", (), "")


def fetched_groups(fetches: list[Source]) -> list[tuple[int, int]]:
    """The (stage, group) objects a client must get to resolve `fetches`, in order."""
    return sorted({(f.stage, f.group) for f in fetches if isinstance(f, FromGroup)})


def resolve_fetches(fetches: list[Source], feed_values, groups: dict) -> list:
    """The fetched values: each FromFeed from `feed_values`, each FromGroup from `groups`
    ((stage, group) -> the object that group arrived as)."""
    values = []
    for src in fetches:
        if isinstance(src, FromFeed):
            values.append(feed_values[src.feed_index])
        elif isinstance(src, FromGroup):
            group = groups[src.stage, src.group]
            values.append(group if src.pos < 0 else group[src.pos])
        else:
            raise TypeError(f"A fetch comes from a feed or a group, not {src!r}")
    return values
