"""Architecture checks: layers only point down, inside graph/ too; ray lives in cluster/ alone.

Every import counts, at module level or inside a function, absolute or relative.
"""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Folders, lowest first: psflow/ (facade) -> cluster/ -> ps/ -> workers/ -> graph/.
LAYERS = {"graph": 0, "workers": 1, "ps": 2, "cluster": 3, "psflow": 4}
# graph/'s own tiers, lowest first. A module imports only modules of lower tiers. The op
# library (graph/ops/, one entry "ops") is one tier: ops build on ops, and the cycles that
# leaves (array <-> math, math <-> linalg, resolved at call time) stay inside it.
GRAPH_TIERS = [
    [
        "dtypes",
        "shapes",
        "errors",
        "device",
        "wire",
        "summary_writer",
        "timeline",
        "console",
        "threads",
        "nest",
        "heap",
    ],
    ["example_proto"],  # tf.train.Example's protobuf classes
    ["storage"],  # local paths, fsspec URIs, spool files
    ["dynamic_table", "tfrecord"],  # a dynamic embedding table's shard; TFRecord files
    ["tf_checkpoint"],  # TensorFlow's checkpoint format
    ["registry", "graph_def", "checkpoint", "variable_store", "placement", "route"],
    ["framework"],  # Graph, Operation, Tensor, scopes, the default graph and session
    ["plan", "sparse_tensor"],  # pruning and the plan compiler; SparseTensor
    ["executor", "partition"],
    ["ops", "session"],  # the op library (with autodiff); the in-process Session
    ["variables", "init_ops", "losses", "linear_operator"],
    ["dynamic_embedding"],
    ["metrics"],
    ["variable_scope", "optimizers", "meta_graph", "moving_averages", "graph_import"],
    ["layers", "saver", "misc", "data", "queue_runner", "rnn"],
    ["train_util", "feature_column", "layers_more"],
    ["hooks"],  # SessionRunHook and the standard hooks
    # MonitoredTrainingSession, Scaffold, session creators; SyncReplicasOptimizer
    ["monitored_session", "sync_replicas"],
    ["supervisor", "estimator"],  # tf.train.Supervisor and SessionManager; tf.estimator
    ["__init__"],
]
GRAPH_TIER = {name: n for n, names in enumerate(GRAPH_TIERS) for name in names}


def _package_of(path: pathlib.Path) -> list[str]:
    """The dotted package of a source file, as installed (graph/ops/x.py -> psflow.graph.ops)."""
    rel = path.relative_to(ROOT).parts[:-1]
    return ["psflow"] if rel[0] == "psflow" else ["psflow", *rel]


def _imports(path: pathlib.Path):
    """Every module a file imports (absolute names), wherever the import statement is."""
    tree = ast.parse(path.read_text())
    package = _package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module.split(".")
            else:
                base = package[: len(package) - node.level + 1]
                base += node.module.split(".") if node.module else []
            if node.module is None:  # `from . import a, b`: each name is a module
                for alias in node.names:
                    yield ".".join([*base, alias.name])
            else:
                yield ".".join(base)


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "psflow":
        return None
    if len(parts) == 1:
        return "psflow"
    return parts[1] if parts[1] in LAYERS else "psflow"


def _graph_unit(module: str) -> str | None:
    """The GRAPH_TIERS entry of a psflow.graph module (graph/ops/* is one unit)."""
    parts = module.split(".")
    if parts[:2] != ["psflow", "graph"]:
        return None
    if len(parts) == 2:
        return "__init__"
    return "ops" if parts[2] == "ops" else parts[2]


def _graph_unit_of_file(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT / "graph").with_suffix("").parts
    return "ops" if rel[0] == "ops" else rel[0]


def layering_problems() -> list[str]:
    problems = []
    for folder, level in LAYERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            unit = _graph_unit_of_file(path) if folder == "graph" else None
            for module in _imports(path):
                if module.split(".")[0] == "ray" and folder != "cluster":
                    problems.append(f"{path}: imports ray")
                target = _layer_of(module)
                if target is None:
                    continue
                if folder != "psflow" and LAYERS[target] > level:
                    problems.append(f"{path}: imports {module} (upward)")
                if unit is not None and target == "graph":
                    other = _graph_unit(module)
                    if other == unit or other is None:
                        continue
                    if other not in GRAPH_TIER or unit not in GRAPH_TIER:
                        problems.append(f"{path}: {unit} or {other} has no tier in GRAPH_TIERS")
                    elif GRAPH_TIER[other] >= GRAPH_TIER[unit]:
                        problems.append(
                            f"{path}: imports {module} (tier "
                            f"{GRAPH_TIER[other]} from tier {GRAPH_TIER[unit]})"
                        )
    return problems


def test_no_upward_imports_and_ray_only_in_cluster():
    problems = layering_problems()
    assert not problems, "\n".join(problems)


def test_every_graph_module_has_a_tier():
    units = {_graph_unit_of_file(p) for p in (ROOT / "graph").rglob("*.py")}
    assert units <= set(GRAPH_TIER), sorted(units - set(GRAPH_TIER))


def test_import_psflow_does_not_import_ray_or_torch():
    """torch's kernels (graph/ops/torch_kernels.py) load with the first op that wants them."""
    code = "import sys, psflow; print('ray' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_import_psflow_is_fast():
    """A TF1 script and every task process pay for `import psflow` (0.25 s measured)."""
    code = "import time; t = time.perf_counter(); import psflow; print(time.perf_counter() - t)"
    best = min(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    )
    assert best < 0.9, f"import psflow took {best:.2f} s"


def test_writing_summaries_does_not_load_tensorflow(tmp_path):
    """tensorboard's writer uses its own file layer even where TensorFlow is installed."""
    import textwrap

    code = textwrap.dedent(f"""
        import sys
        import psflow as tf
        writer = tf.summary.FileWriter({str(tmp_path)!r})
        with tf.Session() as sess:
            writer.add_summary(sess.run(tf.summary.scalar("a", 1.0)), 1)
        writer.close()
        print("tensorflow" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
