"""What the console shows, taken on the control loop's thread and handed to the web server.

``ConsoleState`` is one of the runner's ``observers``: it is called after every control
step, on the control thread, the only thread that may read ``SessionCore``; what the
frames show comes from the frame thread's report (``runner.shown``: also the head drawn), and
whether the patient is looking away from the runner's ``Avoidance``. At
most ``rate_hz`` times a second (wall time) it builds a *new* dict of plain JSON values and
replaces ``latest`` with it in one reference assignment (atomic in CPython); at once,
too, when a command or the controller changed what the page shows (phase, stop or hold,
mode, target, alerts, proposal). The dict is
never changed after that, so the server thread may read and serialise it without a lock.
Between snapshots a frame costs one clock read and one identity check.

The plotted series (HR, EDA, respiration, shown and target intensity, SUDS) grow by one
point per control tick (new ``runner.features``), thinned to one per ``min_point_s`` of
session time, and keep the last ``window_s`` session seconds. Points are tuples
``(n, t, hr, eda, resp, intensity, target, suds)`` numbered ``n`` so that the server sends
each browser only the points it has not seen.

A failure here must never end a therapy session: it is printed once and the console shows
its data as old (the server tells the page how old the snapshot is).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import Any

from adaptation.types import level_of
from engine.session.terminal import plain, progress
from vrexbase.real import is_finite

log = logging.getLogger(__name__)

SIGNALS = ("ecg", "ppg", "rr", "eda", "resp")  # the order the page lists them in
MAX_ACKED_ALERTS = 20  # acknowledged alerts kept on the page (all open ones are)


def num(value: Any, digits: int = 3) -> float | None:
    """A finite number rounded for the page, or None (JSON has no NaN)."""
    return round(float(value), digits) if is_finite(value) else None


class ConsoleState:
    """The runner's observer: builds snapshots at ``rate_hz`` for the server thread."""

    def __init__(self, rate_hz: float = 5.0, window_s: float = 600.0, min_point_s: float = 0.5):
        self.period = 1.0 / rate_hz
        self.window_s = window_s
        self.min_point_s = min_point_s
        self.latest: dict | None = None  # replaced whole, never mutated: read by the server thread
        self.points: deque[tuple] = deque()
        self._n = 0
        self._seq = 0
        self._next = 0.0
        self._features: Any = None
        self._failed = False
        self._changed: tuple = ()
        self._avoidance: Any = None  # the runner's Avoidance; False: it has none

    def __call__(self, runner: Any) -> None:
        try:
            core = runner.core
            if runner.features is not self._features:
                self._features = runner.features
                self._add_point(core.time, runner.features, runner.shown.intensity, core.target, core.suds)
            now = time.perf_counter()
            # what a command changes is sent at once, not at the next 1/rate_hz: the page
            # confirms a stop or a hold as soon as the session applied it
            changed = core.change_key()
            if now >= self._next or changed != self._changed:
                self._next, self._changed = now + self.period, changed
                self.latest = self.snapshot(
                    core.snapshot(),
                    runner.shown,
                    getattr(runner.live, "failed", {}) or {},
                    looking_away=self._looking_away(runner),
                )
        except Exception as exc:  # noqa: BLE001 — the session must go on without its console
            if not self._failed:
                self._failed = True
                log.warning(
                    "the console could not read the session (%s: %s); its page will show old data. "
                    "The session itself goes on.",
                    type(exc).__name__,
                    exc,
                )

    def _add_point(self, t: float, f: Any, shown: float, target: float, suds: float) -> None:
        if f is None or (self.points and t - self.points[-1][1] < self.min_point_s):
            return
        self._n += 1
        self.points.append(
            (
                self._n,
                round(t, 2),
                num(f.hr_bpm, 1),
                num(f.eda_tonic_us, 3),
                num(f.resp_rate_bpm, 1),
                num(shown),
                num(target),
                num(suds, 0),
            )
        )
        while self.points and self.points[0][1] < t - self.window_s:
            self.points.popleft()

    def _looking_away(self, runner: Any) -> bool | None:
        """The runner's ``Avoidance`` verdict (the frames stage's: the head drawn, in exposure),
        None when the session has none."""
        if self._avoidance is None:
            frames_out = getattr(runner, "frames_out", None)
            self._avoidance = getattr(frames_out, "avoidance", None) or False
        return bool(self._avoidance.away) if self._avoidance else None

    def snapshot(self, core: Any, shown: Any, failed: dict, looking_away: bool | None = None) -> dict:
        """Everything the page shows, as plain JSON values (None for unknown), from the core's
        ``CoreSnapshot`` and the frame thread's last report (``shown``)."""
        pose = getattr(shown, "pose", None) or (math.nan,) * 6
        plan, f = core.plan, core.features
        self._seq += 1
        phase_len = {"baseline": plan.baseline_s, "exposure": plan.exposure_s, "recovery": plan.recovery_s}.get(
            core.phase.value
        )
        level = level_of(
            shown.intensity, plan.levels
        )  # the last frame's, as the scene's 'shown' events (core.level lags a tick)
        return {
            "seq": self._seq,
            "wall": time.time(),
            "t": round(core.time, 2),
            "phase": core.phase.value,
            "done": core.done,
            "phase_elapsed": round(core.time - core.phase_start, 2),
            "phase_length": phase_len,
            "progress": round(progress(core), 4),
            "mode": core.mode.value,
            "therapist": core.therapist.value,
            "stalled": core.stalled,
            "level": level,
            "level_name": plain(plan.names[level]),
            "target": num(core.target),
            "target_level": level_of(core.target, plan.levels),
            "intensity": num(shown.intensity),
            "calming": bool(shown.calming),
            "veil": num(shown.veil),
            "ceiling": num(core.ceiling),
            "top_reached": core.top_reached,
            "suds": num(core.suds, 0),
            "suds_age": num(core.time - core.suds_at, 1),
            "prompt_age": num(core.time - core.prompt_since, 1) if core.prompt_since is not None else None,
            "vitals": vitals(f),
            "hr_baseline": num(core.hr_baseline, 1),
            "sensors": sensors(core, f, failed),
            "decision": decision(core.last_decision, plan.levels),
            "pending": pending(core),
            "alerts": alerts(core.alerts),
            # the head the last frame drew (deg, relative to the rig) and the runner's avoidance verdict
            "head": {"heading": num(pose[3], 1), "pitch": num(pose[4], 1)},
            "looking_away": looking_away,
            "points": tuple(self.points),
        }


