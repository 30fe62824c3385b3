"""The ``people`` entity's keys and its layout: where each person stands or sits.

Pure numpy (no Panda3D), so validation can place the crowd and say at once when it does not
fit, and the scene (``engine/scene/people.py``) uses the very same positions.

Coordinates are the entity's own: the patient is at the origin looking along +y. ``distance``
is how far the nearest row (``rows``) or the near edge of the area (``scatter``) is in front of
the origin; changing it moves the whole layout along y, so the spacing never changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.scenario.errors import Problems
from engine.scenario.schema import INVALID, Field, Record
from engine.scenario.valuetypes import Bool, Num, Str, Vec
from engine.scenario.yamlsafe import YNode

MAX_PEOPLE = 400  # every person is five nodes that move: more would make frame times unpredictable
_TRIES = 20  # batches of random places per person before the scatter layout gives up
_BATCH = 64


@dataclass(frozen=True)
class Layout:
    """Positions (n, 3) at distance 0, headings (deg) and the order in which people appear."""

    points: np.ndarray
    headings: np.ndarray
    order: np.ndarray  # order[k]: index of the k-th person to appear when count rises


def layout(params: dict[str, Any]) -> Layout | str:
    """Where ``params['count']`` people go, or a sentence saying why they do not fit."""
    n, seed = int(params["count"]), int(params["seed"])
    rng = np.random.default_rng(seed)
    if params["layout"] == "rows":
        dx, dy = params["spacing"]
        if min(dx, dy) < params["min_spacing"]:
            return f"rows 'spacing' {dx:g} × {dy:g} m is closer than min_spacing {params['min_spacing']:g} m"
        per_row = int(params["per_row"])
        k = np.arange(n)
        row, seat = k // per_row, k % per_row
        points = np.stack([(seat - (per_row - 1) / 2) * dx, row * dy, row * params["rise"]], axis=1).astype(float)
        # People take the middle seats first, with a seeded jitter so no two halls fill alike.
        half = max((per_row - 1) / 2 * dx, 1e-6)
        order = np.argsort(rng.uniform(0, 1, n) + 0.6 * np.abs(points[:, 0]) / half + 0.08 * row, kind="stable")
    else:
        found = _scatter(rng, n, params["area"], params["min_spacing"])
        if isinstance(found, str):
            return found
        points = found
        # A crowd gathers from the far side toward the patient: the nearest arrive last.
        order = np.argsort(-points[:, 1], kind="stable")
    facing = params["facing"]
    if facing == "patient" and params["layout"] == "rows":
        headings = np.full(n, 180.0)  # the rows face back down the hall
    elif facing == "patient":  # each turns to the origin (where it is at the written distance)
        headings = np.degrees(np.arctan2(points[:, 0], -(points[:, 1] + params["distance"])))
    elif facing == "away":
        headings = np.zeros(n)
    else:
        headings = rng.uniform(-180, 180, n)
    return Layout(points, (headings + 180.0) % 360.0 - 180.0, order)


def _scatter(rng: np.random.Generator, n: int, area: tuple[float, float], spacing: float) -> np.ndarray | str:
    """Seeded, no two people closer than ``spacing``; each new person takes, of a batch of
    random free places, the one nearest to someone already there, so the area packs well
    (as people in a lift do) and the check that they fit rarely fails for want of luck."""
    w, d = area
    points = np.zeros((n, 3))
    for placed in range(n):
        for _ in range(_TRIES):
            cand = rng.uniform(0, 1, size=(_BATCH, 2)) * (w, d) - (w / 2, 0)
            if placed == 0:
                points[0, :2] = cand[0]
                break
            diff = cand[:, None, :] - points[None, :placed, :2]
            near = np.hypot(diff[..., 0], diff[..., 1]).min(axis=1)
            free = np.flatnonzero(near >= spacing)
            if len(free):
                points[placed, :2] = cand[free[np.argmin(near[free])]]
                break
        else:
            return f"only {placed} of {n} people fit {spacing:g} m apart in the {w:g} × {d:g} m area"
    return points


def nearest_spacing(points: np.ndarray) -> float:
    """The smallest distance between two people on the floor (inf for fewer than two)."""
    if len(points) < 2:
        return math.inf
    diff = points[:, None, :2] - points[None, :, :2]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    dist[np.diag_indices(len(points))] = np.inf
    return float(dist.min())


class PeopleRecord(Record):
    """The entity's keys, plus a check that the people fit where they are asked to go."""

    def check(self, node: YNode, p: Problems) -> Any:
        entity = super().check(node, p)
        if entity is INVALID:
            return entity
        why = layout(entity.params)
        if isinstance(why, str):
            key = "area" if entity.params["layout"] == "scatter" else "spacing"
            p.add(
                entity.marks.get("count", entity.mark),
                f"{why}",
                f"fewer people ('count'), a smaller 'min_spacing' or a larger '{key}'",
            )
            return INVALID
        return entity


def people_variant(common: dict[str, Field], build: Any) -> Record:
    """The ``people`` entry of the entity table; ``common``/``build`` come from ``format``."""
    metres = Num(0, unit="m")
    fields = {"type": Field(Str(("people",)), doc="'people'")}
    fields.update({k: f for k, f in common.items() if k in ("id", "parent", "position", "rotation", "visible")})
    fields.update(
        {
            "count": Field(
                Num(1, MAX_PEOPLE, integer=True), doc="How many people are built; bind 'count' to show fewer."
            ),
            "layout": Field(
                Str(("rows", "scatter")),
                "scatter",
                "rows: seats in rows in front of the patient (an audience); "
                "scatter: seeded places in 'area' (a crowd).",
            ),
            "pose": Field(Str(("standing", "seated")), "standing", "Standing, or seated on a chair 0.45 m high."),
            "facing": Field(
                Str(("patient", "away", "random")),
                "patient",
                "Which way bodies face: toward the patient, along +y (away, as lift passengers face the doors), "
                "or seeded at random.",
            ),
            "distance": Field(
                metres,
                1.0,
                "How far in front of the entity's origin (the patient) the first row or the area starts (m).",
            ),
            "per_row": Field(Num(1, 100, integer=True), 10, "rows: seats per row."),
            "spacing": Field(
                Vec(2, Num(0, min_exclusive=True, unit="m"), "seat, row"),
                (0.6, 1.0),
                "rows: from seat to seat and from row to row (m).",
            ),
            "rise": Field(Num(0, 2, unit="m"), 0.0, "rows: how much higher each row is than the one before (m)."),
            "area": Field(
                Vec(2, Num(0, min_exclusive=True, unit="m"), "x, y"),
                (4.0, 4.0),
                "scatter: width (centred on x = 0) and depth (from 'distance' on) of the area (m).",
            ),
            "min_spacing": Field(metres, 0.5, "No two people closer than this, centre to centre (m)."),
            "seed": Field(
                Num(0, integer=True), 0, "Seeds heights, builds, clothes and places: same seed, same people."
            ),
            "attention": Field(
                Num(0, 1), 0.0, "Fraction of the people whose heads turn toward the patient (eased, not snapped)."
            ),
            "restlessness": Field(Num(0, 1), 0.0, "0 still; 1 fidgeting: shifting weight, moving heads and hands."),
            "lit": Field(Bool(), True, "Whether lights shade them."),
        }
    )
    return PeopleRecord("people", fields, build, "Stylised people: an audience in rows or a crowd in an area.")
