"""tf.feature_column essentials against hand-computed values: numeric, bucketized,
hash-bucket (TF's FarmHash buckets), identity and vocabulary-list columns through
input_layer (embedding and indicator columns) and linear_model, with TF1's variable names,
and a wide & deep model that learns."""

import numpy as np
import pytest

import psflow as tf

fc = tf.feature_column


def _features():
    return {
        "age": tf.constant([[25.0], [40.0], [61.0]]),
        "city": tf.constant(["a", "b", ""]),
        "item": tf.constant([3, 7, -1], tf.int64),
        "color": tf.constant(["red", "blue", "pink"]),
    }


def test_input_layer_columns_and_names():
    features = _features()
    age = fc.numeric_column("age")
    city = fc.categorical_column_with_hash_bucket("city", 10)
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "blue"], num_oov_buckets=1)
    ages = fc.bucketized_column(age, [30.0, 50.0])
    deep = fc.input_layer(
        features,
        [
            age,
            fc.embedding_column(city, 4, combiner="sum"),
            fc.indicator_column(color),
            fc.indicator_column(ages),
        ],
    )
    emb = tf.global_variables()[0]
    assert emb.op.name == "input_layer/city_embedding/embedding_weights"
    assert emb.shape.as_list() == [10, 4]
    buckets = tf.string_to_hash_bucket_fast(["a", "b"], 10)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, table, ids = sess.run([deep, emb, buckets])
    # Sorted by name: age, age_bucketized_indicator, city_embedding, color_indicator.
    np.testing.assert_array_equal(got[:, 0], [25.0, 40.0, 61.0])
    np.testing.assert_array_equal(got[:, 1:4], np.eye(3))
    np.testing.assert_allclose(got[:2, 4:8], table[ids], rtol=1e-6)
    np.testing.assert_array_equal(got[2, 4:8], np.zeros(4))  # '' is missing: zeros
    np.testing.assert_array_equal(got[:, 8:], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])  # pink: oov
    with pytest.raises(ValueError, match="_DenseColumn"):
        fc.input_layer(features, [city])


def test_linear_model_sums_the_weights_of_each_columns_ids():
    features = _features()
    item = fc.categorical_column_with_identity("item", 10)
    age = fc.numeric_column("age")
    logit = fc.linear_model(features, [item, age], units=1)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == [
        "linear_model/age/weights",
        "linear_model/bias_weights",
        "linear_model/item/weights",
    ]
    by_name = {v.op.name: v for v in tf.global_variables()}
    w_item = np.arange(10, dtype=np.float32).reshape(10, 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(
            [
                by_name["linear_model/item/weights"].assign(w_item),
                by_name["linear_model/age/weights"].assign([[0.5]]),
                by_name["linear_model/bias_weights"].assign([1.0]),
            ]
        )
        got = sess.run(logit)
    np.testing.assert_allclose(got[:, 0], [3 + 12.5 + 1, 7 + 20 + 1, 0 + 30.5 + 1])


def test_a_wide_and_deep_model_learns():
    rng = np.random.default_rng(0)
    n = 256
    city_ids = rng.integers(0, 20, n)
    label = (city_ids % 2).astype(np.float32)  # learnable from the city alone
    cities = np.array([f"c{i}".encode() for i in city_ids], dtype=object)
    features = {"city": tf.constant(cities), "x": tf.constant(rng.normal(size=(n, 1)), tf.float32)}
    city = fc.categorical_column_with_hash_bucket("city", 64)
    wide = fc.linear_model(features, [city])
    deep = tf.layers.dense(
        fc.input_layer(features, [fc.embedding_column(city, 4), fc.numeric_column("x")]),
        8,
        tf.nn.relu,
    )
    logit = tf.squeeze(wide + tf.layers.dense(deep, 1), 1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=label, logits=logit))
    train = tf.train.AdagradOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = sess.run(loss)
        for _ in range(100):
            sess.run(train)
        end = sess.run(loss)
    assert end < 0.1 < start
