"""Rule controllers: each reads an ``Observation`` and returns a ``Decision`` — a target
intensity (always one of the hierarchy's ``levels``, or the current target when holding)
and a sentence with numbers that a therapist reads on the dashboard.

The protocol is ``adaptation.types.Controller``: a ``name``, ``reset()`` for a new session
and ``decide(obs)``. Rules move one level at a time and keep their per-session state
inside; they read the level from ``obs.level`` / ``obs.time_at_level``, so a shield or a
therapist may move the level under them. Missing input (NaN features, missing keys, no
SUDS answer, unusable or stale signals) never raises: the rule holds and says what is
missing. Safety (therapist hold/stop, ceilings, rate limits, stale sensors) is the shield's
job (architecture.md); the rules only avoid asking for what they know it would refuse.

Where each rule comes from (docs/clinical.md):
- ``FixedSchedule``: time-based steps, the simplest automated baseline.
- ``SudsGated``: the classic exposure rule — stay at an item until SUDS has fallen to half
  its peak, or about 30 minutes have passed, then move up (therapistaid.com; cbt4panic).
- ``ThresholdRule``: published biofeedback prototypes — HR 20 % over baseline is
  "elevated" → step down; calm for a while → step up.
- ``BalanRule``: Bălan et al. 2020 (Sensors 20:496): a 4-level fear estimate, 0 or 1 → +1,
  2 → stay, 3 → −1. They estimated fear with trained classifiers on HR, GSR and EEG; here
  the estimate is banded relative HR and EDA (the bands are our defaults, *unverified*).
"""

from __future__ import annotations

import bisect
import difflib
import inspect
import math

from vrexbase.real import finite

from .types import Decision, Observation, level_of

# A signal whose newest sample is older than this is not acted on (clinical.md: never act
# on stale physiology). sensors marks staleness itself; this is the second line, as loose
# as sensors' loosest limit (RR: the watchdog's 2 s beat interval + 1 s grace).
MAX_AGE_S = 3.0
BALAN_STEPS = {0: +1, 1: +1, 2: 0, 3: -1}  # Bălan et al. 2020's rule (clinical.md)
_SIGNALS = {"hr": ("HR", "hr_bpm"), "eda": ("EDA", "eda_tonic_us")}


def _dur(s: float) -> str:
    """'40 s', '2 min', '1 min 40 s' (whole seconds, rounded down: time elapsed so far)."""
    if not math.isfinite(s):
        return "?"
    m, sec = divmod(int(max(s, 0.0)), 60)
    return f"{m} min {sec} s" if m and sec else f"{m} min" if m else f"{sec} s"


def _p(x: float) -> str:
    return f"{x * 100:.0f} %"


def _pct(x: float) -> str:
    return f"{_p(abs(x))} {'above' if x >= 0 else 'below'} baseline"


def _positive(**kw: float) -> None:
    for k, v in kw.items():
        if not (isinstance(v, (int, float)) and v > 0 and math.isfinite(v)):
            raise ValueError(f"{k} must be a positive number of seconds or a fraction; got {v!r}")


def reading(features, signal: str) -> tuple[float, str]:
    """``(relative value, '')`` of 'hr' or 'eda' when trustworthy, else ``(nan, why)``."""
    label, key = _SIGNALS[signal]
    rel = getattr(features, "relative", None) or {}
    x = finite(rel.get(key), math.nan)
    src = getattr(features, "hr_source", "") if signal == "hr" else "eda"
    names = (src,) if src else ("ecg", "ppg", "rr")
    quality = getattr(features, "quality", None) or {}
    qs = [(n, quality[n]) for n in names if n in quality]
    if qs and not any(getattr(q, "usable", False) for _, q in qs):
        bad = ", ".join(f"{n} {getattr(q, 'reason', '?')}" for n, q in qs)
        return math.nan, f"{label} ignored ({bad})"
    ages = [finite(a, math.inf) for n, a in (getattr(features, "age_s", None) or {}).items() if n in names]
    if ages and min(ages) > MAX_AGE_S:
        return math.nan, f"{label} ignored (newest sample {min(ages):.0f} s old, limit {MAX_AGE_S:.0f} s)"
    if math.isnan(x):
        why = (getattr(features, "reasons", None) or {}).get(key)
        if not why:
            why = "no baseline yet" if math.isfinite(finite(getattr(features, key, None), math.nan)) else "no value"
        return math.nan, f"{label} missing ({why})"
    return x, ""


