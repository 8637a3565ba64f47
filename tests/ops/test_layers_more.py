"""tf.layers beyond dense/conv2d: 1-D and 3-D convolutions, transposed and separable ones,
1-D/3-D pooling, and the layer classes (variables made on the first call, reused after,
wherever the layer is called). TensorFlow 1.x gave the same values, shapes and variable
names for the program of test_variable_names_are_tfs (compared once, to 4e-7)."""

import numpy as np

import psflow as tf

RNG = np.random.RandomState(0)
X2 = RNG.randn(2, 6, 6, 3).astype(np.float32)
X1 = RNG.randn(2, 7, 3).astype(np.float32)
X3 = RNG.randn(1, 4, 4, 4, 2).astype(np.float32)


def _run(fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches)


def test_variable_names_are_tfs():
    L = tf.layers
    c = tf.constant_initializer
    x1, x2, x3 = tf.constant(X1), tf.constant(X2), tf.constant(X3)
    outs = [
        L.conv1d(x1, 4, 3, strides=2, padding="same"),
        L.conv3d(x3, 2, 2),
        L.conv2d_transpose(x2, 2, 3, strides=2, padding="same"),
        L.conv2d_transpose(x2, 2, 3, strides=2, padding="valid"),
        L.conv3d_transpose(x3, 1, 2, strides=(1, 2, 2), padding="same"),
        L.separable_conv2d(x2, 4, 3, depth_multiplier=2),
        L.separable_conv1d(x1, 4, 3, padding="same"),
    ]
    dense = L.Dense(3, activation=tf.nn.tanh, kernel_initializer=c(0.2), name="mydense")
    dense(tf.reshape(x2, [2, -1]))
    dense(tf.reshape(x2 * 2, [2, -1]))
    L.Conv2D(2, 3, padding="same")(x2)
    L.Conv2DTranspose(3, 2, strides=2)(x2)
    L.BatchNormalization()(x2, training=True)
    L.SeparableConv1D(3, 2)(x1)
    assert [o.shape.as_list() for o in outs] == [  # TF
        [2, 4, 4], [1, 3, 3, 3, 2], [2, 12, 12, 2], [2, 13, 13, 2], [1, 4, 8, 8, 1],
        [2, 4, 4, 4], [2, 7, 4],
    ]  # fmt: skip
    assert sorted(v.name for v in tf.global_variables()) == [  # TF
        "batch_normalization/beta:0", "batch_normalization/gamma:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0",
        "conv1d/bias:0", "conv1d/kernel:0", "conv2d/bias:0", "conv2d/kernel:0",
        "conv2d_transpose/bias:0", "conv2d_transpose/kernel:0", "conv2d_transpose_1/bias:0",
        "conv2d_transpose_1/kernel:0", "conv2d_transpose_2/bias:0", "conv2d_transpose_2/kernel:0",
        "conv3d/bias:0", "conv3d/kernel:0", "conv3d_transpose/bias:0", "conv3d_transpose/kernel:0",
        "mydense/bias:0", "mydense/kernel:0", "separable_conv1d/bias:0",
        "separable_conv1d/depthwise_kernel:0", "separable_conv1d/pointwise_kernel:0",
        "separable_conv1d_1/bias:0", "separable_conv1d_1/depthwise_kernel:0",
        "separable_conv1d_1/pointwise_kernel:0", "separable_conv2d/bias:0",
        "separable_conv2d/depthwise_kernel:0", "separable_conv2d/pointwise_kernel:0",
    ]  # fmt: skip
    assert [v.name for v in dense.variables] == ["mydense/kernel:0", "mydense/bias:0"]


def test_convolution_layers_compute_their_ops():
    x1, x2 = tf.constant(X1), tf.constant(X2)
    conv1 = tf.layers.conv1d(x1, 4, 3, strides=2, padding="same", name="c1",
                             bias_initializer=tf.constant_initializer(0.5))  # fmt: skip
    trans = tf.layers.conv2d_transpose(x2, 2, 3, strides=2, padding="valid", name="t")
    sep = tf.layers.separable_conv2d(x2, 4, 3, depth_multiplier=2, name="s", use_bias=False)
    graph = tf.get_default_graph()
    k1, kt, dw, pw = (graph.get_tensor_by_name(n) for n in (
        "c1/kernel:0", "t/kernel:0", "s/depthwise_kernel:0", "s/pointwise_kernel:0"))  # fmt: skip
    want = [
        tf.nn.conv1d(x1, k1, 2, "SAME") + 0.5,
        tf.nn.conv2d_transpose(x2, kt, [2, 13, 13, 2], [1, 2, 2, 1], "VALID"),
        tf.nn.separable_conv2d(x2, dw, pw, [1, 1, 1, 1], "VALID"),
    ]
    got, ref = _run([[conv1, trans, sep], want])
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-6, atol=1e-6)


def test_pooling_layers():
    x1, x3 = tf.constant(X1), tf.constant(X3)
    got = _run([tf.layers.max_pooling1d(x1, 2, 2), tf.layers.average_pooling3d(x3, 2, 2),
                tf.layers.MaxPooling3D(2, 1)(x3)])  # fmt: skip
    np.testing.assert_allclose(got[0], X1[:, :6].reshape(2, 3, 2, 3).max(axis=2))
    np.testing.assert_allclose(got[1], X3.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean(axis=(2, 4, 6)),
                               rtol=1e-6)  # fmt: skip
    assert got[2].shape == (1, 3, 3, 3, 2)


def test_a_class_layer_reuses_its_variables_wherever_it_is_called():
    dense = tf.layers.Dense(3, activation=tf.nn.tanh, name="shared")
    x = tf.constant(X2.reshape(2, -1))
    first = dense(x)
    with tf.variable_scope("elsewhere"):
        second = dense(x * 2.0)
    assert len(tf.global_variables()) == 2 and dense.built
    assert [v.name for v in dense.trainable_weights] == ["shared/kernel:0", "shared/bias:0"]
    bn = tf.layers.BatchNormalization(name="bn")
    trained = bn(tf.constant(X2), training=True)
    inferred = bn(tf.constant(X2), training=False)
    assert len(bn.updates) == 2 and len(bn.non_trainable_weights) == 2
    (kernel, bias), a, b, t, i = _run([dense.variables, first, second, trained, inferred])
    np.testing.assert_allclose(a, np.tanh(X2.reshape(2, -1) @ kernel + bias), rtol=1e-5)
    np.testing.assert_allclose(b, np.tanh(2 * X2.reshape(2, -1) @ kernel + bias), rtol=1e-5)
    mean, var = X2.mean(axis=(0, 1, 2)), X2.var(axis=(0, 1, 2))
    np.testing.assert_allclose(t, (X2 - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(i, X2 / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_a_custom_layer_builds_on_its_first_call():
    class Scale(tf.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", [input_shape.as_list()[-1]],
                                     initializer=tf.constant_initializer(3.0))  # fmt: skip
            super().build(input_shape)

        def call(self, inputs):
            return inputs * self.w

    layer = Scale(name="scale")
    out = layer(tf.ones([2, 4]))
    again = layer(tf.ones([1, 4]))
    assert [v.name for v in layer.variables] == ["scale/w:0"]
    got = _run([out, again])
    np.testing.assert_array_equal(got[0], np.full((2, 4), 3.0))
    np.testing.assert_array_equal(got[1], np.full((1, 4), 3.0))
