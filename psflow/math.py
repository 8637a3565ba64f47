"""`tf.math`: the math ops under their TF 1.x `tf.math` names (the same functions as at the
top level, plus `softplus`, `l2_normalize`, `top_k` and `in_top_k` from tf.nn)."""

from psflow.graph.misc import is_non_decreasing, is_strictly_increasing  # noqa: F401, E402
from psflow.graph.ops.array_more import bincount  # noqa: F401, E402
from psflow.graph.ops.complex_ops import angle, conj, imag, real  # noqa: E402, F401
from psflow.graph.ops.linalg import norm  # noqa: F401, E402
from psflow.graph.ops.manip import invert_permutation  # noqa: F401, E402
from psflow.graph.ops.math import (  # noqa: F401  # noqa: F401, E402
    abs,
    add,
    add_n,
    add_n as accumulate_n,  # noqa: F401, E402
    argmax,
    argmin,
    ceil,
    cos,
    cumprod,
    cumsum,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floordiv,
    floormod,
    floormod as mod,  # noqa: F401, E402
    greater,
    greater_equal,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    rint,
    round,
    rsqrt,
    saturate_cast,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    squared_difference,
    subtract,
    tanh,
    truediv,
    truncatediv,
    truncatemod,
    unsorted_segment_sum,  # noqa: F401, E402
)
from psflow.graph.ops.math_more import (  # noqa: F401, E402  # noqa: F401, E402  # noqa: F401, E402
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    confusion_matrix,
    cosh,
    count_nonzero,
    cumulative_logsumexp,
    div_no_nan,
    div_no_nan as divide_no_nan,
    multiply_no_nan,
    nextafter,
    polyval,
    reciprocal_no_nan,
    reduce_euclidean_norm,
    reduce_std,
    reduce_variance,
    sinh,
    sobol_sample,  # noqa: E402, F401
    tan,
    xdivy,
    xlogy,
)
from psflow.graph.ops.nn import (  # noqa: F401  # noqa: F401, E402
    in_top_k,
    l2_normalize,
    log_sigmoid,  # noqa: F401, E402
    log_softmax,
    softmax,
    softplus,
    softsign,
    top_k,
    zero_fraction,
)
from psflow.graph.ops.nn_ext import approx_max_k, approx_min_k  # noqa: E402, F401
from psflow.graph.ops.segment import (  # noqa: F401, E402
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
)
from psflow.graph.ops.special import (  # noqa: F401, E402  # noqa: F401, E402
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    betainc,
    digamma,
    erf,
    erfc,
    erfcinv,
    erfinv,
    igamma,
    igammac,
    lbeta,
    lgamma,
    ndtri,
    polygamma,
    xlog1py,
    zeta,
)


def _special_module():
    """tf.math.special: the special functions of graph/ops/special.py under TF's names."""
    import sys
    import types

    from psflow.graph.ops import special as _special

    module = types.ModuleType(__name__ + ".special", "Special functions, as tf.math.special.")
    for name in ("bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0",
                 "bessel_j1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
                 "bessel_y0", "bessel_y1", "dawsn", "expint", "fresnel_cos", "fresnel_sin",
                 "spence"):  # fmt: skip
        setattr(module, name, getattr(_special, name))
    sys.modules[module.__name__] = module
    return module


special = _special_module()
