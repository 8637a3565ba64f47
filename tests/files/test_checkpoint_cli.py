"""`psflow checkpoint ls DIR` and `psflow checkpoint inspect PATH` on real checkpoints, and
their one-line errors; `psflow kill TASK --target ...` on a live cluster."""

import numpy as np
import pytest
from click.testing import CliRunner
from psflow.cluster import cli

import psflow as tf


@pytest.fixture
def checkpoints(tmp_path):
    tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    step = tf.train.get_or_create_global_step()
    saver = tf.train.Saver(max_to_keep=3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for s in (10, 20):
            sess.run(tf.assign(step, s))
            saver.save(sess, str(tmp_path / "model"), global_step=s)
    return tmp_path


def test_ls_lists_step_size_shards_and_marks_the_latest(checkpoints):
    out = CliRunner().invoke(cli.main, ["checkpoint", "ls", str(checkpoints)])
    assert out.exit_code == 0, out.output
    rows = out.output.splitlines()[1:]
    assert [r.split()[1:3] if r.startswith("*") else r.split()[0:2] for r in rows] == [
        ["model-10", "10"],
        ["model-20", "20"],
    ]
    assert rows[1].startswith("*") and not rows[0].startswith("*")
    assert rows[0].split()[-1] == "1"  # one shard (one device)


def test_inspect_names_dtypes_shapes_and_values_on_request(checkpoints):
    runner = CliRunner()
    out = runner.invoke(cli.main, ["checkpoint", "inspect", str(checkpoints)])
    assert out.exit_code == 0, out.output
    assert "tensor_name: w  dtype: float32  shape: [2, 3]  size: 24 B" in out.output
    assert "tensor_name: global_step  dtype: int64  shape: []" in out.output
    assert "[[0. 1. 2.]" not in out.output  # no values unless asked
    out = runner.invoke(
        cli.main, ["checkpoint", "inspect", str(checkpoints / "model-10"), "--tensor", "w"]
    )
    assert out.exit_code == 0 and "[[0. 1. 2.]\n [3. 4. 5.]]" in out.output
    out = runner.invoke(cli.main, ["checkpoint", "inspect", str(checkpoints), "--all-values"])
    assert "20" in out.output and "[[0. 1. 2.]" in out.output


def test_errors_are_one_line_with_a_status(tmp_path, checkpoints):
    runner = CliRunner()
    out = runner.invoke(cli.main, ["checkpoint", "inspect", str(checkpoints), "--tensor", "nope"])
    assert out.exit_code == 1 and "Key nope not found" in out.output
    assert "Traceback" not in out.output
    empty = tmp_path / "empty"
    empty.mkdir()
    out = runner.invoke(cli.main, ["checkpoint", "ls", str(empty)])
    assert out.exit_code == 1 and "no checkpoints in" in out.output
    out = runner.invoke(cli.main, ["checkpoint", "inspect", str(empty)])
    assert out.exit_code == 1 and "Couldn't find 'checkpoint' file" in out.output


@pytest.mark.ray
def test_kill_by_target_kills_the_task(local_cluster):
    import os

    import ray

    from psflow import cluster as pscluster

    cluster = pscluster.launch(
        num_ps=1,
        num_workers=1,
        max_restarts=1,
        namespace=f"psflow-cli-kill-{os.getpid()}",
        ps={"num_cpus": 0},
        worker={"num_cpus": 0},
    )
    try:
        ps = cluster.handle("/job:ps/task:0")
        pid = ray.get(ps.pid.remote())
        out = CliRunner().invoke(cli.main, ["kill", "/job:ps/task:0", "--target", cluster.target])
        assert out.exit_code == 0 and "killed /job:ps/task:0 (Ray restarts it)" in out.output
        cluster.wait_alive("/job:ps/task:0")
        assert ray.get(ps.pid.remote()) != pid
        out = CliRunner().invoke(cli.main, ["kill", "/job:ps/task:9", "--target", cluster.target])
        assert out.exit_code == 1 and "No task '/job:ps/task:9'" in out.output
    finally:
        cluster.shutdown()
