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
``PARAMETERS``: an unbounded normal for a bounded parameter is refused, with the fix.  Every
problem in a file is reported at once, as ``FILE:LINE:COL: key.path: what — what to write``.

``sample(n, rng)`` draws parameters in ``PARAMETERS`` order from the one generator, so a seed
gives the same people whatever order the file lists them in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy import stats

from adaptation.config import ConfigError, Doc, describe, did_you_mean, load
from adaptation.parameters import PARAMETERS, ParamSpec

FORMAT = "vrex-population/1"
BUILTIN_DIR = Path(__file__).resolve().parent / "populations"
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
        population = _read(doc)
        doc.raise_if_problems()
        assert population is not None
        return population

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


def _read(doc: Doc) -> Population | None:
    """Validates the whole file into ``doc``'s problems; a Population only if there are none."""
    data = doc.data
    keys = ("format", "name", "description", "parameters")
    if not doc.expect((), data, "mapping", fix=f"a population: a mapping with {', '.join(keys)}"):
        return None
    doc.check_keys((), data, keys, keys)
    if "format" in data and data["format"] != FORMAT:
        doc.error(("format",), f"unknown format {data['format']!r}", f"write format: {FORMAT}")
    for key in ("name", "description"):
        if key in data and doc.expect((key,), data[key], "string") and not data[key].strip():
            doc.error((key,), f"{key} is empty", f"write the population's {key}")
    params = data.get("parameters")
    found: dict[str, Distribution] = {}
    if "parameters" in data and doc.expect(
        ("parameters",), params, "mapping", fix="a mapping from parameter name to its distribution"
    ):
        doc.check_keys(("parameters",), params, PARAMETERS, fix="the parameters are those in adaptation/parameters.py")
        for name, raw in params.items():
            if name not in PARAMETERS:
                continue  # check_keys reported it, with did-you-mean
            dist = _distribution(doc, ("parameters", name), raw, PARAMETERS[name])
            if dist is not None:
                found[name] = dist
        missing = [name for name in PARAMETERS if name not in params]
        if missing:
            doc.error(
                ("parameters",),
                f"{len(missing)} parameter{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}",
                "give each a distribution and a source (see adaptation/parameters.py)",
                key=True,
            )
    if doc.problems:
        return None
    return Population(data["name"], data["description"], found, doc.file)


def _distribution(doc: Doc, path: tuple[str, str], raw: Any, spec: ParamSpec) -> Distribution | None:
    """One parameter's entry, or None after recording what is wrong with it."""
    name = path[-1]
    if not doc.expect(path, raw, "mapping", fix="a mapping with distribution, its keys and source"):
        return None
    ok = _source_ok(doc, path, raw)
    kind = raw.get("distribution")
    if not _kind_ok(doc, path, raw, kind, spec):
        return None
    required, positive, optional = DISTRIBUTIONS[kind]
    doc.check_keys(path, raw, {"distribution", "source", *required, *optional}, required)
    ok &= all(key in raw for key in required)
    args: dict[str, Any] = {}
    for key in (k for k in required if k in raw):
        if kind == "constant" and spec.kind == "bool":
            good = doc.expect((*path, key), raw[key], "boolean", fix=f"{name} is yes/no: write true or false")
        else:
            good = doc.expect(
                (*path, key),
                raw[key],
                "number",
                low=0 if key in positive or key == "p" else None,
                low_open=key in positive,
                high=1 if key == "p" else None,
            )
        if good:
            args[key] = raw[key] if isinstance(raw[key], bool) else float(raw[key])
        ok &= good
    # bounds and scale are checked even when the rest failed, so one run reports everything
    bounds, scale = (
        _pair(doc, (*path, key), raw[key]) if key in raw and key in optional else None for key in ("bounds", "scale")
    )
    if not ok or bounds is False or scale is False:
        return None
    if kind == "uniform" and args["low"] >= args["high"]:
        doc.error((*path, "high"), f"high ({args['high']:g}) must be greater than low ({args['low']:g})", "low < high")
        return None
    dist = Distribution(kind, args, bounds or None, scale or (0.0, 1.0), raw["source"])
    if dist.bounds is not None and dist.mass < MIN_MASS:
        doc.error(
            (*path, "bounds"),
            f"impossible distribution: bounds [{dist.bounds[0]:g}, {dist.bounds[1]:g}] hold "
            f"{dist.mass * 100:.3g} % of {dist}, under the {MIN_MASS * 100:g} % needed",
            "move the bounds toward the bulk of the distribution, or change its parameters",
        )
        return None
    lo, hi = dist.support()
    if spec.kind == "bool" or spec.low <= lo <= hi <= spec.high:
        return dist
    span = f"[{spec.low:g}, {spec.high:g}]"
    accepts = f"the range {name} accepts ({spec.unit})" if spec.unit else f"the range {name} accepts"
    if kind == "constant":
        doc.error((*path, "value"), f"{lo:g} is outside {span}, {accepts}", f"a value within {span}")
    elif dist.bounds is not None:
        doc.error(
            (*path, "bounds"),
            f"{dist} with these bounds can draw values from {lo:g} to {hi:g}, outside {span}, {accepts}",
            f"bounds within {span}",
        )
    elif kind in ("uniform", "beta"):
        keys = "low and high" if kind == "uniform" else "scale"
        doc.error(
            path,
            f"{dist} can draw values from {lo:g} to {hi:g}, outside {span}, {accepts}",
            f"{keys} within {span}, or add bounds: [lo, hi] within it",
            key=True,
        )
    else:
        draws = "any value" if math.isinf(lo) else f"any value above {lo:g}"
        doc.error(
            path,
            f"{dist} can draw {draws}, but {name} must lie in {span} {spec.unit}".rstrip(),
            f"add bounds: [lo, hi] within {span}",
            key=True,
        )
    return None


