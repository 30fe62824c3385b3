"""What controllers read and return; shared by rule controllers, the learned policy, the
safety shield, the simulated sessions (``adaptation.sim``) and the engine's live session.

Intensities are fractions in [0, 1] of the scenario's range; ``levels`` are the intensities
of the fear hierarchy's items, lowest first (level 0 is the calm state). Times are seconds
on the session's clock. Nothing here imports gymnasium, torch or the engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, runtime_checkable

from sensors.types import Features


class Therapist(str, Enum):
    """The therapist's standing command; it outranks every controller (clinical.md)."""

    CLEAR = "none"  # no hold or stop in force: the controller may act ("none" on the wire: logs, the page)
    HOLD = "hold"  # keep the current intensity or lower; never raise
    STOP = "stop"  # calm state now


@dataclass(frozen=True)
class Observation:
    """Everything a controller may read at one decision.

    ``features`` is what ``sensors`` produced at this tick: absolute values, ``relative``
    (heart rate and EDA as a fraction above baseline, the rest as differences), per-signal
    ``quality`` and ``age_s``. A simulated session fills it the same way.
    """

    time: float  # s since the exposure phase began
    intensity: float  # the scene's current intensity
    target: float  # the intensity last asked for (after the shield)
    levels: tuple[float, ...]  # hierarchy intensities, ascending, levels[0] calm
    level: int  # highest level whose intensity ≤ intensity
    time_at_level: float  # s since ``level`` last changed
    features: Features
    suds: float = math.nan  # last SUDS answer 0–100; NaN if none yet
    suds_age: float = math.inf  # s since that answer
    peak_suds_at_level: float = math.nan  # highest SUDS answered at this level
    top_reached: int = 0  # highest level reached this session
    therapist: Therapist = Therapist.CLEAR
    ceiling: float = 1.0  # the therapist's intensity ceiling for this patient
    # What the baseline phase measured (NaN: unknown): a person who arrives anxious or
    # with a fast heart looks different from one who arrived calm at the same reading.
    rest_hr_bpm: float = math.nan  # resting heart rate
    rest_eda_us: float = math.nan  # resting tonic skin conductance
    baseline_suds: float = math.nan  # SUDS answered during the baseline phase
    avoidance: float = math.nan  # share of the last ~30 s spent looking away from the feared stimulus
    # Why the shield would hold a raise proposed now ("" when it would pass): filled by
    # ``SafetyShield.decide`` for a controller that asks (``reads_raise_hold``), so it need
    # not propose what the protocol forbids (invalid-action masking; adaptation/README.md).
    raise_held: str = ""


@dataclass(frozen=True)
class Decision:
    """A target intensity and why, in words a therapist can read."""

    target: float
    reason: str
    source: str = ""  # who decided: a controller's name, 'shield', 'fallback'
    interventions: tuple[str, ...] = field(default=())  # what the shield changed, and why

    @property
    def shielded(self) -> bool:
        return bool(self.interventions)


@runtime_checkable
class Controller(Protocol):
    """Decides a target intensity from an observation. ``reset`` starts a new session."""

    name: str

    def reset(self) -> None: ...

    def decide(self, obs: Observation) -> Decision: ...


def level_of(intensity: float, levels: tuple[float, ...], tol: float = 1e-6) -> int:
    """Highest level whose intensity is at most ``intensity`` (0 when below every level)."""
    k = 0
    for i, v in enumerate(levels):
        if v <= intensity + tol:
            k = i
    return k


def step_target(obs: Observation, steps: int) -> float:
    """The intensity ``steps`` levels above (negative: below) the current level, clamped."""
    k = min(max(obs.level + steps, 0), len(obs.levels) - 1)
    return obs.levels[k]
