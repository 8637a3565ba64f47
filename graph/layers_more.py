"""The rest of `tf.layers`: conv1d, conv3d, conv2d_transpose, conv3d_transpose,
separable_conv1d/2d, 1-D and 3-D pooling, and the layer classes TF1 programs build once and
call (Layer, Dense, Conv1D/2D/3D, Conv2D/3DTranspose, SeparableConv1D/2D, pooling,
BatchNormalization, Dropout, Flatten, InputSpec).

A class layer makes its variables on its first call, in a variable scope named after the
layer (NAME/kernel, NAME/bias, ...), and reuses that scope on every later call, wherever
it is called from.
"""

from __future__ import annotations

from . import init_ops, layers as _layers
from .framework import GraphKeys, convert_to_tensor, get_default_graph
from .ops import array as _array, math as _math
from .variable_scope import get_variable, variable_scope


def _tuple(value, rank, what) -> list[int]:
    values = [value] * rank if isinstance(value, int) else list(value)
    if len(values) != rank or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(
            f"The `{what}` argument must be a tuple of {rank} positive integers, got {value}"
        )
    return values


def _padding(padding) -> str:
    if str(padding).lower() not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be 'valid' or 'same', got {padding!r}")
    return str(padding).upper()


def _input(inputs, rank, layer):
    inputs = convert_to_tensor(inputs)
    if inputs.shape.ndims != rank + 2 or inputs.shape.as_list()[-1] is None:
        raise ValueError(
            f"Input 0 of layer {layer} is incompatible with the layer: expected ndim="
            f"{rank + 2} with a known channel dimension, found shape {inputs.shape}"
        )
    return inputs


def _window(inputs, rank, layer, kernel_size, strides, dilation_rate, padding):
    """A convolution layer's checked input and geometry: (inputs, kernel size, strides,
    dilations, padding, input channels)."""
    inputs = _input(inputs, rank, layer)
    return (
        inputs,
        _tuple(kernel_size, rank, "kernel_size"),
        _tuple(strides, rank, "strides"),
        _tuple(dilation_rate, rank, "dilation_rate"),
        _padding(padding),
        inputs.shape.as_list()[-1],
    )


def _transposed_size(size, k, stride, padding):
    if size is None:
        return None
    if padding == "SAME":
        return size * stride
    return size * stride + max(k - stride, 0)


def _conv_body(inputs, rank, filters, kernel_size, strides, padding, dilation_rate, activation,
               use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
               bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
               trainable, transpose, layer):  # fmt: skip
    """One convolution layer in the current variable scope (rank 1, 2 or 3; transposed or
    not)."""
    from .ops import conv as _conv, conv3d as _conv3d, nn_more as _nn_more

    inputs, ks, ss, ds, pad, channels = _window(
        inputs, rank, layer, kernel_size, strides, dilation_rate, padding
    )
    if not isinstance(filters, int) or filters <= 0:
        raise ValueError(f"filters must be a positive integer, got {filters!r}")
    dtype = inputs.dtype
    shape = ks + ([filters, channels] if transpose else [channels, filters])
    kernel = get_variable("kernel", shape, dtype=dtype,
                          initializer=kernel_initializer or init_ops.GlorotUniform(),
                          regularizer=kernel_regularizer, trainable=trainable,
                          constraint=kernel_constraint)  # fmt: skip
    if not transpose:
        if rank == 1:
            out = _nn_more.conv1d(inputs, kernel, ss[0], pad, dilations=ds[0])
        elif rank == 2:
            out = _conv.conv2d(inputs, kernel, [1, *ss, 1], pad, dilations=[1, *ds, 1])
        else:
            out = _conv3d.conv3d(inputs, kernel, [1, *ss, 1], pad, dilations=[1, *ds, 1])
    else:
        dims = inputs.shape.as_list()
        static = [_transposed_size(d, k, s, pad) for d, k, s in zip(dims[1:-1], ks, ss)]
        dynamic = _array.shape(inputs)
        sizes = [
            _math.multiply(dynamic[i + 1], s) if pad == "SAME"
            else _math.add(_math.multiply(dynamic[i + 1], s), max(k - s, 0))
            for i, (k, s) in enumerate(zip(ks, ss))
        ]  # fmt: skip
        output_shape = _array.stack([dynamic[0], *sizes, filters])
        op = _conv.conv2d_transpose if rank == 2 else _conv3d.conv3d_transpose
        out = op(inputs, kernel, output_shape, [1, *ss, 1], pad)
        out.set_shape([dims[0], *static, filters])
    bias_args = (use_bias, bias_initializer, bias_regularizer, bias_constraint, trainable)
    return _layers.finish(out, bias_args, activation, activity_regularizer, filters, dtype)


