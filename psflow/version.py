"""`tf.version`: the TF 1.x API level psflow implements and psflow's own version.

VERSION is the TensorFlow 1.x release whose API psflow follows (programs compare it to
decide which names to use); GIT_VERSION names psflow's release. The C++ build facts of a
TensorFlow binary (COMPILER_VERSION, GraphDef versions) have no psflow counterpart.
"""

VERSION = "1.15.0"
GIT_VERSION = "psflow-0.1.0"
