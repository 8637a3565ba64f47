"""The bundled digits (scikit-learn's 8x8 images, shipped in its package) for the classic
programs: images scaled to [0, 1] as float32 rows of 64, integer labels, a fixed split."""

import numpy as np


def load(one_hot=False, seed=0):
    """((train_x, train_y), (test_x, test_y)); labels one-hot when asked."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    if one_hot:
        y = np.eye(10, dtype=np.float32)[y]
    cut = int(len(x) * 0.75)
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


class Batches:
    """next_batch(n) over a data set, reshuffled each epoch (as the tutorials' DataSet)."""

    def __init__(self, x, y, seed=1):
        self.x, self.y = x, y
        self.rng = np.random.RandomState(seed)
        self.order = self.rng.permutation(len(x))
        self.pos = 0

    def next_batch(self, n):
        if self.pos + n > len(self.x):
            self.order = self.rng.permutation(len(self.x))
            self.pos = 0
        idx = self.order[self.pos : self.pos + n]
        self.pos += n
        return self.x[idx], self.y[idx]
