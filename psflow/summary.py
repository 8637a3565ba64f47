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


def all_v2_summary_ops():
    """TF 2's summary ops in the graph: psflow graphs have none (its summaries are TF1's)."""
    return []


def initialize(graph=None, session=None):
    """Initializes TF 2 summary writers for graph mode: psflow has none, so there is
    nothing to run (TF1 summaries go through FileWriter)."""
    return None


def get_summary_description(node_def):
    """The SummaryDescription a summary op's NodeDef carries (its "description" attr;
    empty when it has none)."""
    from tensorboard.compat.proto import summary_pb2

    description = summary_pb2.SummaryDescription()
    if "description" in node_def.attr:
        description.ParseFromString(node_def.attr["description"].s)
    return description


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
