"""Architecture checks: layers only point down; ray lives in cluster/ alone."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = {"graph": 0, "ps": 1, "workers": 1, "cluster": 2, "psflow": 3}


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "psflow":
        return None
    if len(parts) == 1:
        return "psflow"
    return parts[1] if parts[1] in LAYERS else "psflow"


def test_no_upward_imports_and_ray_only_in_cluster():
    problems = []
    for folder, level in LAYERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            for module in _imports(path):
                if module.split(".")[0] == "ray" and folder != "cluster":
                    problems.append(f"{path}: imports ray")
                target = _layer_of(module)
                if target is not None and folder != "psflow" and LAYERS[target] > level:
                    problems.append(f"{path}: imports {module} (upward)")
                if target in ("ps", "workers") and folder in ("ps", "workers") \
                        and target != folder:
                    problems.append(f"{path}: imports sibling layer {module}")
    assert not problems, "\n".join(problems)


def test_import_psflow_does_not_import_ray():
    code = "import sys, psflow; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_writing_summaries_does_not_load_tensorflow(tmp_path):
    """tensorboard's writer uses its own file layer even where TensorFlow is installed."""
    import subprocess
    import sys
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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
