"""`tf.sparse`: SparseTensor and the sparse ops under their TF 1.x `tf.sparse` names."""

from psflow.graph.misc import (  # noqa: F401
    sparse_mask as mask,
    sparse_merge as merge,
    sparse_reset_shape as reset_shape,
)
from psflow.graph.ops.accumulators import SparseConditionalAccumulator  # noqa: E402, F401
from psflow.graph.ops.segment import (  # noqa: F401
    sparse_segment_mean as segment_mean,
    sparse_segment_sqrt_n as segment_sqrt_n,
    sparse_segment_sum as segment_sum,
)
from psflow.graph.ops.sparse import (  # noqa: F401
    fill_empty_rows,
    reorder,
    reshape,
    sparse_placeholder as placeholder,
    sparse_tensor_dense_matmul as matmul,
    sparse_tensor_dense_matmul as sparse_dense_matmul,
    to_dense,
)
from psflow.graph.ops.sparse_more import (  # noqa: F401
    add,
    bincount,
    concat,
    cross,
    cross_hashed,
    expand_dims,
    eye,
    from_dense,
    maximum,
    minimum,
    reduce_max,
    reduce_max_sparse,
    reduce_sum,
    reduce_sum_sparse,
    retain,
    slice,
    softmax,
    split,
    to_indicator,
    transpose,
)
from psflow.graph.sparse_tensor import SparseTensor, SparseTensorValue  # noqa: F401
