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

The rules live in ``protocol_rules`` (fixed, suds) and ``physiology_rules`` (threshold,
balan), their shared plumbing in ``rule_base``; this module gathers them by name.
"""

from __future__ import annotations

import difflib
import inspect

from vrexbase.real import finite

from .physiology_rules import BALAN_STEPS, BalanRule, ThresholdRule
from .protocol_rules import FixedSchedule, SudsGated
from .rule_base import MAX_AGE_S, _Rule, reading

# re-exported: the engine, evaluation, training and the tests import these from here
# (``finite``: tests/vrexbase/test_real.py checks that the rules read numbers with it)
__all__ = [
    "BALAN_STEPS",
    "MAX_AGE_S",
    "RULE_CONTROLLERS",
    "BalanRule",
    "FixedSchedule",
    "SudsGated",
    "ThresholdRule",
    "_Rule",
    "finite",
    "make_controller",
    "reading",
]


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
