"""The safety shield's rules as functions of one observation, and its configuration.

``adaptation.shield.SafetyShield`` applies them in order (its docstring lists the order);
``alarm`` tells a live session when to consult the shield between decisions; and
``adaptation.invariants`` re-checks their promises with code of its own.

This module is where the shield's code finds them all: ``alarm``, ``_step_down`` (how a
forced step down is named) and ``_level_below`` live here; the rest is re-exported from
``shield_config`` (``ShieldConfig``), ``heart_checks`` (can the heart be trusted, is HR over
its ceiling), ``suds_checks`` (the SUDS ceiling, a rating at this level) and
``distress_checks`` (a high SUDS with a sign from the body).
"""

from __future__ import annotations

from adaptation.distress_checks import (
    _fraction_below_baseline,
    _fresh_and_usable,
    agreeing_distress,
    body_signs,
)
from adaptation.heart_checks import HEART, heart_distrust, hr_fast_distrust, hr_fast_over_ceiling, hr_over_ceiling
from adaptation.shield_config import ShieldConfig
from adaptation.suds_checks import (
    _answered_at_this_level,
    _recent_suds_at_least,
    _unrated_at_level,
    suds_over_ceiling,
)
from adaptation.types import Decision, Observation, step_target

# re-exported: adaptation.shield, shield_rules, forecast and the tests import these from here
__all__ = [
    "HEART",
    "ShieldConfig",
    "_answered_at_this_level",
    "_fraction_below_baseline",
    "_fresh_and_usable",
    "_level_below",
    "_reason_of",
    "_recent_suds_at_least",
    "_step_down",
    "_unrated_at_level",
    "agreeing_distress",
    "alarm",
    "body_signs",
    "heart_distrust",
    "hr_fast_distrust",
    "hr_fast_over_ceiling",
    "hr_over_ceiling",
    "suds_over_ceiling",
]


def _reason_of(d: Decision) -> str:
    return d.reason if isinstance(d.reason, str) else str(d.reason)


def _step_down(
    t: float, why: str, last: float, level_below: float, cause: str, d: Decision | None, notes: list[str]
) -> tuple[float, str]:
    """A safety rule (``cause``) requires a step below the current level. If the proposal
    is higher, the shield lowers it; if the controller already asked to go at least that far
    down, its target stands but the rule is named, since it would have forced the step
    (rule 5 of the house: every change is recorded with its cause); a controller that asks
    for more than the rule forces is named for the rest."""
    below = min(level_below, last)
    if t > below:
        why = f"{cause}: step down to {below:.2f}"
        notes.append(why)
        return below, why
    if t < last and d is not None and not why:
        if t >= below - 1e-9:
            why = f"{cause}: step down to {t:.2f}, which the controller also asked for ({_reason_of(d)})"
        else:
            why = f"{cause}: step down to {below:.2f} at least; the controller asks for {t:.2f} ({_reason_of(d)})"
        notes.append(why)
    return t, why


def alarm(obs: Observation, config: ShieldConfig) -> str:
    """Why the shield must look at this observation now, or "": the beat-to-beat HR is over
    the ceiling, the heart signal cannot be trusted, HR is over the patient's ceiling, or a
    recent SUDS is at or over its ceiling.

    A live session consults its controller every few seconds but checks ``alarm`` at every
    control tick, so a surge or a lost sensor is acted on within one tick, not one decision.
    The beat-to-beat path comes first: a sudden surge makes the 10-s HR untrustworthy (its
    artefact rule rejects the new, much shorter intervals), and the surge is the news."""
    return (
        hr_fast_over_ceiling(obs.features, config)
        or heart_distrust(obs.features, config)
        or hr_over_ceiling(obs.features, config)
        or suds_over_ceiling(obs, config)
    )


def _level_below(obs: Observation, levels: int = 1) -> float:
    """``levels`` levels below the current one; calm (0.0) when the levels cannot be read."""
    try:
        v = float(step_target(obs, -levels))
    except Exception:  # noqa: BLE001
        return 0.0
    return v if 0.0 <= v <= 1.0 else 0.0
