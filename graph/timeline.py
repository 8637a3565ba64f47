"""`psflow.timeline`: a RunMetadata's step stats as a Chrome trace (chrome://tracing or
Perfetto), one process row per device, one slice per op, as TF1's `timeline.Timeline`.
On a cluster every PS and worker task is a device, so the trace shows the step across
actors; with `show_dataflow`, arrows join an op to the ops on other devices reading its
outputs (when the graph is given)."""

from __future__ import annotations

import json


class Timeline:
    def __init__(self, step_stats, graph=None):
        self._step_stats = step_stats
        self._graph = graph

    def generate_chrome_trace_format(
        self, show_dataflow: bool = True, show_memory: bool = False
    ) -> str:
        events: list[dict] = []
        where: dict[str, tuple[int, int, int]] = {}  # node -> (pid, start, end)
        for pid, dev in enumerate(self._step_stats.dev_stats):
            events.append(
                {
                    "name": "process_name",
                    "ph": "M",
                    "pid": pid,
                    "args": {"name": f"{dev.device} Compute"},
                }
            )
            events.append(
                {"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}}
            )
            for node in dev.node_stats:
                label = node.timeline_label or node.node_name
                op_type = (
                    label.split("= ", 1)[-1].split("(", 1)[0] if "= " in label else node.node_name
                )
                start = node.all_start_micros + node.op_start_rel_micros
                dur = max(node.op_end_rel_micros - node.op_start_rel_micros, 0)
                events.append(
                    {
                        "name": op_type,
                        "ph": "X",
                        "cat": "Op",
                        "pid": pid,
                        "tid": 0,
                        "ts": start,
                        "dur": dur,
                        "args": {"name": node.node_name, "op": op_type},
                    }
                )
                where[node.node_name] = (pid, start, start + dur)
        if show_dataflow and self._graph is not None:
            flow = 0
            for op in self._graph.get_operations():
                if op.name not in where:
                    continue
                dst_pid, dst_start, _ = where[op.name]
                for t in op.inputs:
                    src = where.get(t.op.name)
                    if src is None or src[0] == dst_pid:
                        continue
                    flow += 1
                    events.append(
                        {
                            "name": t.name,
                            "ph": "s",
                            "cat": "DataFlow",
                            "id": flow,
                            "pid": src[0],
                            "tid": 0,
                            "ts": src[2],
                        }
                    )
                    events.append(
                        {
                            "name": t.name,
                            "ph": "t",
                            "cat": "DataFlow",
                            "id": flow,
                            "pid": dst_pid,
                            "tid": 0,
                            "ts": dst_start,
                        }
                    )
        return json.dumps({"traceEvents": events}, indent=None)
