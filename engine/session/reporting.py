"""The runner's last stage at every control step: what the control side tells the people
watching. New alerts are said on the terminal at once and its status line is redrawn four
times a second (``terminal.StatusDisplay``); then each observer (the console, which takes
its snapshot here) is called with the runner. Neither may end the session: a terminal that
fails is dropped, and so is an observer that raises, each with an alert saying so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the runner imports this module
    from engine.session.runner import SessionRunner


class Reporting:
    """A stage of ``SessionRunner.step`` (``update(t)``); keeps which alerts it has said."""

    def __init__(self, runner: SessionRunner):
        self.r = runner
        self._next_status = 0.0
        self._alerts_seen = 0

    def update(self, t: float) -> None:
        """The terminal (alerts, and the status 4 times a second) and the observers (the console)."""
        r = self.r
        try:
            for a in r.core.alerts[self._alerts_seen :]:
                if r.status is not None:
                    r.status.say(f"ALERT {a['kind']}: {a['text']}")
            self._alerts_seen = len(r.core.alerts)
            if r.status is not None and time.perf_counter() >= self._next_status:
                r.status.update(r.core.snapshot(), r.features, r.shown.intensity)
                self._next_status = time.perf_counter() + 0.25
        except Exception as exc:  # noqa: BLE001 — a broken terminal (a closed
            r.status = None  # pipe) must not end the session
            r.core.alert("terminal", f"status display stopped: {exc}")
        for observe in list(r.observers):
            try:
                observe(r)
            except Exception as exc:  # noqa: BLE001 — e.g. the console: the session goes on
                r.observers.remove(observe)
                r.core.alert("console", f"{getattr(observe, '__qualname__', observe)} stopped: {exc}")
