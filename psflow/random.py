"""`tf.random`: the random ops under their TF 1.x `tf.random` names."""

from psflow.graph.ops.nn_more import (  # noqa: F401, E402
    all_candidate_sampler,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from psflow.graph.ops.random import (  # noqa: F401  # noqa: F401, E402
    get_seed,
    multinomial,
    multinomial as categorical,  # noqa: F401
    random_gamma as gamma,
    random_normal as normal,
    random_poisson as poisson,
    random_shuffle as shuffle,
    random_uniform as uniform,
    set_random_seed,
    truncated_normal,
)
from psflow.graph.ops.stateless_random import (  # noqa: E402, F401
    stateless_categorical,
    stateless_multinomial,
    stateless_parameterized_truncated_normal,
    stateless_random_binomial as stateless_binomial,
    stateless_random_gamma as stateless_gamma,
    stateless_random_normal as stateless_normal,
    stateless_random_poisson as stateless_poisson,
    stateless_random_uniform as stateless_uniform,
    stateless_truncated_normal,
)
