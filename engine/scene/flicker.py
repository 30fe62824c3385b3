"""A light's flicker, advanced by dt only (never the wall clock), so a replay or a test with
the same frame times sees the same light.

Each cycle the strength dips once and recovers: ``1 - depth × (1 - cos 2πφ) / 2``, φ the phase
in cycles. One dip per cycle is one flash (engine/scenario/flashes.py has the rule and the
WCAG 2.3.1 limit the validator holds every flicker to).
"""

from __future__ import annotations

import math

from engine.scenario.flashes import Flicker


class FlickerState:
    def __init__(self, flicker: Flicker):
        self.rate = flicker.rate  # Hz
        self.depth = flicker.depth  # 0-1
        self.phase = 0.0  # cycles, in [0, 1): starts at full strength

    def set(self, prop: str, value: float) -> None:
        """'flicker.rate' or 'flicker.depth' from a binding."""
        if prop == "flicker.rate":
            self.rate = float(value)
        else:
            self.depth = float(value)

    def advance(self, dt: float) -> None:
        # Changing the rate changes how fast the phase turns, never the phase itself: no jump.
        self.phase = (self.phase + self.rate * max(0.0, dt)) % 1.0

    def factor(self) -> float:
        """What the light's strength is multiplied by now (1 - depth to 1)."""
        return 1.0 - self.depth * (1.0 - math.cos(2.0 * math.pi * self.phase)) / 2.0
