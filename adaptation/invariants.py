"""An independent check of what the safety shield promises, decision by decision.

``InvariantMonitor(config).check(obs, decision)`` returns the invariants the decision
breaks, each with its numbers; the evaluation counts them per episode, for any controller,
shielded or not. It shares nothing with the shield's code but ``ShieldConfig`` and the
conventions written there (so that a bug in one is caught by the other):

* the first decision after ``reset`` is measured from ``obs.target`` (clamped into [0, 1],
  NaN → 0) with only the step bound; a NaN or backwards ``obs.time`` counts as dt = 0 and
  does not move the monitor's clock;
* the heart is trustworthy when HR is finite and plausible and the signal it came from
  (``hr_source``, else any of ecg/ppg/rr) has quality ≥ min_quality and |age| ≤ max age;
* a STOP, or a ceiling below the last target, may lower the target at any speed;
* a heart signal untrustworthy for longer than ``hold_before_ramp_s`` (on valid times,
  without a trustworthy tick between) forces the target down at ``ramp_down_rate`` or
  faster (the step bound may cap one very long tick).

Invariants: the target is a finite float in [0, min(ceilings)]; STOP gives 0 in the same
decision; |Δ| ≤ min(max_step, max_rate·dt) but for the drops above; no increase while
HOLD, STOP, a NaN ceiling, an untrustworthy heart, no HR baseline, HR over its ceiling (the
10-s HR, or the beat-to-beat HR ``hr_fast_bpm`` when it is plausible, its quality ≥
min_quality and its newest beat at most ``hr_fast_max_age_s`` old — whatever the 10-s HR's
trust), a recent SUDS at its ceiling, a recent SUDS ≥ ``high_suds`` with a usable, fresh
EDA or a trustworthy HR above its ``high_*_rel`` limit (or, where set, HR ``low_hr_rel`` below
baseline, RMSSD ``low_rmssd_rel`` below it, or a usable, fresh breathing rate
``high_resp_bpm`` above it), within ``min_raise_interval_s`` of the
previous increase, or
above calm before a SUDS rating given at this level (finite, 0 ≤ its age ≤ the time at the
level) unless the level has lasted ``unrated_raise_after_s``, or while a confident panic
forecast stands (``forecast_step_p`` > 0; the monitor judges the heart's trust itself and
runs the shipped model through its own loaded copy, not the shield's rule); the ramp down above.
"""

from __future__ import annotations

import math
from functools import lru_cache

from adaptation.forecast import SHIPPED, ForecastModel, inputs
from adaptation.shield import ShieldConfig
from adaptation.types import Decision, Observation, Therapist

TOL = 1e-9


def _heart_ok(f, cfg: ShieldConfig) -> bool:
    try:
        if not cfg.hr_min_plausible_bpm <= f.hr_bpm <= cfg.hr_max_plausible_bpm:
            return False
        keys = [f.hr_source] if f.hr_source in ("ecg", "ppg", "rr") else ["ecg", "ppg", "rr"]
        return any(
            k in f.quality
            and f.quality[k].index >= cfg.min_quality
            and abs(f.age_s.get(k, math.nan)) <= cfg.max_sensor_age_s
            for k in keys
        )
    except Exception:  # noqa: BLE001 — unreadable features are not trustworthy
        return False


def _fast_over(f, cfg: ShieldConfig) -> str:
    """The beat-to-beat HR over a ceiling, in words, or "" (also when it is off or untrustworthy)."""
    try:
        hr = _as_number(getattr(f, "hr_fast_bpm", None))
        if not (cfg.hr_fast_max_age_s > 0 and cfg.hr_min_plausible_bpm <= hr <= cfg.hr_max_plausible_bpm):
            return ""
        if not _as_number(getattr(getattr(f, "hr_fast_quality", None), "index", None)) >= cfg.min_quality:
            return ""
        age = _as_number(getattr(f, "hr_fast_age_s", None))
        if not -cfg.max_sensor_age_s <= age <= cfg.hr_fast_max_age_s:
            return ""
        rel = _number(f.relative, "hr_fast_bpm")
        if cfg.hr_ceiling_rel < rel < math.inf or hr > cfg.hr_ceiling_bpm:
            return f"beat-to-beat HR {hr:.0f} bpm ({rel * 100:+.0f} %) over its ceiling"
        return ""
    except Exception:  # noqa: BLE001 — unreadable features are no evidence
        return ""


