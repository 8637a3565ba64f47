"""Operating a cluster as a user does, with the installed `psflow` command in subprocesses:
`up` (and again: reported, not doubled), `status` (text and `--json`), a training client in
another process through the target string, `logs`, `kill` and the restart it causes, `down`
with a final checkpoint, and no Ray process of the cluster left afterwards.

Each test's Ray keeps its files in a directory of its own (RAY_TMPDIR), so `up` starts a
head of its own even when other Ray instances run on this machine."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
from click.testing import CliRunner
from psflow.cluster import cli, control

pytestmark = pytest.mark.ray

PSFLOW = os.path.join(os.path.dirname(sys.executable), "psflow")
STATUS_KEYS = {
    "target", "ray_address", "namespace", "healthy", "global_step", "checkpoint",
    "fast_path_active", "started_ray", "tasks",
}  # fmt: skip
TASK_KEYS = {
    "task", "job", "index", "state", "node", "node_ip", "pid", "restarts", "variables",
    "variable_bytes", "bytes_sent", "stages", "stages_per_s", "memory_bytes",
}  # fmt: skip

CLIENT = textwrap.dedent(
    """
    import sys
    import psflow as tf

    target, ckpt_dir = sys.argv[1], sys.argv[2]
    with tf.device("/job:ps/task:0"):
        step = tf.train.get_or_create_global_step()
        w = tf.get_variable("w", [100, 10], initializer=tf.zeros_initializer())
    x = tf.random_normal([8, 100], seed=1)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(30):
            sess.run(train)
        tf.train.Saver().save(sess, ckpt_dir + "/model.ckpt", global_step=step)
        print("trained", sess.run(step))
    """
)


@pytest.fixture
def env():
    ray_tmp = tempfile.mkdtemp(prefix="pf", dir="/tmp")  # short: Ray's sockets live under it
    yield {**os.environ, "RAY_TMPDIR": ray_tmp, "PSFLOW_PROGRESS": "0"}
    shutil.rmtree(ray_tmp, ignore_errors=True)


def _psflow(env, *args, timeout=180):
    return subprocess.run(
        [PSFLOW, *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout
    )


def _status(env, cluster) -> dict:
    done = _psflow(env, "status", cluster, "--json")
    return json.loads(done.stdout)


def test_up_status_train_logs_kill_down(tmp_path, env):
    config = tmp_path / "cluster.yaml"
    config.write_text(
        "address: local\nnamespace: ops-e2e\nnum_ps: 1\nnum_workers: 1\n"
        "ps: {num_cpus: 0.5}\nworker: {num_cpus: 0.5}\nmax_restarts: 1\n"
        f"checkpoint_dir: {tmp_path / 'ckpt'}\n"
    )
    (tmp_path / "ckpt").mkdir()
    up = _psflow(env, "up", config)
    assert up.returncode == 0, up.stdout + up.stderr
    target = up.stdout.split()[3]
    assert up.stdout.startswith("started psflow cluster psflow://") and target.endswith("/ops-e2e")
    assert "/job:ps/task:0" in up.stdout and "0.5 CPU" in up.stdout
    try:
        again = _psflow(env, "up", config)
        assert again.returncode == 0 and again.stdout.startswith(
            f"already running: psflow cluster {target}"
        ), again.stdout + again.stderr

        report = _status(env, target)
        assert set(report) == STATUS_KEYS and report["target"] == target
        assert report["healthy"] and report["started_ray"] and report["global_step"] is None
        assert [set(t) for t in report["tasks"]] == [TASK_KEYS, TASK_KEYS]
        assert [(t["task"], t["state"], t["restarts"]) for t in report["tasks"]] == [
            ("/job:ps/task:0", "alive", 0),
            ("/job:worker/task:0", "alive", 0),
        ]

        client = tmp_path / "client.py"
        client.write_text(CLIENT)
        trained = subprocess.run(
            [sys.executable, str(client), target, str(tmp_path / "ckpt")],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert trained.returncode == 0, trained.stdout + trained.stderr
        assert trained.stdout.strip() == "trained 30"

        report = _status(env, config)
        ps, worker = report["tasks"]
        assert report["global_step"] == 30
        assert report["checkpoint"]["step"] == 30
        assert report["checkpoint"]["path"].endswith("model.ckpt-30")
        assert ps["variables"] == 2 and ps["variable_bytes"] == 100 * 10 * 4 + 8
        assert ps["stages"] >= 30 and worker["stages"] >= 30 and ps["bytes_sent"] > 0
        assert worker["variables"] is None and ps["memory_bytes"] > 10**7
        text = _psflow(env, "status", config)
        assert text.returncode == 0
        assert "global step 30, latest checkpoint model.ckpt-30 (step 30" in text.stdout
        assert "/job:ps/task:0      alive" in text.stdout

        logs = _psflow(env, "logs", "/job:ps/task:0", target)
        assert logs.returncode == 0 and ":actor_name:PSActor" in logs.stdout

        pid = ps["pid"]
        kill = _psflow(env, "kill", "/job:ps/task:0", target)
        assert kill.returncode == 0 and "killed /job:ps/task:0" in kill.stdout
        deadline = time.monotonic() + 60
        while True:
            ps = _status(env, target)["tasks"][0]
            if ps["state"] == "alive" and ps["restarts"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert (ps["state"], ps["restarts"], ps["variables"]) == ("alive", 1, 0)
        assert ps["pid"] != pid

        changed = tmp_path / "changed.yaml"
        changed.write_text(config.read_text().replace("max_restarts: 1", "max_restarts: 3"))
        again = _psflow(env, "up", changed)
        assert again.returncode == 0 and "differs from" in again.stdout
        assert "max_restarts: running 1, config 3" in again.stdout

        refused = _psflow(env, "down", target, "--checkpoint", tmp_path / "final")
        assert refused.returncode == 1  # the restarted PS holds nothing: nothing stopped
        assert refused.stderr == "Error: The parameter servers hold no variables: nothing to save\n"
        assert _status(env, target)["healthy"]

        gone = _psflow(env, "kill", "/job:worker/task:0", target, "--no-restart")
        assert gone.returncode == 0, gone.stderr
        dead = _psflow(env, "status", target)
        assert dead.returncode == 1 and "/job:worker/task:0  dead" in dead.stdout
    finally:
        down = _psflow(env, "down", target)
    assert down.returncode == 0, down.stdout + down.stderr
    assert f"stopped psflow cluster {target} and its Ray head" in down.stdout
    sessions = glob.glob(os.path.join(env["RAY_TMPDIR"], "ray", "session_2*"))
    address = report["ray_address"]
    assert sessions and control.ray_processes(address, sessions[0]) == []
    gone = _psflow(env, "status", target)
    assert gone.returncode == 1 and gone.stderr.startswith("Error: No Ray cluster at")
    assert len(gone.stderr.strip().splitlines()) == 1


def test_down_saves_what_the_parameter_servers_hold(tmp_path, env):
    config = tmp_path / "cluster.yaml"
    config.write_text("namespace: ops-down\nnum_ps: 2\nnum_workers: 1\n")
    up = _psflow(env, "up", config)
    assert up.returncode == 0, up.stdout + up.stderr
    target = up.stdout.split()[3]
    try:
        connected = subprocess.run(
            [sys.executable, "-c", "import sys; from psflow import cluster; "
             "print(cluster.connect(sys.argv[1]).target)", str(config)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert connected.stdout.strip() == target, connected.stderr
        client = tmp_path / "client.py"
        client.write_text(CLIENT)
        trained = subprocess.run(
            [sys.executable, str(client), target, str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert trained.returncode == 0, trained.stdout + trained.stderr
    finally:
        down = _psflow(env, "down", config, "--checkpoint", tmp_path / "final")
    assert down.returncode == 0, down.stdout + down.stderr
    assert f"saved {tmp_path / 'final' / 'model.ckpt-30'}" in down.stdout
    ls = _psflow(env, "checkpoint", "inspect", tmp_path / "final")
    assert "tensor_name: w  dtype: float32  shape: [100, 10]" in ls.stdout
    assert "tensor_name: global_step  dtype: int64  shape: []" in ls.stdout


def test_errors_are_one_line_and_debug_shows_the_traceback():
    runner = CliRunner()
    out = runner.invoke(cli.main, ["status", "psflow://127.0.0.1:1/nothing"])
    assert out.exit_code == 1
    assert out.output.strip().splitlines() == [
        out.output.strip().splitlines()[0]
    ] and out.output.startswith("Error: No Ray cluster at 127.0.0.1:1")
    out = runner.invoke(cli.main, ["--debug", "status", "psflow://127.0.0.1:1/nothing"])
    assert out.exit_code == 1 and type(out.exception).__name__ == "UnavailableError"
    out = runner.invoke(cli.main, ["status", "nonexistent.yaml"])
    assert out.exit_code == 2 and "neither a config file nor a psflow:// target" in out.output
    out = runner.invoke(cli.main, ["logs", "/job:chief/task:0", "psflow://127.0.0.1:1/x"])
    assert out.exit_code == 1
