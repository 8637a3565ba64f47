"""`tf.strings`: string ops under their TF 1.x `tf.strings` names."""

from psflow.graph.ops.script import string_format as format  # noqa: E402, F401, A001
from psflow.graph.ops.sparse import (  # noqa: F401
    string_to_hash_bucket_fast as to_hash_bucket_fast,
)
from psflow.graph.ops.strings import (  # noqa: F401
    as_string,
    join,
    length,
    lower,
    reduce_join,
    regex_full_match,
    regex_replace,
    split,
    strip,
    substr,
    to_number,
    unsorted_segment_join,
    upper,
)
from psflow.graph.ops.strings_more import (  # noqa: E402, F401
    bytes_split,
    ngrams,
    to_hash_bucket,
    to_hash_bucket_strong,
    unicode_encode,
    unicode_transcode,
)
