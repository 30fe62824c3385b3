"""Reading a population YAML file (``format: vrex-population/1``, ``adaptation.population``'s
docstring) and checking all of it: the top-level keys, every parameter of
``adaptation.parameters.PARAMETERS`` present once, each with a known distribution that fits
its kind (yes/no or a number), the distribution's keys and their ranges, ``bounds`` and
``scale`` pairs, bounds that keep enough of the distribution (``MIN_MASS``), draws inside the
parameter's range, and a ``source`` for every number. Every problem goes into the ``Doc``
(``FILE:LINE:COL: key.path: what — what to write``), so one run reports them all.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from adaptation.config import Doc, describe, did_you_mean
from adaptation.distributions import DISTRIBUTIONS, MIN_MASS, Distribution
from adaptation.parameters import PARAMETERS, ParamSpec

FORMAT = "vrex-population/1"


def read_population(doc: Doc) -> tuple[str, str, dict[str, Distribution]] | None:
    """Validates the whole file into ``doc``'s problems; (name, description, distributions)
    only if there are none."""
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
    return data["name"], data["description"], found


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
