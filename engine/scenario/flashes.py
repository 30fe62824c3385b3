"""Light ``flicker`` and the photosensitive-epilepsy check on it (WCAG 2.3.1).

The rule (WCAG 2.1 success criterion 2.3.1, "Three Flashes or Below Threshold"): nothing
may flash more than three times in any one second unless the flash is below the general
flash threshold. WCAG defines a *flash* as a pair of opposing changes in relative
luminance of 10 % or more of the maximum relative luminance.

How that maps onto a flicker (``engine/scene/flicker.py`` draws it): the light's strength
is multiplied by ``1 - depth × (1 - cos 2πφ) / 2`` with the phase φ advancing ``rate``
cycles per second, so every cycle is one dip and one recovery — one pair of opposing changes.
Hence **a flicker of rate Hz makes rate flashes per second**, and it is a flash in WCAG's
sense when **depth ≥ 0.1** (the light drops by at least 10 % of its own maximum). Counting
the light's own change, not the scene's, is conservative: other lights only make the change
the patient sees smaller. WCAG's second condition (the darker state below 0.80 relative
luminance) is not used, since a scene's luminance is unknown here; that too errs on the safe
side. Refused: any intensity at which rate > 3 while depth ≥ 0.1. Rate and depth may both be
bound; each curve is monotone between its points (linear, smooth and step alike), so the
check is exact: per interval between points, find where depth ≥ 0.1 and take the largest
rate there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.curves import evaluate
from engine.scenario.errors import Mark, Problems
from engine.scenario.schema import Field, Record
from engine.scenario.spec import Binding, Entity
from engine.scenario.valuetypes import Num
from vrexbase.real import is_finite

MAX_FLASHES = 3.0  # per second (WCAG 2.3.1)
FLASH_DEPTH = 0.1  # the general flash threshold: a change of 10 % of the maximum
MAX_RATE = 60.0  # Hz: above this a flicker is a steady dimming on any display


@dataclass(frozen=True)
class Flicker:
    rate: float  # Hz: dips per second (= flashes per second)
    depth: float  # 0–1: how far each dip dims the light, as a fraction of its strength
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)


Curve = tuple[tuple[tuple[float, float], ...], str]


def _curve(base: float, binding: Binding | None) -> Curve:
    if binding is None or not binding.points:
        return ((0.0, base),), "linear"
    return tuple((at, v) for at, v in binding.points), binding.interpolation


def _usable(binding: Binding | None) -> bool:
    """A binding whose values are all numbers (a wrong one was reported already)."""
    return binding is None or all(is_finite(v) for _, v in binding.points)


def first_flash(rate: Curve, depth: Curve) -> tuple[float, float, float] | None:
    """(intensity, rate, depth) where the flicker flashes fastest at a depth of at least
    ``FLASH_DEPTH``, when that is more than ``MAX_FLASHES`` per second; None when nowhere."""
    r_at = lambda x: evaluate(rate[0], rate[1], x)  # noqa: E731
    d_at = lambda x: evaluate(depth[0], depth[1], x)  # noqa: E731
    edges = sorted({0.0, 1.0, *(at for at, _ in rate[0]), *(at for at, _ in depth[0])})
    worst: tuple[float, float, float] | None = None
    for lo, hi in zip(edges, edges[1:]):
        flashing = [x for x in (lo, hi) if d_at(x) >= FLASH_DEPTH]
        if len(flashing) == 1:  # depth crosses the threshold inside: find where (depth is monotone here)
            a, b = (lo, hi) if flashing[0] == lo else (hi, lo)  # a flashes, b does not
            for _ in range(60):
                mid = (a + b) / 2
                a, b = (mid, b) if d_at(mid) >= FLASH_DEPTH else (a, mid)
            flashing = sorted((flashing[0], a))
        for x in flashing:  # rate is monotone too: its largest value is at an end
            if r_at(x) > MAX_FLASHES and (worst is None or r_at(x) > worst[1]):
                worst = x, r_at(x), d_at(x)
    return worst


def check_flicker(lights: Iterable[Entity], bindings: Iterable[Binding], p: Problems) -> None:
    """Report every light whose flicker would flash more than three times a second anywhere
    on the intensity scale, at the binding (or key) that sets its rate."""
    by_target = {b.target: b for b in bindings}
    for e in lights:
        flicker = e.get("flicker")
        if e.type != "light" or flicker is None:
            continue
        rate_b = by_target.get(f"{e.id}.flicker.rate") if e.id else None
        depth_b = by_target.get(f"{e.id}.flicker.depth") if e.id else None
        if not (_usable(rate_b) and _usable(depth_b)):
            continue
        found = first_flash(_curve(flicker.rate, rate_b), _curve(flicker.depth, depth_b))
        if found is None:
            continue
        x, rate, depth = found
        if rate_b is not None:
            mark = rate_b.marks.get("target", rate_b.mark)
            where = f"binding '{rate_b.target}'"
        else:
            mark = flicker.marks.get("rate", e.marks.get("flicker", e.mark))
            where = f"light '{e.id}'" if e.id else "this light"
        p.add(
            mark,
            f"{where} flickers at {rate:.3g} flashes per second (depth {depth:.2g}) at intensity {x:.3g}, "
            f"more than {MAX_FLASHES:g}",
            f"at most {MAX_FLASHES:g} flashes per second wherever depth is {FLASH_DEPTH:g} or more "
            "(WCAG 2.3.1, three flashes or below threshold: more can trigger seizures); "
            "lower 'rate' or keep 'depth' below 0.1 there",
        )


FLICKER = Record(
    "flicker",
    {
        "rate": Field(
            Num(0, MAX_RATE, unit="Hz"),
            doc="Dips per second; each dip is one flash. More than 3 where depth ≥ 0.1 is refused (WCAG 2.3.1).",
        ),
        "depth": Field(Num(0, 1), 0.5, "How far each dip dims the light (fraction of its strength)."),
    },
    lambda v, m, mark: Flicker(**v, marks=m),
    "A light that dims and recovers 'rate' times a second; rate and depth can be bound to intensity.",
)
