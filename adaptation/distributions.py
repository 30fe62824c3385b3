"""One parameter's distribution in a population file: ``Distribution`` (draw, bound, quantile,
moments) and the kinds a file may name (``DISTRIBUTIONS``: required, positive and optional
keys of each).

Distributions and their keys:

=========== ============================ ==================================================
constant    value                        a number; true/false for a yes/no parameter
uniform     low, high                    low < high
normal      mean, sd                     sd > 0
lognormal   median, sigma                median > 0, sigma > 0 (sigma of the log)
beta        a, b, optional scale         a, b > 0; on [0, 1], or on scale: [lo, hi]
bernoulli   p                            0 ≤ p ≤ 1; only for yes/no ('bool') parameters
=========== ============================ ==================================================

``bounds: [lo, hi]`` (uniform, normal, lognormal, beta) keeps draws in [lo, hi] by
rejection; bounds that hold under 1 % of the distribution are refused as impossible.  Every
value a distribution can draw, after bounds, must lie inside the parameter's range in
``PARAMETERS``: an unbounded normal for a bounded parameter is refused, with the fix
(``adaptation.population_yaml`` checks both).

``Distribution.sample`` draws from one generator (``Population.sample``); ``quantile`` maps
uniforms to draws (``Population.sample_people``, one uniform per person and parameter).
``adaptation.population`` re-exports ``Distribution``, ``DISTRIBUTIONS`` and ``MIN_MASS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

MIN_MASS = 0.01  # bounds must keep at least this share of the distribution
_MAX_BATCH = 1 << 21  # candidates drawn per rejection round (memory stays ~16 MiB)
_MAX_ROUNDS = 1000  # with MIN_MASS, a round of 1.2 × need / mass almost always suffices

# name -> (required keys, positive keys, optional keys)
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "constant": (("value",), (), ()),
    "uniform": (("low", "high"), (), ("bounds",)),
    "normal": (("mean", "sd"), ("sd",), ("bounds",)),
    "lognormal": (("median", "sigma"), ("median", "sigma"), ("bounds",)),
    "beta": (("a", "b"), ("a", "b"), ("bounds", "scale")),
    "bernoulli": (("p",), (), ()),
}


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution, already validated when read from a file."""

    kind: str
    args: dict[str, Any]  # {"mean": 72.0, "sd": 10.0}, {"value": True}, …
    bounds: tuple[float, float] | None = None
    scale: tuple[float, float] = (0.0, 1.0)  # beta only
    source: str = ""

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(f'{k} {v:g}' for k, v in self.args.items() if not isinstance(v, bool))})"

    def frozen(self) -> Any:
        """The untruncated scipy distribution (continuous kinds only)."""
        a = self.args
        if self.kind == "uniform":
            return stats.uniform(a["low"], a["high"] - a["low"])
        if self.kind == "normal":
            return stats.norm(a["mean"], a["sd"])
        if self.kind == "lognormal":
            return stats.lognorm(a["sigma"], scale=a["median"])
        if self.kind == "beta":
            return stats.beta(a["a"], a["b"], loc=self.scale[0], scale=self.scale[1] - self.scale[0])
        raise ValueError(f"{self.kind} is not a continuous distribution")

    def support(self) -> tuple[float, float]:
        """The lowest and highest value a draw can take, after bounds."""
        a = self.args
        lo: float
        hi: float
        if self.kind == "constant":
            lo = hi = a["value"]
        elif self.kind == "uniform":
            lo, hi = a["low"], a["high"]
        elif self.kind == "beta":
            lo, hi = self.scale
        else:
            lo, hi = {"normal": (-math.inf, math.inf), "lognormal": (0.0, math.inf), "bernoulli": (0.0, 1.0)}[self.kind]
        if self.bounds:
            lo, hi = max(lo, self.bounds[0]), min(hi, self.bounds[1])
        return lo, hi

    @cached_property
    def mass(self) -> float:
        """The share of the untruncated distribution that lies inside ``bounds``."""
        if self.bounds is None:
            return 1.0
        dist = self.frozen()
        return float(dist.cdf(self.bounds[1]) - dist.cdf(self.bounds[0]))

    def _draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        a = self.args
        if self.kind == "uniform":
            return rng.uniform(a["low"], a["high"], n)
        if self.kind == "normal":
            return rng.normal(a["mean"], a["sd"], n)
        if self.kind == "lognormal":
            return rng.lognormal(math.log(a["median"]), a["sigma"], n)
        lo, hi = self.scale
        return lo + (hi - lo) * rng.beta(a["a"], a["b"], n)

    def moments(self) -> tuple[float, float]:
        """(mean, standard deviation) of a draw, after bounds (true counts as 1): what a
        shifted population's "moved by at least one SD" is measured in."""
        if self.kind == "bernoulli":
            p = self.args["p"]
            return p, math.sqrt(p * (1 - p))
        if self.kind == "constant":
            return float(self.args["value"]), 0.0
        dist = self.frozen()
        if self.bounds is None:
            return float(dist.mean()), float(dist.std())
        lo, hi = self.bounds
        mean = dist.expect(lambda x: x, lb=lo, ub=hi, conditional=True)
        var = dist.expect(lambda x: (x - mean) ** 2, lb=lo, ub=hi, conditional=True)
        return float(mean), float(math.sqrt(var))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The draws that uniforms ``u`` in [0, 1) stand for (inverse CDF, inside ``bounds``):
        what ``Population.sample_people`` uses, one uniform per person and parameter."""
        u = np.asarray(u, dtype=np.float64)
        if self.kind == "bernoulli":
            return u < self.args["p"]
        if self.kind == "constant":
            value = self.args["value"]
            return np.full(u.shape, value, dtype=bool if isinstance(value, bool) else np.float64)
        dist = self.frozen()
        lo, hi = (0.0, 1.0) if self.bounds is None else (dist.cdf(self.bounds[0]), dist.cdf(self.bounds[1]))
        q = np.clip(lo + u * (hi - lo), 1e-15, 1.0 - 1e-15)  # ppf(0) of a normal is −inf
        return np.clip(dist.ppf(q), *self.support())

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws: bool for bernoulli and true/false constants, float64 otherwise."""
        if n < 0:
            raise ValueError(f"cannot draw {n} values; n must be ≥ 0")
        if self.kind == "bernoulli":
            return rng.random(n) < self.args["p"]
        if self.kind == "constant":
            value = self.args["value"]
            return np.full(n, value, dtype=bool if isinstance(value, bool) else np.float64)
        if self.bounds is None:
            return self._draw(n, rng)
        lo, hi = self.bounds
        out = np.empty(n, dtype=np.float64)
        filled = 0
        for _ in range(_MAX_ROUNDS):
            if filled == n:
                return out
            need = n - filled
            # oversample by 1/mass so that one round usually fills everything
            x = self._draw(min(int(need * 1.2 / max(self.mass, 1e-6)) + 16, _MAX_BATCH), rng)
            x = x[(x >= lo) & (x <= hi)][:need]
            out[filled : filled + len(x)] = x
            filled += len(x)
        if filled == n:
            return out
        raise RuntimeError(
            f"{self} with bounds {list(self.bounds)}: only {filled} of {n} draws "
            f"landed inside after {_MAX_ROUNDS} rounds (mass {self.mass:.2g})"
        )
