"""`tf.summary`: summary ops, FileWriter and friends."""

from psflow.graph.ops.summary import (  # noqa: F401
    audio,
    histogram,
    image,
    merge,
    merge_all,
    scalar,
    tensor_summary,
    text,
)
from psflow.graph.summary_writer import (  # noqa: F401
    FileWriter,
    FileWriterCache,
    summary_iterator,
)


def __getattr__(name):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    protos = {
        "Summary": summary_pb2.Summary,
        "SummaryDescription": summary_pb2.SummaryDescription,
        "Event": event_pb2.Event,
        "SessionLog": event_pb2.SessionLog,
        "TaggedRunMetadata": event_pb2.TaggedRunMetadata,
    }
    if name in protos:
        return protos[name]
    raise AttributeError(f"module 'psflow.summary' has no attribute '{name}'")
