"""``CoreSnapshot``: what the console and the terminal show of a session at one moment,
and ``take(core)``, which makes one from a ``SessionCore`` on the control thread (what
``SessionCore.snapshot()`` returns). A snapshot is frozen and holds copies, so any thread may
read it while the control loop goes on changing the core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adaptation.types import Decision, Therapist
from engine.session.phase import Mode, Phase
from engine.session.plan import PhaseView, Plan
from sensors.types import Features

if TYPE_CHECKING:  # types only: core imports this module
    from engine.session.core import SessionCore


@dataclass(frozen=True)
class CoreSnapshot(PhaseView):
    """What the console and the terminal show of a session at one moment: taken by
    ``SessionCore.snapshot()`` on the control thread, never changed afterwards, so any
    thread may read it."""

    time: float
    phase: Phase
    phase_start: float
    mode: Mode
    therapist: Therapist
    stalled: bool
    target: float
    level: int
    top_reached: int
    ceiling: float
    suds: float
    suds_at: float
    prompt_since: float | None
    last_decision: Decision | None
    pending: Decision | None  # the proposal in suggest mode
    pending_at: float | None
    alerts: tuple[dict, ...]  # copies: {t, kind, text, acknowledged}
    plan: Plan
    features: Features | None  # the last tick's
    health: dict[str, str]  # each signal's settled status (fresh, stale, poor, lost)
    judged: dict[str, tuple[str, str]]  # each signal's status at the last tick, and why
    hr_baseline: float | None  # resting HR, once the baseline phase is over
    forecast: str = ""  # the predictive distress alert while it stands (forecast_watch.py), else ""


def take(core: SessionCore) -> CoreSnapshot:
    """The session's state as the console and the terminal show it (``CoreSnapshot``)."""
    f = core.features
    signals = set(core.health.status) | (set(f.quality) | set(f.age_s) if f is not None else set())
    hr_base = None
    if core.phase is not Phase.BASELINE:
        v = core.baseline.values().get("hr_bpm")
        hr_base = v if isinstance(v, float) and math.isfinite(v) else None
    pending = core.pending
    return CoreSnapshot(
        time=core.time,
        phase=core.phase,
        phase_start=core.phase_start,
        mode=core.mode,
        therapist=core.therapist,
        stalled=core.stalled,
        target=core.target,
        level=core.level,
        top_reached=core.top_reached,
        ceiling=core.ceiling,
        suds=core.suds,
        suds_at=core.suds_at,
        prompt_since=core.prompt_since,
        last_decision=core.last_decision,
        pending=pending[0] if pending else None,
        pending_at=pending[1] if pending else None,
        alerts=tuple(dict(a) for a in core.alerts),
        plan=core.plan,
        features=f,
        health=dict(core.health.status),
        judged={k: core.health.judge(f, k) for k in signals} if f is not None else {},
        hr_baseline=hr_base,
        forecast=core.forecast.status(),
    )
