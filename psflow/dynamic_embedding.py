"""`psflow.dynamic_embedding`: embedding tables keyed by raw int64 ids, created row by row
on first lookup, bounded and evicted, sharded over the parameter servers (a psflow
extension; see psflow/graph/dynamic_embedding.py)."""

from psflow.graph.dynamic_embedding import (  # noqa: F401
    DynamicEmbedding,
    embedding_lookup,
    embedding_lookup_sparse,
    get_variable,
)