def vitals(f: Any) -> dict:
    if f is None:
        return {}
    return {
        "hr": num(f.hr_bpm, 1),
        "hr_rel": num(f.relative.get("hr_bpm")),
        "hr_source": f.hr_source or None,
        "rmssd": num(f.rmssd_ms, 1),
        "eda": num(f.eda_tonic_us),
        "eda_rel": num(f.relative.get("eda_tonic_us")),
        "scr": num(f.scr_per_min, 1),
        "resp": num(f.resp_rate_bpm, 1),
    }


def sensors(core: Any, f: Any, failed: dict) -> list[dict]:
    """Each signal's health: the settled status the session logs and raises alerts on
    (fresh, stale, poor), 'lost' when its stream was never found or never gave good data,
    'waiting' before its first good data; with this tick's own judgement (``now``, which
    may differ for the health's settling time), quality and age."""
    quality = f.quality if f is not None else {}
    ages = f.age_s if f is not None else {}
    names = set(quality) | set(ages) | set(core.health) | set(failed)
    out = []
    for signal in sorted(names, key=lambda s: (SIGNALS.index(s) if s in SIGNALS else 99, s)):
        status = core.health.get(signal)
        q = quality.get(signal)
        now, now_why = core.judged.get(signal, (None, ""))
        if signal in failed:
            status, why = "lost", str(failed[signal]).splitlines()[0]
        elif status is None:
            status = "waiting" if core.phase.value == "baseline" else "lost"
            why = "no good data yet" if status == "waiting" else "no good data since the session began"
        else:
            why = now_why
        out.append(
            {
                "signal": signal,
                "status": status,
                "why": why,
                "now": now,
                "now_why": now_why,
                "quality": num(q.index, 2) if q is not None else None,
                "quality_reason": q.reason if q is not None else None,
                "age_s": num(ages.get(signal), 1),
            }
        )
    return out


def decision(d: Any, levels: tuple[float, ...]) -> dict | None:
    if d is None:
        return None
    return {
        "target": num(d.target),
        "level": level_of(d.target, levels),
        "reason": d.reason,
        "source": d.source,
        "interventions": list(d.interventions),
    }


def pending(core: Any) -> dict | None:
    if core.pending is None:
        return None
    d = core.pending
    return {
        "target": num(d.target),
        "level": level_of(d.target, core.plan.levels),
        "reason": d.reason,
        "age_s": num(core.time - core.pending_at, 1),
        "valid_s": core.plan.suggestion_valid_s,
    }


def alerts(items: list[dict]) -> list[dict]:
    """Every open alert and the newest acknowledged ones, each with its index for ``ack``."""
    indexed = [
        {"index": i, "kind": a["kind"], "text": a["text"], "t": num(a["t"], 1), "acknowledged": bool(a["acknowledged"])}
        for i, a in enumerate(items)
    ]
    acked = [a for a in indexed if a["acknowledged"]][-MAX_ACKED_ALERTS:]
    return [a for a in indexed if not a["acknowledged"]] + acked
