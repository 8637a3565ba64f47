"""`psflow submit CONFIG -- python SCRIPT ARGS...`, exactly as a user types it: an unchanged
TF1 between-graph script (flags, ClusterSpec, Server, replica_device_setter,
MonitoredTrainingSession) runs once per worker task of a fresh local cluster."""

import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.ray

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PSFLOW = os.path.join(os.path.dirname(sys.executable), "psflow")


def _config(tmp_path, **keys):
    path = tmp_path / "cluster.yaml"
    lines = [
        f"{k}: {v}"
        for k, v in {
            "address": "local",
            "num_ps": 1,
            "num_workers": 2,
            "namespace": f"psflow-submit-{os.getpid()}",
            **keys,
        }.items()
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_submit_runs_a_tf1_script_once_per_worker_task(tmp_path):
    script = os.path.join(ROOT, "tests", "programs", "tf1_between_graph.py")
    proc = subprocess.run(
        [
            PSFLOW,
            "submit",
            _config(tmp_path),
            "--",
            "python",
            script,
            "--job_name",
            "worker",
            "--task_index",
            "{task_index}",
            "--ps_hosts",
            "{ps_hosts}",
            "--worker_hosts",
            "{worker_hosts}",
            "--last_step",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    ran = {line.split("]")[0] + "]": int(line.split()[-2]) for line in lines if " ran " in line}
    assert set(ran) == {"[/job:worker/task:0]", "[/job:worker/task:1]"}
    final = [line for line in lines if "final_step" in line]
    assert len(final) == 1 and final[0].startswith("[/job:worker/task:0] final_step")
    step = int(final[0].split()[2])
    # The chief reads the step when its own loop ends; the other client may still be
    # finishing its last step then.
    assert 60 <= step <= sum(ran.values())
    assert abs(float(final[0].split()[-1]) - 3.0) < 0.5


def test_submit_exits_with_the_chiefs_status(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(
        "import json, os, sys\n"
        "index = json.loads(os.environ['TF_CONFIG'])['task']['index']\n"
        "print('task', index)\n"
        "sys.exit(3 if index == 0 else 0)\n"
    )
    proc = subprocess.run(
        [PSFLOW, "submit", _config(tmp_path), "--", "python", str(script)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "[/job:worker/task:1] task 1" in proc.stdout
    assert "/job:worker/task:0 exited with status 3" in proc.stderr


def test_submit_usage_errors_are_one_line(tmp_path):
    proc = subprocess.run(
        [PSFLOW, "submit", _config(tmp_path), "--", "ls", "-l"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "expected `-- python SCRIPT.py" in proc.stderr


def test_a_distributed_estimator_takes_its_task_from_tf_config(tmp_path):
    """tf.estimator.train_and_evaluate on every worker task: both train between-graph
    against the PS (the global step is shared), the chief evaluates the final checkpoint."""
    script = os.path.join(ROOT, "tests", "programs", "estimator_distributed.py")
    model_dir = tmp_path / "model"
    proc = subprocess.run(
        [PSFLOW, "submit", _config(tmp_path), "--", "python", script,
         "--model_dir", str(model_dir), "--max_steps", "200"],
        capture_output=True, text=True, timeout=240, cwd=str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "[/job:worker/task:0] task worker:0 chief True ps 1" in lines
    assert "[/job:worker/task:1] task worker:1 chief False ps 1" in lines
    assert sum("Loss for final step" in line for line in lines) == 2
    chief = {line.split()[1]: line.split()[2:] for line in lines
             if line.startswith("[/job:worker/task:0] ")}  # fmt: skip
    assert float(chief["eval_loss"][0]) < 1e-3
    assert int(chief["eval_global_step"][0]) >= 200
    np.testing.assert_allclose([float(v) for v in chief["w"]], [2.0, -1.0], atol=0.02)
    assert (model_dir / "checkpoint").exists() and (model_dir / "eval").is_dir()
