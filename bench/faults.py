"""Fault drills on asynchronous between-graph training: the 784-256-128-10 MLP (batch 64,
random data generated on each worker) on 1 PS and 2 workers through `Cluster.run` with
MonitoredTrainingSession (the chief checkpoints every CKPT_STEPS global steps), to
LAST_STEP global steps. Each trial kills one task at a random global step:

- a worker: the other keeps training; Ray restarts the actor and `Cluster.run` starts the
  lost client again (max_failures), which rejoins at the current global step;
- the PS: the chief's session fails, is created again, restores the PS's variables from the
  latest checkpoint, and everyone goes on.

Measured per trial: whether training reached LAST_STEP with a finite loss; for a PS kill,
the global steps lost (the last step seen before the kill minus the first seen after it);
the recovery time, from the kill to the next completed step of the whole job (a PS kill:
the global step advancing again; a worker kill: the restarted client's first step). The
anchor, in the same run: how long Ray takes to restart a plain actor (kill to first answer).

Ends with `ratio fault.survived VALUE >=1.0` (trials that finished / trials),
`ratio fault.steps_lost_vs_interval VALUE <=1.0` (most steps lost by a PS kill / CKPT_STEPS)
and `ratio fault.recovery_vs_restart VALUE <=3.0` (median recovery / median Ray restart).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import harness  # noqa: E402
from train_step import LR, SIZES, mlp_loss  # noqa: E402

BATCH = 64
LAST_STEP = 600
CKPT_STEPS = 50
TRIALS = 3  # per kind of kill
KILL_RANGE = (100, 350)  # the global step a kill lands at, drawn uniformly
RESTARTS = 7  # Ray restart samples for the anchor


def _client(last_step, checkpoint_dir):
    """A worker's training loop. Returns (its final loss, the time of its first step)."""
    from psflow.graph.placement import parse_tf_config

    import psflow as tf

    spec, _, index = parse_tf_config()
    server = tf.train.Server(spec, job_name="worker", task_index=index)
    with tf.device(
        tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}", cluster=spec)
    ):
        x = tf.placeholder(tf.float32, [BATCH, SIZES[0]])
        y = tf.placeholder(tf.int64, [BATCH])
        step = tf.train.get_or_create_global_step()
        loss, _ = mlp_loss(tf, x, y)
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss, global_step=step)
    rng = np.random.RandomState(index)
    feed = {
        x: rng.rand(BATCH, SIZES[0]).astype(np.float32),
        y: rng.randint(0, SIZES[-1], BATCH).astype(np.int64),
    }
    first, value = None, float("nan")
    with tf.train.MonitoredTrainingSession(
        master=server.target,
        is_chief=index == 0,
        checkpoint_dir=checkpoint_dir if index == 0 else None,
        save_checkpoint_steps=CKPT_STEPS,
        save_summaries_steps=None,
        log_step_count_steps=None,
        hooks=[tf.train.StopAtStepHook(last_step=last_step)],
    ) as sess:
        while not sess.should_stop():
            _, value = sess.run([train, loss], feed)
            if first is None:
                first = time.time()
    return float(value), first


def _global_step(cluster):
    """The PS's global step, or None while it cannot be read (lost, uninitialized)."""
    import psflow as tf

    graph = tf.Graph()
    with graph.as_default(), tf.device("/job:ps/task:0"):
        step = tf.train.get_or_create_global_step()
        try:
            with tf.Session(cluster.target) as sess:
                return int(sess.run(step))
        except tf.errors.OpError:
            return None


