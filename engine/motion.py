"""Procedural motion (sway, bob, wander, approach, spin) for one entity or many copies.

The phase is integrated (``advance``) rather than computed as ``speed * t``: when intensity
changes a motion's speed, ``speed * t`` would jump wherever ``t`` is large, and the patient
would see objects teleport. Integrating keeps every motion continuous. Pure numpy.
"""

from __future__ import annotations

import math

import numpy as np

_AXES = {"h": 0, "p": 1, "r": 2}


class MotionState:
    """Phase and per-copy offsets of one entity's motion."""

    def __init__(self, kind: str, axis: str, copies: int, rng: np.random.Generator):
        self.kind = kind
        self.axis = _AXES[axis]
        self.phase = 0.0
        # Copies move out of step with each other, as animals and leaves do.
        self.offsets = rng.uniform(0.0, 2 * math.pi, size=copies) if copies > 1 else np.zeros(1)
        self.ratio = rng.uniform(0.6, 1.4, size=copies) if copies > 1 else np.ones(1)

    def advance(self, dt: float, amplitude: float, speed: float) -> None:
        """Move the phase on by ``dt`` seconds at the current ``speed``."""
        if self.kind in ("sway", "bob"):
            self.phase += 2 * math.pi * speed * dt
        elif self.kind == "wander":
            # floor: a tiny amplitude must not spin the copies round many times a second
            self.phase += speed / max(amplitude, 0.1) * dt
        elif self.kind == "approach":
            # one cycle covers 2 × amplitude (there and back) at the given mean speed
            self.phase += 2 * math.pi * speed / max(2 * amplitude, 1e-3) * dt
        elif self.kind == "spin":
            self.phase += math.radians(speed) * dt

    def pose(self, amplitude: float, towards: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Position (m) and heading/pitch/roll (deg) offsets, shape (copies, 3) each.

        ``towards``: unit xy directions (copies, 2) from each copy to the viewpoint (approach).
        """
        n = len(self.offsets)
        pos, hpr = np.zeros((n, 3)), np.zeros((n, 3))
        theta = self.phase * self.ratio + self.offsets
        if self.kind == "sway":
            hpr[:, self.axis] = amplitude * np.sin(theta)
        elif self.kind == "bob":
            pos[:, 2] = amplitude * np.sin(theta)
        elif self.kind == "wander":
            pos[:, 0] = amplitude * (0.6 * np.sin(theta) + 0.4 * np.sin(1.7 * theta + 1.3))
            pos[:, 1] = amplitude * (0.6 * np.cos(0.8 * theta + 0.4) + 0.4 * np.sin(1.3 * theta))
            dx = 0.6 * np.cos(theta) + 0.68 * np.cos(1.7 * theta + 1.3)
            dy = -0.48 * np.sin(0.8 * theta + 0.4) + 0.52 * np.cos(1.3 * theta)
            hpr[:, 0] = np.degrees(np.arctan2(-dx, dy))  # face the way it is going
        elif self.kind == "approach":
            distance = amplitude * 0.5 * (1.0 - np.cos(theta))
            direction = towards if towards is not None else np.tile([0.0, -1.0], (n, 1))
            pos[:, :2] = direction * distance[:, None]
        elif self.kind == "spin":
            hpr[:, 0] = np.degrees(theta) % 360.0
        return pos, hpr
