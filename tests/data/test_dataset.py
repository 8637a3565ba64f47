"""tf.data: sources, transformations and iterators against Python/numpy references,
OutOfRangeError("End of sequence") at the end, initializable and reinitializable
iterators, a MonitoredTrainingSession loop ending cleanly on the data's end -- in-process
and on the cluster (`target`: the iterator runs on the worker task) -- and between-graph
workers each reading their own shard in their own task."""

import numpy as np
import pytest
from psflow.graph.placement import parse_tf_config

import psflow as tf

Dataset = tf.data.Dataset


def _all(target, nxt, feed=None, init=None):
    out = []
    with tf.Session(target) as sess:
        if init is not None:
            sess.run(init, feed)
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            while True:
                out.append(sess.run(nxt))
    return out


def test_slices_map_filter_batch(target):
    x = np.arange(10, dtype=np.float32)
    ds = (
        Dataset.from_tensor_slices((x, np.arange(10) * 2))
        .map(lambda a, b: (a * 2.0, b + 1), num_parallel_calls=4)
        .filter(lambda a, b: a > 2.0)
        .batch(3)
    )
    assert ds.output_types == (tf.float32, tf.int64)
    assert [s.as_list() for s in ds.output_shapes] == [[None], [None]]
    got = _all(target, ds.make_one_shot_iterator().get_next())
    want_a = [v * 2.0 for v in range(10) if v * 2.0 > 2.0]
    assert [list(a) for a, _ in got] == [want_a[:3], want_a[3:6], want_a[6:]]
    assert [list(b) for _, b in got] == [[5, 7, 9], [11, 13, 15], [17, 19]]


def test_dicts_padded_batch_and_drop_remainder():
    seqs = [[1], [2, 3], [4, 5, 6], [7]]
    ds = Dataset.from_generator(
        lambda: ({"ids": np.array(s), "n": len(s)} for s in seqs),
        {"ids": tf.int64, "n": tf.int32},
        {"ids": [None], "n": []},
    )
    padded = ds.padded_batch(2, {"ids": [None], "n": []}, {"ids": -1, "n": 0})
    got = _all(None, padded.make_one_shot_iterator().get_next())
    assert got[0]["ids"].tolist() == [[1, -1], [2, 3]] and got[0]["n"].tolist() == [1, 2]
    assert got[1]["ids"].tolist() == [[4, 5, 6], [7, -1, -1]]
    dropped = Dataset.range(7).batch(3, drop_remainder=True)
    assert dropped.output_shapes.as_list() == [3]
    assert [b.tolist() for b in _all(None, dropped.make_one_shot_iterator().get_next())] == [
        [0, 1, 2],
        [3, 4, 5],
    ]