def trial(kind: str, kill_at: int) -> dict:
    from psflow import cluster as pscluster

    directory = tempfile.mkdtemp(prefix="psflow-faults-")
    out: dict = {}
    with pscluster.launch(
        num_ps=1,
        num_workers=2,
        max_restarts=3,
        namespace=f"faults-bench-{kind}-{kill_at}",
        ps={"num_cpus": 0},
        worker={"num_cpus": 0},
    ) as cluster:

        def train():
            try:
                out["results"] = cluster.run(_client, LAST_STEP, directory, max_failures=2)
            except Exception as err:  # noqa: BLE001 - a failed trial is reported
                out["error"] = err

        runner = threading.Thread(target=train, daemon=True)
        runner.start()
        last = None
        while runner.is_alive():
            seen = _global_step(cluster)
            if seen is not None and seen >= kill_at:
                last = seen
                break
            time.sleep(0.02)
        task = "/job:ps/task:0" if kind == "ps" else "/job:worker/task:1"
        killed = time.time()
        cluster.kill(task)
        before = last
        first_after = recovered = None
        if kind == "ps":  # the next completed step: the global step read twice, advancing
            while runner.is_alive() and recovered is None:
                seen = _global_step(cluster)
                if seen is not None:
                    if first_after is None:
                        first_after = seen
                    elif seen > first_after:
                        recovered = time.time()
                time.sleep(0.02)
        runner.join(timeout=600)
        final = _global_step(cluster)
    shutil.rmtree(directory, ignore_errors=True)
    results = out.get("results")
    if kind == "worker" and results:
        recovered = results[1][1]  # the restarted client's first step
    survived = (
        results is not None
        and all(np.isfinite(r[0]) for r in results)
        and final is not None
        and final >= LAST_STEP
    )
    return {
        "kind": kind,
        "kill_at": before,
        "survived": survived,
        "lost": (before - first_after) if kind == "ps" and first_after is not None else None,
        "recovery_s": (recovered - killed) if recovered else None,
        "error": repr(out.get("error")) if "error" in out else None,
    }


def ray_restart_seconds() -> list[float]:
    """Kill to first answer of a plain Ray actor (numpy imported), RESTARTS times."""
    import ray

    @ray.remote(num_cpus=0, max_restarts=RESTARTS + 1)
    class Plain:
        def __init__(self):
            import numpy  # noqa: F401 - what a minimal Python actor loads

        def pid(self):
            return os.getpid()

    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
    try:
        actor = Plain.remote()
        samples = []
        for _ in range(RESTARTS):
            pid = ray.get(actor.pid.remote())
            start = time.time()
            ray.kill(actor, no_restart=False)
            while True:
                try:
                    if ray.get(actor.pid.remote(), timeout=10) != pid:
                        break
                except ray.exceptions.RayActorError:
                    pass
                time.sleep(0.01)
            samples.append(time.time() - start)
        return samples
    finally:
        ray.shutdown()


def main() -> None:
    import ray
    import train_step

    ray.cloudpickle.register_pickle_by_value(train_step)
    rng = random.Random(0)
    restarts = ray_restart_seconds()
    print(f"ray actor restart: median {statistics.median(restarts):.2f} s over {len(restarts)}")
    trials = []
    for kind in ("worker", "ps") * TRIALS:
        t = trial(kind, rng.randint(*KILL_RANGE))
        trials.append(t)
        recovery = f"{t['recovery_s']:.2f} s" if t["recovery_s"] is not None else "-"
        print(
            f"kill {t['kind']:6s} at step {t['kill_at']}: survived {t['survived']}, "
            f"steps lost {t['lost'] if t['lost'] is not None else '-'}, recovery {recovery}"
            + (f", error {t['error']}" if t["error"] else ""),
            flush=True,
        )
    survived = sum(t["survived"] for t in trials) / len(trials)
    lost = [t["lost"] for t in trials if t["kind"] == "ps" and t["lost"] is not None]
    recovery = [t["recovery_s"] for t in trials if t["recovery_s"] is not None]
    by_kind = {
        kind: [t["recovery_s"] for t in trials if t["kind"] == kind and t["recovery_s"]] or [0.0]
        for kind in ("worker", "ps")
    }
    print(
        f"recovery median {statistics.median(recovery):.2f} s (worker kills "
        f"{statistics.median(by_kind['worker']):.2f} s, "
        f"PS kills {statistics.median(by_kind['ps']):.2f} s)"
    )
    print(harness.ratio_line("fault.survived", survived, ">=1.0"))
    print(
        harness.ratio_line(
            "fault.steps_lost_vs_interval",
            (max(lost) if lost else float("nan")) / CKPT_STEPS,
            "<=1.0",
        )
    )
    print(
        harness.ratio_line(
            "fault.recovery_vs_restart",
            statistics.median(recovery) / statistics.median(restarts),
            "<=3.0",
        )
    )


if __name__ == "__main__":
    main()
