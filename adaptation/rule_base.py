"""What every rule controller shares: ``_Rule`` (level bookkeeping, holding, one-level moves
that respect the hierarchy's ends and the therapist's ceiling), ``reading`` (a relative HR
or EDA only when its signal is usable and fresh, else why not), and the wording helpers
that turn seconds and fractions into the sentences a therapist reads. A rule subclasses
``_Rule`` and implements ``_rule``; the rules themselves are in ``protocol_rules`` (time and
SUDS) and ``physiology_rules`` (HR and EDA), gathered by ``adaptation.controllers``.
"""

from __future__ import annotations

import math

from vrexbase.real import finite

from .types import Decision, Observation, level_of

# A signal whose newest sample is older than this is not acted on (clinical.md: never act
# on stale physiology). sensors marks staleness itself; this is the second line, as loose
# as sensors' loosest limit (RR: the watchdog's 2 s beat interval + 1 s grace).
MAX_AGE_S = 3.0
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