def test_shuffle_repeat_take_skip_shard_zip_concat_cache_prefetch_flat_map():
    def run(ds):
        return [np.asarray(v).tolist() for v in _all(None, ds.make_one_shot_iterator().get_next())]

    tf.set_random_seed(0)
    once = run(Dataset.range(20).shuffle(20, seed=4, reshuffle_each_iteration=False).repeat(2))
    assert sorted(once[:20]) == list(range(20)) and once[:20] == once[20:] != list(range(20))
    again = run(Dataset.range(20).shuffle(20, seed=4).repeat(2))
    assert sorted(again[20:]) == list(range(20)) and again[:20] != again[20:]
    assert run(Dataset.range(10).skip(2).take(5)) == [2, 3, 4, 5, 6]
    assert run(Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    assert run(Dataset.zip((Dataset.range(3), Dataset.range(5, 8)))) == [[0, 5], [1, 6], [2, 7]]
    assert run(Dataset.range(2).concatenate(Dataset.range(7, 9))) == [0, 1, 7, 8]
    assert run(Dataset.range(3).cache().repeat(2).prefetch(2)) == [0, 1, 2, 0, 1, 2]
    assert run(Dataset.from_tensors([1, 2]).repeat(2)) == [[1, 2], [1, 2]]
    flat = Dataset.from_tensor_slices([[1, 2], [3, 4]]).flat_map(Dataset.from_tensor_slices)
    assert run(flat) == [1, 2, 3, 4]


def test_initializable_and_reinitializable_iterators(target):
    data = tf.placeholder(tf.float32, [None])
    it = Dataset.from_tensor_slices(data).map(lambda v: v + 1.0).make_initializable_iterator()
    nxt = it.get_next()
    train = Dataset.range(3)
    test = Dataset.range(100, 102)
    switch = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    to_train, to_test = switch.make_initializer(train), switch.make_initializer(test)
    value = switch.get_next()
    with tf.Session(target) as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            sess.run(nxt)
        sess.run(it.initializer, {data: [1.0, 2.0]})
        assert [sess.run(nxt) for _ in range(2)] == [2.0, 3.0]
        sess.run(it.initializer, {data: [10.0]})  # a fresh pass over new data
        assert sess.run(nxt) == 11.0
        sess.run(to_test)
        assert sess.run(value) == 100
        sess.run(to_train)
        assert [sess.run(value) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(value)
    with pytest.raises(TypeError, match="Expected output types"):
        switch.make_initializer(Dataset.from_tensors(1.0))


def test_a_monitored_training_loop_ends_cleanly_at_the_end_of_its_data(target, tmp_path):
    x = np.linspace(-1, 1, 64).astype(np.float32)
    ds = Dataset.from_tensor_slices((x, 3.0 * x + 1.0)).shuffle(64, seed=1).batch(16).repeat(20)
    xs, ys = ds.make_one_shot_iterator().get_next()
    w, b = tf.Variable(0.0), tf.Variable(0.0)
    loss = tf.reduce_mean(tf.square(w * xs + b - ys))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
    steps = 0
    with tf.train.MonitoredTrainingSession(master=target or "", checkpoint_dir=None) as sess:
        while not sess.should_stop():
            sess.run(train)
            steps += 1
    assert steps == 80  # 4 batches x 20 epochs, then the loop ended without an error


def test_functions_capture_outer_tensors(target):
    """A map/filter/flat_map function may use tensors of the enclosing graph (read when the
    iterator is made, as TF's captured inputs), an inner dataset its function's arguments."""
    scale = tf.constant(2.0)
    limit = tf.placeholder(tf.int64, [])
    mapped = Dataset.range(4).map(lambda v: tf.cast(v, tf.float32) * scale)
    kept = mapped.filter(lambda v: v < tf.cast(limit, tf.float32))
    nested = (
        Dataset.range(1, 4)
        .flat_map(
            lambda x: Dataset.range(x).map(lambda y: y * 10 + x)  # the inner map uses x
        )
        .concatenate(Dataset.range(2).map(lambda v: v + limit))
    )
    it = kept.make_initializable_iterator()
    nit = nested.make_initializable_iterator()
    assert _all(target, it.get_next(), {limit: 5}, it.initializer) == [0.0, 2.0, 4.0]
    assert _all(target, it.get_next(), {limit: 3}, it.initializer) == [0.0, 2.0]
    got = _all(target, nit.get_next(), {limit: 100}, nit.initializer)
    assert got == [1, 2, 12, 3, 13, 23, 100, 101]  # TF


def _read_own_shard():
    import psflow as tf

    spec, job, index = parse_tf_config()
    server = tf.train.Server(spec, job_name=job, task_index=index)
    with tf.device(tf.train.replica_device_setter(worker_device=f"/job:worker/task:{index}",
                                                  cluster=spec)):  # fmt: skip
        ds = tf.data.Dataset.range(10).shard(spec.num_tasks("worker"), index).map(lambda v: v * 10)
        nxt = ds.make_one_shot_iterator().get_next()
    got = []
    with tf.Session(server.target) as sess:
        try:
            while True:
                got.append(int(sess.run(nxt)))
        except tf.errors.OutOfRangeError:
            pass
    return got, nxt.device, sess.runtime.local_stage_runs


@pytest.mark.ray
def test_between_graph_workers_each_read_their_own_shard_in_their_task(local_cluster):
    local_cluster.reset()
    results = local_cluster.run(_read_own_shard)
    assert [r[0] for r in results] == [[0, 20, 40, 60, 80], [10, 30, 50, 70, 90]]
    assert [r[1] for r in results] == ["/job:worker/task:0", "/job:worker/task:1"]
    assert all(r[2] >= 5 for r in results)  # get_next ran in the task's own process


def test_text_line_and_fixed_length_record_files(tmp_path):
    (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    (tmp_path / "b.csv").write_text("5,6\r\n")
    (tmp_path / "r.bin").write_bytes(b"HEADabcdefghTAIL")
    lines = tf.data.TextLineDataset([str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert lines.output_types == tf.string
    assert _all(None, lines.make_one_shot_iterator().get_next()) == [b"1,2", b"3,4", b"5,6"]
    records = tf.data.FixedLengthRecordDataset(str(tmp_path / "r.bin"), 4, header_bytes=4,
                                               footer_bytes=4)  # fmt: skip
    assert _all(None, records.make_one_shot_iterator().get_next()) == [b"abcd", b"efgh"]
    missing = tf.data.TextLineDataset(str(tmp_path / "nope.txt"))
    with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="nope.txt"):
        sess.run(missing.make_one_shot_iterator().get_next())
    assert tf.data.AUTOTUNE == -1


def test_options_are_accepted_and_recorded():
    options = tf.data.Options()
    options.experimental_deterministic = False
    options.threading.private_threadpool_size = 2
    with pytest.raises(AttributeError, match="no attribute 'not_an_option'"):
        options.not_an_option = 1
    ds = tf.data.Dataset.range(3).with_options(options)
    assert ds.options().experimental_deterministic is False
    with pytest.raises(TypeError, match="tf.data.Options"):
        tf.data.Dataset.range(3).with_options({"deterministic": False})
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt) for _ in range(3)] == [0, 1, 2]


def test_interleave_in_tfs_order():
    repeated = Dataset.range(8).interleave(lambda x: Dataset.from_tensors(x).repeat(3),
                                           cycle_length=3, block_length=2)  # fmt: skip
    ranges = Dataset.range(1, 6).interleave(lambda x: Dataset.range(x), cycle_length=2)
    got = [_all("", d.make_one_shot_iterator().get_next()) for d in (repeated, ranges)]
    assert got[0] == [0, 0, 1, 1, 2, 2, 0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4, 5, 6, 6, 7, 7, 6, 7]  # TF
    assert got[1] == [0, 0, 1, 0, 1, 0, 2, 1, 2, 0, 3, 1, 2, 3, 4]  # TF
    with pytest.raises(ValueError, match="cycle_length must be known"):
        Dataset.range(3).interleave(Dataset.range, cycle_length=tf.placeholder(tf.int64, []))


def test_interleaved_text_files_parsed_by_a_function_returning_a_list(tmp_path):
    (tmp_path / "a.txt").write_text("1,2\n3,4\n5,6\n")
    (tmp_path / "b.txt").write_text("7,8\n")
    files = Dataset.from_tensor_slices([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    lines = files.interleave(lambda f: tf.data.TextLineDataset(f), cycle_length=2)
    parsed = lines.map(lambda line: tf.decode_csv(line, [[0], [0]]))  # a list: a tuple
    assert isinstance(parsed.output_types, tuple)
    first, second = _all("", parsed.batch(4).make_one_shot_iterator().get_next())[0]
    assert first.tolist() == [1, 7, 3, 5] and second.tolist() == [2, 8, 4, 6]  # TF


def test_counts_and_sizes_may_be_tensors_fed_to_the_initializer(target):
    n = tf.placeholder(tf.int64, [])
    size = tf.placeholder(tf.int64, [])
    dataset = Dataset.range(n).batch(size).take(n - 3).repeat(2)
    zipped = Dataset.zip((Dataset.range(n), Dataset.range(size)))
    it = dataset.make_initializable_iterator()
    zit = zipped.map(lambda a, b: a * 10 + b).make_initializable_iterator()
    got = _all(target, it.get_next(), {n: 7, size: 3}, it.initializer)
    assert [g.tolist() for g in got] == [[0, 1, 2], [3, 4, 5], [6]] * 2  # TF
    got = _all(target, it.get_next(), {n: 5, size: 2}, it.initializer)
    assert [g.tolist() for g in got] == [[0, 1], [2, 3]] * 2  # TF
    assert _all(target, zit.get_next(), {n: 3, size: 2}, zit.initializer) == [0, 11]


def test_a_feedable_iterator_switches_datasets_by_string_handle():
    train = Dataset.range(100).repeat().batch(3)
    val = Dataset.range(1000, 1005).batch(3)
    handle = tf.placeholder(tf.string, shape=[])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    assert nxt.shape.as_list() == [None]
    train_it, val_it = train.make_one_shot_iterator(), val.make_initializable_iterator()
    with tf.Session() as sess:
        train_handle, val_handle = sess.run([train_it.string_handle(), val_it.string_handle()])
        assert sess.run(nxt, {handle: train_handle}).tolist() == [0, 1, 2]
        sess.run(val_it.initializer)
        assert sess.run(nxt, {handle: val_handle}).tolist() == [1000, 1001, 1002]
        assert sess.run(nxt, {handle: train_handle}).tolist() == [3, 4, 5]  # resumes
        assert sess.run(nxt, {handle: val_handle}).tolist() == [1003, 1004]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt, {handle: val_handle})
        with pytest.raises(tf.errors.InvalidArgumentError, match="names no iterator"):
            sess.run(nxt, {handle: b"nope"})
