"""Faults on a real local Ray cluster: tasks killed between steps (and, for the fast path,
with a compiled graph live), with the plain path and the fast path. A lost task is
UnavailableError naming it; a restarted one AbortedError (its plans and variables are
gone), after which the session registers its plans again; a failed step changes nothing on
the tasks that survived; MonitoredTrainingSession recovers, restoring only the lost PS's
variables by default ("lost") or every variable ("all", TF1's way); Cluster.run starts a
lost task's client again within max_failures."""

import itertools
import logging
import os

import pytest

import psflow as tf

pytestmark = pytest.mark.ray
_names = itertools.count()


@pytest.fixture
def fresh(local_cluster, monkeypatch):
    """Launches small clusters of their own (tasks get killed) on the tests' Ray instance."""
    from psflow.cluster import fast as fast_module

    from psflow import cluster as pscluster

    monkeypatch.setattr(fast_module, "COMPILE_AFTER", 1)
    made = []

    def launch(num_ps=1, num_workers=1, max_restarts=1, fast_path=False):
        cluster = pscluster.launch(
            num_ps=num_ps,
            num_workers=num_workers,
            max_restarts=max_restarts,
            fast_path=fast_path,
            namespace=f"psflow-faults-{os.getpid()}-{next(_names)}",
            ps={"num_cpus": 0},
            worker={"num_cpus": 0},
        )
        made.append(cluster)
        return cluster

    yield launch
    for cluster in made:
        cluster.shutdown()


def _two_ps_model(cluster):
    """a on ps 0, b on ps 1, both bumped by the train op, and the step's worker compute."""
    with tf.device("/job:ps/task:0"):
        a = tf.get_variable("a", [], initializer=tf.zeros_initializer())
    with tf.device("/job:ps/task:1"):
        b = tf.get_variable("b", [], initializer=tf.zeros_initializer())
    with tf.device("/job:worker/task:0"):
        one = tf.constant(1.0) * 1.0
    train = tf.group(tf.assign_add(a, one), tf.assign_add(b, one))
    return a, b, train


@pytest.mark.parametrize("fast_path", [False, True], ids=["plain", "fast"])
def test_a_killed_ps_fails_the_step_named_and_changes_nothing_elsewhere(fresh, fast_path):
    cluster = fresh(num_ps=2, fast_path=fast_path)
    a, b, train = _two_ps_model(cluster)
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        if fast_path:
            assert sess.runtime.fast_path is not None
        cluster.kill("/job:ps/task:1")
        with pytest.raises(
            (tf.errors.UnavailableError, tf.errors.AbortedError), match="/job:ps/task:1"
        ):
            sess.run(train)
        assert sess.run(a) == 3.0  # ps 0's update of the failed step was undone
        cluster.wait_alive("/job:ps/task:1")
        # The restarted task is empty: its variable reads as uninitialized, never a missing plan.
        with pytest.raises(tf.errors.FailedPreconditionError, match="b"):
            sess.run(b)
        sess.run(b.initializer)
        sess.run(train)
        assert sess.run([a, b]) == [4.0, 1.0]


@pytest.mark.parametrize("fast_path", [False, True], ids=["plain", "fast"])
def test_a_restarted_worker_is_aborted_then_the_session_goes_on(fresh, fast_path):
    cluster = fresh(num_ps=1, num_workers=1, fast_path=fast_path)
    with tf.device("/job:ps/task:0"):
        v = tf.get_variable("v", [], initializer=tf.zeros_initializer())
    with tf.device("/job:worker/task:0"):
        delta = tf.constant(2.0) * 0.5
    train = tf.assign_add(v, delta)
    with tf.Session(cluster.target) as sess:
        sess.run(v.initializer)
        sess.run(train)
        cluster.kill("/job:worker/task:0")
        cluster.wait_alive("/job:worker/task:0")
        # The worker came back without the session's plans: AbortedError naming it...
        with pytest.raises(
            (tf.errors.AbortedError, tf.errors.UnavailableError), match="/job:worker/task:0"
        ):
            sess.run(train)
        # ...and the next step registers them again; the PS kept its variable.
        assert sess.run(train) == 2.0