def _separable_body(inputs, rank, filters, kernel_size, strides, padding, dilation_rate,
                    depth_multiplier, activation, use_bias, depthwise_initializer,
                    pointwise_initializer, bias_initializer, depthwise_regularizer,
                    pointwise_regularizer, bias_regularizer, activity_regularizer,
                    depthwise_constraint, pointwise_constraint, bias_constraint, trainable,
                    layer):  # fmt: skip
    from .ops import conv as _conv

    inputs, ks, ss, ds, pad, channels = _window(
        inputs, rank, layer, kernel_size, strides, dilation_rate, padding
    )
    dtype = inputs.dtype
    depthwise = get_variable("depthwise_kernel", ks + [channels, depth_multiplier], dtype=dtype,
                             initializer=depthwise_initializer or init_ops.GlorotUniform(),
                             regularizer=depthwise_regularizer, trainable=trainable,
                             constraint=depthwise_constraint)  # fmt: skip
    pointwise = get_variable("pointwise_kernel", [1] * rank + [channels * depth_multiplier,
                             filters], dtype=dtype,
                             initializer=pointwise_initializer or init_ops.GlorotUniform(),
                             regularizer=pointwise_regularizer, trainable=trainable,
                             constraint=pointwise_constraint)  # fmt: skip
    x, dw, pw = inputs, depthwise, pointwise
    if rank == 1:  # as a 2-D convolution of height 1
        x = _array.expand_dims(x, 1)
        dw = _array.expand_dims(dw, 0)
        pw = _array.expand_dims(pw, 0)
        ss, ds = [1, ss[0]], [1, ds[0]]
    out = _conv.separable_conv2d(x, dw, pw, [1, *ss, 1], pad,
                                 rate=ds if ds != [1, 1] else None)  # fmt: skip
    if rank == 1:
        out = _array.squeeze(out, [1])
    bias_args = (use_bias, bias_initializer, bias_regularizer, bias_constraint, trainable)
    return _layers.finish(out, bias_args, activation, activity_regularizer, filters, dtype)


