"""tf.lookup tables: the values TensorFlow 1.x gave for the same tables and keys (tensor
and text-file initializers, whole-line keys and line-number values, out-of-vocabulary
buckets), the uninitialized-table error, size and export."""

import pytest

import psflow as tf


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("apple\t10\nbanana\t20\ncherry\t30\n")
    return str(path)


def test_tables_are_tfs(vocab):
    kv = tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([1, 2], tf.int64))
    t1 = tf.lookup.StaticHashTable(kv, -1)
    t2 = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(vocab, tf.string, 0, tf.int64, 1, delimiter="\t"), -7
    )
    whole = tf.lookup.TextFileIndex.WHOLE_LINE
    line = tf.lookup.TextFileIndex.LINE_NUMBER
    t3 = tf.lookup.StaticHashTable(
        tf.lookup.TextFileInitializer(vocab, tf.string, whole, tf.int64, line), -1
    )
    t4 = tf.lookup.StaticVocabularyTable(
        tf.lookup.TextFileInitializer(vocab, tf.string, 0, tf.int64, line, delimiter="\t"), 5
    )
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized"):
            sess.run(t1.lookup(tf.constant(["a"])))
        sess.run(tf.tables_initializer())
        assert sess.run(t1.lookup(tf.constant(["a", "z", "b"]))).tolist() == [1, -1, 2]
        assert sess.run(t1.size()) == 2
        assert sess.run(t2.lookup(tf.constant(["banana", "kiwi"]))).tolist() == [20, -7]
        assert sess.run(t3.lookup(tf.constant(["cherry\t30", "apple"]))).tolist() == [2, -1]
        ids = sess.run(t4.lookup(tf.constant(["banana", "kiwi", "mango", "zz"])))
        assert ids.tolist() == [1, 6, 5, 5]  # TF: vocabulary ids, then hashed buckets 3 + k
        keys, values = sess.run(t1.export())
        assert sorted(zip(keys.tolist(), values.tolist())) == [(b"a", 1), (b"b", 2)]
