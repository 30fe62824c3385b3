"""The predictive distress forecaster (adaptation/forecast.py), its shield rule
(``panic_forecast``) and the monitor's mirror of it, on hand-made observations and the
shipped weights."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from importlib import resources

import pytest

from adaptation.forecast import NAMES, SHIPPED, Forecast, ForecastAlert, ForecastModel, forecast, inputs, shipped
from adaptation.invariants import InvariantMonitor
from adaptation.shield import SafetyShield, ShieldConfig
from adaptation.shield_rules import RULES, panic_forecast
from adaptation.types import Decision, Observation
from sensors.types import Features, Quality

LEVELS = tuple(i / 10 for i in range(11))


def features(hr_rel=0.32, fast_rel=0.38, eda_rel=0.9, resp_rel=4.0, ecg_age=0.3, ecg_q=1.0, hr=95.0, eda_age=0.5):
    """Every signal fresh and usable unless a test says otherwise; HR and its beat-to-beat
    run below the shield's 40 % ceiling, so only the forecast can step down."""
    return Features(
        time=0.0,
        hr_bpm=hr,
        hr_source="ecg",
        rmssd_ms=25.0,
        eda_tonic_us=4.0,
        scr_per_min=8.0,
        resp_rate_bpm=20.0,
        quality={"ecg": Quality(ecg_q), "eda": Quality(1.0), "resp": Quality(1.0)},
        age_s={"ecg": ecg_age, "eda": eda_age, "resp": 0.5},
        relative={
            "hr_bpm": hr_rel,
            "hr_fast_bpm": fast_rel,
            "eda_tonic_us": eda_rel,
            "rmssd_ms": -15.0,
            "scr_per_min": 6.0,
            "resp_rate_bpm": resp_rel,
        },
        hr_fast_bpm=hr * (1 + fast_rel) / (1 + hr_rel),
        hr_fast_source="ecg",
        hr_fast_quality=Quality(1.0),
        hr_fast_age_s=0.4,
    )


def surging(f: Features | None = None, **kw) -> Observation:
    """High in the hierarchy, the level new, the body climbing, a SUDS (58, under the
    shield's 60 and 70) given at this level: what precedes panic in the simulator."""
    base = dict(
        time=600.0,
        intensity=0.8,
        target=0.8,
        levels=LEVELS,
        level=8,
        time_at_level=12.0,
        features=features() if f is None else f,
        suds=58.0,
        suds_age=5.0,
        peak_suds_at_level=58.0,
        top_reached=8,
    )
    return Observation(**{**base, **kw})


def calm() -> Observation:
    f = features(hr_rel=0.02, fast_rel=0.0, eda_rel=0.0, resp_rel=0.0)
    return surging(f, intensity=0.3, target=0.3, level=3, time_at_level=200.0, suds=20.0, peak_suds_at_level=20.0)


class Raise:
    """An unshielded controller's wish: always one step up."""

    name = "raise"

    def reset(self) -> None: ...

    def decide(self, o: Observation) -> Decision:
        return Decision(min(o.target + 0.1, 1.0), "up")


class Stay(Raise):
    def decide(self, o: Observation) -> Decision:
        return Decision(o.target, "stay")


def test_the_shipped_forecaster_loads_from_package_data_and_is_deterministic():
    packaged = resources.files("adaptation") / "policies" / "forecast.json"
    assert packaged.is_file()
    model = ForecastModel.load(str(packaged))
    assert model.names == NAMES and model.meta["positives"] > 0
    a, b = forecast(surging()), forecast(surging(), model=ForecastModel.load(SHIPPED))
    assert a == b and 0.0 < a.probability < 1.0
    assert forecast(calm()).probability < a.probability  # a climbing body at a new high level is the riskier
    assert a.reason and a.reason != "no single sign"


def test_a_weights_file_for_other_inputs_is_refused_naming_it(tmp_path):
    doc = json.loads(SHIPPED.read_text())
    doc["names"] = doc["names"][::-1]
    bad = tmp_path / "forecast.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="forecast.json.*refit"):
        ForecastModel.load(bad)


