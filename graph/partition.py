"""Partitioning a pruned plan across tasks: `partition` splits the ops per task and orders
the pieces into stages so that every cross-task dependency points from an earlier stage
to a later one (typically PS reads -> worker compute -> PS apply). Each stage is compiled
to its own PlanSpec; its inputs are user feeds and outputs of earlier stages, passed
actor to actor. Constants and variable nodes are not stages of their own: they are copied
into every stage that uses them (a variable is read where it lives, by its consumer).
`route_stages` then wires the stages' calls (graph/route.py has the protocol's types).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .framework import Operation, Tensor
from .plan import PlanSpec, compile_plan
from .route import (
    FromFeed,
    FromGroup,
    FromStage,
    FromToken,
    Source,
    StageRoute,
    source_to_wire,
)


@dataclass
class StagePlan:
    """One (task, level) piece of a step. `inputs` says where each plan feed comes from (a
    FromFeed or a FromStage). `after` lists stages that must finish first (control edges),
    `outputs` the produced tensor names."""

    task: str
    level: int
    plan: PlanSpec
    inputs: list[Source] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    after: list[int] = field(default_factory=list)


@dataclass
class DistributedPlan:
    stages: list[StagePlan]
    fetches: list[Source]  # per fetch: a FromStage or a FromFeed


def _is_free(op: Operation) -> bool:
    """Constants and variables are copied into every stage that reads them."""
    return (op.type == "Const" or op.op_def.produces_ref) and not op.control_inputs


def partition(
    ops: list[Operation],
    fetches: list[Tensor],
    feeds: list[Tensor],
    task_for,
    pipeline: str | None = None,
) -> DistributedPlan:
    """Splits pruned, ordered `ops` into stages by `task_for(op)` and compiles each.
    `pipeline`: the task of a client that runs that task's stages itself and calls the
    others without waiting (a hosted client): its stages are split where that lets other
    tasks work meanwhile (`_pipeline`)."""
    fed = {t.name: i for i, t in enumerate(feeds)}
    task: dict[int, str] = {}
    level: dict[int, int] = {}
    for op in ops:
        if _is_free(op):
            continue
        task[op._id] = task_for(op)
        if op.type == "NoOp" and not op.inputs and op.control_inputs:
            # A NoOp only orders things: it runs where all it waits for runs (an optimizer's
            # train op over updates on one PS), not on its own task an actor call later.
            owners = {task.get(c._id, "") for c in op.control_inputs}
            if len(owners) == 1 and "" not in owners:
                task[op._id] = owners.pop()
        lvl = 0
        deps = [t.op for t in op.inputs if t.name not in fed] + list(op.control_inputs)
        for p in deps:
            if p._id not in level:
                continue
            lvl = max(lvl, level[p._id] + (0 if task[p._id] == task[op._id] else 1))
        level[op._id] = lvl
    # Then as late as consumers allow: ops that do not wait on another task join the stage of
    # their consumers instead of making an extra stage (one actor call fewer per step).
    fetched = {t.op._id for t in fetches}
    consumers: dict[int, list[Operation]] = {}
    for op in ops:
        if op._id not in level:
            continue
        for p in [t.op for t in op.inputs if t.name not in fed] + list(op.control_inputs):
            if p._id in level:
                consumers.setdefault(p._id, []).append(op)
    for op in reversed(ops):
        users = consumers.get(op._id)
        if op._id not in level or not users or op._id in fetched:
            continue
        latest = min(level[c._id] - (0 if task[c._id] == task[op._id] else 1) for c in users)
        if latest > level[op._id]:
            level[op._id] = latest
    # A NoOp that only gathers control edges from one stage (e.g. an optimizer's train op
    # over updates on one PS) runs in that stage instead of costing an actor call of its own.
    for op in ops:
        if op.type != "NoOp" or op._id not in level or op.inputs or consumers.get(op._id):
            continue
        homes = {(level[c._id], task[c._id]) for c in op.control_inputs if c._id in level}
        if len(homes) == 1:
            level[op._id], task[op._id] = homes.pop()
    # Fetched constants or variables get produced by a stage too.
    extra: list[Operation] = []
    for t in fetches:
        if t.name not in fed and _is_free(t.op) and t.op._id not in task:
            task[t.op._id] = task_for(t.op)
            level[t.op._id] = 0
            extra.append(t.op)
    conditional = any(op.type == "Switch" for op in ops)
    if pipeline is not None and not conditional and level:
        top = max(level.values())
        for lower in range(top - 1, -1, -1):  # the updates first, then the reads before them
            for k in range(PIPELINE_SPLITS if lower == top - 1 else PIPELINE_READS):
                # (each split after the first cuts the tail the one before left)
                if not _pipeline(ops, task, level, lower + 2 * k, pipeline):
                    break
    keys = sorted({(level[i], task[i]) for i in task})
    stage_index = {k: n for n, k in enumerate(keys)}
    members: dict[int, list[Operation]] = {n: [] for n in range(len(keys))}
    for op in ops:
        if op._id in task:
            members[stage_index[(level[op._id], task[op._id])]].append(op)
    stage_of = {
        op._id: stage_index[(level[op._id], task[op._id])]
        for ops_ in members.values()
        for op in ops_
    }
    # Tensors each stage consumes from elsewhere, and what it must output.
    needs: dict[int, list[Tensor]] = {n: [] for n in members}
    after: dict[int, list[int]] = {n: [] for n in members}
    outputs: dict[int, list[Tensor]] = {n: [] for n in members}
    for n, stage_ops in members.items():
        seen = set()
        for op in stage_ops:
            for t in op.inputs:
                if t.name in seen:
                    continue
                if t.name in fed or (t.op._id in stage_of and stage_of[t.op._id] != n):
                    needs[n].append(t)
                    seen.add(t.name)
                    if t.name not in fed:
                        _add_output(outputs[stage_of[t.op._id]], t)
            for c in op.control_inputs:
                s = stage_of.get(c._id)
                if s is None or s == n:
                    continue
                if conditional and c.outputs and c.outputs[0].name not in seen:
                    # Deadness must cross too: the control source's value travels as data.
                    t = c.outputs[0]
                    needs[n].append(t)
                    seen.add(t.name)
                    _add_output(outputs[s], t)
                elif s not in after[n]:
                    after[n].append(s)
    for t in fetches:
        if t.name not in fed:
            _add_output(outputs[stage_of[t.op._id]], t)
    stages = []
    for n, stage_ops in members.items():
        used_free = _free_inputs(stage_ops)
        plan_ops = sorted(used_free + stage_ops, key=lambda o: o._id)
        plan = compile_plan(plan_ops, outputs[n], needs[n], conditional)
        inputs: list[Source] = []
        for t in needs[n]:
            if t.name in fed:
                inputs.append(FromFeed(fed[t.name]))
            else:
                s = stage_of[t.op._id]
                inputs.append(FromStage(s, [o.name for o in outputs[s]].index(t.name)))
        level_, task_ = keys[n]
        stages.append(
            StagePlan(task_, level_, plan, inputs, [t.name for t in outputs[n]], after[n])
        )
    fetch_sources: list[Source] = []
    for t in fetches:
        if t.name in fed:
            fetch_sources.append(FromFeed(fed[t.name]))
        else:
            s = stage_of[t.op._id]
            fetch_sources.append(FromStage(s, [o.name for o in outputs[s]].index(t.name)))
    return DistributedPlan(stages, fetch_sources)


# Ops that cost next to nothing: left out when weighing the halves of a pipelined step.
_TRIVIAL = frozenset(
    {"Identity", "NoOp", "Shape", "Reshape", "StridedSlice", "Squeeze", "ExpandDims", "Size"}
)
# Each side of a split at least this many ops, else none: an extra piece costs a call
# (~0.2-0.3 ms with both ends' overhead), an op ~10-30 us of numpy's per-call cost, so the
# overlap must be worth ~15 ops. (Cutting a 784-256-128-10 MLP's 4 last updates from its
# step cut bench/async_training.py's 2-worker rate from 452 to 396 steps/s.)
PIPELINE_MIN_OPS = 16
PIPELINE_SPLITS = 2  # a step's last compute and updates in up to 3 parts
PIPELINE_READS = 1  # earlier compute and the reads it feeds in up to 2 parts


def _pipeline(
    ops: list[Operation], task: dict[int, str], level: dict[int, int], lower: int, home: str
) -> bool:
    """Splits levels `lower` and `lower + 1` in two, in `level`, when `lower` runs on `home`
    only (S: the compute of the worker hosting the client) and `lower + 1` on other tasks
    (T: the PS updates after it, or the reads of variables it asks for): S_a, the part of
    S that the first ops of T need, then those ops T_a, then the rest of S, S_b, then the
    rest of T (levels above move up by 2). A client that sends T_a without waiting for it
    (a direct or Ray call) then has the PS apply the first gradients (or gather the first
    rows) while its own task computes the others, instead of each side waiting for all of
    the other's work. The cut is the one that best balances T_a against S_b (ops counted,
    trivial ones not); none when a side would be under PIPELINE_MIN_OPS. Returns whether
    it split."""
    before = [op for op in ops if level.get(op._id) == lower]
    last = [op for op in ops if level.get(op._id) == lower + 1]
    if (
        not last
        or any(task[op._id] != home for op in before)
        or any(task[op._id] == home for op in last)
    ):
        return False
    in_s = {op._id for op in before}
    in_t = {op._id for op in last}
    position = {op._id: k for k, op in enumerate(before)}
    cost = {op._id: 0 if op.type in _TRIVIAL else 1 for op in before + last}
    # Per op of S or T: the ops of S it needs, itself included (ops are in topological order).
    need: dict[int, frozenset] = {}
    for op in ops:
        if op._id not in in_s and op._id not in in_t:
            continue
        acc: set[int] = {op._id} if op._id in in_s else set()
        for p in [t.op for t in op.inputs] + list(op.control_inputs):
            if p._id in need:
                acc |= need[p._id]
        need[op._id] = frozenset(acc)
    users: dict[int, list[int]] = {}  # op of T -> its consumers in T
    for op in last:
        for p in [t.op for t in op.inputs] + list(op.control_inputs):
            if p._id in in_t:
                users.setdefault(p._id, []).append(op._id)
    total_s = sum(cost[i] for i in in_s)
    ready = sorted(last, key=lambda op: max((position[i] for i in need[op._id]), default=-1))
    best, best_score = None, PIPELINE_MIN_OPS - 1
    s_a: set[int] = set()
    for op in ready:
        s_a |= need[op._id]
        t_a: set[int] = set()
        for o in reversed(last):  # consumers first
            if not need[o._id] <= s_a:
                continue
            # An op needing nothing of S (a variable's read) goes with its consumers: its
            # output, a whole variable, must not cross between the halves.
            if need[o._id] or any(u in t_a for u in users.get(o._id, ())):
                t_a.add(o._id)
        score = min(sum(cost[i] for i in t_a), total_s - sum(cost[i] for i in s_a))
        if score > best_score:
            best, best_score = (frozenset(s_a), t_a), score
    if best is None:
        return False
    s_first, t_first = best
    for i, at in level.items():
        if at > lower + 1:
            level[i] = at + 2
    for op in before:
        if op._id not in s_first:
            level[op._id] = lower + 2
    for op in last:
        if op._id not in t_first:
            level[op._id] = lower + 3
    return True


def _add_output(outs: list[Tensor], t: Tensor) -> None:
    if all(o.name != t.name for o in outs):
        outs.append(t)


def _free_inputs(stage_ops: list[Operation]) -> list[Operation]:
    ids = {op._id for op in stage_ops}
    found: dict[int, Operation] = {}
    for op in stage_ops:
        for t in op.inputs:
            if _is_free(t.op) and t.op._id not in ids:
                found[t.op._id] = t.op
    return list(found.values())


def route_stages(dplan: DistributedPlan, scope: str = "") -> tuple[list[StageRoute], list[Source]]:
    """Per stage, its route; and per fetch a FromFeed or a FromGroup. A tensor crosses from
    one stage to another task once, in one object per (source, destination task) pair, as
    TF1 deduplicates transfers by source and destination. `scope` names the client session."""
    stages = dplan.stages
    groups: list[list[list[int]]] = [[] for _ in stages]
    dest_index: list[dict] = [{} for _ in stages]
    local: list[list[int]] = [[] for _ in stages]

    def place(src: Source, dest) -> FromFeed | FromGroup:
        """A feed as it is; a stage output as its place in the group bound for `dest`."""
        if isinstance(src, FromFeed):
            return src
        if not isinstance(src, FromStage):
            raise TypeError(f"A stage input comes from a feed or a stage, not {src!r}")
        # Stages of one task share the group bound for that task: a tensor two of them
        # use (a pipelined step's) crosses once.
        key = dest if dest == "client" else stages[dest].task
        g = dest_index[src.stage].get(key)
        if g is None:
            g = dest_index[src.stage][key] = len(groups[src.stage])
            groups[src.stage].append([])
            if key == stages[src.stage].task:
                local[src.stage].append(g)
        members = groups[src.stage][g]
        if src.output not in members:
            members.append(src.output)
        return FromGroup(src.stage, g, members.index(src.output))

    placed = [[place(src, c) for src in stage.inputs] for c, stage in enumerate(stages)]
    fetched = [place(src, "client") for src in dplan.fetches]

    def bare(src: FromGroup) -> bool:
        # A group of one tensor travels bare (no tuple around it): Ray moves a lone array
        # on its fast path, a tuple through the generic pickler.
        return len(groups[src.stage][src.group]) == 1

    # Only now that every group is complete can a group of one be told apart.
    fetches: list[Source] = [
        f if isinstance(f, FromFeed) or not bare(f) else f._replace(pos=-1) for f in fetched
    ]
    waited = {a for stage in stages for a in stage.after}
    routes = []
    for c, stage in enumerate(stages):
        args: list[Source] = []
        position: dict[tuple, int] = {}  # by kind and fields: named tuples compare as tuples
        arg_map = []
        for p in placed[c]:
            arg: Source
            if isinstance(p, FromFeed):
                arg, pos = p, -1
            else:
                arg, pos = FromGroup(p.stage, p.group), (-1 if bare(p) else p.pos)
            key = source_to_wire(arg)
            if key not in position:
                position[key] = len(args)
                args.append(arg)
            arg_map.append((position[key], pos))
        args += [FromToken(a) for a in stage.after]
        routes.append(
            StageRoute(
                groups[c],
                token=not groups[c] or c in waited,
                args=args,
                arg_map=arg_map,
                scope=scope,
                local=tuple(local[c]),
            )
        )
    return routes, fetches
