"""Op table, backward: symbolic gradients against central differences in float64."""

import numpy as np
import pytest

from ..gradcheck import assert_gradients_match
from .table import ROWS

GRAD_ROWS = [r for r in ROWS if r.grad and any(np.asarray(x).dtype.kind == "f" for x in r.inputs)]


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.id for r in GRAD_ROWS])
def test_gradient_matches_finite_differences(row):
    inputs = [np.asarray(x) for x in (row.grad_inputs or row.inputs)]
    diff = (
        row.diff
        if row.diff is not None
        else [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]
    )
    fixed = {i: x for i, x in enumerate(inputs) if i not in diff}

    def build(*xs):
        import psflow as tf

        args, k = [], 0
        for i in range(len(inputs)):
            if i in fixed:
                args.append(tf.constant(fixed[i]))
            else:
                args.append(xs[k])
                k += 1
        return row.build(*args)

    assert_gradients_match(build, [inputs[i].astype(np.float64) for i in diff])