def test_the_alert_has_hysteresis():
    alert = ForecastAlert(ShieldConfig(forecast_alert_on=0.5, forecast_alert_off=0.3))
    seq = [0.4, 0.55, 0.45, 0.31, 0.29, 0.49, 0.5, None]
    changes = [alert.update(None if p is None else Forecast(p, "x")) for p in seq]
    assert changes == ["", "on", "", "", "off", "", "on", "off"]  # None: inputs untrustworthy
    off = ForecastAlert(ShieldConfig(forecast_alert_on=0.0, forecast_alert_off=0.0))
    assert off.update(Forecast(0.99, "x")) == ""


def test_alert_thresholds_are_checked():
    with pytest.raises(ValueError, match="forecast_alert_off"):
        ShieldConfig(forecast_alert_on=0.3, forecast_alert_off=0.5)
    with pytest.raises(ValueError, match="forecast_step_p"):
        ShieldConfig(forecast_step_p=1.5)


@pytest.mark.parametrize(
    "f",
    [
        features(ecg_age=10.0),  # stale
        features(ecg_q=0.1),  # unusable
        features(hr=300.0),  # implausible
        features(hr_rel=math.nan),  # no baseline
    ],
)
def test_untrustworthy_heart_inputs_give_no_forecast_and_no_step(f):
    o = surging(f)
    assert inputs(o) is None and forecast(o) is None
    eager = ShieldConfig(forecast_step_p=1e-6)  # any forecast at all would step down
    s = SafetyShield(Stay(), Stay(), eager).decide(o)
    assert not any("panic forecast" in n for n in s.interventions)
    assert not any("panic forecast" in v for v in InvariantMonitor(eager).check(o, Decision(0.85, "up")))


def test_stale_eda_reads_as_unknown_not_as_its_last_value():
    x = dict(zip(NAMES, inputs(surging(features(eda_age=30.0)))))
    assert x["eda_rel"] == 0.0 and x["eda_known"] == 0.0
    assert dict(zip(NAMES, inputs(surging())))["eda_known"] == 1.0


def test_a_confident_forecast_steps_down_one_level_with_its_reason():
    o = surging()
    p = forecast(o).probability
    d = SafetyShield(Raise(), Stay(), ShieldConfig(forecast_step_p=p)).decide(o)
    assert d.target == pytest.approx(0.7) and d.source == "shield"
    assert "panic forecast within 30 s" in d.reason and f"p {p:.2f}" in d.reason


@pytest.mark.parametrize("step", ["above", "off"])
def test_no_step_without_a_confident_forecast(step):
    o = surging()
    p = forecast(o).probability
    cfg = ShieldConfig(forecast_step_p=min(p + 1e-6, 1.0) if step == "above" else 0.0)
    assert panic_forecast(_situation(o, cfg)) is None
    d = SafetyShield(Raise(), Stay(), cfg).decide(o)
    assert d.target > 0.8 and "panic forecast" not in d.reason


def test_the_rule_sits_with_the_other_step_downs():
    names = [r.__name__ for r in RULES]
    assert names.index("distress_agreed") < names.index("panic_forecast") < names.index("therapist_holds")


def test_the_monitor_flags_a_raise_during_a_confident_forecast_and_not_otherwise():
    o = surging()
    p = forecast(o).probability
    up = Decision(0.85, "up", "raise")  # a deliberately unshielded controller
    confident = InvariantMonitor(ShieldConfig(forecast_step_p=p)).check(o, up)
    assert any("panic forecast" in v for v in confident)
    for cfg in (ShieldConfig(forecast_step_p=min(p + 1e-6, 1.0)), ShieldConfig(forecast_step_p=0.0)):
        assert InvariantMonitor(cfg).check(o, up) == []
    stale = replace(o, features=features(ecg_age=10.0))
    assert not any("panic forecast" in v for v in InvariantMonitor(ShieldConfig(forecast_step_p=1e-6)).check(stale, up))


def test_the_shielded_decision_keeps_the_monitors_promise():
    o = surging()
    cfg = ShieldConfig(forecast_step_p=forecast(o).probability)
    d = SafetyShield(Raise(), Stay(), cfg).decide(o)
    assert InvariantMonitor(cfg).check(o, d) == []


def test_the_shipped_model_is_read_once():
    assert shipped() is shipped()


def _situation(o: Observation, cfg: ShieldConfig):
    from adaptation.shield_rules import Situation

    return Situation(o, cfg, o.target, o.target, o.time, 5.0, True, "", None, -math.inf)
