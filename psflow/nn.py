"""`tf.nn`: activations, losses, convolution and pooling, embeddings."""

from psflow.graph.ops.conv import (  # noqa: F401
    avg_pool,
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    max_pool,
)
from psflow.graph.ops.linalg import batch_matmul  # noqa: F401
from psflow.graph.ops.math import sigmoid, tanh  # noqa: F401
from psflow.graph.ops.nn import (  # noqa: F401
    batch_normalization,
    bias_add,
    dropout,
    elu,
    embedding_lookup,
    embedding_lookup_sparse,
    in_top_k,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_softmax,
    moments,
    relu,
    relu6,
    safe_embedding_lookup_sparse,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    softplus,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    top_k,
    weighted_cross_entropy_with_logits,
    zero_fraction,
)
