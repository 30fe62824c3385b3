"""The shield's predicates on the patient's own word: a recent SUDS at or over the ceiling
(``suds_over_ceiling``), and whether a raise must wait for a rating at this level
(``_unrated_at_level``, ``_answered_at_this_level``). A rating stands for
``ShieldConfig.suds_max_age_s``; one given in the second of a level change counts for the
new level. ``adaptation.safety_rules`` re-exports them (``adaptation.distress_checks`` pairs
a high SUDS with signs from the body).
"""

from __future__ import annotations

import math

from adaptation.shield_config import ShieldConfig
from adaptation.types import Observation


def _recent_suds_at_least(obs: Observation, level: float, config: ShieldConfig) -> bool:
    """A SUDS answer of ``level`` or more that still stands (at most ``suds_max_age_s`` old)."""
    suds, age = obs.suds, obs.suds_age
    return isinstance(suds, (int, float)) and suds >= level and 0.0 <= age <= config.suds_max_age_s


def suds_over_ceiling(obs: Observation, config: ShieldConfig) -> str:
    """Why the patient's own report forbids raising (a recent SUDS at or over the ceiling), or ""."""
    if _recent_suds_at_least(obs, config.suds_ceiling, config):
        return f"SUDS {obs.suds:.0f} ≥ {config.suds_ceiling:.0f} ({obs.suds_age:.0f} s ago)"
    return ""


def _unrated_at_level(obs: Observation, cfg: ShieldConfig) -> str:
    """Why a raise must wait for a SUDS rating at this level, or "" (calm, rated, or waited
    ``unrated_raise_after_s`` without one). Unreadable times forbid the raise."""
    try:
        if obs.level <= 0 or _answered_at_this_level(obs) or obs.time_at_level >= cfg.unrated_raise_after_s:
            return ""
        return f"no SUDS rating at this level yet ({obs.time_at_level:.0f} s here)"
    except TypeError:
        return "no SUDS rating at this level yet (time at level unreadable)"


def _answered_at_this_level(obs: Observation) -> bool:
    """A SUDS rating given since the current level began: one given in the same second as
    the change counts (the patient saw the new level). A NaN rating or a negative age does
    not: it cannot be the patient's word about this level."""
    try:
        return math.isfinite(obs.suds) and 0.0 <= obs.suds_age <= obs.time_at_level
    except TypeError:
        return False