class _Rule:
    """Shared plumbing: level bookkeeping, holding, one-level moves. A rule implements
    ``_rule(obs, level, time_at_level, time) -> (steps, reason)``, steps in {-1, 0, +1}."""

    name = "rule"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._t = -math.inf  # last obs.time seen
        self._k: int | None = None  # level, and when it began, at the last decision
        self._start = math.nan
        self._last_change = -math.inf  # when this rule last asked for a different target
        self._asked = math.nan  # the level this rule last stepped to, at this level

    def _new_level(self) -> None:
        """Called when the level changed (by anyone) since the last decision."""

    def _rule(self, obs: Observation, k: int, tal: float, t: float) -> tuple[int, str]:
        raise NotImplementedError

    def decide(self, obs: Observation) -> Decision:
        levels = tuple(getattr(obs, "levels", None) or ())
        if len(levels) < 2:
            return self._out(
                finite(getattr(obs, "target", None), 0.0), "holding: the hierarchy has fewer than two levels"
            )
        t = finite(obs.time, self._t if math.isfinite(self._t) else 0.0)
        if t < self._t:  # the clock went back: a new session without reset()
            self.reset()
        k = min(max(int(finite(obs.level, 0.0)), 0), len(levels) - 1)
        tal = max(finite(obs.time_at_level, 0.0), 0.0)
        if k != self._k or t - tal > self._start + 1e-3:
            self._asked = math.nan
            self._new_level()
        self._t, self._k, self._start = t, k, t - tal
        steps, why = self._rule(obs, k, tal, t)
        return self._move(obs, levels, k, steps, why, t)

    def _move(self, obs, levels, k: int, steps: int, why: str, t: float) -> Decision:
        """One level up (+1) or down (-1) from ``k``, or hold the current target (0)."""
        hold, ceiling, to = self._hold(obs, levels, k), finite(obs.ceiling, 1.0), k + steps
        if steps and not 0 <= to < len(levels):
            return self._out(hold, f"{why}, but level {k} is the {'top' if steps > 0 else 'calm level'}: holding")
        if steps > 0 and levels[to] > ceiling + 1e-9:
            return self._out(
                hold,
                f"{why}, but level {to} ({levels[to]:.2f}) is above the therapist's ceiling {ceiling:.2f}: holding",
            )
        if not steps:
            return self._out(hold, why)
        if abs(levels[to] - hold) > 1e-9:
            self._last_change = t
        self._asked = levels[to]
        return self._out(levels[to], f"{why}: step {'up' if steps > 0 else 'down'} to level {to}")

    def _hold(self, obs, levels, k: int) -> float:
        """The current target; mid-step (the shield limits each decision's change, so the
        target can lie between levels) the step this rule began, else the level below."""
        cur = finite(obs.target, levels[k])
        if any(abs(cur - v) <= 1e-6 for v in levels):
            return cur
        below = levels[level_of(cur, levels)]
        above = next((v for v in levels if v > cur), below)
        return self._asked if self._asked in (below, above) else below

    def _out(self, target: float, reason: str) -> Decision:
        return Decision(target=float(target), reason=reason, source=self.name)


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


RULE_CONTROLLERS: dict[str, type] = {
    "fixed": FixedSchedule,
    "suds": SudsGated,
    "threshold": ThresholdRule,
    "balan": BalanRule,
}


def make_controller(name: str, **kwargs):
    """A controller from ``RULE_CONTROLLERS`` by name, with its keyword arguments."""
    try:
        cls = RULE_CONTROLLERS[name]
    except (KeyError, TypeError):
        known = list(RULE_CONTROLLERS)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown controller '{name}'; expected one of {', '.join(known)}{hint}") from None
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as e:
        params = ", ".join(inspect.signature(cls).parameters) or "none"
        raise ValueError(f"controller '{name}': {e}; its arguments are {params}") from None
    return cls(**kwargs)
