"""The protocol rules, which read the clock and the patient's word, not the body:
``FixedSchedule`` (one level up every so many seconds, the simplest automated baseline) and
``SudsGated`` (the classic exposure rule: stay until SUDS has fallen to half its peak at
this level, or about 30 minutes have passed). Neither ever steps down; the shield does that
when it must. Shared plumbing: ``adaptation.rule_base``.
"""

from __future__ import annotations

import math

from vrexbase.real import finite

from .rule_base import _dur, _p, _positive, _Rule


class FixedSchedule(_Rule):
    """Step up one level every ``step_every_s`` at the current level; never down.

    step_every_s=150: ten steps reach the top of an 11-level hierarchy at 25 min, inside a
    30-min session (clinical.md: Freeman 2018's 30-min sessions; ZeroPhobia's ~25 min).
    """

    name = "fixed"

    def __init__(self, *, step_every_s: float = 150.0):
        _positive(step_every_s=step_every_s)
        self.step_every_s = float(step_every_s)
        super().__init__()

    def _rule(self, obs, k, tal, t):
        if tal >= self.step_every_s:
            return +1, f"{_dur(tal)} at level {k} (one step every {_dur(self.step_every_s)})"
        return 0, f"holding: {_dur(tal)} of {_dur(self.step_every_s)} at level {k}"


class SudsGated(_Rule):
    """The classic protocol: step up once a SUDS answer given at this level is at most
    ``fraction`` of the level's peak, or the peak is mild, after ``min_time_at_level_s``;
    after ``max_time_at_level_s`` step up anyway. Never steps down (clinical.md).

    fraction=0.5: "until peak SUDS has dropped by half" (therapistaid.com; cbt4panic).
    low_suds=20: a peak this low (of 100) leaves no distress to wait out, and therapists
      move on; 20 is our default for the mild band (*unverified*, a per-protocol setting).
    min_time_at_level_s=60: Bălan 2020's ~1 min per trial; it also outlasts most of the
      heart's 17–50 s defence response to the step (clinical.md).
    max_time_at_level_s=1800: the classic rule's "or about 30 minutes have passed".
    """

    name = "suds"

    def __init__(
        self,
        *,
        fraction: float = 0.5,
        low_suds: float = 20.0,
        min_time_at_level_s: float = 60.0,
        max_time_at_level_s: float = 1800.0,
    ):
        _positive(min_time_at_level_s=min_time_at_level_s, max_time_at_level_s=max_time_at_level_s)
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1 (0.5: half the peak); got {fraction!r}")
        if not 0 <= low_suds <= 100:
            raise ValueError(f"low_suds must be a SUDS value 0–100; got {low_suds!r}")
        self.fraction, self.low_suds = float(fraction), float(low_suds)
        self.min_time_at_level_s, self.max_time_at_level_s = float(min_time_at_level_s), float(max_time_at_level_s)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._peak = math.nan  # highest SUDS answered at the current level

    def _new_level(self) -> None:
        self._peak = math.nan

    def _rule(self, obs, k, tal, t):
        s = finite(obs.suds, math.nan)
        age = max(finite(obs.suds_age, math.inf), 0.0)
        fresh = not math.isnan(s) and age < tal  # answered since the level began
        if fresh:
            self._peak = max(s, finite(obs.peak_suds_at_level, s), finite(self._peak, s))
        if tal >= self.max_time_at_level_s:
            return +1, f"{_dur(tal)} at level {k} (classic limit {_dur(self.max_time_at_level_s)})"
        if not fresh:
            last = "no SUDS answer yet" if math.isnan(s) else f"the last, SUDS {s:.0f}, came before this level"
            return 0, f"waiting for a SUDS rating at level {k} ({last})"
        peak, half = self._peak, "half" if self.fraction == 0.5 else _p(self.fraction)
        if peak <= self.low_suds:
            why = f"peak SUDS {peak:.0f} at level {k} is mild (≤ {self.low_suds:.0f}): no distress to wait out"
        elif s <= self.fraction * peak:
            why = f"SUDS {s:.0f} is {half} or less of its peak {peak:.0f} at level {k}"
        else:
            return 0, (
                f"holding at level {k}: SUDS {s:.0f}, peak {peak:.0f}; "
                f"waiting for {self.fraction * peak:.0f} or less ({half} the peak)"
            )
        if tal < self.min_time_at_level_s:
            return 0, f"{why}, but only {_dur(tal)} of {_dur(self.min_time_at_level_s)} at level {k}: holding"
        return +1, why
