"""The safety shield's limits: ``ShieldConfig``, every number the shield's rules compare
against (ceilings on intensity, HR and SUDS, the rate and step bounds, how stale or noisy a
signal may be, when a forecast or agreeing signs of distress force a step down), each with
where its default comes from. One frozen dataclass, checked on construction so that a bad
value is refused with its name and range, never acted on; ``adaptation.safety_rules``
re-exports it (the predicates that read it are in ``heart_checks``, ``suds_checks`` and
``distress_checks``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


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
