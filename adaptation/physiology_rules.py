"""The physiology rules, which read relative HR and tonic EDA (``rule_base.reading``: only
trustworthy signals): ``ThresholdRule`` (published biofeedback prototypes: HR 20 % over
baseline → step down, calm for a while → step up) and ``BalanRule`` (Bălan et al. 2020: a
0–3 fear estimate, here banded HR and EDA, 0 or 1 → up, 2 → stay, 3 → down). Shared
plumbing: ``adaptation.rule_base``.
"""

from __future__ import annotations

import bisect
import math

from .rule_base import _SIGNALS, _dur, _p, _pct, _positive, _Rule, reading

BALAN_STEPS = {0: +1, 1: +1, 2: 0, 3: -1}  # Bălan et al. 2020's rule (clinical.md)


class ThresholdRule(_Rule):
    """Relative HR above ``hr_step_down`` or relative tonic EDA above ``eda_step_down`` →
    step down; every trustworthy signal below its calm mark for ``calm_for_s`` → step up.

    hr_step_down=0.20: the "elevated" mark (HR 20 % over baseline) of an open biofeedback
      prototype (clinical.md; no standard ceiling exists — a per-patient setting).
    eda_step_down=0.30: tonic EDA varies more between people than HR; our default.
    calm_hr=calm_eda=0.10: half the elevated mark (our default).
    calm_for_s=60: Bălan 2020's ~1 min per step; longer than a defence response (17–50 s).
    settle_s=10: "leave ≥ 10 s between steps" (clinical.md): no step down until 10 s at a
      level, so a lagging HR cannot walk the scene down a level per tick.
    """

    name = "threshold"

    def __init__(
        self,
        *,
        hr_step_down: float = 0.20,
        eda_step_down: float = 0.30,
        calm_hr: float = 0.10,
        calm_eda: float = 0.10,
        calm_for_s: float = 60.0,
        settle_s: float = 10.0,
    ):
        _positive(
            hr_step_down=hr_step_down,
            eda_step_down=eda_step_down,
            calm_hr=calm_hr,
            calm_eda=calm_eda,
            calm_for_s=calm_for_s,
            settle_s=settle_s,
        )
        if calm_hr > hr_step_down or calm_eda > eda_step_down:
            raise ValueError(
                f"calm marks must not exceed the step-down marks; got calm_hr={calm_hr}, "
                f"hr_step_down={hr_step_down}, calm_eda={calm_eda}, eda_step_down={eda_step_down}"
            )
        self.hr_step_down, self.eda_step_down = float(hr_step_down), float(eda_step_down)
        self.calm_hr, self.calm_eda = float(calm_hr), float(calm_eda)
        self.calm_for_s, self.settle_s = float(calm_for_s), float(settle_s)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._calm_since = math.nan

    def _rule(self, obs, k, tal, t):
        vals = {s: reading(obs.features, s) for s in ("hr", "eda")}
        marks = {"hr": (self.hr_step_down, self.calm_hr), "eda": (self.eda_step_down, self.calm_eda)}
        ignored = "".join(f"; {why}" for _, why in vals.values() if why)
        used = {s: x for s, (x, _) in vals.items() if not math.isnan(x)}
        high = [f"{_SIGNALS[s][0]} {_pct(x)} (limit {_p(marks[s][0])})" for s, x in used.items() if x > marks[s][0]]
        if high:
            self._calm_since = math.nan
            if tal < self.settle_s:
                return 0, (
                    f"{', '.join(high)}, but only {_dur(tal)} at level {k} "
                    f"(settling for {_dur(self.settle_s)}): holding{ignored}"
                )
            return -1, ", ".join(high) + ignored
        if not used:
            self._calm_since = math.nan
            return 0, f"holding at level {k}: no trustworthy HR or EDA{ignored}"
        now = ", ".join(f"{_SIGNALS[s][0]} {_pct(x)} (calm below {_p(marks[s][1])})" for s, x in used.items())
        if any(x >= marks[s][1] for s, x in used.items()):
            self._calm_since = math.nan
            return 0, f"holding at level {k}: {now}{ignored}"
        if math.isnan(self._calm_since):
            self._calm_since = t
        calm = min(t - self._calm_since, tal)  # calm at this level only
        if calm >= self.calm_for_s:
            return +1, f"calm for {_dur(calm)} at level {k}: {now}{ignored}"
        return 0, f"holding: calm for {_dur(calm)} of {_dur(self.calm_for_s)} at level {k}: {now}{ignored}"


class BalanRule(_Rule):
    """Bălan et al. 2020's rule on a fear estimate 0–3 (``estimate``): 0 or 1 → up a level,
    2 → stay, 3 → down a level; at most one change per ``min_interval_s``.

    hr_bands=(0.07, 0.15, 0.25), eda_bands=(0.10, 0.20, 0.30): relative HR / tonic EDA
      below the first band is fear 0, …, at or above the last is fear 3; the estimate is
      the highest over trustworthy signals. Our defaults (*unverified*): fear 3 sits between
      clinical.md's "elevated" (20 %) and "panic" (40 %) marks.
    min_interval_s=20: lets the step's SCR (onset 1–3 s, rise ≤ 5 s) and most of the
      heart's defence response (17–50 s) show before the next change (clinical.md).
    """

    name = "balan"

    def __init__(
        self,
        *,
        hr_bands: tuple[float, float, float] = (0.07, 0.15, 0.25),
        eda_bands: tuple[float, float, float] = (0.10, 0.20, 0.30),
        min_interval_s: float = 20.0,
    ):
        _positive(min_interval_s=min_interval_s)
        for arg, bands in (("hr_bands", hr_bands), ("eda_bands", eda_bands)):
            if len(bands) != 3 or list(bands) != sorted(bands) or not all(math.isfinite(b) for b in bands):
                raise ValueError(f"{arg} must be three ascending fractions above baseline; got {bands!r}")
        self.bands = {"hr": tuple(map(float, hr_bands)), "eda": tuple(map(float, eda_bands))}
        self.min_interval_s = float(min_interval_s)
        super().__init__()

    def estimate(self, features) -> tuple[int | None, str]:
        """Fear 0–3 (None when no signal is trustworthy) and how it was reached, in words."""
        parts, fear = [], None
        for s in ("hr", "eda"):
            x, why = reading(features, s)
            if math.isnan(x):
                parts.append(why)
                continue
            f = bisect.bisect_right(self.bands[s], x)
            fear = f if fear is None else max(fear, f)
            parts.append(f"{_SIGNALS[s][0]} {_pct(x)} → {f}")
        return fear, "; ".join(parts)

    def _rule(self, obs, k, tal, t):
        fear, how = self.estimate(obs.features)
        if fear is None:
            return 0, f"holding at level {k}: no fear estimate, no trustworthy HR or EDA ({how})"
        steps, why = BALAN_STEPS[fear], f"fear estimate {fear} of 3 ({how})"
        since = min(tal, t - self._last_change)
        if steps and since < self.min_interval_s:
            return 0, (
                f"{why}: step {'up' if steps > 0 else 'down'} due, but the last change was "
                f"{_dur(since)} ago (one per {_dur(self.min_interval_s)}): holding at level {k}"
            )
        return steps, why if steps else f"{why}: staying at level {k}"