def test_a_task_that_stays_dead_is_named_by_nodes_and_steps(fresh):
    cluster = fresh(num_ps=1, num_workers=2, max_restarts=0)
    cluster.kill("/job:worker/task:1", restart=False)
    nodes = cluster.nodes()
    assert nodes["/job:worker/task:1"] is None and nodes["/job:ps/task:0"]
    with tf.device("/job:worker/task:1"):
        x = tf.constant(1.0) + 1.0
    with tf.Session(cluster.target) as sess:
        with pytest.raises(
            tf.errors.UnavailableError, match=r"/job:worker/task:1 \(node [0-9a-f]+\).*died"
        ):
            sess.run(x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="No task '/job:ps/task:7'"):
        cluster.kill("/job:ps/task:7")


def _mts_run_with_ps_kill(cluster, ckpt, policy, caplog):
    """Trains with MTS (checkpoint every 5 steps), kills ps 1 at step 12; returns the global
    step and b read right after the recovery, and the final ones."""
    with tf.device("/job:ps/task:0"):
        step = tf.train.get_or_create_global_step()
    with tf.device("/job:ps/task:1"):
        b = tf.get_variable("b", [], initializer=tf.zeros_initializer())
    train = tf.group(tf.assign_add(b, 1.0), tf.assign_add(step, 1))
    after = []
    with caplog.at_level(logging.INFO, logger="psflow"):
        with tf.train.MonitoredTrainingSession(
            master=cluster.target,
            checkpoint_dir=str(ckpt),
            save_checkpoint_steps=5,
            restore_policy=policy,
            hooks=[tf.train.StopAtStepHook(last_step=20)],
        ) as sess:
            killed = False
            while not sess.should_stop():
                _, s, value = sess.run([train, step, b])
                if not killed and s >= 12:
                    killed = True
                    cluster.kill("/job:ps/task:1")
                elif killed and not after:
                    after.append((int(s), float(value)))
    return after[0]


def test_mts_restores_only_the_lost_ps_by_default(fresh, tmp_path, caplog):
    cluster = fresh(num_ps=2)
    s, b = _mts_run_with_ps_kill(cluster, tmp_path, "lost", caplog)
    # The global step (ps 0) went on; b (ps 1) came back from the step-10 checkpoint.
    assert s >= 13
    assert b == 11.0  # restored at 10, then the retried step added 1
    assert any(
        "restored 1 variables of /job:ps/task:1" in r.message and "(step 10)" in r.message
        for r in caplog.records
    ), [r.message for r in caplog.records]


def test_mts_restores_every_variable_with_policy_all(fresh, tmp_path, caplog):
    cluster = fresh(num_ps=2)
    s, b = _mts_run_with_ps_kill(cluster, tmp_path, "all", caplog)
    assert (s, b) == (11, 11.0)  # both back at the step-10 checkpoint, plus the retried step


def _client_counts_steps():
    import json
    import time

    import psflow as tf

    config = json.loads(os.environ["TF_CONFIG"])
    index = config["task"]["index"]
    spec = tf.train.ClusterSpec(config["cluster"])
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    with tf.device(tf.train.replica_device_setter(cluster=spec)):
        step = tf.train.get_or_create_global_step()
        train = tf.assign_add(step, 1)
    with tf.train.MonitoredTrainingSession(
        master=server.target,
        is_chief=index == 0,
        hooks=[tf.train.StopAtStepHook(last_step=300)],
    ) as sess:
        while not sess.should_stop():
            sess.run(train)
            time.sleep(0.01)
    return index


def _run_in_background(cluster, fn, *args, max_failures):
    """Starts `cluster.run(fn, *args, max_failures=...)` on a thread: (thread, out dict with
    "result" or "error")."""
    import threading

    out = {}

    def train():
        try:
            out["result"] = cluster.run(fn, *args, max_failures=max_failures)
        except Exception as err:  # noqa: BLE001 - the caller checks it
            out["error"] = err

    runner = threading.Thread(target=train, daemon=True)
    runner.start()
    return runner, out


def _wait_for_step(cluster, runner, out, step) -> None:
    import time

    while _global_step(cluster) < step:
        assert runner.is_alive(), out
        time.sleep(0.1)


