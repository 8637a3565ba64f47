"""`tf.train`: Saver and checkpoint helpers, summary writer (old name), and (as they land)
optimizers and placement helpers."""

from psflow.graph.saver import (  # noqa: F401
    CheckpointState,
    NewCheckpointReader,
    Saver,
    checkpoint_exists,
    export_meta_graph,
    get_checkpoint_state,
    import_meta_graph,
    latest_checkpoint,
    list_variables,
    load_variable,
)
from psflow.graph.summary_writer import SummaryWriter, summary_iterator  # noqa: F401
from psflow.graph.placement import (  # noqa: F401
    ClusterSpec,
    GreedyLoadBalancingStrategy,
    replica_device_setter,
)
