"""The shield's predicates on the heart: can the heart signal be trusted, and is HR over the
patient's ceiling. ``heart_distrust`` judges the 10-s HR's signal (plausible, usable, fresh),
``hr_fast_distrust`` the beat-to-beat HR's (``sensors.hr_fast``), and ``hr_over_ceiling`` /
``hr_fast_over_ceiling`` say why either is over the ceiling relative to baseline or
absolute. Each returns the reason in words, or "" when there is nothing to say; malformed
features are untrustworthy, never a crash. ``adaptation.safety_rules`` re-exports them.
"""

from __future__ import annotations

import math

from adaptation.shield_config import ShieldConfig
from sensors.hr_fast import RUN_INTERVALS
from vrexbase.real import finite

HEART = ("ecg", "ppg", "rr")  # the signals an HR can come from (Features.hr_source)
_NAN = math.nan


def heart_distrust(features, config: ShieldConfig) -> str:
    """Why the heart signal cannot be trusted, or "" when it can. The signal judged is the
    one the HR came from (``hr_source``), else any heart signal both usable and fresh."""
    try:
        hr = features.hr_bpm
        if not (config.hr_min_plausible_bpm <= hr <= config.hr_max_plausible_bpm):  # NaN fails too
            return f"HR {hr:.0f} bpm implausible" if hr == hr else "no HR"
        quality, age = features.quality, features.age_s
        src = features.hr_source
        why = f"no quality for {src}" if src in HEART else "no ECG, PPG or RR quality"
        for k in (src,) if src in HEART else HEART:
            if k not in quality:
                continue
            q, a = quality[k].index, age.get(k, _NAN)
            if not q >= config.min_quality:
                why = f"{k} quality {q:.2f} < {config.min_quality:g}"
            elif not -config.max_sensor_age_s <= a <= config.max_sensor_age_s:  # NaN fails
                why = f"{k} {a:.1f} s old (allowed ±{config.max_sensor_age_s:g} s)"
            else:
                return ""
        return why
    except Exception as e:  # noqa: BLE001 — malformed features are untrustworthy, not a crash
        return f"unreadable features ({type(e).__name__})"


def hr_over_ceiling(features, config: ShieldConfig) -> str:
    """Why HR is over the patient's ceiling, relative to baseline or absolute, or "": the
    10-s HR (only meaningful on a trustworthy heart signal: ``heart_distrust`` is checked
    first), else the beat-to-beat HR (``hr_fast_over_ceiling``, which checks its own trust)."""
    rel = features.relative.get("hr_bpm", _NAN) if isinstance(features.relative, dict) else _NAN
    if rel > config.hr_ceiling_rel:
        return (
            f"HR {features.hr_bpm:.0f} bpm is {rel * 100:.0f} % above baseline "
            f"(ceiling {config.hr_ceiling_rel * 100:.0f} %)"
        )
    if features.hr_bpm > config.hr_ceiling_bpm:
        return f"HR {features.hr_bpm:.0f} bpm above the {config.hr_ceiling_bpm:.0f} bpm limit"
    return hr_fast_over_ceiling(features, config)


def hr_fast_distrust(features, config: ShieldConfig) -> str:
    """Why the beat-to-beat HR cannot be acted on, or "" when it can: off
    (``hr_fast_max_age_s`` 0), missing or implausible, its quality below ``min_quality``, or
    its newest beat older than ``hr_fast_max_age_s`` (or from the future). Malformed
    features are untrustworthy, not a crash (rule 5 of the house: stale or implausible
    physiology is never acted on as if real)."""
    try:
        if not config.hr_fast_max_age_s > 0:
            return "beat-to-beat HR off"
        hr = finite(getattr(features, "hr_fast_bpm", _NAN))
        if not config.hr_min_plausible_bpm <= hr <= config.hr_max_plausible_bpm:  # NaN fails too
            return f"beat-to-beat HR {hr:.0f} bpm implausible" if hr == hr else "no beat-to-beat HR"
        q = finite(getattr(getattr(features, "hr_fast_quality", None), "index", None))
        if not q >= config.min_quality:
            return f"beat-to-beat HR quality {q:.2f} < {config.min_quality:g}"
        age = finite(getattr(features, "hr_fast_age_s", _NAN))
        if not -config.max_sensor_age_s <= age <= config.hr_fast_max_age_s:
            return f"beat-to-beat HR's newest beat {age:.1f} s old (allowed {config.hr_fast_max_age_s:g} s)"
        return ""
    except Exception as e:  # noqa: BLE001
        return f"unreadable beat-to-beat HR ({type(e).__name__})"


def hr_fast_over_ceiling(features, config: ShieldConfig) -> str:
    """Why the beat-to-beat HR (``sensors.hr_fast``: a run of regular beats, not an ectopic or
    missed beat) is over the patient's ceiling, relative to the HR baseline or absolute, or "".
    Checks its own trust (``hr_fast_distrust``), so it may act while the 10-s HR cannot: a
    surge makes the 10-s window reject the new beats for ~10 s. Lowering is the safe way."""
    if hr_fast_distrust(features, config):
        return ""
    hr = float(features.hr_fast_bpm)
    relative = getattr(features, "relative", None)
    rel = finite(relative.get("hr_fast_bpm")) if isinstance(relative, dict) else _NAN
    what = (
        f"beat-to-beat HR {hr:.0f} bpm ({getattr(features, 'hr_fast_source', '') or '?'}, "
        f"last {RUN_INTERVALS + 1} beats)"
    )
    if config.hr_ceiling_rel < rel < math.inf:
        return f"{what} is {rel * 100:.0f} % above baseline (ceiling {config.hr_ceiling_rel * 100:.0f} %)"
    if hr > config.hr_ceiling_bpm:
        return f"{what} above the {config.hr_ceiling_bpm:.0f} bpm limit"
    return ""
