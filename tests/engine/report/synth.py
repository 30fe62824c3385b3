"""Plausible session folders written the way docs/session-format.md says a session writes them.

``write_session`` makes a 10-minute heights session: 2 min baseline, 6 min exposure with
level changes, SUDS, a decision every 10 s, two shield interventions, a refused step-up,
looking away twice, a therapist stop at 8:00 and 2 min of recovery. The numbers the report
should find are worked out by hand in ``EXPECTED``, not computed from this code.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

LEVELS = [
    ("street", 0.0),
    ("first floor", 0.1),
    ("third floor", 0.2),
    ("over the trees", 0.3),
    ("rooftops", 0.4),
    ("half way", 0.5),
    ("above the city", 0.6),
    ("looking down", 0.7),
    ("no railing", 0.8),
    ("glass floor", 0.9),
    ("over the edge", 1.0),
]

# (start, end, level) during exposure, 2:00 to 8:00; the shield steps down at 6:10.
SCHEDULE = [(120, 150, 0), (150, 240, 1), (240, 330, 2), (330, 370, 3), (370, 430, 2), (430, 480, 3)]
SUDS = [
    (60, 10),
    (140, 20),
    (160, 35),
    (220, 25),
    (250, 50),
    (300, 40),
    (340, 70),
    (380, 55),
    (420, 45),
    (440, 75),
    (470, 80),
    (540, 30),
]

EXPECTED = {
    "time_at_level": {0: 30.0, 1: 90.0, 2: 150.0, 3: 90.0},  # exposure 2:00–8:00 = 360 s
    "peak_end_suds": {0: (20, 20), 1: (35, 25), 2: (55, 45), 3: (80, 80)},
    "visits": {0: 1, 1: 1, 2: 2, 3: 2},
    "highest_reached": 3,
    "highest_held": 2,  # level 3 never lasted 60 s (40 s, then 50 s); ≥ 2 from 4:00 to 8:00
    "held_s": 240.0,
    "decisions": 35,
    "applied": 33,
    "shield": 2,
    "stops": 1,
    "escapes": 0,
    "avoidance": 2,
    "avoidance_s": 13.0,
    "peak_suds": 80,
    "end_suds": 30,
}


def write_session(
    folder: Path,
    *,
    patient: str = "p01",
    started: str = "2026-11-20T09:00:00.000Z",
    schedule: list[tuple[int, int, int]] = SCHEDULE,
    suds: list[tuple[int, int]] = SUDS,
    stop_at: int | None = 480,
    escape_at: int | None = None,
    scenario: str = "heights",
    end_reason: str | None = "stopped",
    duration: int = 600,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "session.json").write_text(
        json.dumps(session_json(folder.name, patient, started, scenario, end_reason), indent=2)
    )
    events = _events(patient, scenario, schedule, suds, stop_at, escape_at, end_reason, duration)
    start = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
    with open(folder / "events.jsonl", "w") as f:
        for seq, (t, source, kind, extra) in enumerate(events):
            wall = (start + dt.timedelta(seconds=t)).isoformat().replace("+00:00", "Z")
            f.write(
                json.dumps(
                    {
                        "seq": seq,
                        "t": t,
                        "lsl": 5000.0 + t,
                        "wall": wall,
                        "source": source,
                        "kind": kind,
                        "reason": extra.pop("reason", ""),
                        **extra,
                    }
                )
                + "\n"
            )
    return folder


def session_json(session_id: str, patient: str, started: str, scenario: str, end_reason: str | None) -> dict:
    return {
        "format": "vrex-session/1",
        "session_id": session_id,
        "patient": patient,
        "started_utc": started,
        "ended_utc": started if end_reason else None,
        "end_reason": end_reason,
        "demo": True,
        "speed": 15.0,
        "mode": "auto",
        "scenario": {
            "file": f"scenarios/{scenario}.yaml",
            "sha256": "ab" * 32,
            "id": scenario,
            "title": scenario.title(),
            "levels": [{"name": n, "intensity": i} for n, i in LEVELS],
        },
        "controller": {"name": "policy", "version": "sha256:" + "cd" * 32},
        "ceilings": {"intensity": 1.0, "hr_relative": 0.4, "hr_bpm": 150.0},
        "phases_s": {"baseline": 120.0, "exposure": 360.0, "recovery": 120.0},
        "software": {"vrex": "0.1.0", "python": "3.11.9", "numpy": "2.1", "pylsl": "1.18.6", "panda3d": "1.10.14"},
        "streams": [{"name": "sim-ecg", "type": "ECG", "source_id": "sim-ecg-1", "role": "ecg"}],
    }


def _events(patient, scenario, schedule, suds, stop_at, escape_at, end_reason, duration):
    exposure_end = schedule[-1][1]
    ev = []

    def add(t, source, kind, **extra):
        ev.append((t, source, kind, extra))

    def level_at(t):
        return next((lv for a, b, lv in schedule if a <= t < b), 0)

    add(0, "session", "session_start", patient=patient, scenario=scenario, mode="auto", controller="policy")
    add(0, "session", "phase", phase="baseline")
    add(5, "therapist", "ssq", total=7.48, nausea=9.54)
    add(30, "sensors", "baseline", values={"hr_bpm": 72.0, "eda_tonic_us": 2.1})
    add(schedule[0][0], "session", "phase", phase="exposure")
    for i, (a, _, lv) in enumerate(schedule):
        source = "shield" if (i > 0 and lv < schedule[i - 1][2]) else "controller"
        add(
            a,
            source,
            "intensity",
            target=LEVELS[lv][1],
            level=lv,
            level_name=LEVELS[lv][0],
            previous=LEVELS[schedule[i - 1][2]][1] if i else 0.0,
            reason="policy step" if source == "controller" else "HR over ceiling",
        )
        add(a + 2, "scene", "shown", intensity=LEVELS[lv][1], level=lv, level_name=LEVELS[lv][0])
    for t in range(schedule[0][0] + 10, exposure_end, 10):
        add(
            t,
            "controller",
            "decision",
            controller="policy",
            target=LEVELS[min(level_at(t) + 1, 10)][1],
            level=level_at(t),
            applied=t not in (200, 370),
            reason="in band",
        )
    add(200, "shield", "shield", interventions=["rate_limit"], proposed=0.3, target=0.1, reason="too soon after a step")
    add(370, "shield", "shield", interventions=["hr_ceiling"], proposed=0.3, target=0.2, reason="HR 152 > 150")
    add(200, "sensors", "sensor", signal="eda", status="stale")
    add(203, "sensors", "sensor", signal="eda", status="fresh")
    add(300, "therapist", "command", command="step_up", args=[], accepted=False, reason="patient asked to wait")
    add(300, "therapist", "note", text="patient says the wind feels real")
    for t, value in suds:
        extra = {} if t == 300 else {"level": level_at(t)}  # one rating without its level: read from the ticks
        add(t - 3, "session", "prompt", what="suds")
        add(t, "patient", "suds", value=value, **extra)
    for a, b in ((345, 352), (455, 461)):
        add(a, "patient", "avoidance", looking_away=True, angle_deg=65.0)
        add(b, "patient", "avoidance", looking_away=False, angle_deg=10.0)
    if escape_at is not None:  # as the session runner logs one: the escape, then the stop it pressed
        add(escape_at, "patient", "escape", reason="took the headset off")
        add(escape_at, "patient", "command", command="patient_stop", args={}, accepted=True, reason="patient stop")
    if stop_at is not None:
        add(stop_at, "therapist", "command", command="stop", args=[], accepted=True, reason="enough for today")
        add(stop_at, "therapist", "intensity", target=0.0, level=0, level_name="street", previous=0.3, reason="stop")
    add(exposure_end, "therapist" if stop_at else "session", "phase", phase="recovery")
    shown = 0.0
    for t in range(duration):
        target = LEVELS[level_at(t)][1]
        shown += max(-0.05, min(0.05, target - shown))  # eased, as the scene does
        add(
            t,
            "sensors",
            "tick",
            phase="baseline" if t < schedule[0][0] else "exposure" if t < exposure_end else "recovery",
            intensity=round(shown, 3),
            target=target,
            level=level_at(t),
            hr_bpm=70 + 60 * shown,
            rmssd_ms=40.0,
            eda_tonic_us=2.0 + 4 * shown,
            scr_per_min=3.0,
            resp_bpm=None,
            relative={"hr_bpm": shown},
            quality={"ecg": 0.95},
            age_s={"ecg": 0.1},
        )
    add(duration - 5, "therapist", "ssq", total=18.7, nausea=19.08)
    if end_reason:
        add(duration, "session", "phase", phase="done")
        add(duration, "session", "session_end", end_reason=end_reason)
    ev.sort(key=lambda e: e[0])  # stable: same-time events keep the order they were added
    return ev
