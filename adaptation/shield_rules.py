"""The shield's rules after STOP and the clamp, one small function each, in the order
``SafetyShield`` walks them (``RULES``; the numbers are those of ``adaptation/shield.py``'s
docstring), and last rule 8, the step and rate bound every output passes (``bound_rate``).

Each rule reads one ``Situation`` (the observation, the config, the shield's last output,
the target so far, the clock and the heart's trust) and returns the ``Constraint`` it puts
on the target, or None: ``no_raise`` (not above the last output), ``step_to`` (a step below
the current level, with ``_step_down``'s rules for naming who decided), ``at_most`` (a
ramp). Every rule is written three times on purpose: here, in the independent
``InvariantMonitor`` (``adaptation/invariants.py``) and in the property tests
(tests/adaptation/test_shield_properties.py); adaptation/README.md keeps the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from adaptation.forecast import forecast
from adaptation.safety_rules import (
    ShieldConfig,
    _answered_at_this_level,
    _level_below,
    _reason_of,
    _unrated_at_level,
    agreeing_distress,
    hr_fast_over_ceiling,
    hr_over_ceiling,
    suds_over_ceiling,
)
from adaptation.types import Decision, Observation, Therapist


@dataclass(frozen=True)
class Constraint:
    """What one rule demands of the target, and why (as the therapist reads it)."""

    reason: str
    no_raise: bool = False  # the target may not go above the shield's last output
    step_to: float | None = None  # a step down to this intensity (a level below) is required
    step_reason: str = ""  # the step's own cause, when it differs from ``reason``
    at_most: float | None = None  # the target may not exceed this (a ramp down)


@dataclass
class Situation:
    """What every rule may read at one decision."""

    obs: Observation
    config: ShieldConfig
    last: float  # the shield's last output
    target: float  # the target so far: the proposal after the clamp and earlier rules
    now: float
    dt: float  # seconds since the shield's last output (0 when the time is not valid)
    valid_time: bool
    distrust: str  # why the heart signal cannot be trusted ("" when it can)
    untrusted_since: float | None  # when it stopped being trusted
    raised_at: float  # time of the last increase


Rule = Callable[[Situation], "Constraint | None"]


def ceiling_unknown(s: Situation) -> Constraint | None:
    """3. an unreadable (NaN) therapist ceiling: no increase."""
    return Constraint("therapist ceiling unknown (NaN)", no_raise=True) if math.isnan(s.obs.ceiling) else None


def heart_untrusted(s: Situation) -> Constraint | None:
    """4. a heart signal that cannot be trusted: no increase."""
    return Constraint(f"heart signal stale/low quality ({s.distrust})", no_raise=True) if s.distrust else None


def fast_heart_over_ceiling(s: Situation) -> Constraint | None:
    """5. while the 10-s HR is distrusted, the beat-to-beat HR vouches for itself: a sudden
    surge is what makes the 10-s HR untrustworthy (its artefact rule rejects the new
    beats), so a surge over the ceiling must not wait: one level down."""
    if not s.distrust:
        return None
    fast = hr_fast_over_ceiling(s.obs.features, s.config)
    return Constraint(fast, step_to=_level_below(s.obs)) if fast else None


def ramp_down_without_heart(s: Situation) -> Constraint | None:
    """4. distrusted for longer than ``hold_before_ramp_s``: ramp down at ``ramp_down_rate``."""
    since, cfg = s.untrusted_since, s.config
    if not (s.distrust and s.valid_time and since is not None and s.now - since > cfg.hold_before_ramp_s):
        return None
    return Constraint(
        f"ramp down: heart signal untrustworthy for {s.now - since:.0f} s"
        f" > {cfg.hold_before_ramp_s:g} s ({s.distrust})",
        at_most=max(s.last - cfg.ramp_down_rate * s.dt, 0.0),
    )


def no_heart_baseline(s: Situation) -> Constraint | None:
    """4. no usable HR baseline (NaN: none yet; out of range: a broken one): no increase, since
    a ceiling that cannot be checked must not be crossed upward."""
    if s.distrust:
        return None
    f = s.obs.features
    rel = f.relative.get("hr_bpm", math.nan) if isinstance(f.relative, dict) else math.nan
    return (
        None
        if -1.0 <= rel < math.inf
        else Constraint(f"no usable heart-rate baseline (relative HR {rel})", no_raise=True)
    )


def heart_over_ceiling(s: Situation) -> Constraint | None:
    """5. a trusted HR over the patient's ceiling (relative or absolute): one level down."""
    if s.distrust:
        return None
    over = hr_over_ceiling(s.obs.features, s.config)
    return Constraint(over, step_to=_level_below(s.obs)) if over else None


