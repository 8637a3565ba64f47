"""The digits example, in-process: the full MLP run reaches the issue's 95% on the held-out
quarter, prints `test_accuracy VALUE` last, and leaves summaries and checkpoints."""

import importlib.util
import os
import re

import pytest

import psflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example():
    spec = importlib.util.spec_from_file_location(
        "train_digits", os.path.join(ROOT, "examples", "train_digits.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_mlp_reaches_95_percent(tmp_path, capsys):
    pytest.importorskip("sklearn")
    acc = _example().main(["--in-process", "--model", "mlp", "--logdir", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"test_accuracy {acc:.4f}"
    assert acc >= 0.95
    assert tf.train.latest_checkpoint(str(tmp_path / "mlp")).endswith("model.ckpt-630")
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(tmp_path / "mlp"))


def test_digits_softmax_regression_learns(tmp_path, capsys):
    pytest.importorskip("sklearn")
    acc = _example().main(
        ["--in-process", "--model", "softmax", "--epochs", "10", "--logdir", str(tmp_path)]
    )
    assert acc >= 0.9


@pytest.mark.ray
def test_digits_on_a_local_cluster_from_the_config(tmp_path):
    """The main job's path (`make demo`): configs/local.yaml, 2 PS + 2 workers, in-graph data
    parallel. In a fresh process, which starts its own Ray (this one already hosts one)."""
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    proc = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "examples", "train_digits.py"),
            "--model",
            "mlp",
            "--epochs",
            "3",
            "--logdir",
            str(tmp_path),
            "--config",
            os.path.join(ROOT, "configs", "local.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "running on 2 PS + 2 workers" in lines[0]
    assert float(lines[-1].split()[1]) > 0.85
    assert any("steps/s" in line for line in lines)
    assert tf.train.latest_checkpoint(str(tmp_path / "mlp")) is not None


@pytest.mark.ray
def test_main_job_trains_between_graph_through_psflow_submit(tmp_path):
    """`make demo`: the digits MLP trained between-graph and asynchronously by 2 worker
    clients on configs/local.yaml, started with `psflow submit`; the chief's
    `test_accuracy VALUE` comes last, with checkpoints and summaries in the logdir."""
    import subprocess
    import sys

    pytest.importorskip("sklearn")
    psflow = os.path.join(os.path.dirname(sys.executable), "psflow")
    proc = subprocess.run(
        [
            psflow,
            "submit",
            os.path.join(ROOT, "configs", "local.yaml"),
            "--",
            "python",
            os.path.join(ROOT, "examples", "train_digits_async.py"),
            "--logdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PSFLOW_PROGRESS": "1"},  # as on a terminal
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[-1].startswith("[/job:worker/task:0] test_accuracy ")
    # Nothing but the clients' lines (their prints and psflow's log lines) on stdout, and
    # nothing but the training progress on stderr: no Ray or TensorFlow noise.
    log_line = re.compile(r"^\d\d:\d\d:\d\d psflow (INFO|WARNING) ")
    for line in lines:
        task, _, text = line.partition("] ")
        assert task in ("[/job:worker/task:0", "[/job:worker/task:1"), line
        assert log_line.match(text) or not re.search(r"INFO|WARN|ray|tensorflow", text), line
    progress = [p.strip() for p in re.split(r"[\r\n]", proc.stderr) if p.strip()]
    assert progress and all(p.startswith("training: ") for p in progress), proc.stderr[-2000:]
    steps = [int(m.group(1)) for p in progress if (m := re.match(r"training: (\d+)step", p))]
    assert max(steps) >= 1500
    assert any(log_line.match(line.partition("] ")[2]) for line in lines)
    assert float(lines[-1].split()[-1]) >= 0.95
    assert any(line.startswith("[/job:worker/task:1] global_step") for line in lines)
    # Saved at the end, at the global step both clients reached (>= the last step: the other
    # client's step in flight when the chief stopped counts too).
    assert int(tf.train.latest_checkpoint(str(tmp_path)).rsplit("-", 1)[1]) >= 1500
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(tmp_path))
    # The checkpoint tools on what the example wrote.
    listed = subprocess.run(
        [psflow, "checkpoint", "ls", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0 and "* model.ckpt-" in listed.stdout, listed.stderr
    assert listed.stdout.splitlines()[-1].split()[-1] == "2"  # a shard per PS task
    shown = subprocess.run(
        [psflow, "checkpoint", "inspect", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert "tensor_name: hidden/kernel  dtype: float32  shape: [64, 64]" in shown.stdout
    assert "tensor_name: hidden/kernel/Adam  dtype: float32  shape: [64, 64]" in shown.stdout
    assert "tensor_name: global_step  dtype: int64  shape: []" in shown.stdout
    value = subprocess.run(
        [psflow, "checkpoint", "inspect", str(tmp_path), "--tensor", "global_step"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    step = int(tf.train.latest_checkpoint(str(tmp_path)).rsplit("-", 1)[1])
    assert value.stdout.splitlines()[-1] == str(step)
