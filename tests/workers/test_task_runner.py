"""PS and worker classes driven by direct calls (no Ray): partitioned plans give the same
values as in-process, variables live on the PS object, errors and rollback."""

import numpy as np
import pytest
from psflow.graph import wire
from psflow.graph.partition import partition
from psflow.graph.placement import ClusterSpec, task_of
from psflow.graph.plan import plan_to_wire, prune_to_fetches
from psflow.graph.route import CallHeader, FromFeed, FromStage
from psflow.ps.server import ParameterServer
from psflow.workers.worker import Worker

import psflow as tf

SPEC = ClusterSpec({"ps": ["a"], "worker": ["b"]})


class DirectCluster:
    """Runs a DistributedPlan stage by stage on plain objects, as the Ray runtime does."""

    def __init__(self):
        self.tasks = {"/job:ps/task:0": ParameterServer(), "/job:worker/task:0": Worker()}
        self.step = 0

    def run(self, fetches, feeds=None, pipeline=None, targets=()):
        feeds = feeds or {}
        feed_tensors = list(feeds)
        ops = prune_to_fetches(
            [t.op for t in fetches] + list(targets), {t.name for t in feed_tensors}
        )
        dplan = partition(
            ops, fetches, feed_tensors, lambda op: task_of(op.device, SPEC), pipeline=pipeline
        )
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


def _sparse_model(features=20):
    """A small wide & deep step: per feature an embedding and a wide column on the PS.
    Returns (train op, loss, flat feeds: tensor -> value)."""
    tf.set_random_seed(7)
    with tf.device(tf.train.replica_device_setter(cluster=SPEC)):
        ids = [tf.sparse_placeholder(tf.int64, name=f"ids{f}") for f in range(features)]
        deep, wide = [], []
        for f, sp in enumerate(ids):
            init = tf.random_normal_initializer(stddev=0.1, seed=f + 1)
            emb = tf.get_variable(f"emb{f}", [50, 4], initializer=init)
            col = tf.get_variable(f"wide{f}", [50, 1], initializer=init)
            deep.append(tf.nn.embedding_lookup_sparse(emb, sp, None, combiner="sum"))
            wide.append(tf.nn.embedding_lookup_sparse(col, sp, None, combiner="sum"))
        hidden = tf.layers.dense(tf.concat(deep, 1), 8, tf.nn.relu, name="hidden")
        logit = tf.squeeze(tf.add_n(wide) + tf.layers.dense(hidden, 1, name="out"), 1)
        labels = tf.placeholder(tf.float32, [None])
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logit))
        train = tf.train.AdagradOptimizer(0.1).minimize(loss)
    rng = np.random.RandomState(0)
    feeds = {labels: rng.randint(0, 2, 16).astype(np.float32)}
    for sp in ids:
        feeds[sp.indices] = np.stack([np.arange(16), np.zeros(16, np.int64)], 1)
        feeds[sp.values] = rng.randint(0, 50, 16).astype(np.int64)
        feeds[sp.dense_shape] = np.array([16, 1], np.int64)
    return train, loss, feeds


def test_a_pipelined_step_interleaves_compute_and_updates_with_the_same_values():
    """partition(pipeline=task): the worker's compute is cut so that the PS gathers the
    first rows and applies the first gradients while the worker computes the rest; the
    values are those of the step in one piece, and no variable's read crosses between
    the pieces (it would travel through the client)."""
    train, loss, feeds = _sparse_model()
    variables = tf.global_variables()
    results = {}
    for pipeline in (None, "/job:worker/task:0"):
        direct = DirectCluster()
        for v in variables:
            direct.run([v.initializer.outputs[0]])
        losses = [direct.run([loss], feeds, pipeline, [train])[0][0] for _ in range(3)]
        values = [direct.tasks["/job:ps/task:0"].store.get(v.op.name) for v in variables]
        _, dplan = direct.run([loss], feeds, pipeline, [train])
        results[pipeline] = losses, values, dplan
    losses, values, whole = results[None]
    p_losses, p_values, split = results["/job:worker/task:0"]
    assert losses[2] < losses[0]
    np.testing.assert_allclose(p_losses, losses, rtol=1e-6)
    for a, b in zip(p_values, values):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    worker, ps = "/job:worker/task:0", "/job:ps/task:0"
    assert [s.task for s in whole.stages] == [worker, ps, worker, ps]
    tasks = [s.task for s in split.stages]
    assert len(tasks) >= 6 and tasks == [worker, ps] * (len(tasks) // 2)
    assert [s.level for s in split.stages] == sorted(s.level for s in split.stages)
    for n, stage in enumerate(split.stages):
        for later in split.stages[n + 1 :]:
            if later.task == stage.task:
                later_inputs = [i for i in later.inputs if isinstance(i, FromStage)]
                taken = [stage.outputs[i.output] for i in later_inputs if i.stage == n]
                assert not [t for t in taken if t.endswith("/read:0")], (n, taken)


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
