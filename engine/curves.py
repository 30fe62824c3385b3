"""Evaluate a binding's curve at an intensity: pure Python, no Panda3D, no YAML.

Values may be numbers, tuples (positions, colours) or true/false. Outside the first and last
points the end values are held, so a scene never extrapolates past what the author wrote.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any


def _lerp(a: Any, b: Any, t: float) -> Any:
    if isinstance(a, tuple):
        return tuple(x + (y - x) * t for x, y in zip(a, b))
    return a + (b - a) * t


def evaluate(points: Sequence[tuple[float, Any]], interpolation: str, x: float) -> Any:
    """The curve's value at intensity ``x``.

    ``points`` are (intensity, value) pairs in increasing intensity; ``interpolation`` is
    'linear', 'smooth' (smoothstep, zero slope at each point, so motion eases in and out)
    or 'step' (hold each value until the next point).
    """
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    i = bisect_right([p[0] for p in points], x) - 1
    (x0, v0), (x1, v1) = points[i], points[i + 1]
    if interpolation == "step" or isinstance(v0, bool):
        return v0
    t = (x - x0) / (x1 - x0)
    if interpolation == "smooth":
        t = t * t * (3.0 - 2.0 * t)
    return _lerp(v0, v1, t)