def _conv_fn(rank, transpose, default_name):
    def layer(inputs, filters, kernel_size, strides=1, padding="valid",
              data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
              kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
              bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
              bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
        _layers._channels_last(data_format, default_name)
        with variable_scope(name, default_name=default_name, reuse=reuse):
            return _conv_body(inputs, rank, filters, kernel_size, strides, padding,
                              1 if transpose else dilation_rate, activation, use_bias,
                              kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, activity_regularizer, kernel_constraint,
                              bias_constraint, trainable, transpose, default_name)  # fmt: skip

    layer.__name__ = default_name
    kind = "transposed convolution" if transpose else "convolution"
    layer.__doc__ = (f"A {rank}-D {kind} layer (channels last): activation(op(inputs, kernel)"
                     " + bias), variables NAME/kernel and NAME/bias.")  # fmt: skip
    return layer


conv1d = _conv_fn(1, False, "conv1d")
conv3d = _conv_fn(3, False, "conv3d")
conv2d_transpose = _conv_fn(2, True, "conv2d_transpose")
conv3d_transpose = _conv_fn(3, True, "conv3d_transpose")


def _separable_fn(rank, default_name):
    def layer(inputs, filters, kernel_size, strides=1, padding="valid",
              data_format="channels_last", dilation_rate=1, depth_multiplier=1, activation=None,
              use_bias=True, depthwise_initializer=None, pointwise_initializer=None,
              bias_initializer=None, depthwise_regularizer=None, pointwise_regularizer=None,
              bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
              pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
              reuse=None):  # fmt: skip
        _layers._channels_last(data_format, default_name)
        with variable_scope(name, default_name=default_name, reuse=reuse):
            return _separable_body(inputs, rank, filters, kernel_size, strides, padding,
                                   dilation_rate, depth_multiplier, activation, use_bias,
                                   depthwise_initializer, pointwise_initializer,
                                   bias_initializer, depthwise_regularizer,
                                   pointwise_regularizer, bias_regularizer,
                                   activity_regularizer, depthwise_constraint,
                                   pointwise_constraint, bias_constraint, trainable,
                                   default_name)  # fmt: skip

    layer.__name__ = default_name
    layer.__doc__ = (f"A depthwise-separable {rank}-D convolution layer: variables "
                     "NAME/depthwise_kernel, NAME/pointwise_kernel, NAME/bias.")  # fmt: skip
    return layer


separable_conv1d = _separable_fn(1, "separable_conv1d")
separable_conv2d = _separable_fn(2, "separable_conv2d")


def _pool_fn(rank, kind, default_name):
    def layer(inputs, pool_size, strides, padding="valid", data_format="channels_last",
              name=None):  # fmt: skip
        from .ops import conv as _conv, conv3d as _conv3d, nn_ext as _nn_ext

        _layers._channels_last(data_format, default_name)
        ps = _tuple(pool_size, rank, "pool_size")
        ss = _tuple(strides, rank, "strides")
        pad = _padding(padding)
        inputs = convert_to_tensor(inputs)
        ops = {1: (_nn_ext.max_pool1d, _nn_ext.avg_pool1d), 2: (_conv.max_pool, _conv.avg_pool),
               3: (_conv3d.max_pool3d, _conv3d.avg_pool3d)}  # fmt: skip
        op = ops[rank][0 if kind == "max" else 1]
        return op(inputs, [1, *ps, 1], [1, *ss, 1], pad, name=name or default_name)

    layer.__name__ = default_name
    layer.__doc__ = f"{kind} pooling over channels-last {rank}-D inputs."
    return layer


max_pooling1d = _pool_fn(1, "max", "max_pooling1d")
max_pooling3d = _pool_fn(3, "max", "max_pooling3d")
average_pooling1d = _pool_fn(1, "average", "average_pooling1d")
average_pooling3d = _pool_fn(3, "average", "average_pooling3d")


# Layer classes --------------------------------------------------------------------------------
class InputSpec:
    """What a layer accepts (dtype, shape, ndim, max_ndim, min_ndim, axes), as TF's."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None):  # fmt: skip
        self.dtype, self.shape = dtype, shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim, self.min_ndim, self.axes = max_ndim, min_ndim, axes or {}

    def __repr__(self) -> str:
        return f"InputSpec(shape={self.shape}, ndim={self.ndim}, axes={self.axes})"


class Layer:
    """TF1's tf.layers.Layer: `build(input_shape)` makes the variables (with `add_weight`)
    on the first call, in a variable scope named after the layer; `call(inputs)` computes;
    later calls reuse the variables."""

    _base_name = "layer"

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self.trainable = trainable
        self._name = name
        self.dtype = dtype
        self.built = False
        self.input_spec = None
        self._scope = None
        self._variables: list = []
        self._updates: list = []
        self._losses: list = []

    @property
    def name(self) -> str:
        if self._scope is not None:
            return self._scope.name.rsplit("/", 1)[-1]
        return self._name or self._base_name

    @property
    def scope_name(self) -> str:
        return self._scope.name if self._scope is not None else self.name

    @property
    def variables(self) -> list:
        return list(self._variables)

    weights = variables

    @property
    def trainable_variables(self) -> list:
        return [v for v in self._variables if v in _trainable()]

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self) -> list:
        return [v for v in self._variables if v not in _trainable()]

    non_trainable_weights = non_trainable_variables

    @property
    def updates(self) -> list:
        return list(self._updates)

    @property
    def losses(self) -> list:
        return list(self._losses)

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None, **kwargs):  # fmt: skip
        v = get_variable(name, shape, dtype=dtype or self.dtype, initializer=initializer,
                         regularizer=regularizer, trainable=trainable and self.trainable,
                         constraint=constraint)  # fmt: skip
        self._variables.append(v)
        return v

    def build(self, input_shape) -> None:
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def __call__(self, inputs, *args, **kwargs):
        graph = get_default_graph()
        before = set(map(id, graph.get_collection(GraphKeys.GLOBAL_VARIABLES)))
        updates_before = len(graph.get_collection(GraphKeys.UPDATE_OPS))
        losses_before = len(graph.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        if self._scope is None:
            with variable_scope(self._name, default_name=self._base_name) as scope:
                self._scope = scope
                out = self._first_call(inputs, *args, **kwargs)
        else:
            with variable_scope(self._scope, reuse=True):
                out = self.call(inputs, *args, **kwargs)
        for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES):
            if id(v) not in before and v not in self._variables:
                self._variables.append(v)
        self._updates += graph.get_collection(GraphKeys.UPDATE_OPS)[updates_before:]
        self._losses += graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)[losses_before:]
        return out

    def _first_call(self, inputs, *args, **kwargs):
        if not self.built:
            shape = getattr(convert_to_tensor(inputs), "shape", None)
            self.build(shape)
            self.built = True
        return self.call(inputs, *args, **kwargs)

    def apply(self, inputs, *args, **kwargs):
        return self(inputs, *args, **kwargs)

    def get_weights(self):
        from .session import get_default_session

        return get_default_session().run(self._variables)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}


def _trainable() -> list:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES)


class _Functional(Layer):
    """A layer whose call is one of the functional forms' bodies (variables made in the
    layer's own scope on the first call)."""

    def __init__(self, body, base_name, trainable=True, name=None, **config):
        super().__init__(trainable=trainable, name=name, dtype=config.pop("dtype", None))
        self._body = body
        self._base_name = base_name
        self._config = config
        self.__dict__.update({k: v for k, v in config.items() if not k.startswith("_")})

    def call(self, inputs, **kwargs):
        return self._body(inputs, trainable=self.trainable, **{**self._config, **kwargs})

    def get_config(self) -> dict:
        return {**super().get_config(), **self._config}


class Dense(_Functional):
    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 trainable=True, name=None, **kwargs):  # fmt: skip
        super().__init__(_layers.dense_body, "dense", trainable, name, units=units,
                         activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         **kwargs)  # fmt: skip


