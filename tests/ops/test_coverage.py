"""Every registered op type has a row in the op table (or a named test elsewhere), and
every differentiable one a gradient row."""

from psflow.graph.registry import NOT_DIFFERENTIABLE, get_op_def, registered_types

import psflow as tf

from .table import ROWS
from .test_gradients import GRAD_ROWS

# Op types whose behaviour needs state, files or protos: tested where that lives.
ELSEWHERE = {
    **dict.fromkeys(
        [
            "LookupTableImport",
            "InitializeTableFromTextFile",
            "LookupTableFind",
            "LookupTableSize",
            "LookupTableExport",
        ],
        "tests/data/test_lookup.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "AccumulatorApplyGradient",
            "AccumulatorTakeGradient",
            "AccumulatorNumAccumulated",
            "AccumulatorSetGlobalStep",
        ],
        "tests/train/test_accumulators.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "Conv3D",
            "Conv3DBackpropInputV2",
            "Conv3DBackpropFilterV2",
            "MaxPool3D",
            "AvgPool3D",
            "MaxPool3DGrad",
            "AvgPool3DGrad",
            "CTCLoss",
            "CTCGreedyDecoder",
            "CTCBeamSearchDecoder",
            "CollapseRepeated",
        ],
        "tests/ops/test_conv3d_ctc.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "SequenceExampleContext",
            "ParseSequenceFeatureDense",
            "ParseSequenceFeatureSparse",
            "ParseExampleSparseFeature",
            "DecodeJSONExample",
        ],
        "tests/data/test_sequence_examples.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "NonMaxSuppression",
            "CombinedNonMaxSuppression",
            "CropAndResize",
            "CropAndResizeGradImage",
            "DrawBoundingBoxes",
            "SampleDistortedBoundingBox",
        ],
        "tests/ops/test_image_more.py",
    ),  # fmt: skip
    "StatelessRandom": "tests/ops/test_stateless_random.py",
    **dict.fromkeys(
        ["DecodeImage", "EncodeImage", "ExtractJpegShape"], "tests/ops/test_image_codecs.py"
    ),
    **dict.fromkeys(
        [
            "IdentityN",
            "DecodeWav",
            "EncodeWav",
            "EditDistance",
            "Fingerprint",
            "Timestamp",
            "SerializeManySparse",
            "DeserializeManySparse",
            "DecodeCompressed",
        ],
        "tests/ops/test_tf_extras.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "SparseToSparseSetOperation",
            "SetSize",
            "StringToHashBucket",
            "StringToHashBucketStrong",
            "SparseCross",
            "SparseBincount",
            "UnicodeTranscode",
            "UnicodeEncode",
        ],
        "tests/ops/test_sets_and_hashes.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "ScatterMul",
            "ScatterDiv",
            "ScatterMin",
            "ScatterMax",
            "ScatterNdUpdate",
            "ScatterNdAdd",
            "ScatterNdSub",
            "CountUpTo",
        ],
        "tests/ops/test_scatter_variables.py",
    ),  # fmt: skip
    **dict.fromkeys(
        [
            "ReaderRead",
            "ReaderReadUpTo",
            "ReaderNumRecordsProduced",
            "ReaderNumWorkUnitsCompleted",
            "ReaderReset",
        ],
        "tests/data/test_readers.py",
    ),  # fmt: skip
    "VariableV2": "tests/session/test_variables.py",
    "Assign": "tests/session/test_variables.py",
    "AssignAdd": "tests/session/test_variables.py",
    "AssignSub": "tests/session/test_variables.py",
    "IsVariableInitialized": "tests/session/test_variables.py",
    "NoOp": "tests/session/test_session.py",
    "ScalarSummary": "tests/files/test_summaries.py",
    "HistogramSummary": "tests/files/test_summaries.py",
    "ImageSummary": "tests/files/test_summaries.py",
    "AudioSummaryV2": "tests/files/test_summaries.py",
    "TensorSummaryV2": "tests/files/test_summaries.py",
    "MergeSummary": "tests/files/test_summaries.py",
    "SaveShard": "tests/files/test_saver.py",
    **dict.fromkeys(
        ["SparseReduce", "SparseAdd", "SparseSparseExtreme", "SparseSoftmax", "SparseSoftmaxGrad"],
        "tests/ops/test_sparse_more.py",
    ),
    **dict.fromkeys(
        ["PyFunc", "PrintV2", "SerializeTensor", "ParseTensor", "StringFormat"],
        "tests/ops/test_script.py",
    ),  # fmt: skip
    **dict.fromkeys(["LRN", "LRNGrad"], "tests/ops/test_lrn_conv_transpose.py"),
    # distributions: moments and the implicit reparameterization gradient
    **dict.fromkeys(
        ["RandomGamma", "RandomGammaGrad", "RandomPoissonV2"], "tests/ops/test_random.py"
    ),  # fmt: skip
    # tf.io: against TensorFlow's outputs on the same records and files
    **dict.fromkeys(
        [
            "ParseExampleDense",
            "ParseExampleSparse",
            "DecodeCSV",
            "ReadFile",
            "WriteFile",
            "MatchingFiles",
            "EncodeBase64",
            "DecodeBase64",
            "DecodeRaw",
        ],
        "tests/data/test_tfrecord.py",
    ),  # fmt: skip
    "RestoreShard": "tests/files/test_saver.py",
    "CommitRestore": "tests/files/test_saver.py",
    "FileCrc": "tests/cluster/test_checkpoint_storage.py",
    "Assert": "tests/ops/test_debug.py",
    "CandidateSampler": "tests/ops/test_nn_more.py",
    **{
        t: "tests/ops/test_strings.py (against TF1's recorded outputs)"
        for t in (
            "StringLower",
            "StringUpper",
            "StringStrip",
            "StringLength",
            "RegexReplace",
            "RegexFullMatch",
            "Substr",
            "StringJoin",
            "ReduceJoin",
            "StringSplitV2",
            "StringToNumber",
            "AsString",
            "UnsortedSegmentJoin",
        )
    },
    "Einsum": "tests/ops/test_array_more.py (against numpy, gradients)",
    "ResizeImages": "tests/ops/test_image.py (against TF1's recorded outputs, gradients)",
    "ResizeGrad": "tests/ops/test_image.py (the resize gradient)",
    "MakeIterator": "tests/data/test_dataset.py",
    **{
        t: "tests/data/test_queues.py"
        for t in (
            "QueueEnqueue",
            "QueueDequeue",
            "QueueClose",
            "QueueSize",
            "QueueIsClosed",
            "LimitEpochsCheck",
        )
    },
    "IteratorGetNext": "tests/data/test_dataset.py",
    "SparseSegmentGrad": "tests/ops/table_fidelity.py (the SparseSegment rows' gradients)",
    "ReadChunk": "tests/cluster/test_checkpoint_storage.py",
    "WriteChunk": "tests/cluster/test_checkpoint_storage.py",
    "DropSpool": "tests/cluster/test_checkpoint_storage.py",
    **{
        t: "tests/train/test_dynamic_embedding.py"
        for t in (
            "DynamicTable",
            "DynamicTableInit",
            "DynamicTableFind",
            "DynamicTableStats",
            *(
                f"DynamicApply{o}"
                for o in (
                    "GradientDescent",
                    "Momentum",
                    "Adagrad",
                    "Adam",
                    "RMSProp",
                    "CenteredRMSProp",
                    "Adadelta",
                    "Ftrl",
                    "ProximalGradientDescent",
                    "AdagradDA",
                    "ProximalAdagrad",
                )
            ),
        )
    },
    **{
        t: "tests/train/test_sync_replicas.py"
        for t in (
            "SyncAccumulate",
            "SyncSparseAccumulate",
            "SyncAccumulatorSetStep",
            "SyncAccumulatorCount",
            "SyncEnqueueTokens",
            "SyncTryDequeueToken",
        )
    },
    **{
        t: "tests/ops/test_random.py"
        for t in (
            "RandomStandardNormal",
            "RandomUniform",
            "TruncatedNormal",
            "RandomUniformInt",
            "RandomShuffle",
            "Multinomial",
            "RandomOrthogonal",
        )
    },
    **{
        t: "tests/train/test_optimizers.py"
        for t in (
            "ApplyGradientDescent",
            "ApplyMomentum",
            "SparseApplyMomentum",
            "ApplyAdagrad",
            "SparseApplyAdagrad",
            "ApplyAdam",
            "SparseApplyAdam",
            "ApplyRMSProp",
            "SparseApplyRMSProp",
            "ApplyCenteredRMSProp",
            "SparseApplyCenteredRMSProp",
            "ApplyAdadelta",
            "SparseApplyAdadelta",
            "ApplyFtrl",
            "ApplyProximalGradientDescent",
            "SparseApplyProximalGradientDescent",
            "ApplyProximalAdagrad",
            "SparseApplyProximalAdagrad",
            "SparseApplyFtrl",
            "ApplyAdagradDA",
            "SparseApplyAdagradDA",
            "ScatterUpdate",
            "ScatterAdd",
            "ScatterSub",
        )
    },
    "SobolSample": "tests/ops/test_tf_extras.py",
    "Lu": "tests/ops/test_linalg_lu.py",
    "ExtractGlimpse": "tests/ops/test_image_more.py",
    "DecodeProtoV2": "tests/ops/test_proto_ops.py",
    "IteratorToStringHandle": "tests/data/test_dataset.py",
    "IteratorFromStringHandleGetNext": "tests/data/test_dataset.py",
    "EncodeProto": "tests/ops/test_proto_ops.py",
    "TensorArraySet": "tests/ops/test_tensor_array.py",
    "TensorArrayUnset": "tests/ops/test_tensor_array.py",
    "MatrixLogarithm": "tests/ops/test_linalg_lu.py",
}