class InvariantMonitor:
    """Keeps its own last target, time and last raise; ``check`` once per decision."""

    def __init__(self, config: ShieldConfig = ShieldConfig()):
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.last: float | None = None
        self.time: float | None = None
        self.raised_at = -math.inf
        self.untrusted_since: float | None = None

    def check(self, obs: Observation, decision: Decision) -> list[str]:
        cfg = self.config
        t = getattr(decision, "target", math.nan)
        heart_ok = _heart_ok(obs.features, cfg)
        prev, dt = self._advance(obs, heart_ok)
        ceiling = cfg.ceiling if obs.ceiling != obs.ceiling else max(min(cfg.ceiling, obs.ceiling), 0.0)
        if not (isinstance(t, float) and math.isfinite(t)):
            return [f"target {t!r} is not a finite float"]  # nothing else can be judged
        bad = self._bounds(obs, t, prev, dt, ceiling, heart_ok)
        if t > prev + TOL:
            why = self._no_raise(obs, heart_ok)
            if obs.time - self.raised_at < cfg.min_raise_interval_s:
                why.append(
                    f"{obs.time - self.raised_at:.1f} s after the previous raise (< {cfg.min_raise_interval_s:g} s)"
                )
            if why:
                bad.append(f"target rose {prev:.4f} → {t:.4f} while " + ", ".join(why))
            if math.isfinite(obs.time):  # a raise at a NaN time must not blind the check
                self.raised_at = obs.time
        self.last = t
        return bad

    def _advance(self, obs: Observation, heart_ok: bool) -> tuple[float, float]:
        """The monitor's own clock: (the target to measure from, seconds since it)."""
        cfg = self.config
        if self.last is None:
            prev = 0.0 if obs.target != obs.target else min(max(obs.target, 0.0), 1.0)
            dt = cfg.max_step / cfg.max_rate
        else:
            prev, dt = self.last, 0.0
        now = obs.time
        if not (math.isfinite(now) and (self.time is None or now >= self.time)):
            return prev, 0.0
        if self.time is not None:
            dt = now - self.time
        self.time = now
        if heart_ok:
            self.untrusted_since = None
        elif self.untrusted_since is None:
            self.untrusted_since = now
        return prev, dt

    def _bounds(self, obs: Observation, t: float, prev: float, dt: float, ceiling: float, heart_ok: bool) -> list[str]:
        """The ceiling, STOP, the rate bound and the ramp down on sensor loss."""
        cfg, now, bad = self.config, obs.time, []
        if not 0.0 <= t <= ceiling + TOL:
            bad.append(f"target {t:.4f} outside [0, {ceiling:.4f}]")
        stop = obs.therapist == Therapist.STOP
        if stop and t != 0.0:
            bad.append(f"therapist stop but target {t:.4f}, not 0")
        bound = min(cfg.max_step, cfg.max_rate * dt)
        if t - prev > bound + TOL:
            bad.append(
                f"target rose {prev:.4f} → {t:.4f} in {dt:.2f} s: more than "
                f"min(max_step {cfg.max_step:g}, {cfg.max_rate:g}/s × {dt:.2f} s) = {bound:.4f}"
            )
        elif prev - t > bound + TOL and not stop and not (ceiling < prev and t >= ceiling - TOL):
            bad.append(
                f"target fell {prev:.4f} → {t:.4f} in {dt:.2f} s: more than {bound:.4f}, "
                f"with no stop and no ceiling below {prev:.4f}"
            )
        since = self.untrusted_since
        if not heart_ok and since is not None and now - since > cfg.hold_before_ramp_s:
            # sensor loss: hold, then ramp down (the step bound may cap one long tick's ramp)
            most = max(prev - min(cfg.ramp_down_rate * dt, cfg.max_step), 0.0)
            if t > most + TOL:
                bad.append(
                    f"heart signal untrustworthy for {now - since:.1f} s "
                    f"> {cfg.hold_before_ramp_s:g} s but target {t:.4f} > {most:.4f} "
                    f"(ramp {cfg.ramp_down_rate:g}/s × {dt:.2f} s from {prev:.4f})"
                )
        return bad

    def _no_raise(self, obs: Observation, heart_ok: bool) -> list[str]:
        """Every reason, seen with this module's own code, why no raise may happen now."""
        cfg, f, why = self.config, obs.features, []
        if obs.therapist != Therapist.CLEAR:
            why.append(f"therapist {getattr(obs.therapist, 'value', obs.therapist)}")
        if obs.ceiling != obs.ceiling:
            why.append("ceiling NaN")
        fast = _fast_over(f, cfg)
        if fast:
            why.append(fast)
        if not heart_ok:
            why.append("heart signal untrustworthy")
        else:
            rel = f.relative.get("hr_bpm", math.nan)
            if not -1.0 <= rel < math.inf:
                why.append(f"no usable HR baseline (relative {rel})")
            elif rel > cfg.hr_ceiling_rel or f.hr_bpm > cfg.hr_ceiling_bpm:
                why.append(f"HR {f.hr_bpm:.0f} bpm ({rel * 100:+.0f} %) over its ceiling")
        recent = isinstance(obs.suds, (int, float)) and 0.0 <= obs.suds_age <= cfg.suds_max_age_s
        if recent and obs.suds >= cfg.suds_ceiling:
            why.append(f"SUDS {obs.suds:.0f} at or over its ceiling {cfg.suds_ceiling:.0f}")
        if recent and cfg.high_suds > 0 and obs.suds >= cfg.high_suds:
            why += _agreeing_signs(obs, cfg, heart_ok)
        rated = (
            isinstance(obs.suds, (int, float)) and math.isfinite(obs.suds) and 0.0 <= obs.suds_age <= obs.time_at_level
        )
        if obs.level > 0 and not rated and not obs.time_at_level >= cfg.unrated_raise_after_s:
            why.append(
                f"no SUDS rating at level {obs.level} after {obs.time_at_level:.0f} s "
                f"(< {cfg.unrated_raise_after_s:g} s)"
            )
        predicted = _forecast_over(obs, cfg, heart_ok)
        if predicted:
            why.append(predicted)
        return why