def suds_too_high(s: Situation) -> Constraint | None:
    """5. a recent SUDS at or over ``suds_ceiling``: no increase, and one level down when it
    was given at this level (the rating is about this level)."""
    distress = suds_over_ceiling(s.obs, s.config)
    if not distress:
        return None
    down = _level_below(s.obs) if _answered_at_this_level(s.obs) else None
    return Constraint(distress, no_raise=True, step_to=down, step_reason=f"{distress}, given at this level")


def distress_agreed(s: Situation) -> Constraint | None:
    """5. a high SUDS with a sign from the body: no increase, and ``distress_levels_down``
    levels down at each decision while it lasts. Down at each decision, not once per
    rating, and two levels, because arousal over the panic level falls slowly (the
    measurements behind both: adaptation/README.md, "Safety")."""
    agree = agreeing_distress(s.obs, s.config, heart_ok=not s.distrust)
    if not agree:
        return None
    down = _level_below(s.obs, int(s.config.distress_levels_down)) if s.obs.level > 0 else None
    return Constraint(agree, no_raise=True, step_to=down)


def panic_forecast(s: Situation) -> Constraint | None:
    """5. a confident forecast (``adaptation.forecast``: p ≥ ``forecast_step_p``) that arousal
    crosses the panic level within 30 s: no increase, and one level down, before the surge
    the other rules wait to see. Only on trustworthy inputs: no forecast, no step."""
    if not s.config.forecast_step_p > 0:
        return None
    f = forecast(s.obs, s.config)
    if f is None or f.probability < s.config.forecast_step_p:
        return None
    why = f"panic forecast within 30 s (p {f.probability:.2f} ≥ {s.config.forecast_step_p:g}: {f.reason})"
    return Constraint(why, no_raise=True, step_to=_level_below(s.obs) if s.obs.level > 0 else None)


def unrated_level(s: Situation) -> Constraint | None:
    """7. above calm, no increase before a SUDS rating at this level (or
    ``unrated_raise_after_s`` here without one)."""
    unrated = _unrated_at_level(s.obs, s.config)
    return Constraint(unrated, no_raise=True) if unrated else None


def therapist_holds(s: Situation) -> Constraint | None:
    """6. therapist HOLD, or any command the shield does not know: no increase."""
    if s.obs.therapist == Therapist.CLEAR:
        return None
    return Constraint(f"therapist {getattr(s.obs.therapist, 'value', s.obs.therapist)}", no_raise=True)


def raised_too_recently(s: Situation) -> Constraint | None:
    """7. no increase within ``min_raise_interval_s`` of the previous one (asked only of a
    target that would rise, after every rule before it)."""
    gap, interval = s.now - s.raised_at, s.config.min_raise_interval_s
    if s.target > s.last and gap < interval:
        return Constraint(f"last raise {gap:.1f} s ago < {interval:g} s", no_raise=True)
    return None


RULES: tuple[Rule, ...] = (
    ceiling_unknown,
    heart_untrusted,
    fast_heart_over_ceiling,
    ramp_down_without_heart,
    no_heart_baseline,
    heart_over_ceiling,
    suds_too_high,
    distress_agreed,
    panic_forecast,
    unrated_level,
    therapist_holds,
    raised_too_recently,
)


def bound_rate(
    cfg: ShieldConfig,
    t: float,
    why: str,
    last: float,
    cap: float,
    dt: float,
    valid_time: bool,
    time_note: str,
    d: Decision | None,
    notes: list[str],
) -> tuple[float, str, str]:
    """Rule 8: |t − last| ≤ min(max_step, max_rate × dt), except a lowered ceiling, which
    is followed at once. Returns the target, the shield's reason, and the controller's
    own step down made gentler (still its decision) when that is what happened."""
    bound = min(cfg.max_step, cfg.max_rate * dt)
    if t > last + bound:
        t = last + bound
        why = (
            f"raise limited to {bound:.3f} ({cfg.max_rate:g}/s × {dt:.2f} s, step ≤ {cfg.max_step:g})"
            if valid_time
            else "hold: " + time_note
        )
        if valid_time:  # else the time note already says why
            notes.append(why)
        return t, why, ""
    lo = last - bound
    if cap < last:
        lo = min(lo, cap)  # a lowered ceiling is followed at once
    if t >= lo:
        return t, why, ""
    limit = (
        f"decrease limited to {last - lo:.3f} ({cfg.max_rate:g}/s × {dt:.2f} s, step ≤ {cfg.max_step:g})"
        if valid_time
        else "hold: " + time_note
    )
    if valid_time:
        notes.append(limit)
    if why:
        return lo, f"{why}; {limit}", ""  # the rule that asked for it still decides
    if d is not None and valid_time:
        # the controller's own step down, made gentler: still its decision and cause
        return lo, why, f"{_reason_of(d)} ({limit})"
    return lo, limit, ""
