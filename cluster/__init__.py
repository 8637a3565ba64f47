"""psflow.cluster: the only package that imports ray. Cluster configs, launching and
connecting to Ray, PS and worker actors, and the distributed runtime behind
`tf.Session(cluster)`."""

from .config import ClusterConfig, ConfigError, load_config  # noqa: E402, F401
from .launch import Cluster, connect, launch  # noqa: E402, F401
