"""The predictive distress alert in a live session (``adaptation.forecast``).

At each control tick of the exposure ``ForecastWatch.update`` forecasts, from the
observation, whether arousal will cross the panic level within 30 s. The therapist's alert
has hysteresis (on at ``forecast_alert_on``, off below ``forecast_alert_off``): its onset and
its end are ``forecast`` events with the probability and the reason in words, the onset is a
console and terminal alert, and while it stands the terminal's status line shows it. A
forecast at or over ``forecast_step_p`` makes the tick urgent, so the shield's
``panic_forecast`` rule steps down at that tick, not at the next decision. Untrustworthy
inputs give no forecast: an alert standing ends, saying why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from adaptation.forecast import Forecast, ForecastAlert, forecast
from adaptation.shield import ShieldConfig
from adaptation.types import Observation
from engine.session.roles import LogEvent

log = logging.getLogger(__name__)


class ForecastWatch:
    def __init__(self, config: ShieldConfig, event: LogEvent, alert: Callable[[str, str], None]):
        self.config = config
        self.event = event  # EventLog.log(source, kind, reason, **fields)
        self.alert = alert  # SessionCore.alert(kind, text)
        self.state = ForecastAlert(config)
        self.last: Forecast | None = None

    @property
    def enabled(self) -> bool:
        return self.config.forecast_alert_on > 0 or self.config.forecast_step_p > 0

    def update(self, obs: Observation) -> str:
        """Forecast this tick; returns why the shield must look now ("" when it need not)."""
        if not self.enabled:
            return ""
        f = self.last = forecast(obs, self.config)
        change = self.state.update(f)
        if change == "on":
            text = f"panic likely within 30 s (p {f.probability:.2f}): {f.reason}"
            self.event("forecast", "forecast", text, state="on", probability=round(f.probability, 4))
            self.alert("forecast", text)
        elif change == "off":
            why = "no forecast: inputs untrustworthy" if f is None else f"forecast fell to p {f.probability:.2f}"
            p = None if f is None else round(f.probability, 4)
            self.event("forecast", "forecast", why, state="off", probability=p)
        step = self.config.forecast_step_p
        if f is not None and step > 0 and f.probability >= step:
            return f"panic forecast p {f.probability:.2f}"
        return ""

    def status(self) -> str:
        """The status line's words while the alert stands, else ""."""
        f = self.last
        if not self.state.active or f is None:
            return ""
        return f"FORECAST panic within 30 s, p {f.probability:.2f}: {f.reason}"