def _types_built(rows):
    import numpy as np

    found = set()
    for row in rows:
        graph = tf.Graph()
        with graph.as_default():
            phs = [
                tf.placeholder(tf.as_dtype(np.asarray(x).dtype), shape=np.shape(x))
                for x in row.inputs
            ]
            out = row.build(*phs)
            tf.gradients(out, phs) if row in GRAD_ROWS else None
        found |= {op.type for op in graph.get_operations()}
    return found


def test_every_op_type_has_a_row():
    built = _types_built(ROWS)
    missing = [t for t in registered_types() if t not in built and t not in ELSEWHERE]
    assert not missing, f"op types without a table row: {missing}"


def test_every_differentiable_op_has_a_gradient_row():
    forward = set()
    for row in GRAD_ROWS:
        graph = tf.Graph()
        with graph.as_default():
            import numpy as np

            phs = [
                tf.placeholder(tf.as_dtype(np.asarray(x).dtype), shape=np.shape(x))
                for x in row.inputs
            ]
            row.build(*phs)
        forward |= {op.type for op in graph.get_operations()}
    missing = [
        t
        for t in registered_types()
        if get_op_def(t).grad not in (None, NOT_DIFFERENTIABLE)
        and t not in forward
        and t not in ELSEWHERE
    ]
    assert not missing, f"differentiable op types without a gradient row: {missing}"


def test_tf_math_names_the_same_functions():
    import psflow.math as tf_math

    assert tf.math is tf_math
    for name in ("log", "exp", "reduce_sum", "cumprod", "is_nan", "rint", "floormod"):
        assert getattr(tf.math, name) is getattr(tf, name)
    for name in ("softplus", "l2_normalize", "top_k", "in_top_k"):
        assert getattr(tf.math, name) is getattr(tf.nn, name)
