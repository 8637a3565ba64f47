"""`tf.nn.rnn_cell` (and `tf.contrib.rnn`'s common cells): RNN cells and wrappers."""

from psflow.graph.rnn import (  # noqa: F401
    BasicLSTMCell,
    BasicRNNCell,
    DeviceWrapper,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)
