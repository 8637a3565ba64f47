"""psflow: the TensorFlow 1.x graph programming model on a Ray parameter-server cluster.

`import psflow as tf`. This module only wires names; the system lives in psflow.graph
(single process), psflow.ps / psflow.workers (actor classes) and psflow.cluster (Ray).
Importing psflow never imports ray.
"""

from psflow import (  # noqa: F401
    app,
    data,
    dynamic_embedding,
    errors,
    estimator,
    feature_column,
    flags,
    gfile,
    image,
    initializers,
    io,
    layers,
    linalg,
    logging,
    losses,
    math,
    metrics,
    nn,
    python_io,
    random,
    sparse,
    strings,
    summary,
    timeline,
    train,
)
from psflow._modules import namespace as _namespace  # noqa: E402
from psflow.graph import (
    dtypes as _dtypes,
    graph_import as _graph_import,  # noqa: E402
    session as _session,
)
from psflow.graph.console import get_logger  # noqa: F401
from psflow.graph.device import DeviceSpec  # noqa: F401
from psflow.graph.dtypes import (  # noqa: F401
    DType,
    as_dtype,
    bool_ as bool,  # TF's name
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)
from psflow.graph.errors import OpError  # noqa: F401
from psflow.graph.framework import (  # noqa: F401  # noqa: F401
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    add_to_collection,
    add_to_collections,
    colocate_with,
    constant_value as _constant_value,
    control_dependencies,
    convert_to_tensor,
    device,
    disable_eager_execution,
    disable_v2_behavior,
    executing_eagerly,
    get_collection,
    get_collection_ref,
    get_default_graph,
    get_default_session,  # noqa: F401
    is_tensor_like as is_tensor,  # noqa: F401
    name_scope,
    reset_default_graph,
)
from psflow.graph.graph_def import make_ndarray, make_tensor_proto  # noqa: F401
from psflow.graph.graph_import import import_graph_def  # noqa: E402, F401
from psflow.graph.init_ops import (  # noqa: F401
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    orthogonal_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from psflow.graph.misc import (  # noqa: F401
    AggregationMethod,
    NoGradient,
    NotDifferentiable,
    Template,
    UnconnectedGradients,
    VariableAggregation,
    VariableSynchronization,
    add_check_numerics_ops,
    broadcast_dynamic_shape,
    broadcast_static_shape,
    clip_by_average_norm,
    container,
    control_flow_v2_enabled,
    convert_to_tensor_or_indexed_slices,
    convert_to_tensor_or_sparse_tensor,
    dimension_at_index,
    dimension_value,
    ensure_shape,
    executing_eagerly_outside_functions,
    get_local_variable,
    get_static_value,
    guarantee_const,
    identity_n,
    init_scope,
    is_non_decreasing,
    is_numeric_tensor,
    is_strictly_increasing,
    is_symbolic_tensor,
    make_template,
    no_gradient,
    op_scope,
    parallel_stack,
    resource_variables_enabled,
    sparse_mask,
    sparse_matmul,
    sparse_merge,
    sparse_reset_shape,
    tables_initializer,
    tables_initializer as initialize_all_tables,
)
from psflow.graph.ops.array import (  # noqa: F401
    IndexedSlices,  # noqa: F401
    boolean_mask,
    broadcast_gradient_args,
    concat,
    constant,
    expand_dims,
    eye,
    fill,
    gather,
    identity,
    newaxis,
    ones,
    ones_like,
    pack,
    placeholder,
    placeholder_with_default,
    rank,
    reshape,
    shape,
    shape_n,
    size,
    squeeze,
    stack,
    stop_gradient,
    strided_slice,
    unpack,
    unstack,
    zeros,
    zeros_like,
)
from psflow.graph.ops.array_ext import (  # noqa: F401
    batch_gather,
    batch_to_space,
    batch_to_space_nd,
    bitcast,
    histogram_fixed_width,
    histogram_fixed_width_bins,
    required_space_to_batch_paddings,
    reverse_sequence,
    searchsorted,
    setdiff1d,
    space_to_batch,
    space_to_batch_nd,
    tensor_scatter_nd_add,
    tensor_scatter_nd_add as tensor_scatter_add,
    tensor_scatter_nd_max,
    tensor_scatter_nd_min,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_sub as tensor_scatter_sub,
    tensor_scatter_nd_update,
    tensor_scatter_nd_update as tensor_scatter_update,
    unique_with_counts,
    unravel_index,
)
from psflow.graph.ops.array_more import (  # noqa: F401
    argsort,
    bincount,
    cross,
    einsum,
    matrix_band_part,
    meshgrid,
    repeat,
    roll,
    sort,
)
from psflow.graph.ops.clip import (  # noqa: F401
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    global_norm,
)
from psflow.graph.ops.control_flow import (  # noqa: F401
    case,
    cond,
    group,
    no_op,
    tuple_ as tuple,
)
from psflow.graph.ops.debug import (  # noqa: F401
    Assert,
    Print,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_integer,
    assert_less,
    assert_less_equal,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
    assert_rank,
    assert_scalar,
    assert_type,
    verify_tensor_all_finite,
)
from psflow.graph.ops.files import (  # noqa: F401
    decode_base64,
    decode_raw,
    encode_base64,
    matching_files,
    read_file,
    write_file,
)
from psflow.graph.ops.functional import foldl, foldr, map_fn, scan  # noqa: F401
from psflow.graph.ops.gradients import gradients, hessians  # noqa: F401
from psflow.graph.ops.linalg import (  # noqa: F401  # noqa: F401
    cholesky,
    cholesky_solve,
    matrix_determinant,
    matrix_diag,
    matrix_diag_part,
    matrix_inverse,
    matrix_set_diag,
    matrix_solve,
    matrix_solve_ls,
    matrix_transpose,
    matrix_triangular_solve,
    norm,
    tensor_diag as diag,
    tensor_diag_part as diag_part,
    tensordot,
    trace,
)
from psflow.graph.ops.linalg_more import (  # noqa: F401
    matrix_square_root,
    qr,
    self_adjoint_eig,
    self_adjoint_eigvals,
    svd,
)
from psflow.graph.ops.manip import (  # noqa: F401
    dynamic_partition,
    dynamic_stitch,
    gather_nd,
    invert_permutation,
    linspace,
    one_hot,
    pad,
    reverse,
    reverse as reverse_v2,  # noqa: F401
    scatter_nd,
    sequence_mask,
    slice_ as slice,
    split,
    tile,
    transpose,
)
from psflow.graph.ops.math import (  # noqa: F401  # noqa: F401
    abs,
    add,
    add_n,
    add_n as accumulate_n,  # noqa: F401
    argmax,
    argmin,
    broadcast_to,
    cast,
    ceil,
    check_numerics,
    cos,
    cumprod,
    cumsum,
    div,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floor_div,
    floordiv,
    floormod,
    greater,
    greater_equal,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    matmul,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    pow,
    range_ as range,
    real_div as realdiv,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    rint,
    round,
    rsqrt,
    saturate_cast,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    to_double,
    to_float,
    to_int32,
    to_int64,
    truediv,
    truncatediv,
    truncatemod,
    unsorted_segment_sum,
    where,
    where_v2,
)
from psflow.graph.ops.math_more import (  # noqa: F401
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    confusion_matrix,  # noqa: F401
    cosh,
    count_nonzero,
    div_no_nan,
    sinh,
    tan,
)
from psflow.graph.ops.nn import log_sigmoid, relu  # noqa: F401
from psflow.graph.ops.nn_more import depth_to_space, space_to_depth  # noqa: F401
from psflow.graph.ops.parsing import (  # noqa: F401
    FixedLenFeature,
    VarLenFeature,
    decode_csv,
    parse_example,
    parse_single_example,
)
from psflow.graph.ops.queues import FIFOQueue, QueueBase, RandomShuffleQueue  # noqa: F401
from psflow.graph.ops.random import (  # noqa: F401
    get_seed,  # noqa: F401
    multinomial,
    random_gamma,
    random_normal,
    random_poisson,
    random_shuffle,
    random_uniform,
    set_random_seed,
    truncated_normal,
)
from psflow.graph.ops.readers import (  # noqa: F401
    FixedLengthRecordReader,
    IdentityReader,
    ReaderBase,
    TextLineReader,
    TFRecordReader,
    WholeFileReader,
)
from psflow.graph.ops.script import (  # noqa: F401
    numpy_function,
    parse_tensor,
    py_func,
    py_function,
    serialize_tensor,
)
from psflow.graph.ops.segment import (  # noqa: F401
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    sparse_segment_mean,
    sparse_segment_sqrt_n,
    sparse_segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
)
from psflow.graph.ops.sparse import (  # noqa: F401
    fill_empty_rows as sparse_fill_empty_rows,  # noqa: F401
    reorder as sparse_reorder,
    reshape as sparse_reshape,
    sparse_placeholder,
    sparse_tensor_dense_matmul,
    sparse_tensor_to_dense,
    sparse_to_dense,
    string_to_hash_bucket_fast,
    unique,
)
from psflow.graph.ops.special import (  # noqa: F401
    betainc,
    digamma,
    erf,
    erfc,
    igamma,
    igammac,
    lbeta,
    lgamma,
    polygamma,
    zeta,
)
from psflow.graph.ops.state import (  # noqa: F401
    assign,
    assign_add,
    assign_sub,
    is_variable_initialized,
)
from psflow.graph.ops.strings import (  # noqa: F401
    as_string,
    join as string_join,
    reduce_join,
    regex_replace,
    string_split,
    strip as string_strip,
    substr,
    to_number as string_to_number,
)
from psflow.graph.ops.summary import (  # noqa: F401
    audio_summary,
    histogram_summary,
    image_summary,
    merge_all_summaries,
    merge_summary,
    scalar_summary,
)
from psflow.graph.ops.tensor_array import TensorArray  # noqa: F401
from psflow.graph.ops.training import (  # noqa: F401
    batch_scatter_update,
    count_up_to,
    scatter_add,
    scatter_div,
    scatter_max,
    scatter_min,
    scatter_mul,
    scatter_nd_add,
    scatter_nd_sub,
    scatter_nd_update,
    scatter_sub,
    scatter_update,
)
from psflow.graph.ops.while_loop import while_loop  # noqa: F401
from psflow.graph.registry import RegisterGradient  # noqa: F401
from psflow.graph.saver import export_meta_graph, import_meta_graph  # noqa: F401
from psflow.graph.session import InteractiveSession, Session  # noqa: F401
from psflow.graph.shapes import Dimension, TensorShape  # noqa: F401
from psflow.graph.sparse_tensor import SparseTensor, SparseTensorValue  # noqa: F401
from psflow.graph.variable_scope import (  # noqa: F401
    AUTO_REUSE,
    PartitionedVariable,
    VariableScope,
    fixed_size_partitioner,
    get_variable,
    get_variable_scope,
    min_max_variable_partitioner,
    no_regularizer,
    variable_axis_size_partitioner,
    variable_op_scope,
    variable_scope,
)
from psflow.graph.variables import (  # noqa: F401
    Variable,
    all_variables,
    assert_variables_initialized,
    global_variables,
    global_variables_initializer,
    initialize_all_variables,
    initialize_local_variables,
    initialize_variables,
    local_variables,
    local_variables_initializer,
    model_variables,
    moving_average_variables,
    report_uninitialized_variables,
    trainable_variables,
    variables_initializer,
)

# TF 1.0 names for renamed ops.
mul = multiply
sub = subtract
neg = negative
lin_space = linspace
arg_max = argmax
arg_min = argmin

__version__ = "0.1.0"


def _attach(target: str):
    from psflow.cluster.launch import attach  # Ray loads only when a cluster is named

    return attach(target)


_session.register_target_scheme("psflow", _attach)


def _proto_names():
    from tensorboard.compat.proto import (
        attr_value_pb2,
        config_pb2,
        event_pb2,
        graph_pb2,
        meta_graph_pb2,
        node_def_pb2,
        summary_pb2,
    )

    return {
        "RunOptions": config_pb2.RunOptions,
        "RunMetadata": config_pb2.RunMetadata,
        "ConfigProto": config_pb2.ConfigProto,
        "GPUOptions": config_pb2.GPUOptions,
        "GraphOptions": config_pb2.GraphOptions,
        "OptimizerOptions": config_pb2.OptimizerOptions,
        "AttrValue": attr_value_pb2.AttrValue,
        "NameAttrList": attr_value_pb2.NameAttrList,
        "Event": event_pb2.Event,
        "LogMessage": event_pb2.LogMessage,
        "SessionLog": event_pb2.SessionLog,
        "GraphDef": graph_pb2.GraphDef,
        "MetaGraphDef": meta_graph_pb2.MetaGraphDef,
        "TensorInfo": meta_graph_pb2.TensorInfo,
        "NodeDef": node_def_pb2.NodeDef,
        "HistogramProto": summary_pb2.HistogramProto,
        "Summary": summary_pb2.Summary,
        "SummaryMetadata": summary_pb2.SummaryMetadata,
    }


# The protocol buffers TF1 exposes at the top level (the tensorboard package's copies).
_PROTOS = [
    "RunOptions",
    "RunMetadata",
    "ConfigProto",
    "GPUOptions",
    "GraphOptions",
    "OptimizerOptions",
    "AttrValue",
    "NameAttrList",
    "Event",
    "LogMessage",
    "SessionLog",
    "GraphDef",
    "MetaGraphDef",
    "TensorInfo",
    "NodeDef",
    "HistogramProto",
    "Summary",
    "SummaryMetadata",
]


def __getattr__(name):
    # Protos, tf.test (unittest, mock) and tf.estimator (the training machinery) load
    # lazily: importing psflow stays fast.
    if name in _PROTOS:
        return _proto_names()[name]
    if name in ("test", "estimator"):
        import importlib

        return importlib.import_module(f"psflow.{name}")
    raise AttributeError(f"module 'psflow' has no attribute '{name}'")


from psflow.graph.dtypes import complex64, complex128, uint16, uint32, uint64  # noqa: E402, F401
from psflow.graph.framework import register_tensor_conversion_function  # noqa: E402, F401
from psflow.graph.init_ops import UniformUnitScaling as uniform_unit_scaling_initializer  # noqa: E402, F401
from psflow.graph.ops.accumulators import (  # noqa: E402, F401
    ConditionalAccumulator,
    ConditionalAccumulatorBase,
    SparseConditionalAccumulator,
)
from psflow.graph.ops.array_ext import edit_distance  # noqa: E402, F401
from psflow.graph.ops.complex_ops import (  # noqa: E402, F401
    angle,
    complex,
    conj,
    fft,
    fft2d,
    fft3d,
    fftnd,
    ifft,
    ifft2d,
    ifft3d,
    ifftnd,
    imag,
    irfftnd,
    real,
    rfftnd,
    to_complex64,
    to_complex128,
)
from psflow.graph.ops.control_flow import switch_case  # noqa: E402, F401
from psflow.graph.ops.conv import (  # noqa: E402, F401
    conv2d_backprop_filter_v2,
    conv2d_backprop_input_v2,
    extract_image_patches,
)
from psflow.graph.ops.conv3d import extract_volume_patches  # noqa: E402, F401
from psflow.graph.ops.debug import (  # noqa: E402, F401
    assert_near,
    assert_proper_iterable,
    assert_rank_at_least,
    assert_rank_in,
    assert_same_float_dtype,
    timestamp,  # noqa: E402, F401
)
from psflow.graph.ops.files import decode_compressed  # noqa: E402, F401
from psflow.graph.ops.gradients import custom_gradient  # noqa: E402, F401
from psflow.graph.ops.image import random_crop  # noqa: E402, F401
from psflow.graph.ops.nn_ext import approx_top_k, conv  # noqa: E402, F401
from psflow.graph.ops.parsing_seq import (  # noqa: E402, F401
    FixedLenSequenceFeature,
    SparseFeature,
    decode_json_example,
    parse_single_sequence_example,
)
from psflow.graph.ops.queues import PaddingFIFOQueue, PriorityQueue  # noqa: E402, F401
from psflow.graph.ops.script import (  # noqa: E402, F401
    deserialize_many_sparse,
    print_v2 as print,  # noqa: E402, F401, A001 (last: a builtin's name)
    serialize_many_sparse,
    serialize_sparse,
)
from psflow.graph.ops.sparse_more import (  # noqa: E402, F401
    add as sparse_add,
    concat as sparse_concat,
    maximum as sparse_maximum,
    minimum as sparse_minimum,
    reduce_max as sparse_reduce_max,
    reduce_max_sparse as sparse_reduce_max_sparse,
    reduce_sum as sparse_reduce_sum,
    reduce_sum_sparse as sparse_reduce_sum_sparse,
    retain as sparse_retain,
    slice as sparse_slice,
    softmax as sparse_softmax,
    split as sparse_split,
    to_indicator as sparse_to_indicator,
    transpose as sparse_transpose,
)
from psflow.graph.ops.strings_more import (  # noqa: E402, F401
    fingerprint,  # noqa: E402, F401
    string_to_hash_bucket,
    string_to_hash_bucket_strong,
)
from psflow.graph.variable_scope import create_partitioned_variables  # noqa: E402, F401
from psflow.graph.variables import variable_creator_scope  # noqa: E402, F401
from psflow.version import GIT_VERSION, VERSION  # noqa: E402, F401

del _dtypes
from psflow import (  # noqa: E402, F401  (modules built on the names above)
    audio,
    bitwise,
    compat,
    debugging,
    dtypes,
    lookup,  # psflow.compat.v1 is psflow itself
    manip,
    nest,
    queue,
    resource_loader,
    sets,
    signal,
    spectral,
    version,
)

graph_util = _namespace(
    __name__ + ".graph_util",
    "GraphDef rewrites for freezing models, as tf.graph_util.",
    _graph_import,
    ("convert_variables_to_constants", "extract_sub_graph", "import_graph_def",
     "must_run_on_cpu", "remove_training_nodes", "tensor_shape_from_node_def_name"),
)  # fmt: skip
