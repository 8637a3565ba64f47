"""`tf.flags`: TF1's command-line flags, which are absl's (`absl.flags`): DEFINE_string,
DEFINE_integer, ..., and FLAGS, parsed by `tf.app.run`."""

from absl.flags import *  # noqa: F401, F403 - the whole module, as TF1 re-exported it
from absl.flags import FLAGS  # noqa: F401
