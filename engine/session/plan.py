"""A session's shape (``Plan``: its levels, how long each phase lasts, how often the
controller decides and SUDS is asked) and ``PhaseView``, what a running session
(``core.SessionCore``) and its frozen copy (``snapshot.CoreSnapshot``) answer alike from
their phase, plan and level. Apart from ``core.py`` so that the core and its snapshot share
them without either importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.session.phase import Phase


@dataclass(frozen=True)
class Plan:
    """A session's shape; times in seconds of session time."""

    levels: tuple[float, ...]
    names: tuple[str, ...]
    baseline_s: float = 120.0  # ≥ 30 HR values for sensors.Baseline (rationale: 2 min of rest; no source fixes it)
    exposure_s: float = 1800.0  # clinical.md: 30-minute sessions (Freeman et al. 2018)
    recovery_s: float = 120.0
    tick_s: float = 1.0
    decision_s: float = 5.0  # rule controllers; a learned policy brings its own (PolicyController.decision_s)
    suds_every_s: float = 60.0  # SUDS about once a minute (clinical.md)
    suds_after_change_s: float = 20.0  # and this long after each level change
    suggestion_valid_s: float = 30.0  # a proposal older than this cannot be accepted
    calm: float = 0.0  # the scenario's calm-state intensity (stop, recovery)


class PhaseView:
    """What a session and its snapshot answer alike, from ``phase``, ``plan`` and ``level``."""

    phase: Phase
    plan: Plan
    level: int

    @property
    def done(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def level_name(self) -> str:
        return self.plan.names[self.level]
