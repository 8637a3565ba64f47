"""`tf.io` (and `tf.python_io`'s TFRecord names): TFRecord files, tf.train.Example parsing,
files and bytes as tensors, queues, gfile."""

from psflow import gfile  # noqa: F401
from psflow.graph.ops.files import (  # noqa: F401
    decode_base64,
    decode_compressed,  # noqa: E402, F401
    decode_raw,
    encode_base64,
    matching_files,
    read_file,
    write_file,
)
from psflow.graph.ops.image_codecs import (  # noqa: E402, F401
    decode_and_crop_jpeg,
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    decode_webp,
    encode_jpeg,
    encode_png,
    extract_jpeg_shape,
    is_jpeg,
)
from psflow.graph.ops.parsing import (  # noqa: F401
    FixedLenFeature,
    VarLenFeature,
    decode_csv,
    parse_example,
    parse_single_example,
)
from psflow.graph.ops.parsing_seq import (  # noqa: E402, F401
    FixedLenSequenceFeature,
    SparseFeature,
    decode_json_example,
    parse_sequence_example,
    parse_single_sequence_example,
)
from psflow.graph.ops.proto_ops import decode_proto, encode_proto  # noqa: F401
from psflow.graph.ops.queues import PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue  # noqa: F401  # noqa: E402, F401
from psflow.graph.ops.script import (  # noqa: F401  # noqa: E402, F401
    deserialize_many_sparse,
    parse_tensor,
    serialize_many_sparse,
    serialize_sparse,
    serialize_tensor,
)
from psflow.graph.queue_runner import match_filenames_once  # noqa: F401
from psflow.graph.tfrecord import (  # noqa: F401
    TFRecordCompressionType,
    TFRecordOptions,
    TFRecordWriter,
    tf_record_iterator,
)
from psflow.graph.train_util import write_graph  # noqa: F401
