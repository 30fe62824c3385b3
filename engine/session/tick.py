"""The runner's control-tick stage: when a control tick happens, and what it does. A tick
comes every ``tick_s`` of session time, and also when a heart beat has arrived (at most every
``MIN_BEAT_TICK_S`` of wall time), because heart rate only changes with a beat, so a rate over
the ceiling is acted on at that beat. At a tick the streams' features go to
``SessionCore.tick`` (and through it to the shield) and out on ``vrex-features``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sensors.types import Features

if TYPE_CHECKING:  # types only: the runner imports this module
    from engine.session.runner import SessionRunner

MIN_BEAT_TICK_S = 0.2  # a beat triggers a tick at most this often (wall seconds): bounds the cost


class ControlTick:
    """A stage of ``SessionRunner.step`` (``update(t)``); sets the runner's ``features``."""

    def __init__(self, runner: SessionRunner):
        self.r = runner
        self._next_tick = 0.0
        self._last_tick = -math.inf

    def update(self, t: float) -> None:
        r = self.r
        beat = r.live.beats_arrived > 0 and t - self._last_tick >= MIN_BEAT_TICK_S * r.clock.speed
        if t < self._next_tick and not beat:
            return
        if t >= self._next_tick:
            self._next_tick = max(self._next_tick + r.core.plan.tick_s, t - r.core.plan.tick_s)
        self._last_tick = t
        r.features = r.live.tick(r.clock.lsl_time(t))
        r.core.tick(t, r.features, r.shown.intensity)
        r.outlets.features(feature_values(r.features), r.clock.lsl_time(t))


def feature_values(f: Features) -> dict[str, float]:
    """A tick's features as the ``vrex-features`` stream's channels."""
    q = lambda k: f.quality[k].index if k in f.quality else math.nan  # noqa: E731
    return {
        "hr_bpm": f.hr_bpm,
        "rmssd_ms": f.rmssd_ms,
        "eda_tonic_us": f.eda_tonic_us,
        "scr_per_min": f.scr_per_min,
        "resp_bpm": f.resp_rate_bpm,
        "ecg_quality": q("ecg"),
        "ppg_quality": q("ppg"),
        "eda_quality": q("eda"),
        "resp_quality": q("resp"),
    }
