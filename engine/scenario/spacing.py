"""Scatter copies at least ``min_spacing`` apart: where they go, and how many can fit.

Placement is dart throwing: candidates are drawn one by one from the seeded generator over
the rectangle (outside the kept-clear circle) and kept when no kept copy is nearer than the
spacing; a grid of cells spacing/√2 wide (so each holds at most one copy) makes the
neighbour test cheap. Same seed, same layout.

Random placement cannot fill an area as densely as a packing can: hexagonal packing of
circles of diameter s covers π/(2√3) ≈ 91 % of the plane, random sequential placement jams
at about 55 % (Feder 1980) and reaches that only with endless tries. The validator therefore
allows ``FILL`` of the hexagonal count over the free area — a bound the placement below meets
for every seed within its budget of tries (tests/engine/test_scatter_spacing.py checks it) —
and says so when ``count`` is more; the build fails with the same advice if it ever falls short.
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import VrexError

HEX_DENSITY = math.pi / (2 * math.sqrt(3))  # the densest packing of equal circles in the plane
FILL = 0.5  # of the hexagonal count (0.45 coverage): random placement reached 0.57 in 60 tries per copy
TRIES_PER_COPY = 60
# Arithmetic guards only: copies 1 nm apart are also 1e-300 m apart, and no scene holds 1e12 copies.
MIN_SPACING = 1e-9
LOTS = 1e12


def capacity(area: tuple[float, float], free: float, spacing: float) -> tuple[int, int]:
    """(copies random placement reliably fits, copies the densest packing could fit) in an
    ``area`` of which the fraction ``free`` is outside the kept-clear circle."""
    w, d = area
    spacing = max(spacing, MIN_SPACING)
    disc = math.pi * spacing * spacing / 4  # each copy owns a disc of diameter 'spacing'
    packed = HEX_DENSITY * (w + spacing) * (d + spacing) / disc  # discs may overhang the edge by s/2
    reliable = FILL * HEX_DENSITY * free * (w + spacing / 4) * (d + spacing / 4) / disc
    return max(1, int(min(reliable, LOTS))), max(1, int(min(packed, LOTS)))


def spacing_problem(
    count: int, area: tuple[float, float], exclude: float, spacing: float, free: float
) -> tuple[str, str] | None:
    """(what is wrong, what to write) when ``count`` copies cannot be placed ``spacing`` apart."""
    reliable, packed = capacity(area, free, spacing)
    if count <= reliable:
        return None
    w, d = area
    why = (
        f"even packed perfectly at most {packed:,} fit"
        if count > packed
        else f"random places fit about {reliable:,} (a perfect packing {packed:,})"
    )
    smaller = spacing * math.sqrt(reliable / count)
    while capacity(area, free, smaller)[0] < count:  # the suggestion must itself validate
        smaller *= 0.98
    smaller = math.floor(smaller * 1000) / 1000
    return (
        f"{count:,} copies at least {spacing:g} m apart do not fit the {w:g} × {d:g} m area: {why}",
        f"at most {reliable:,} copies, a min_spacing of at most {smaller:g} m, or a larger area",
    )


def place(rng: np.random.Generator, n: int, area: tuple[float, float], exclude: float, spacing: float) -> np.ndarray:
    """``n`` points (x, y, 0) in the ``area`` rectangle centred on the origin, outside the
    ``exclude`` circle and at least ``spacing`` apart; raises ``VrexError`` if the tries run out."""
    size = np.array(area, dtype=float)
    asked, spacing = spacing, max(spacing, MIN_SPACING)
    # cells spacing/√2 wide hold one copy each; in an absurdly wide area (1e300 m) they are
    # wider, so that cell numbers stay finite, and then hold a list
    cell = max(spacing / math.sqrt(2), float(size.max()) * 1e-12)
    reach = math.ceil(spacing / cell)
    grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
    points = np.zeros((n, 3))
    filled, tries, budget = 0, 0, TRIES_PER_COPY * n + 1000
    s2 = spacing * spacing
    while filled < n and tries < budget:
        for x, y in rng.uniform(-0.5, 0.5, size=(min(4096, budget - tries), 2)) * size:
            tries += 1
            if math.hypot(x, y) < exclude:
                continue
            cx, cy = int(math.floor(x / cell)), int(math.floor(y / cell))
            if not any(
                (q[0] - x) ** 2 + (q[1] - y) ** 2 < s2
                for i in range(cx - reach, cx + reach + 1)
                for j in range(cy - reach, cy + reach + 1)
                for q in grid.get((i, j), ())
            ):
                grid.setdefault((cx, cy), []).append((x, y))
                points[filled, :2] = x, y
                filled += 1
                if filled == n:
                    break
    if filled < n:
        raise VrexError(
            f"scatter placed only {filled} of {n} copies at least {asked:g} m apart in "
            f"{area[0]:g} × {area[1]:g} m — fewer copies, a smaller min_spacing or a larger area"
        )
    return points