def _global_step(cluster) -> int:
    graph = tf.Graph()
    with graph.as_default(), tf.device("/job:ps/task:0"):
        step = tf.train.get_or_create_global_step()
        with tf.Session(cluster.target) as sess:
            try:
                return int(sess.run(step))
            except tf.errors.FailedPreconditionError:
                return 0


def test_run_restarts_a_lost_client_and_fails_named_without_max_failures(fresh):

    cluster = fresh(num_ps=1, num_workers=2, max_restarts=3)
    for max_failures, expect_error in ((1, False), (0, True)):
        cluster.reset()
        runner, out = _run_in_background(cluster, _client_counts_steps, max_failures=max_failures)
        _wait_for_step(cluster, runner, out, 30)  # the clients are training
        cluster.kill("/job:worker/task:1")
        runner.join(timeout=120)
        assert not runner.is_alive()
        if expect_error:
            assert isinstance(out.get("error"), tf.errors.UnavailableError), out
            assert "/job:worker/task:1" in str(out["error"])
        else:
            assert out.get("result") == [0, 1], out
        cluster.wait_alive("/job:worker/task:1")


def _direct_client_survives_a_ps_restart(kill_ps):
    from psflow.graph.placement import parse_tf_config

    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    with tf.device(tf.train.replica_device_setter(cluster=spec)):
        v = tf.get_variable("v", [3], initializer=tf.ones_initializer())
        y = v * 2.0
    with tf.Session(server.target) as sess:
        sess.run(v.initializer)
        first = sess.run(y).tolist()
        kill_ps()
        try:
            sess.run(y)
            lost = "no error"
        except (tf.errors.UnavailableError, tf.errors.AbortedError) as err:
            lost = f"{type(err).__name__}: {err}"
        for _ in range(100):  # until the PS is back; then its variable is uninitialized
            try:
                sess.run(y)
            except tf.errors.FailedPreconditionError:
                break
            except (tf.errors.UnavailableError, tf.errors.AbortedError):
                pass
        sess.run(v.initializer)  # the session registered its plans and channel again
        return first, lost, sess.run(y).tolist(), sess.runtime.direct_stage_runs


def test_a_hosted_clients_direct_channel_to_a_restarted_ps(fresh):
    """A hosted client's direct channel: the killed PS is UnavailableError naming it; once
    the PS is back, the session connects to its new process and goes on."""
    import ray

    cluster = fresh(num_ps=1, num_workers=1)
    ps = cluster.handle("/job:ps/task:0")

    def kill_ps():
        ray.kill(ps, no_restart=False)
        import time

        time.sleep(0.5)

    [(first, lost, again, direct_runs)] = cluster.run(_direct_client_survives_a_ps_restart, kill_ps)
    assert first == again == [2.0, 2.0, 2.0]
    assert "/job:ps/task:0" in lost and lost.startswith(("UnavailableError", "AbortedError"))
    assert direct_runs >= 2


@pytest.mark.parametrize("hosted", [False, True], ids=["driver", "hosted"])
def test_a_hung_task_fails_the_step_within_task_timeout(fresh, monkeypatch, hosted):
    """A PS that stops answering (SIGSTOP: alive to Ray, silent to everyone) fails the step
    with UnavailableError naming it within task_timeout_s, from a driver's Ray calls and
    from a hosted client's direct calls."""
    import signal
    import time

    import ray
    from psflow.cluster import runtime

    monkeypatch.setattr(runtime, "LIVENESS_SECS", 0.5)
    cluster = fresh(num_ps=1, num_workers=1)
    cluster.config.task_timeout_s = 2.0
    ps = cluster.handle("/job:ps/task:0")
    pid = ray.get(ps.pid.remote())
    if hosted:

        def client(pid):
            import os
            import signal
            import time

            from psflow.cluster import runtime
            from psflow.graph.placement import parse_tf_config

            import psflow as tf

            runtime.LIVENESS_SECS = 0.5
            spec, job, index = parse_tf_config()
            server = tf.train.Server(spec, job_name=job, task_index=index)
            with tf.device(tf.train.replica_device_setter(cluster=spec)):
                v = tf.get_variable("v", [], initializer=tf.ones_initializer())
            with tf.Session(server.target) as sess:
                sess.runtime.cluster.config.task_timeout_s = 2.0
                sess.run(v.initializer)
                os.kill(pid, signal.SIGSTOP)
                start = time.monotonic()
                try:
                    sess.run(v)
                    return "no error", 0.0
                except tf.errors.UnavailableError as err:
                    return str(err), time.monotonic() - start
                finally:
                    os.kill(pid, signal.SIGCONT)

        [(message, took)] = cluster.run(client, pid)
    else:
        with tf.device("/job:ps/task:0"):
            v = tf.get_variable("v", [], initializer=tf.ones_initializer())
        with tf.Session(cluster.target) as sess:
            sess.run(v.initializer)
            os.kill(pid, signal.SIGSTOP)
            start = time.monotonic()
            try:
                with pytest.raises(tf.errors.UnavailableError) as info:
                    sess.run(v)
                message, took = str(info.value), time.monotonic() - start
            finally:
                os.kill(pid, signal.SIGCONT)
    assert "/job:ps/task:0" in message and "task_timeout_s" in message, message
    assert took < 10.0


