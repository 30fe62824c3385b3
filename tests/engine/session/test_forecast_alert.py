"""The predictive distress alert in a live session (engine/session/forecast_watch.py): the
``forecast`` events, the console/terminal alert, the status line, and the shield's step
down at the tick a confident forecast comes, all through SessionCore with the shipped
forecaster and hand-made features."""

from __future__ import annotations

from adaptation.forecast import forecast
from adaptation.shield import ShieldConfig
from engine.console.state import alerts as console_alerts
from engine.session.core import Phase
from engine.session.terminal import lines
from tests.engine.session.test_core import calm, make, run


def _into_exposure(shield: ShieldConfig):
    core, log = make(shield=shield)
    run(core, 0, 41)
    assert core.phase is Phase.EXPOSURE
    return core, log


def test_a_forecast_alert_is_logged_alerted_shown_and_cleared_when_the_heart_goes_stale():
    # on at any forecast at all: the test is about the wiring, not the model's numbers
    cfg = ShieldConfig(unrated_raise_after_s=0, forecast_alert_on=1e-9, forecast_alert_off=0.0, forecast_step_p=0.0)
    core, log = _into_exposure(cfg)
    run(core, 41, 44)
    (on,) = [e for e in log.kinds("forecast") if e["state"] == "on"]
    assert on["source"] == "forecast" and 0.0 <= on["probability"] <= 1.0
    assert "panic likely within 30 s" in on["reason"]
    assert [a["text"] for a in core.alerts if a["kind"] == "forecast"] == [on["reason"]]
    assert any(a["kind"] == "forecast" for a in console_alerts(core.alerts))
    status = lines(core.snapshot(), core.features, core.target)
    assert status[-1].startswith("FORECAST panic within 30 s")

    run(core, 44, 47, feats=lambda t: calm(t, age=10.0))  # stale heart: no forecast, so no alert
    (off,) = [e for e in log.kinds("forecast") if e["state"] == "off"]
    assert off["probability"] is None and "untrustworthy" in off["reason"]
    assert not any(line.startswith("FORECAST") for line in lines(core.snapshot(), core.features, core.target))
    assert len([a for a in core.alerts if a["kind"] == "forecast"]) == 1  # the alert stays until acknowledged


def test_a_calm_session_raises_no_forecast_alert_at_the_shipped_thresholds():
    core, log = _into_exposure(ShieldConfig(unrated_raise_after_s=0))
    run(core, 41, 80)
    p = forecast(core.last_obs).probability
    assert p < ShieldConfig().forecast_alert_off  # calm features at low levels: no risk seen
    assert log.kinds("forecast") == [] and not any(a["kind"] == "forecast" for a in core.alerts)


def test_a_confident_forecast_steps_down_at_that_tick_with_its_reason():
    cfg = ShieldConfig(unrated_raise_after_s=0, forecast_alert_on=0.0, forecast_alert_off=0.0, forecast_step_p=0.0)
    core, log = _into_exposure(cfg)
    run(core, 41, 100)  # the controller (always up) climbs
    before = core.target
    assert before > 0.2
    p = forecast(core.last_obs).probability
    eager = ShieldConfig(unrated_raise_after_s=0, forecast_step_p=p * 0.5)  # this forecast is now confident
    core.shield.config = core.shield_config = core.forecast.config = eager
    core._next_decision = 1e9  # no decision due: only the urgent tick can act
    run(core, 100, 101)
    assert core.target < before
    change = log.kinds("intensity")[-1]
    assert change["source"] == "shield" and "panic forecast within 30 s" in change["reason"]
