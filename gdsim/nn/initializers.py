"""How a population's weights start: Keras' initializers, and one seed stream per member.

Each member ``k`` of a population draws its initial weights and its shuffle order from its own
seed, so member ``k`` of a population equals a lone network built with that seed.
"""

from __future__ import annotations

import numbers

import numpy as np

from gdsim import arguments


def _truncated_normal(rng, std, shape):
    """Keras' truncated normal: N(0, std²) redrawn outside ±2 std."""
    out = rng.standard_normal(shape)
    while True:
        bad = np.abs(out) > 2.0
        if not bad.any():
            return std * out
        out[bad] = rng.standard_normal(int(bad.sum()))


# Keras' VarianceScaling family: variance = scale / n, n = fan_in, fan_out or their mean.
# Uniform draws use limit √(3·variance); truncated normals a std of √variance / 0.8796…
# (the std of a unit normal truncated at ±2), so the variance is as named.
_SCALING = {"he": (2.0, "fan_in"), "glorot": (1.0, "fan_avg"), "lecun": (1.0, "fan_in")}


def initialize(name, rng, fan_in, fan_out):
    """A ``(fan_in, fan_out)`` weight matrix drawn as Keras' initializer ``name`` does."""
    if name == "zeros":
        return np.zeros((fan_in, fan_out))
    family, distribution = name.split("_")
    scale, mode = _SCALING[family]
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / n
    if distribution == "uniform":
        limit = np.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))
    return _truncated_normal(rng, np.sqrt(variance) / 0.87962566103423978, (fan_in, fan_out))


INITS = (
    "he_uniform",
    "he_normal",
    "glorot_uniform",
    "glorot_normal",
    "lecun_uniform",
    "lecun_normal",
    "zeros",
)


def member_seeds(seed, population):
    """One integer seed per member: an int is shared by all (a population sweeping a hyperparameter
    then differs only in it), a sequence gives one each, ``None`` draws fresh entropy, and a
    ``np.random.Generator`` stands for one int drawn from it (shared by all, like an int)."""
    if isinstance(seed, np.random.Generator) or np.ndim(seed) == 0:
        seed = arguments.check_seed("seed", seed)  # one seed: an int, None or a generator
    if seed is None:
        return [int(s) for s in np.random.SeedSequence().generate_state(population, np.uint32)]
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return [arguments.check_int("seed", seed, minimum=0)] * population
    seeds = [
        arguments.check_int("seed", s, minimum=0) for s in np.asarray(seed).reshape(-1).tolist()
    ]
    if len(seeds) != population:
        raise ValueError(
            f"seed must be an int or one seed per model ({population}), got {len(seeds)}"
        )
    return seeds


def seed_streams(seed):
    """The two independent streams a member draws from: its initial weights and its shuffles."""
    init, shuffle = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init), np.random.default_rng(shuffle)
