"""Dynamic embedding tables (psflow.dynamic_embedding): rows created on first lookup from the
initializer, trained by every optimizer against the numpy references of test_optimizers,
IndexedSlices gradients keyed by id, the capacity bound with LRU/LFU eviction, failed steps
undone, and save/restore onto a different number of shards -- in-process and on the cluster
(`target`), where the shards sit on the parameter servers."""

import numpy as np
import pytest
from psflow.graph.dynamic_table import HashTable, initial_rows

import psflow as tf
from tests.train.test_optimizers import CASES, STEPS

de = tf.dynamic_embedding


def _table(name="emb", dim=3, **kw):
    kw.setdefault("initializer", tf.random_normal_initializer(0.0, 0.5, seed=7))
    return de.get_variable(name, dim, **kw)


def test_rows_are_created_on_first_lookup_from_the_initializer(target):
    table = _table(dim=4)
    ids = tf.placeholder(tf.int64, [None])
    rows = de.embedding_lookup(table, ids)
    assert rows.shape.as_list() == [None, 4]
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([table.size(), table.evictions()]) == [0, 0]
        got = sess.run(rows, {ids: [5, 2**40 + 3, 5, -9]})
        assert sess.run(table.size()) == 3
        again = sess.run(tf.nn.embedding_lookup(table, [[-9, 5]]))
    want = initial_rows("normal", 0.0, 0.5, 7, np.array([5, 2**40 + 3, -9]), 4, np.float32)
    np.testing.assert_array_equal(got, want[[0, 1, 0, 2]])
    np.testing.assert_array_equal(again, want[[2, 0]][None])


def test_initializers_draw_from_their_distribution():
    keys = np.arange(-20_000, 20_000, 7, dtype=np.int64)
    normal = initial_rows("normal", 1.0, 0.5, 3, keys, 8, np.float64)
    assert abs(normal.mean() - 1.0) < 0.01 and abs(normal.std() - 0.5) < 0.01
    trunc = initial_rows("truncated_normal", 0.0, 2.0, 3, keys, 8, np.float64)
    assert np.abs(trunc).max() <= 4.0 and abs(trunc.std() - 2.0 * 0.88) < 0.03
    uniform = initial_rows("uniform", -1.0, 3.0, 3, keys, 8, np.float64)
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.02
    assert not np.array_equal(normal, initial_rows("normal", 1.0, 0.5, 4, keys, 8, np.float64))
    np.testing.assert_array_equal(
        initial_rows("constant", 0.25, 0, 0, keys[:3], 2, np.float32), np.full((3, 2), 0.25)
    )


@pytest.mark.parametrize("name", CASES)
def test_training_matches_the_numpy_reference(name, target):
    """loss = sum(rows * C) + 0.5 * sum(rows^2) over ids [10, 20, 10] (a duplicate): each
    unique row moves as the dense reference on its summed gradient; id 30, looked up but
    not in the loss, never changes."""
    make, rule = CASES[name]
    table = _table(num_shards=2)
    ids = tf.constant([10, 20, 10], tf.int64)
    rows = de.embedding_lookup(table, ids)
    c = np.array([[0.2, -0.4, 1.0], [0.6, -0.1, 0.3], [0.1, 0.5, -0.2]], np.float32)
    loss = tf.reduce_sum(rows * c) + 0.5 * tf.reduce_sum(tf.square(rows))
    train = make().minimize(loss)
    other = de.embedding_lookup(table, [30])
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        first, untouched = sess.run([de.embedding_lookup(table, [10, 20]), other])
        for _ in range(STEPS):
            sess.run(train)
        after, untouched_after = sess.run([de.embedding_lookup(table, [10, 20]), other])

    def grad(w):  # rows of the unique ids 10, 20
        return np.stack([c[0] + c[2] + 2 * w[0], c[1] + w[1]])

    from tests.train.test_optimizers import _reference

    want = _reference(rule, first.astype(np.float64), grad)
    np.testing.assert_allclose(after, want, rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(untouched_after, untouched)


def test_the_gradient_is_indexed_slices_keyed_by_id():
    table = _table(num_shards=1)
    rows = de.embedding_lookup(table, [[7, 9], [7, 11]])
    (grad,) = tf.gradients(tf.reduce_sum(rows * 2.0), [table.shards[0]._ref()])
    assert isinstance(grad, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        indices, values = sess.run([grad.indices, grad.values])
    assert sorted(indices.tolist()) == [7, 9, 11]  # deduplicated before the table
    by_id = dict(zip(indices.tolist(), values))
    np.testing.assert_array_equal(by_id[7], np.full(3, 4.0))  # summed over its two uses
    np.testing.assert_array_equal(by_id[9], np.full(3, 2.0))


@pytest.mark.parametrize("policy", ["lru", "lfu"])
def test_capacity_evicts_by_policy_and_counts(policy, target):
    table = _table(num_shards=1, capacity=4, eviction_policy=policy)
    ids = tf.placeholder(tf.int64, [None])
    rows = de.embedding_lookup(table, ids)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(rows))
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(rows, {ids: [1, 2, 3, 4]})
        # updated: 1 three times (last at step 4), 2 twice (step 3), 3 once (step 2), 4 once
        # (step 5): lru evicts 3 then 2, lfu the two updated once, 3 then 4
        for batch in ([1, 2], [1, 3], [2], [1], [4]):
            sess.run(train, {ids: batch})
        trained = sess.run(rows, {ids: [1, 2]})
        sess.run(rows, {ids: [5, 6]})  # two rows must go
        assert sess.run([table.size(), table.evictions()]) == [4, 2]
        gone = {"lru": [3, 2], "lfu": [3, 4]}[policy]
        kept = [i for i in (1, 2, 3, 4) if i not in gone]
        before = sess.run(table.size())
        sess.run(rows, {ids: kept})  # still there: no insert, no eviction
        assert sess.run([table.size(), table.evictions()]) == [before, 2]
        if 2 in kept:
            np.testing.assert_array_equal(sess.run(rows, {ids: [1, 2]}), trained)
        # an evicted id comes back as a new row, from the initializer
        back = sess.run(rows, {ids: [gone[0]]})
    np.testing.assert_array_equal(
        back, initial_rows("normal", 0.0, 0.5, 7, np.array(gone[:1]), 3, np.float32)
    )


def test_more_new_ids_than_the_capacity_is_resource_exhausted():
    table = _table(num_shards=1, capacity=2)
    rows = de.embedding_lookup(table, [1, 2, 3])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.ResourceExhaustedError, match="capacity of 2"):
            sess.run(rows)
        assert sess.run(table.size()) == 0