def _pair(doc: Doc, path: tuple[str, ...], raw: Any) -> tuple[float, float] | Literal[False]:
    """[lo, hi] with lo < hi, or False after reporting why not."""
    key = path[-1]
    fix = f"{key}: [lo, hi], two numbers with lo < hi"
    if not isinstance(raw, list) or len(raw) != 2:
        got = f"{len(raw)} values" if isinstance(raw, list) else describe(raw)
        doc.error(path, f"expected [lo, hi], got {got}", fix)
        return False
    if not all([doc.expect((*path, i), v, "number", fix=fix) for i, v in enumerate(raw)]):
        return False
    if raw[0] >= raw[1]:
        doc.error(path, f"lo ({raw[0]:g}) must be below hi ({raw[1]:g})", fix)
        return False
    return float(raw[0]), float(raw[1])


def _source_ok(doc: Doc, path: tuple[str, str], raw: dict) -> bool:
    """Every parameter says where its numbers come from."""
    source: Any = raw.get("source")
    if "source" not in raw:
        doc.error(
            path,
            "missing key 'source'",
            "add source: \"citation\", or \"rationale: …\", or \"model default, unverified: …\"",
            key=True,
        )
        return False
    if doc.expect((*path, "source"), source, "string") and not source.strip():
        doc.error(
            (*path, "source"),
            "source is empty",
            "cite where the numbers come from, or write \"rationale: …\" or \"model default, unverified: …\"",
        )
        return False
    return True


def _kind_ok(doc: Doc, path: tuple[str, str], raw: dict, kind: Any, spec: ParamSpec) -> bool:
    """A known distribution that can describe this kind of parameter (yes/no or a number)."""
    name = path[-1]
    if "distribution" not in raw:
        doc.error(path, "missing key 'distribution'", f"add distribution: one of {', '.join(DISTRIBUTIONS)}", key=True)
        return False
    if kind not in DISTRIBUTIONS:
        doc.error(
            (*path, "distribution"),
            f"unknown distribution {describe(kind)}{did_you_mean(kind, DISTRIBUTIONS)}",
            f"one of: {', '.join(DISTRIBUTIONS)}",
        )
        return False
    if spec.kind == "bool" and kind not in ("bernoulli", "constant"):
        doc.error(
            (*path, "distribution"),
            f"{name} is yes/no, so {kind} cannot describe it",
            "distribution: bernoulli with p, or constant with value: true or false",
        )
        return False
    if spec.kind != "bool" and kind == "bernoulli":
        doc.error(
            (*path, "distribution"),
            f"bernoulli draws true/false, but {name} is a number ({spec.unit})",
            "constant, uniform, normal, lognormal or beta",
        )
        return False
    return True
