"""Domain randomisation for training: several populations mixed, each widened around its centre.

A policy trained on ``default.yaml`` alone met people off that distribution (more afraid,
slower to habituate, under-reporting) less safely than the SUDS protocol did. Training
draws each simulated person from one of several populations (``MixedPopulation``), and
may widen every continuous distribution around its centre (``widened``) so that the
policy sees people beyond any one file. Bounds stay: they keep parameters physical.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .parameters import PARAMETERS
from .population import Distribution, Population


def widened(population: Population, factor: float) -> Population:
    """``population`` with each continuous distribution's spread times ``factor`` (same centre)."""
    if not factor > 0:
        raise ValueError(f"widen = {factor}; expected a positive factor (1: as written)")
    if factor == 1.0:
        return population
    out: dict[str, Distribution] = {}
    for name, d in population.parameters.items():
        a = dict(d.args)
        if d.kind == "normal":
            a["sd"] = a["sd"] * factor
        elif d.kind == "lognormal":
            a["sigma"] = a["sigma"] * factor
        elif d.kind == "uniform":
            mid, half = (a["low"] + a["high"]) / 2, (a["high"] - a["low"]) / 2 * factor
            # a non-negative quantity stays so; a fraction stays at most 1
            low = mid - half if d.args["low"] < 0 else max(mid - half, 0.0)
            high = mid + half if d.args["high"] > 1 else min(mid + half, 1.0)
            a["low"], a["high"] = low, high
        out[name] = dataclasses.replace(d, args=a)
    return Population(f"{population.name}×{factor:g}", population.description, out, population.file)


@dataclass(frozen=True)
class MixedPopulation:
    """Each person drawn from one of ``members`` (equal chance): one person, one population."""

    members: tuple[Population, ...]

    @property
    def name(self) -> str:
        return "+".join(p.name for p in self.members)

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if len(self.members) == 1:
            return self.members[0].sample(n, rng)
        which = rng.integers(0, len(self.members), n)
        draws = [p.sample(n, rng) for p in self.members]
        return {k: np.choose(which, [d[k] for d in draws]) for k in PARAMETERS}
