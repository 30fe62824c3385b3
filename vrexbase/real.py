"""One answer to "is this a real number?" for every layer.

Values reach the rules from files, the network and other people's code, so "a number" is
narrow on purpose: an int or a float (numpy's included), finite, and representable as a
float. Not numbers here: booleans (``True`` is not a heart rate of 1), text (``"20"`` is what
a file said, not a reading), ``None``, containers, NaN, ±infinity, and integers too large
for a float. Code that needs infinity (an "unknown age is infinitely old" default) passes
it as the ``default`` and says so where it does.

The safety invariant monitor keeps its own copy (``adaptation/invariants.py``): it must not
share code with the shield it checks.
"""

from __future__ import annotations

import math
import numbers


def finite(value: object, default: float = math.nan) -> float:
    """``float(value)`` when ``value`` is a real, finite number; ``default`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return default
    try:
        x = float(value)
    except (OverflowError, ValueError, TypeError):  # an int beyond float range
        return default
    return x if math.isfinite(x) else default


def is_finite(value: object) -> bool:
    """True when ``value`` is a real, finite number (see the module docstring)."""
    return not math.isnan(finite(value, math.nan))