def test_a_new_driver_continues_a_detached_cluster_after_the_first_died(local_cluster, tmp_path):
    """Driver loss: the first driver trains to step 25 (checkpoints every 10) on a detached
    cluster and is killed (SIGKILL); a new driver connects and its MonitoredTrainingSession
    goes on from the PS state -- step 25, not the step-20 checkpoint."""
    import subprocess
    import sys
    import textwrap

    import ray

    from psflow import cluster as pscluster

    config = {
        "address": ray.get_runtime_context().gcs_address,
        "namespace": f"psflow-driver-loss-{os.getpid()}",
        "num_ps": 1,
        "num_workers": 1,
        "ps": {"num_cpus": 0},
        "worker": {"num_cpus": 0},
    }
    model = textwrap.dedent("""
        import psflow as tf
        def model(cluster):
            with tf.device(cluster.device_setter()):
                step = tf.train.get_or_create_global_step()
                w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
                train = tf.group(tf.assign_add(w, 1.0), tf.assign_add(step, 1))
            return step, w, train
    """)
    first = model + textwrap.dedent(f"""
        import os, signal
        from psflow import cluster as pscluster
        cluster = pscluster.launch({config!r}, detached=True)
        step, w, train = model(cluster)
        with tf.train.MonitoredTrainingSession(
                master=cluster.target, checkpoint_dir={str(tmp_path)!r},
                save_checkpoint_steps=10) as sess:
            while sess.run(step) < 25:
                sess.run(train)
            print("reached", sess.run(step), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", first], capture_output=True, text=True, timeout=180)
    assert out.returncode == -9 and "reached 25" in out.stdout, out.stderr[-2000:]
    namespace = {}
    exec(model, namespace)  # noqa: S102 - the same model code as the first driver
    cluster = pscluster.connect(config)
    try:
        step, w, train = namespace["model"](cluster)
        with tf.train.MonitoredTrainingSession(
            master=cluster.target, checkpoint_dir=str(tmp_path), save_checkpoint_steps=10
        ) as sess:
            assert sess.run([step, w]) == [25, 25.0]  # the PS state, not the checkpoint
            sess.run(train)
            assert sess.run(step) == 26
    finally:
        for task in cluster.tasks:
            ray.kill(cluster.handle(task), no_restart=True)
        ray.kill(ray.get_actor("psflow-registry", namespace=config["namespace"]), no_restart=True)
        cluster.shutdown()


def _sync_client(last_step):
    import time

    from psflow.graph.placement import parse_tf_config

    import psflow as tf

    spec, _, index = parse_tf_config()
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        step = tf.train.get_or_create_global_step()
        w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
        opt = tf.train.SyncReplicasOptimizer(
            tf.train.GradientDescentOptimizer(0.05), replicas_to_aggregate=2, total_num_replicas=3
        )
        train = opt.minimize(tf.square(w - 3.0), global_step=step)
    hooks = [opt.make_session_run_hook(index == 0), tf.train.StopAtStepHook(last_step=last_step)]
    with tf.train.MonitoredTrainingSession(
        master=server.target, is_chief=index == 0, hooks=hooks
    ) as sess:
        while not sess.should_stop():
            sess.run(train)
            time.sleep(0.01)
    return index


def test_sync_replicas_with_a_backup_go_on_without_a_killed_worker(fresh):
    """3 replicas, 2 aggregated per round (one backup): while worker 2 is down the rounds
    complete with the other two; Cluster.run (max_failures=1) starts its client again and
    the run finishes."""
    import time

    cluster = fresh(num_ps=1, num_workers=3, max_restarts=2)
    runner, out = _run_in_background(cluster, _sync_client, 120, max_failures=1)
    _wait_for_step(cluster, runner, out, 20)
    cluster.kill("/job:worker/task:2")
    killed_at = _global_step(cluster)
    time.sleep(2.0)  # while task 2 is down, rounds go on with the other two
    assert _global_step(cluster) > killed_at + 5
    runner.join(timeout=180)
    assert not runner.is_alive() and out.get("result") == [0, 1, 2], out
    assert _global_step(cluster) >= 120


def _chief_client(last_step, checkpoint_dir):
    import json
    import time

    import psflow as tf

    config = json.loads(os.environ["TF_CONFIG"])
    index = int(config["task"]["index"])
    spec = tf.train.ClusterSpec(config["cluster"])
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    with tf.device(tf.train.replica_device_setter(cluster=spec)):
        step = tf.train.get_or_create_global_step()
        train = tf.assign_add(step, 1)
    first = None
    with tf.train.MonitoredTrainingSession(
        master=server.target,
        is_chief=index == 0,
        checkpoint_dir=checkpoint_dir if index == 0 else None,
        save_checkpoint_steps=20,
        hooks=[tf.train.StopAtStepHook(last_step=last_step)],
    ) as sess:
        while not sess.should_stop():
            value = sess.run(train)
            first = value if first is None else first
            time.sleep(0.01)
    return int(first)


def test_a_killed_chief_comes_back_and_keeps_the_global_step(fresh, tmp_path):
    """The chief's task is killed mid-training: Cluster.run starts its client again; as chief
    it finds the model initialized on the PS (restore_policy 'lost': nothing restored over
    it) and goes on from the current global step, not from the checkpoint or from 0."""

    cluster = fresh(num_ps=1, num_workers=2, max_restarts=2)
    runner, out = _run_in_background(cluster, _chief_client, 400, str(tmp_path), max_failures=1)
    _wait_for_step(cluster, runner, out, 50)
    cluster.kill("/job:worker/task:0")
    killed_at = _global_step(cluster)
    runner.join(timeout=180)
    assert not runner.is_alive() and "result" in out, out
    restarted_first, _ = out["result"]
    assert restarted_first > killed_at  # the new chief's first step went on from there
    assert _global_step(cluster) >= 400


def test_a_save_that_loses_a_ps_leaves_the_previous_checkpoint(fresh, tmp_path):
    """A save on 2 PS during which one is lost fails; the previous checkpoint stays the
    latest and restores completely."""
    cluster = fresh(num_ps=2)
    a, b, train = _two_ps_model(cluster)
    saver = tf.train.Saver()
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        first = saver.save(sess, str(tmp_path / "model"), global_step=1)
        sess.run(train)
        cluster.kill("/job:ps/task:1")
        with pytest.raises((tf.errors.UnavailableError, tf.errors.AbortedError), match="ps/task:1"):
            saver.save(sess, str(tmp_path / "model"), global_step=2)
        assert tf.train.latest_checkpoint(str(tmp_path)) == first
        assert not any(p.name.startswith("model-2.index") for p in tmp_path.iterdir())
        cluster.wait_alive("/job:ps/task:1")
        for _ in range(3):  # the restarted PS: Aborted once, then the plans are registered
            try:
                saver.restore(sess, first)
                break
            except (tf.errors.UnavailableError, tf.errors.AbortedError):
                pass
        assert sess.run([a, b]) == [1.0, 1.0]


@pytest.mark.parametrize("fast_path", [False, True], ids=["plain", "fast"])
def test_a_worker_killed_mid_step_fails_it_named_and_rolls_the_ps_back(fresh, fast_path):
    """The worker dies while it runs a long stage of a step whose PS stage already wrote:
    the step fails with UnavailableError naming the worker within the bound, and the PS
    write is undone."""
    import threading
    import time

    cluster = fresh(num_ps=1, num_workers=1, fast_path=fast_path)
    with tf.device("/job:ps/task:0"):
        a = tf.get_variable("a", [], initializer=tf.zeros_initializer())
        bump = tf.assign_add(a, 1.0)
    with tf.device("/job:worker/task:0"), tf.control_dependencies([bump]):
        start = tf.identity(tf.constant(0))
    with tf.device("/job:worker/task:0"):
        steps = tf.placeholder(tf.int32, [])
        loop = tf.while_loop(lambda i: i < steps, lambda i: i + 1, [start])
    with tf.Session(cluster.target) as sess:
        sess.run(a.initializer)
        for _ in range(3):  # the signature is compiled on the fast path
            sess.run(loop, {steps: 10})
        assert sess.run(a) == 3.0
        killer = threading.Timer(1.0, cluster.kill, args=("/job:worker/task:0",))
        killer.start()
        began = time.monotonic()
        with pytest.raises(
            (tf.errors.UnavailableError, tf.errors.AbortedError), match="/job:worker/task:0"
        ):
            sess.run(loop, {steps: 30_000_000})  # minutes, unless killed
        assert time.monotonic() - began < 30
        killer.join()
        assert sess.run(a) == 3.0  # the failed step's bump was undone


def test_a_ps_killed_during_a_save_leaves_the_previous_checkpoint(fresh, tmp_path):
    """ps 1 dies while it writes its shard (300 MB, fsynced): the save fails naming it, the
    previous checkpoint stays the latest and restores completely."""
    import threading

    cluster = fresh(num_ps=2)
    with tf.device("/job:ps/task:0"):
        a = tf.get_variable("a", [], initializer=tf.zeros_initializer())
    with tf.device("/job:ps/task:1"):
        big = tf.get_variable("big", [75_000_000], initializer=tf.ones_initializer())
    saver = tf.train.Saver()
    with tf.Session(cluster.target) as sess:
        sess.run(tf.global_variables_initializer())
        first = saver.save(sess, str(tmp_path / "model"), global_step=1, write_meta_graph=False)
        sess.run([tf.assign_add(a, 1.0), tf.assign(big, tf.fill([75_000_000], 2.0))])
        killer = threading.Timer(0.05, cluster.kill, args=("/job:ps/task:1",))
        killer.start()
        with pytest.raises((tf.errors.UnavailableError, tf.errors.AbortedError), match="ps/task:1"):
            for _ in range(20):  # until the kill lands in a save
                saver.save(sess, str(tmp_path / "model"), global_step=2, write_meta_graph=False)
                assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model-2")
        killer.join()
        latest = tf.train.latest_checkpoint(str(tmp_path))
        assert latest in (first, str(tmp_path / "model-2"))  # a complete checkpoint, never half
        cluster.wait_alive("/job:ps/task:1")
        for _ in range(3):
            try:
                saver.restore(sess, first)
                break
            except (tf.errors.UnavailableError, tf.errors.AbortedError):
                pass
        assert sess.run(a) == 0.0 and float(sess.run(big[:3]).sum()) == 3.0
        # The next save removes what the killed one left (its partial and orphan files).
        third = saver.save(sess, str(tmp_path / "model"), global_step=3, write_meta_graph=False)
        left = sorted(p.name for p in tmp_path.iterdir())
        assert not [n for n in left if ".tmp" in n], left
        kept = {"model-1", "model-3"} | ({"model-2"} if "model-2.index" in left else set())
        assert {n.split(".")[0] for n in left if ".data-" in n} <= kept, left
        assert tf.train.latest_checkpoint(str(tmp_path)) == third


def test_a_slow_step_is_not_failed_by_a_dead_task_it_does_not_use(fresh, monkeypatch):
    """The liveness checks of a slow step ask only the tasks the step runs on."""
    from psflow.cluster import runtime

    monkeypatch.setattr(runtime, "LIVENESS_SECS", 0.2)
    cluster = fresh(num_ps=1, num_workers=2, max_restarts=0)
    cluster.kill("/job:worker/task:1", restart=False)
    with tf.device("/job:worker/task:0"):
        steps = tf.placeholder(tf.int32, [])
        loop = tf.while_loop(lambda i: i < steps, lambda i: i + 1, [tf.constant(0)])
    with tf.Session(cluster.target) as sess:
        assert sess.run(loop, {steps: 300_000}) == 300_000  # about a second: several checks
