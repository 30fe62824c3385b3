"""The safety shield's rules as functions of one observation, and its configuration.

``adaptation.shield.SafetyShield`` applies them in order (its docstring lists the order);
``alarm`` tells a live session when to consult the shield between decisions; and
``adaptation.invariants`` re-checks their promises with code of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from adaptation.types import Decision, Observation, step_target
from sensors.hr_fast import RUN_INTERVALS
from vrexbase.real import finite

HEART = ("ecg", "ppg", "rr")  # the signals an HR can come from (Features.hr_source)
_NAN = math.nan


@dataclass(frozen=True)
class ShieldConfig:
    """Safety limits; defaults are safe for an unknown patient, ceilings are per patient."""

    ceiling: float = 1.0  # highest intensity ever; obs.ceiling may lower it
    max_step: float = 0.15  # largest change of target in one decision
    max_rate: float = 0.025  # intensity per s between decisions: abrupt vection
    # causes sickness (clinical.md, "never do")
    min_raise_interval_s: float = 10.0  # clinical.md: "leave ≥ 10 s between steps" (SCR lasts 10–30 s).
    # With max_rate it compounds: at 1 decision/s a raise is
    # ≤ 0.025, then 10 s wait; at ≥ 6 s/decision ≤ max_step
    hr_ceiling_rel: float = 0.40  # clinical.md: "panic" = HR 40 % over baseline in an open
    # prototype; no standard exists: a per-patient setting
    hr_ceiling_bpm: float = 150.0  # absolute HR limit whatever the baseline (per patient)
    hr_fast_max_age_s: float = 2.0  # the beat-to-beat HR (sensors.hr_fast: the newest run of 4
    # regular intervals) is held to the same two ceilings when its
    # newest beat is at most this old: a surge is acted on in
    # ~3 s, not after the 10-s window (12.2 s, issue 12). 2 s is
    # one interval at 30 bpm, the slowest plausible heart, and
    # the sensors' own limit. 0: the beat-to-beat path off
    suds_ceiling: float = 70.0  # a SUDS answer this high (0–100) is above the therapeutic band
    # (SUDS 35–70, adaptation.sim.SessionConfig.band): never raise
    # while it stands, step down if it was given at this level.
    # A per-patient setting; no standard exists (how 70 was
    # chosen: adaptation/README.md, "How the shield's limits were chosen")
    suds_max_age_s: float = 90.0  # how long a SUDS answer stands (SUDS is asked about once a minute)
    high_suds: float = 60.0  # distress that the patient and the body agree on: a SUDS this
    high_eda_rel: float = 0.30  # high (upper part of the 35–70 band) with any one sign: tonic
    high_hr_rel: float = 0.20  # EDA this far above baseline; HR this far above it (clinical.md:
    low_hr_rel: float = 0.10  # 20 % = "elevated" in an open prototype) or this far below it
    low_rmssd_rel: float = 0.40  # (fear bradycardia, clinical.md; the size is ours); RMSSD this
    high_resp_bpm: float = 3.0  # fraction below it (vagal withdrawal); breathing this many
    # breaths/min faster. The last three were chosen on the
    # simulator: defaults to review with clinicians, per patient.
    # → never raise, and ``distress_levels_down`` levels down at
    # each decision while it lasts (the step and rate bounds make
    # it 0.125 at 5 s decisions). No one sign is enough: SUDS is
    # under-reported by some (bias to −21 among those traced), HR
    # is not a monotone fear index, ~10 % show no EDA; those at
    # risk who show no EDA and a slowing heart still breathe faster
    # and lose RMSSD. Measured: adaptation/README.md, "Safety: the
    # shield and its invariants". high_suds 0: off; a sign's limit
    # 0: that sign not counted
    distress_levels_down: float = 2.0  # a whole number of levels; see the lines above
    unrated_raise_after_s: float = 120.0  # above calm, a raise needs a SUDS rating given at this level
    # (clinical.md: Bălan et al. 2020, "SUD after each trial",
    # about 1 min per step): arousal rises for seconds after a
    # step, and a rating shows where it went. A patient who does
    # not answer is not kept at a step longer than this; 0: off
    hr_min_plausible_bpm: float = 30.0  # clinical.md: HR of 0 or 300 is implausible, never real;
    hr_max_plausible_bpm: float = 220.0  # the same 30–220 bpm range as sensors/heart.py
    max_sensor_age_s: float = 3.0  # newest heart sample older than this: stale (clinical.md:
    # LSL stalls silently; sensors' own staleness is 1.5 s)
    min_quality: float = 0.5  # Quality.usable's threshold
    hold_before_ramp_s: float = 15.0  # architecture.md: sensor loss → hold, then ramp down
    ramp_down_rate: float = 0.01  # intensity per s while ramping down
    timeout_s: float = 0.25  # a controller slower than this is a failed controller
    forecast_step_p: float = 0.15  # adaptation.forecast: a forecast this confident that arousal
    # crosses the panic level within 30 s (15× the base rate of ~1 % a second) → never raise,
    # one level down (on trustworthy inputs only). 0: off. Chosen on the simulator:
    # adaptation/README.md, "Predictive distress"
    forecast_alert_on: float = 0.1  # the therapist's alert comes on at this probability
    forecast_alert_off: float = 0.05  # and goes off below this (hysteresis: no flapping). 0 / 0: off

    def __post_init__(self) -> None:
        inf = math.inf
        ranges = {
            "ceiling": (0.0, 1.0),
            "max_step": (1e-9, 1.0),
            "max_rate": (1e-9, inf),
            "min_raise_interval_s": (0.0, inf),
            "hr_ceiling_rel": (1e-9, inf),
            "hr_ceiling_bpm": (1.0, 300.0),
            "hr_fast_max_age_s": (0.0, inf),
            "suds_ceiling": (0.0, 100.0),
            "suds_max_age_s": (0.0, inf),
            "high_suds": (0.0, 100.0),
            "high_eda_rel": (1e-9, inf),
            "high_hr_rel": (1e-9, inf),
            "low_hr_rel": (0.0, 1.0),
            "low_rmssd_rel": (0.0, 1.0),
            "high_resp_bpm": (0.0, inf),
            "distress_levels_down": (1.0, 10.0),
            "unrated_raise_after_s": (0.0, inf),
            "hr_min_plausible_bpm": (0.0, 300.0),
            "hr_max_plausible_bpm": (1.0, 400.0),
            "max_sensor_age_s": (1e-9, inf),
            "min_quality": (0.0, 1.0),
            "hold_before_ramp_s": (0.0, inf),
            "ramp_down_rate": (1e-9, inf),
            "timeout_s": (1e-6, inf),
            "forecast_step_p": (0.0, 1.0),
            "forecast_alert_on": (0.0, 1.0),
            "forecast_alert_off": (0.0, 1.0),
        }
        for f in fields(self):
            v = getattr(self, f.name)
            lo, hi = ranges[f.name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi) or v == inf:
                raise ValueError(f"ShieldConfig.{f.name}={v!r}: must be a finite number in [{lo:g}, {hi:g}]")
            object.__setattr__(self, f.name, float(v))  # ints in, floats out: outputs stay floats
        if not self.distress_levels_down.is_integer():
            raise ValueError(
                f"ShieldConfig.distress_levels_down={self.distress_levels_down!r}: "
                "must be a whole number of levels (1, 2, …)"
            )
        if self.ramp_down_rate > self.max_rate:
            raise ValueError(
                f"ShieldConfig.ramp_down_rate={self.ramp_down_rate!r} exceeds "
                f"max_rate={self.max_rate!r}: the rate bound would cut the ramp"
            )
        if self.forecast_alert_off > self.forecast_alert_on:
            raise ValueError(
                f"ShieldConfig.forecast_alert_off={self.forecast_alert_off!r} must be at most "
                f"forecast_alert_on={self.forecast_alert_on!r} (the alert goes off below where it comes on)"
            )
        if self.hr_min_plausible_bpm >= self.hr_max_plausible_bpm:
            raise ValueError(
                f"ShieldConfig.hr_min_plausible_bpm={self.hr_min_plausible_bpm!r} must be "
                f"below hr_max_plausible_bpm={self.hr_max_plausible_bpm!r}"
            )


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


def _recent_suds_at_least(obs: Observation, level: float, config: ShieldConfig) -> bool:
    """A SUDS answer of ``level`` or more that still stands (at most ``suds_max_age_s`` old)."""
    suds, age = obs.suds, obs.suds_age
    return isinstance(suds, (int, float)) and suds >= level and 0.0 <= age <= config.suds_max_age_s


def suds_over_ceiling(obs: Observation, config: ShieldConfig) -> str:
    """Why the patient's own report forbids raising (a recent SUDS at or over the ceiling), or ""."""
    if _recent_suds_at_least(obs, config.suds_ceiling, config):
        return f"SUDS {obs.suds:.0f} ≥ {config.suds_ceiling:.0f} ({obs.suds_age:.0f} s ago)"
    return ""


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


def _level_below(obs: Observation, levels: int = 1) -> float:
    """``levels`` levels below the current one; calm (0.0) when the levels cannot be read."""
    try:
        v = float(step_target(obs, -levels))
    except Exception:  # noqa: BLE001
        return 0.0
    return v if 0.0 <= v <= 1.0 else 0.0
