"""PS and worker classes driven by direct calls (no Ray): partitioned plans give the same
values as in-process, variables live on the PS object, errors and rollback."""

import numpy as np
import pytest
from psflow.graph import wire
from psflow.graph.partition import partition
from psflow.graph.placement import ClusterSpec, task_of
from psflow.graph.plan import plan_to_wire, prune_to_fetches
from psflow.graph.route import CallHeader, FromFeed
from psflow.ps.server import ParameterServer
from psflow.workers.worker import Worker

import psflow as tf

SPEC = ClusterSpec({"ps": ["a"], "worker": ["b"]})


class DirectCluster:
    """Runs a DistributedPlan stage by stage on plain objects, as the Ray runtime does."""

    def __init__(self):
        self.tasks = {"/job:ps/task:0": ParameterServer(), "/job:worker/task:0": Worker()}
        self.step = 0

    def run(self, fetches, feeds=None):
        feeds = feeds or {}
        feed_tensors = list(feeds)
        ops = prune_to_fetches([t.op for t in fetches], {t.name for t in feed_tensors})
        dplan = partition(ops, fetches, feed_tensors, lambda op: task_of(op.device, SPEC))
        self.step += 1
        outs = []
        for n, stage in enumerate(dplan.stages):
            runner = self.tasks[stage.task]
            plan_id = f"p{self.step}-{n}"
            runner.register_plan(plan_id, wire.pack(plan_to_wire(stage.plan)))
            args = [self._value(s, feeds, feed_tensors, outs) for s in stage.inputs]
            result = runner.run_stage(CallHeader(str(self.step), plan_id=plan_id).encode(), *args)
            outs.append(list(result) if stage.outputs else [result])
        return [self._value(s, feeds, feed_tensors, outs) for s in dplan.fetches], dplan

    @staticmethod
    def _value(src, feeds, feed_tensors, outs):
        """The value a FromFeed or FromStage source names."""
        if isinstance(src, FromFeed):
            return feeds[feed_tensors[src.feed_index]]
        return outs[src.stage][src.output]


def test_partitioned_training_step_matches_in_process():
    with tf.device(tf.train.replica_device_setter(cluster=SPEC)):
        w = tf.Variable([[1.0], [2.0]], name="w")
        x = tf.placeholder(tf.float32, [None, 2])
        y = tf.matmul(x, w)
        loss = tf.reduce_sum(y * y)
        (grad,) = tf.gradients(loss, [w])
        update = tf.assign_sub(w, 0.1 * grad)
    batch = np.array([[1.0, 1.0], [0.5, -1.0]], np.float32)
    direct = DirectCluster()
    direct.run([w.initializer.outputs[0]])
    (value,), dplan = direct.run([update], {x: batch})
    with tf.Session() as sess:
        sess.run(w.initializer)
        want = sess.run(update, {x: batch})
    np.testing.assert_allclose(value, want, rtol=1e-6)
    tasks = [s.task for s in dplan.stages]
    # PS read -> worker gradients -> PS apply.
    assert tasks == ["/job:ps/task:0", "/job:worker/task:0", "/job:ps/task:0"]
    assert [s.level for s in dplan.stages] == sorted(s.level for s in dplan.stages)
    assert "w" in direct.tasks["/job:ps/task:0"].store
    assert "w" not in direct.tasks["/job:worker/task:0"].store


def test_uninitialized_read_on_the_ps_and_rollback():
    with tf.device(tf.train.replica_device_setter(cluster=SPEC)):
        v = tf.Variable(1.0, name="counter")
        bump = tf.assign_add(v, 1.0)
    direct = DirectCluster()
    with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value counter"):
        direct.run([bump])
    direct.run([v.initializer.outputs[0]])
    direct.run([bump])
    ps = direct.tasks["/job:ps/task:0"]
    assert ps.store.get("counter") == 2.0
    assert ps.rollback(str(direct.step)) is True
    assert ps.store.get("counter") == 1.0
    assert ps.variable_report() == {"counter": 4}
    ps.reset()
    assert len(ps.store) == 0


def test_closing_a_session_or_resetting_frees_its_undo_journals():
    """A journal keeps a step's old values until the client reports the step finished; a
    closed session never will, so its journals go with it (and all of them on reset)."""
    from psflow.workers.task import TaskRunner

    runner = TaskRunner()
    runner._journals["abc.1"] = {"w": np.zeros(4)}
    runner._journals["abc.2"] = {"w": np.zeros(4)}
    runner._journals["other.1"] = {"w": np.zeros(4)}
    assert runner.journal_report() == 3
    runner.forget_session("abc")
    assert list(runner._journals) == ["other.1"]
    runner.reset()
    assert runner.journal_report() == 0
