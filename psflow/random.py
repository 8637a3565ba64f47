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