def _conv_class(rank, transpose, base_name):
    def body(inputs, trainable=True, **c):
        c.pop("data_format", None)
        return _conv_body(inputs, rank, c["filters"], c["kernel_size"], c["strides"],
                          c["padding"], c["dilation_rate"], c["activation"], c["use_bias"],
                          c["kernel_initializer"], c["bias_initializer"],
                          c["kernel_regularizer"], c["bias_regularizer"],
                          c["activity_regularizer"], c["kernel_constraint"],
                          c["bias_constraint"], trainable, transpose, base_name)  # fmt: skip

    class ConvLayer(_Functional):
        def __init__(self, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, activation=None,
                     use_bias=True, kernel_initializer=None, bias_initializer=None,
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                     **kwargs):  # fmt: skip
            _layers._channels_last(data_format, base_name)
            super().__init__(body, base_name, trainable, name, filters=filters,
                             kernel_size=kernel_size, strides=strides, padding=padding,
                             data_format=data_format, dilation_rate=dilation_rate,
                             activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             bias_regularizer=bias_regularizer,
                             activity_regularizer=activity_regularizer,
                             kernel_constraint=kernel_constraint,
                             bias_constraint=bias_constraint, **kwargs)  # fmt: skip

    return ConvLayer


class Conv1D(_conv_class(1, False, "conv1d")):  # type: ignore[misc]
    """tf.layers.Conv1D."""


class Conv2D(_conv_class(2, False, "conv2d")):  # type: ignore[misc]
    """tf.layers.Conv2D."""


class Conv3D(_conv_class(3, False, "conv3d")):  # type: ignore[misc]
    """tf.layers.Conv3D."""


class Conv2DTranspose(_conv_class(2, True, "conv2d_transpose")):  # type: ignore[misc]
    """tf.layers.Conv2DTranspose."""


class Conv3DTranspose(_conv_class(3, True, "conv3d_transpose")):  # type: ignore[misc]
    """tf.layers.Conv3DTranspose."""


