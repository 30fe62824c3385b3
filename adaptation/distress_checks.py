"""The shield's predicate on agreeing signs of distress: a recent SUDS at or over
``ShieldConfig.high_suds`` together with at least one sign from the body (``body_signs``:
tonic EDA or HR far above baseline, HR far below it, RMSSD dropped, breathing faster),
counted only from signals that are usable and fresh (``_fresh_and_usable``, which
``adaptation.forecast`` also reads). No one sign is enough on its own (``ShieldConfig``'s
comments say why). ``adaptation.safety_rules`` re-exports them.
"""

from __future__ import annotations

import math

from adaptation.shield_config import ShieldConfig
from adaptation.suds_checks import _recent_suds_at_least
from adaptation.types import Observation
from vrexbase.real import finite

_NAN = math.nan


def agreeing_distress(obs: Observation, config: ShieldConfig, heart_ok: bool = True) -> str:
    """Why a recent SUDS at or over ``high_suds`` and a sign from the body (``body_signs``)
    agree that the patient is near the top of what they tolerate, or "" (also when the rule
    is off). Heart signs count only when the heart signal is trustworthy (``heart_ok``)."""
    if not (config.high_suds > 0 and _recent_suds_at_least(obs, config.high_suds, config)):
        return ""
    signs = body_signs(obs.features, config, heart_ok)
    if not signs:
        return ""
    return (
        f"SUDS {obs.suds:.0f} ≥ {config.high_suds:.0f} ({obs.suds_age:.0f} s ago) with "
        f"{' and '.join(signs)} vs baseline"
    )


def body_signs(f, config: ShieldConfig, heart_ok: bool = True) -> list[str]:
    """The physiological signs of high arousal in these features, each as a therapist reads
    it ("HR -12 %"): only from signals that are usable and fresh (heart signs only when
    ``heart_ok``), only real numbers, and only the signs whose limit is set (> 0)."""
    rel = f.relative if isinstance(f.relative, dict) else {}
    eda = finite(rel.get("eda_tonic_us")) if _fresh_and_usable(f, "eda", config) else _NAN
    hr = finite(rel.get("hr_bpm")) if heart_ok else _NAN
    signs = []
    if config.high_eda_rel <= eda < math.inf:
        signs.append(f"EDA {eda * 100:+.0f} %")
    if config.high_hr_rel <= hr < math.inf:
        signs.append(f"HR {hr * 100:+.0f} %")
    if config.low_hr_rel > 0 and -1.0 < hr <= -config.low_hr_rel:
        signs.append(f"HR {hr * 100:+.0f} %")
    if config.low_rmssd_rel > 0 and heart_ok:
        # below 1: an RMSSD of 0 ms (identical beat intervals) is a frozen RR stream
        # repeating its last value, not a frightened heart (clinical.md: a frozen device
        # produces no error)
        drop = _fraction_below_baseline(f, "rmssd_ms")
        if config.low_rmssd_rel <= drop < 1.0:
            signs.append(f"RMSSD {-drop * 100:+.0f} %")
    if config.high_resp_bpm > 0 and _fresh_and_usable(f, "resp", config):
        resp = finite(rel.get("resp_rate_bpm"))
        if config.high_resp_bpm <= resp < math.inf:
            signs.append(f"breathing {resp:+.1f}/min")
    return signs


def _fresh_and_usable(features, signal: str, config: ShieldConfig) -> bool:
    """A signal (EDA, breathing) is evidence only when its quality index is usable and its
    newest sample at most ``max_sensor_age_s`` old (rule 5 of the house: stale or implausible
    physiology is never acted on as if real)."""
    try:
        quality, ages = features.quality, features.age_s
        if not (isinstance(quality, dict) and isinstance(ages, dict) and signal in quality):
            return False
        index, age = finite(getattr(quality[signal], "index", None)), finite(ages.get(signal))
        return index >= config.min_quality and -config.max_sensor_age_s <= age <= config.max_sensor_age_s
    except Exception:  # noqa: BLE001 — malformed features are no evidence
        return False


def _fraction_below_baseline(features, name: str) -> float:
    """How far a difference-coded feature (``sensors.baseline``: x − b) is below its
    baseline, as a fraction of the baseline; NaN when unknown, not a real number, or the
    baseline is not positive."""
    relative = getattr(features, "relative", None)
    x = finite(getattr(features, name, None))
    d = finite(relative.get(name)) if isinstance(relative, dict) else _NAN
    b = x - d
    return -d / b if b > 0 and math.isfinite(x) and math.isfinite(d) else _NAN
