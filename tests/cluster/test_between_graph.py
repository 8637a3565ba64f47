"""Between-graph training pieces: ClusterSpec in TF1's forms, TF_CONFIG, tf.train.Server on a
psflow cluster, target strings from another process, and clients hosted by worker tasks
(`Cluster.run`): order of results, TF_CONFIG per task, prefixed output, errors naming the
task, and stages of the client's own task run in its process."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from psflow.graph.placement import parse_tf_config

import psflow as tf

# --- ClusterSpec and TF_CONFIG (no Ray) ------------------------------------------------


def test_cluster_spec_forms():
    dense = tf.train.ClusterSpec({"ps": ["a:1", "b:2"], "worker": ["c:3"]})
    assert dense.jobs == ["ps", "worker"]
    assert dense.num_tasks("ps") == 2 and dense.task_address("ps", 1) == "b:2"
    assert dense.as_dict() == {"ps": ["a:1", "b:2"], "worker": ["c:3"]}
    sparse = tf.train.ClusterSpec({"worker": {1: "w1:1", 3: "w3:3"}})
    assert sparse.task_indices("worker") == [1, 3]
    assert sparse.job_tasks("worker") == [None, "w1:1", None, "w3:3"]
    assert sparse.as_dict() == {"worker": {1: "w1:1", 3: "w3:3"}}
    assert tf.train.ClusterSpec(dense) == dense
    assert dense == {"ps": ["a:1", "b:2"], "worker": ["c:3"]}
    assert dense != {"ps": ["a:1"]}


def test_cluster_spec_errors():
    with pytest.raises(TypeError, match="must be a dictionary mapping one or more job names"):
        tf.train.ClusterSpec(["a:1"])
    spec = tf.train.ClusterSpec({"ps": ["a:1"]})
    with pytest.raises(ValueError, match="No such job in cluster: 'worker'"):
        spec.num_tasks("worker")
    with pytest.raises(ValueError, match="No task with index 4"):
        spec.task_address("ps", 4)


def test_tf_config_parsing(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert parse_tf_config() == (None, None, None)
    text = json.dumps(
        {
            "cluster": {"ps": ["p:1"], "worker": ["w:1", "w:2"]},
            "task": {"type": "worker", "index": "1"},
        }
    )
    monkeypatch.setenv("TF_CONFIG", text)
    spec, job, index = parse_tf_config()
    assert spec.num_tasks("worker") == 2 and job == "worker" and index == 1
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        parse_tf_config("{nope")


def test_server_infers_job_and_task_like_tf1():
    spec = tf.train.ClusterSpec({"ps": ["a:1"], "worker": ["b:1", "c:1"]})
    with pytest.raises(ValueError, match="Must specify an explicit `job_name`"):
        tf.train.Server(spec, start=False)
    with pytest.raises(ValueError, match="Must specify an explicit `task_index`"):
        tf.train.Server(spec, job_name="worker", start=False)
    server = tf.train.Server(spec, job_name="ps", start=False)  # a host:port task: by hand
    assert server.server_def.job_name == "ps" and server.server_def.task_index == 0


# --- On a local Ray cluster ------------------------------------------------------------

pytestmark_ray = pytest.mark.ray


@pytest.fixture
def cluster(local_cluster):
    local_cluster.reset()
    return local_cluster


@pytestmark_ray
def test_server_of_a_psflow_task_names_the_cluster(cluster):
    server = tf.train.Server(cluster.spec, job_name="worker", task_index=1)
    assert server.target == cluster.target
    assert server.target.startswith("psflow://")
    assert server.server_def.job_name == "worker" and server.server_def.task_index == 1


@pytestmark_ray
def test_run_returns_in_task_order_with_tf_config_and_prefixed_output(cluster, capsys):
    def client(scale, offset=0):
        config = json.loads(os.environ["TF_CONFIG"])
        print(f"hello from {config['task']['index']}")
        return config["task"]["index"] * scale + offset

    assert cluster.run(client, 10, offset=1) == [1, 11]
    out = capsys.readouterr().out
    assert "[/job:worker/task:0] hello from 0" in out
    assert "[/job:worker/task:1] hello from 1" in out
    assert "TF_CONFIG" not in os.environ  # the caller's environment is untouched


@pytestmark_ray
def test_run_error_names_the_task_and_the_cluster_stays_usable(cluster):
    def client():
        if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 1:
            raise KeyError("missing feature on task 1")
        return "ok"

    with pytest.raises(KeyError, match="missing feature on task 1") as info:
        cluster.run(client)
    assert any("/job:worker/task:1" in note for note in getattr(info.value, "__notes__", []))
    assert cluster.run(lambda: "again") == ["again", "again"]


def _train_on_own_task():
    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        w = tf.get_variable("w", [], initializer=tf.ones_initializer())
        y = w * 2.0 + float(index)
    with tf.Session(server.target) as sess:
        if index == 0:
            sess.run(w.initializer)
        else:
            while not sess.run(tf.is_variable_initialized(w)):
                pass
        value = sess.run(y)
        return float(value), sess.runtime.local_stage_runs, sess.runtime.direct_stage_runs


@pytestmark_ray
def test_a_hosted_client_runs_its_own_tasks_stages_in_process(cluster):
    results = cluster.run(_train_on_own_task)
    assert [r[0] for r in results] == [2.0, 3.0]
    assert all(r[1] >= 1 for r in results)  # the y stage ran in the task's own process
    assert all(r[2] >= 1 for r in results)  # w was read from the PS by a direct call


def _failing_update_is_undone():
    import numpy as np

    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    with tf.device(tf.train.replica_device_setter(cluster=spec)):
        v = tf.get_variable(f"v{index}", [2], initializer=tf.ones_initializer())
        idx = tf.placeholder(tf.int32, [1])
        bump = tf.assign_add(v, [1.0, 1.0])
        with tf.device("/job:ps/task:0"), tf.control_dependencies([bump]):
            bad = tf.gather(tf.identity(v), idx, name="poisoned")  # fails on the PS
    with tf.Session(server.target) as sess:
        sess.run(v.initializer)
        try:
            sess.run(bad, {idx: np.array([5], np.int32)})
            return "no error"
        except tf.errors.InvalidArgumentError as err:
            return str(err), sess.run(v).tolist(), sess.runtime.direct_stage_runs > 0


@pytestmark_ray
def test_a_direct_call_error_is_the_tf_class_and_rolls_the_step_back(cluster):
    for message, value, direct_used in cluster.run(_failing_update_is_undone):
        assert "poisoned" in message
        assert value == [1.0, 1.0]  # the assign_add on the PS was undone
        assert direct_used


def _pipelined_step_fails_late():
    import numpy as np

    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    rng = np.random.RandomState(index)
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        feeds, deep, wide = {}, [], []
        for f in range(20):
            sp = tf.sparse_placeholder(tf.int64)
            emb = tf.get_variable(f"t{index}emb{f}", [40, 4])
            col = tf.get_variable(f"t{index}wide{f}", [40, 1])
            deep.append(tf.nn.embedding_lookup_sparse(emb, sp, None, combiner="sum"))
            wide.append(tf.nn.embedding_lookup_sparse(col, sp, None, combiner="sum"))
            n = 16
            feeds[sp] = tf.SparseTensorValue(
                np.stack([np.arange(n), np.zeros(n, np.int64)], 1),
                rng.randint(0, 40, n).astype(np.int64),
                [n, 1],
            )
        hidden = tf.layers.dense(tf.concat(deep, 1), 8, tf.nn.relu, name=f"h{index}")
        logit = tf.add_n(wide) + tf.layers.dense(hidden, 1, name=f"o{index}")
        loss = tf.reduce_mean(tf.square(logit))
        train = tf.train.AdagradOptimizer(0.1).minimize(loss)
        ok = tf.placeholder(tf.bool, [])
        with tf.control_dependencies([train]):  # fails after every update of the step
            checked = tf.Assert(ok, [loss], name="late_check")
    with tf.Session(server.target) as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(tf.trainable_variables())
        local = sess.runtime.local_stage_runs
        try:
            sess.run(checked, {**feeds, ok: False})
            return "no error"
        except tf.errors.InvalidArgumentError as err:
            message = str(err)
        unchanged = all(
            np.array_equal(a, b) for a, b in zip(before, sess.run(tf.trainable_variables()))
        )
        local = sess.runtime.local_stage_runs - local  # the failed step's own stages
        sess.run(checked, {**feeds, ok: True})
        changed = all(
            not np.array_equal(a, b) for a, b in zip(before, sess.run(tf.trainable_variables()))
        )
        return message, unchanged, changed, local


@pytestmark_ray
def test_a_pipelined_step_failing_late_undoes_its_earlier_updates(cluster):
    """A hosted client's step is pipelined (graph/partition.py): the PS applies the first
    gradients while the worker computes the rest. When a later part fails, the updates
    already applied are rolled back with the rest of the step."""
    for message, unchanged, changed, local in cluster.run(_pipelined_step_fails_late):
        assert "late_check" in message
        assert unchanged and changed
        assert local >= 4  # the worker's part in pieces (2 in one piece: ids, then compute)


@pytestmark_ray
def test_a_session_in_another_process_reaches_the_cluster_by_target(cluster):
    with tf.device("/job:ps/task:1"):
        v = tf.Variable(41.0, name="shared_v")
    with tf.Session(cluster.target) as sess:
        sess.run(v.initializer)
    code = textwrap.dedent(f"""
        import psflow as tf
        with tf.device("/job:ps/task:1"):
            v = tf.Variable(0.0, name="shared_v")
        with tf.Session({cluster.target!r}) as sess:
            print(sess.run(v + 1.0))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "42.0"


def test_a_target_string_that_is_not_a_cluster_is_an_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unsupported session target"):
        tf.Session("grpc://localhost:2222")


@pytestmark_ray
def test_a_detached_cluster_outlives_its_launcher_object(local_cluster):
    """`launch(..., detached=True)`: the actors stay when the launching Cluster shuts down,
    and a later `connect()` reaches them with their variables."""
    import ray

    from psflow import cluster as pscluster

    namespace = f"psflow-detached-{os.getpid()}"
    first = pscluster.launch(
        num_ps=1,
        num_workers=1,
        namespace=namespace,
        detached=True,
        ps={"num_cpus": 0},
        worker={"num_cpus": 0},
    )
    with tf.device("/job:ps/task:0"):
        v = tf.Variable(5.0, name="kept")
    with tf.Session(first) as sess:
        sess.run(v.initializer)
    first.shutdown()
    second = pscluster.connect(num_ps=1, num_workers=1, namespace=namespace, address="auto")
    try:
        with tf.Session(second) as sess:
            assert sess.run(v) == 5.0
    finally:
        for task in second.tasks:
            ray.kill(second.handle(task), no_restart=True)
        second.shutdown()