def _agreeing_signs(obs: Observation, cfg: ShieldConfig, heart_ok: bool) -> list[str]:
    """A high SUDS with a sign from the body, in words (empty when the body shows none)."""
    f = obs.features
    eda = _number(f.relative, "eda_tonic_us") if _fresh(f, "eda", cfg) else math.nan
    hr = _number(f.relative, "hr_bpm") if heart_ok else math.nan
    resp = _number(f.relative, "resp_rate_bpm") if _fresh(f, "resp", cfg) else math.nan
    rmssd_change = _number(f.relative, "rmssd_ms")  # x − baseline (sensors.baseline)
    rmssd_base = _as_number(getattr(f, "rmssd_ms", None)) - rmssd_change
    rmssd_drop = -rmssd_change / rmssd_base if heart_ok and rmssd_base > 0 else math.nan
    if (
        cfg.high_eda_rel <= eda < math.inf
        or cfg.high_hr_rel <= hr < math.inf
        or (cfg.low_hr_rel > 0 and -1.0 < hr <= -cfg.low_hr_rel)
        or (cfg.high_resp_bpm > 0 and cfg.high_resp_bpm <= resp < math.inf)
        or (cfg.low_rmssd_rel > 0 and cfg.low_rmssd_rel <= rmssd_drop < 1.0)
    ):
        return [
            f"SUDS {obs.suds:.0f} ≥ {cfg.high_suds:.0f} with EDA {eda:+.2f} / HR {hr:+.2f} / "
            f"breathing {resp:+.1f}/min / RMSSD {-rmssd_drop:+.2f} vs baseline"
        ]
    return []


@lru_cache(maxsize=1)
def _forecaster() -> ForecastModel:
    return ForecastModel.load(SHIPPED)  # the monitor's own copy of the shipped weights


def _forecast_over(obs: Observation, cfg: ShieldConfig, heart_ok: bool) -> str:
    """A panic forecast at or over ``forecast_step_p``, in words, or "" (off, an untrustworthy
    heart or no HR baseline: no forecast, as the shield promises)."""
    try:
        if not (cfg.forecast_step_p > 0 and heart_ok and -1.0 <= _number(obs.features.relative, "hr_bpm") < math.inf):
            return ""
        x = inputs(obs, cfg)
        p = _forecaster().probability(x) if x is not None else math.nan
        return f"panic forecast p {p:.2f} ≥ {cfg.forecast_step_p:g}" if p >= cfg.forecast_step_p else ""
    except Exception:  # noqa: BLE001 — unreadable observations are no evidence
        return ""


def _number(values, key: str) -> float:
    """``values[key]`` when it is a real number; NaN for anything else (no crash on junk)."""
    return _as_number(values.get(key) if isinstance(values, dict) else None)


def _as_number(v) -> float:
    """``v`` as a float when it is a real number (not a bool); NaN for anything else."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return math.nan
    try:
        return float(v)
    except OverflowError:  # an int too large for a float
        return math.nan


def _fresh(f, signal: str, cfg: ShieldConfig) -> bool:
    q = f.quality.get(signal) if isinstance(f.quality, dict) else None
    age = _number(f.age_s, signal)
    index = _as_number(getattr(q, "index", None))
    return index >= cfg.min_quality and abs(age) <= cfg.max_sensor_age_s
