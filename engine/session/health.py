"""Each signal's health as the therapist sees it: fresh, stale or poor, reported on change.

The thresholds are the shield's (``ShieldConfig.max_sensor_age_s``, ``min_quality``), so
the console says "stale" exactly when the shield stops trusting the signal. A change is
reported once it has lasted ``settle_s`` of session time, so a single noisy window does
not raise an alarm, and a signal is reported as failing only after it has once been
fresh: the seconds before a stream's first samples arrive are start-up, not a loss
(``never_fresh`` lists those, for the start of exposure).
"""

from __future__ import annotations

import math

from sensors.types import Features


class SensorHealth:
    def __init__(self, max_age_s: float = 3.0, min_quality: float = 0.5, settle_s: float = 2.0):
        self.max_age_s = max_age_s
        self.min_quality = min_quality
        self.settle_s = settle_s
        self.status: dict[str, str] = {}
        self._pending: dict[str, tuple[str, float]] = {}

    def judge(self, features: Features, signal: str) -> tuple[str, str]:
        q = features.quality.get(signal)
        age = features.age_s.get(signal, math.nan)
        if q is not None and q.reason == "stale" or not abs(age) <= self.max_age_s:
            return "stale", f"newest sample {age:.1f} s old" if math.isfinite(age) else "no samples"
        if q is None or q.index < self.min_quality:
            return "poor", f"quality {q.index:.2f}: {q.reason}" if q is not None else "no quality"
        return "fresh", "receiving good data"

    def update(self, features: Features, now: float | None = None) -> list[tuple[str, str, str]]:
        """(signal, status, why) for every signal whose status changed and has settled."""
        now = features.time if now is None else now
        changes = []
        for signal in sorted(set(features.quality) | set(features.age_s)):
            status, why = self.judge(features, signal)
            known = self.status.get(signal)
            if known is None:
                if status == "fresh":
                    self.status[signal] = status
                continue
            if status == known:
                self._pending.pop(signal, None)
                continue
            seen, since = self._pending.get(signal, (None, now))
            if seen != status:
                self._pending[signal] = (status, now)
                since = now
            if now - since >= self.settle_s:
                self.status[signal] = status
                self._pending.pop(signal, None)
                changes.append((signal, status, why))
        return changes

    def never_fresh(self, signals) -> list[str]:
        return [s for s in signals if s not in self.status]
