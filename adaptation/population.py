"""A population of simulated patients: one distribution per parameter, read from YAML.

Format (``format: vrex-population/1``; the built-in ones are in ``adaptation/populations/``,
whose README says the same at more length)::

    format: vrex-population/1
    name: default
    description: >
      Who these people are meant to be.
    parameters:                 # every name in adaptation.parameters.PARAMETERS, no others
      hr_rest:
        distribution: normal    # constant | uniform | normal | lognormal | beta | bernoulli
        mean: 72
        sd: 10
        bounds: [50, 110]       # optional: truncation (draws outside are redrawn, not clipped)
        source: "citation, or 'rationale: …', or 'model default, unverified: …'"

(The distributions and their keys: ``adaptation.distributions``; reading and checking a
file: ``adaptation.population_yaml``.)

``bounds: [lo, hi]`` (uniform, normal, lognormal, beta) keeps draws in [lo, hi] by
rejection; bounds that hold under 1 % of the distribution are refused as impossible.  Every
value a distribution can draw, after bounds, must lie inside the parameter's range in
``PARAMETERS``: an unbounded normal for a bounded parameter is refused, with the fix.  Every
problem in a file is reported at once, as ``FILE:LINE:COL: key.path: what — what to write``.

``sample(n, rng)`` draws parameters in ``PARAMETERS`` order from the one generator, so a seed
gives the same people whatever order the file lists them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adaptation.config import ConfigError, did_you_mean, load
from adaptation.distributions import DISTRIBUTIONS, MIN_MASS, Distribution
from adaptation.parameters import PARAMETERS
from adaptation.population_yaml import FORMAT, read_population

# re-exported: randomise.py, the tests and the benchmarks import these from here
__all__ = ["BUILTIN_DIR", "DISTRIBUTIONS", "FORMAT", "MIN_MASS", "Distribution", "Population"]

BUILTIN_DIR = Path(__file__).resolve().parent / "populations"


@dataclass(frozen=True)
class Population:
    """Distributions for every parameter in ``PARAMETERS``; ``sample`` draws people from it."""

    name: str
    description: str
    parameters: dict[str, Distribution]
    file: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        missing = sorted(set(PARAMETERS) - set(self.parameters))
        extra = sorted(set(self.parameters) - set(PARAMETERS))
        if missing or extra:
            raise ValueError(
                f"population '{self.name}' must cover exactly PARAMETERS; missing {missing}, unknown {extra}"
            )

    @classmethod
    def load(cls, path: str | Path) -> Population:
        """Reads and validates a population file; ``ConfigError`` lists every problem."""
        doc = load(path)
        found = read_population(doc)
        doc.raise_if_problems()
        assert found is not None
        return Population(*found, doc.file)

    @staticmethod
    def available() -> list[str]:
        """Names of the built-in populations."""
        return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))

    @classmethod
    def builtin(cls, name: str = "default") -> Population:
        """The built-in population ``adaptation/populations/NAME.yaml``."""
        names = cls.available()
        if name not in names or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ConfigError(
                [
                    f"{BUILTIN_DIR / (str(name) + '.yaml')}: no built-in population named "
                    f"{name!r}{did_you_mean(name, names)} — available: {', '.join(names)}; "
                    "or give the path of a population YAML file"
                ]
            )
        return cls.load(BUILTIN_DIR / f"{name}.yaml")

    @classmethod
    def named_or_file(cls, name_or_path: str | Path) -> Population:
        """A population YAML file (a ``.yaml``/``.yml`` path, or any path that exists), else
        the built-in population of that name: what ``--population`` accepts."""
        path = Path(name_or_path)
        if path.suffix in (".yaml", ".yml") or path.exists():
            return cls.load(path)
        return cls.builtin(str(name_or_path))

    def source(self, name: str) -> str:
        """The citation or rationale the file gives for parameter ``name``."""
        if name not in self.parameters:
            raise KeyError(f"no parameter {name!r}{did_you_mean(name, self.parameters)}")
        return self.parameters[name].source

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``n`` people: name -> array of shape (n,), float64 (bool for yes/no parameters)."""
        return {name: self.parameters[name].sample(n, rng) for name in PARAMETERS}

    def sample_people(self, seed: int, people: Any) -> dict[str, np.ndarray]:
        """The people numbered ``people`` (e.g. ``range(500)``) under ``seed``: person ``i``'s
        parameters come from their own stream (``PersonStreams.for_people``), one uniform per
        parameter in ``PARAMETERS`` order, so they are the same whichever batch they are in."""
        from .streams import PersonStreams

        people = list(people)
        u = PersonStreams.for_people(seed, people).random((len(people), len(PARAMETERS)))
        return {name: self.parameters[name].quantile(u[:, j]) for j, name in enumerate(PARAMETERS)}
