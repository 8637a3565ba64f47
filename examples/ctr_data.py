"""A synthetic Criteo-like click-through workload (no data set can be downloaded here).

Each example has 13 dense features (log-scaled counts, as Criteo's integer features are
usually fed) and 26 categorical ids, one per feature, drawn from a power law (Zipf) over
that feature's vocabulary, so that a few ids are hot and most are rare. The vocabulary
sizes are the public Criteo Kaggle ones, capped at `cap` rows per table (100,000 by
default; `cap=None` keeps the millions). The label is drawn from a planted logistic
model: a hidden weight per id of every table, hidden weights for the dense features and
a bias, so a model that learns the hot ids' weights really improves its AUC (the planted
model's own AUC is printed by `python examples/ctr_data.py`).
"""

from __future__ import annotations

import numpy as np

# The 26 categorical features' vocabulary sizes in Criteo's Kaggle display-ads data set.
CRITEO_CARDINALITIES = [
    1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27,
    14992, 5461306, 10, 5652, 2173, 4, 7046547, 18, 15, 286181, 105, 142572,
]  # fmt: skip
NUM_DENSE = 13


class CriteoLike:
    """The planted model and a sampler of batches from it."""

    def __init__(self, cap: int | None = 100_000, seed: int = 0, zipf_a: float = 1.3):
        rng = np.random.default_rng(seed)
        self.cardinalities = [c if cap is None else min(c, cap) for c in CRITEO_CARDINALITIES]
        self.zipf_a = zipf_a
        # Hidden weights: the hot ids carry most of the signal a model can learn.
        self.id_weights = [rng.normal(0.0, 0.45, c).astype(np.float32) for c in self.cardinalities]
        # Each table's ids are a random relabeling of Zipf ranks (hot ids are not 0, 1, ...).
        self.relabel = [rng.permutation(c).astype(np.int64) for c in self.cardinalities]
        self.dense_weights = rng.normal(0.0, 0.3, NUM_DENSE).astype(np.float32)
        self.bias = np.float32(-1.0)

    def batch(self, n: int, rng: np.random.Generator):
        """(dense [n, 13] float32, ids [n, 26] int64, labels [n] float32)."""
        dense = np.log1p(rng.exponential(3.0, (n, NUM_DENSE))).astype(np.float32) - 1.0
        ids = np.empty((n, len(self.cardinalities)), np.int64)
        for t, card in enumerate(self.cardinalities):
            ranks = (rng.zipf(self.zipf_a, n) - 1) % card
            ids[:, t] = self.relabel[t][ranks]
        labels = (rng.random(n) < self.probability(dense, ids)).astype(np.float32)
        return dense, ids, labels

    @staticmethod
    def raw_ids(ids: np.ndarray) -> np.ndarray:
        """The ids as raw categorical values: a fixed 63-bit value per (feature, id), as
        Criteo's 32-bit hashed strings are before a pipeline buckets them into a table."""
        z = (ids.astype(np.uint64) + (np.arange(ids.shape[1], dtype=np.uint64) << 40)) * np.uint64(
            0x9E3779B97F4A7C15
        )
        z = (z ^ (z >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
        return (z ^ (z >> np.uint64(29))).astype(np.int64) & np.int64(2**63 - 1)

    def probability(self, dense: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """The planted click probability of each example."""
        logit = self.bias + dense @ self.dense_weights
        for t, weights in enumerate(self.id_weights):
            logit = logit + weights[ids[:, t]]
        return 1.0 / (1.0 + np.exp(-logit))


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """The exact ROC AUC (rank statistic, ties counted half)."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse.reshape(-1)]  # average ranks
    positives = labels > 0.5
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


if __name__ == "__main__":
    data = CriteoLike()
    dense, ids, labels = data.batch(100_000, np.random.default_rng(1))
    print(f"click rate {labels.mean():.3f}")
    print(f"planted model AUC {auc(labels, data.probability(dense, ids)):.4f}")