def _separable_class(rank, base_name):
    names = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "depth_multiplier",
             "activation", "use_bias", "depthwise_initializer", "pointwise_initializer",
             "bias_initializer", "depthwise_regularizer", "pointwise_regularizer",
             "bias_regularizer", "activity_regularizer", "depthwise_constraint",
             "pointwise_constraint", "bias_constraint")  # fmt: skip

    def body(inputs, trainable=True, **c):
        return _separable_body(inputs, rank, *(c[n] for n in names), trainable, base_name)

    class SeparableLayer(_Functional):
        def __init__(self, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None, **kwargs):  # fmt: skip
            _layers._channels_last(data_format, base_name)
            values = dict(zip(names, (filters, kernel_size, strides, padding, dilation_rate,
                                      depth_multiplier, activation, use_bias,
                                      depthwise_initializer, pointwise_initializer,
                                      bias_initializer, depthwise_regularizer,
                                      pointwise_regularizer, bias_regularizer,
                                      activity_regularizer, depthwise_constraint,
                                      pointwise_constraint, bias_constraint)))  # fmt: skip
            super().__init__(body, base_name, trainable, name, **values, **kwargs)

    return SeparableLayer


class SeparableConv1D(_separable_class(1, "separable_conv1d")):  # type: ignore[misc]
    """tf.layers.SeparableConv1D."""


class SeparableConv2D(_separable_class(2, "separable_conv2d")):  # type: ignore[misc]
    """tf.layers.SeparableConv2D."""


def _pool_class(fn, base_name):
    class PoolLayer(Layer):
        def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                     name=None, **kwargs):  # fmt: skip
            super().__init__(name=name, **kwargs)
            self._base_name = base_name
            self.pool_size, self.strides = pool_size, strides
            self.padding, self.data_format = padding, data_format

        def call(self, inputs):
            return fn(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    return PoolLayer


class MaxPooling1D(_pool_class(max_pooling1d, "max_pooling1d")):  # type: ignore[misc]
    """tf.layers.MaxPooling1D."""


class MaxPooling2D(_pool_class(_layers.max_pooling2d, "max_pooling2d")):  # type: ignore[misc]
    """tf.layers.MaxPooling2D."""


class MaxPooling3D(_pool_class(max_pooling3d, "max_pooling3d")):  # type: ignore[misc]
    """tf.layers.MaxPooling3D."""


class AveragePooling1D(_pool_class(average_pooling1d, "average_pooling1d")):  # type: ignore[misc]
    """tf.layers.AveragePooling1D."""


class AveragePooling2D(_pool_class(_layers.average_pooling2d, "average_pooling2d")):  # type: ignore[misc]
    """tf.layers.AveragePooling2D."""


class AveragePooling3D(_pool_class(average_pooling3d, "average_pooling3d")):  # type: ignore[misc]
    """tf.layers.AveragePooling3D."""


class BatchNormalization(_Functional):
    """tf.layers.BatchNormalization: call(inputs, training=False)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=None, gamma_initializer=None, moving_mean_initializer=None,
                 moving_variance_initializer=None, beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, fused=None, trainable=True,
                 virtual_batch_size=None, adjustment=None, name=None, **kwargs):  # fmt: skip
        super().__init__(_layers.batch_normalization_body, "batch_normalization", trainable,
                         name, axis=axis, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer,
                         moving_mean_initializer=moving_mean_initializer,
                         moving_variance_initializer=moving_variance_initializer,
                         beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                         beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                         renorm=renorm, renorm_clipping=renorm_clipping,
                         renorm_momentum=renorm_momentum, fused=fused,
                         virtual_batch_size=virtual_batch_size, adjustment=adjustment,
                         **kwargs)  # fmt: skip

    def __call__(self, inputs, training=False, **kwargs):
        return super().__call__(inputs, training=training, **kwargs)


class Dropout(Layer):
    """tf.layers.Dropout: call(inputs, training=False)."""

    _base_name = "dropout"

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        return _layers.dropout(inputs, self.rate, self.noise_shape, self.seed, training)


class Flatten(Layer):
    """tf.layers.Flatten."""

    _base_name = "flatten"

    def __init__(self, data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.data_format = data_format

    def call(self, inputs):
        return _layers.flatten(inputs, data_format=self.data_format)