def test_a_failed_step_leaves_the_table_as_it_was(target):
    table = _table(num_shards=2, capacity=3)
    ids = tf.placeholder(tf.int64, [None])
    rows = de.embedding_lookup(table, ids)
    train = tf.train.AdagradOptimizer(0.5).minimize(tf.reduce_sum(tf.square(rows)))
    with tf.control_dependencies([train]):
        fails = tf.Assert(tf.reduce_sum(rows) < -1e9, ["boom"])
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [0, 1, 2, 3]})
        before = sess.run(rows, {ids: [0, 1, 2, 3]})
        stats = sess.run([table.size(), table.evictions()])
        with pytest.raises(tf.errors.InvalidArgumentError, match="boom"):
            sess.run(fails, {ids: [0, 4, 6, 1, 5]})  # inserts, evicts and updates, then fails
        assert sess.run([table.size(), table.evictions()]) == stats
        np.testing.assert_array_equal(sess.run(rows, {ids: [0, 1, 2, 3]}), before)


def _train_and_save(path, target, num_shards):
    table = _table(num_shards=num_shards, capacity=100)
    ids = tf.placeholder(tf.int64, [None])
    rows = de.embedding_lookup(table, ids)
    train = tf.train.FtrlOptimizer(0.3).minimize(tf.reduce_sum(tf.square(rows - 1.0)))
    with tf.Session(target) as sess:
        sess.run(tf.global_variables_initializer())
        for start in range(0, 40, 10):
            sess.run(train, {ids: np.arange(start, start + 12)})
        saved = sess.run(rows, {ids: np.arange(60)})  # 52..59 created, never trained
        tf.train.Saver().save(sess, path)
    return saved


@pytest.mark.parametrize("shards", [1, 3])
def test_save_and_restore_onto_another_number_of_shards(tmp_path, shards):
    saved = _train_and_save(str(tmp_path / "ckpt"), None, 2)
    tf.reset_default_graph()
    table = _table(num_shards=shards, capacity=100)
    ids = tf.placeholder(tf.int64, [None])
    rows = de.embedding_lookup(table, ids)
    train = tf.train.FtrlOptimizer(0.3).minimize(tf.reduce_sum(tf.square(rows - 1.0)))
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, str(tmp_path / "ckpt"))
        assert sess.run(table.size()) == 60
        np.testing.assert_array_equal(sess.run(rows, {ids: np.arange(60)}), saved)
        sess.run(train, {ids: [3]})  # slots came back: FTRL continues from its accumulators
        restored_step = sess.run(rows, {ids: [3]})
    tf.reset_default_graph()
    _train_and_save(str(tmp_path / "again"), None, 2)  # same run, one step more
    table = _table(num_shards=2, capacity=100)
    rows = de.embedding_lookup(table, [3])
    train = tf.train.FtrlOptimizer(0.3).minimize(tf.reduce_sum(tf.square(rows - 1.0)))
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, str(tmp_path / "again"))
        sess.run(train)
        np.testing.assert_allclose(sess.run(rows), restored_step, rtol=1e-6)


def test_restore_beyond_the_capacity_keeps_the_most_updated_rows():
    table = HashTable(dim=2, capacity=0, name="t")
    pos = table.find(np.arange(10, dtype=np.int64), None)
    for k in range(10):  # id k updated k times
        for _ in range(k):
            table.write(pos[k : k + 1], table.values[pos[k : k + 1]] + 1, {}, None)
    parts = table.export()
    small = HashTable.load({**table.config(), "capacity": 4}, parts)
    assert sorted(small.index) == [6, 7, 8, 9] and small.evictions == 6
    np.testing.assert_array_equal(small.lookup(np.array([9]), None), [[9.0, 9.0]])


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="dim"):
        de.get_variable("a", 0)
    with pytest.raises(ValueError, match="eviction_policy"):
        de.get_variable("b", 2, eviction_policy="fifo")
    with pytest.raises(ValueError, match="floating"):
        de.get_variable("c", 2, dtype=tf.int32)
    with pytest.raises(TypeError, match="initializer"):
        de.get_variable("d", 2, initializer=tf.orthogonal_initializer())
    with pytest.raises(TypeError, match="dynamic embedding table"):
        de.embedding_lookup(tf.Variable(np.zeros((2, 2))), [0])
