"""`tf.train`: optimizers, global step and learning-rate schedules, Saver and checkpoint
helpers, the summary writer (old name), and placement helpers."""

from psflow.graph.hooks import (  # noqa: F401
    CheckpointSaverHook,
    CheckpointSaverListener,
    FeedFnHook,
    FinalOpsHook,
    GlobalStepWaiterHook,
    LoggingTensorHook,
    NanLossDuringTrainingError,
    NanTensorHook,
    ProfilerHook,
    SecondOrStepTimer,
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
    StepCounterHook,
    StopAtStepHook,
    SummarySaverHook,
)
from psflow.graph.monitored_session import (  # noqa: F401
    ChiefSessionCreator,
    Coordinator,
    MonitoredSession,
    MonitoredTrainingSession,
    Scaffold,
    SessionCreator,
    SingularMonitoredSession,
    StepContext,
    WorkerSessionCreator,
)
from psflow.graph.moving_averages import ExponentialMovingAverage  # noqa: F401
from psflow.graph.optimizers import (  # noqa: F401
    AdadeltaOptimizer,
    AdagradOptimizer,
    AdamOptimizer,
    FtrlOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
    cosine_decay,
    create_global_step,
    exponential_decay,
    get_global_step,
    get_or_create_global_step,
    global_step,
    inverse_time_decay,
    linear_cosine_decay,
    natural_exp_decay,
    piecewise_constant,
    piecewise_constant_decay,
    polynomial_decay,
)
from psflow.graph.placement import (  # noqa: F401
    ClusterSpec,
    GreedyLoadBalancingStrategy,
    replica_device_setter,
)
from psflow.graph.queue_runner import (  # noqa: F401
    QueueRunner,
    add_queue_runner,
    batch,
    batch_join,
    input_producer,
    limit_epochs,
    match_filenames_once,
    maybe_batch,
    maybe_batch_join,
    maybe_shuffle_batch,
    maybe_shuffle_batch_join,
    range_input_producer,
    shuffle_batch,
    shuffle_batch_join,
    slice_input_producer,
    start_queue_runners,
    string_input_producer,
)
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
from psflow.graph.supervisor import (  # noqa: F401
    LooperThread,
    SessionManager,
    Supervisor,
    basic_train_loop,
)
from psflow.graph.sync_replicas import SyncReplicasOptimizer  # noqa: F401
from psflow.graph.train_util import (  # noqa: F401
    AdagradDAOptimizer,
    ProximalAdagradOptimizer,
    ProximalGradientDescentOptimizer,
    VocabInfo,
    assert_global_step,
    checkpoints_iterator,
    cosine_decay_restarts,
    generate_checkpoint_state_proto,
    get_checkpoint_mtimes,
    init_from_checkpoint,
    load_checkpoint,
    noisy_linear_cosine_decay,
    remove_checkpoint,
    update_checkpoint_state,
    warm_start,
    write_graph,
)

_EXAMPLE_NAMES = ("BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
                  "FloatList", "Int64List", "SequenceExample")  # fmt: skip


from psflow import graph as _graph  # noqa: E402
from psflow._modules import namespace as _namespace  # noqa: E402

queue_runner = _namespace(
    __name__ + ".queue_runner",
    "The queue runners of the queue-fed input pipeline, as tf.train.queue_runner.",
    _graph.queue_runner,
    ("QueueRunner", "add_queue_runner", "start_queue_runners"),
)


def __getattr__(name):
    # tf.train.Server lives with the cluster layer; Ray loads only when it is used.
    if name in ("Server", "ServerDef"):
        from psflow.cluster import server

        return getattr(server, name)
    if name in _EXAMPLE_NAMES:  # tf.train.Example & co. (graph/example_proto.py), lazily
        from psflow.graph import example_proto

        return getattr(example_proto, name)
    if name in ("SaverDef", "ClusterDef", "JobDef"):  # protos (tensorboard's copies), lazily
        from tensorboard.compat.proto import cluster_pb2, saver_pb2

        return getattr(saver_pb2 if name == "SaverDef" else cluster_pb2, name)
    raise AttributeError(f"module 'psflow.train' has no attribute '{name}'")
