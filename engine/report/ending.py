"""How a session ended, in a clinician's words (stopped by whom, crashed, stalled,
completed), and the events that decide it: accepted stops and holds, frame stalls; and
what the shield did, named without its numbers.
"""

from __future__ import annotations

import re

from engine.report.load import SessionData, is_number
from engine.report.spans import Span

STOP_COMMANDS = ("stop", "patient_stop")
_SAME_INCIDENT_S = 2.0  # a patient_stop this soon after an escape is how the escape stopped the scene


def ending(data: SessionData, stops: list[tuple[float, str]], stalls: list[Span], end: float) -> str | None:
    """How the session ended, in a clinician's words: crashed, stalled, or stopped by whom
    (a STOP that no ``resume`` followed), else the recorded reason ("completed" once said a
    session the therapist had stopped at 8:00 had simply completed)."""
    reason = data.end_reason
    clock = lambda t: f"{int(t) // 60}:{int(t) % 60:02d}"  # noqa: E731
    if reason is None:  # no session_end and no end in session.json: killed, or the machine went down
        return f"crashed or killed: no end was recorded (the record stops at {clock(end)})" if data.events else None
    if reason.startswith("error"):
        return f"crashed ({reason})"
    resumes = [
        float(e["t"])
        for e in data.of("command")
        if e.get("command") == "resume" and e.get("accepted", True) is not False
    ]
    escapes = [(float(e["t"]), "escape") for e in data.of("escape")]  # a panic: the patient's own stop
    last_stop = max(stops + escapes, default=None)
    if last_stop is not None and not any(t > last_stop[0] for t in resumes):
        return f"stopped by {who(last_stop[1])} at {clock(last_stop[0])} ({reason})"
    if stalls and stalls[-1].label.endswith("(to the end)"):
        return f"stalled: no frame from {clock(stalls[-1].start)} to the end ({reason})"
    exits = data.of("renderer_exit")
    if exits:
        return f"stalled: the renderer exited at {clock(float(exits[-1]['t']))}, no frame after it ({reason})"
    return reason


WHO = {
    "patient": "the patient",
    "therapist": "the therapist",
    "console": "the therapist (console)",
    "escape": "the patient (escaped)",
}


def who(source: str) -> str:
    """A command's source as a clinician says it: ``console`` is the therapist at the console."""
    return WHO.get(source, source)


def stall_spans(data: SessionData, end: float) -> list[Span]:
    """Frame stalls from the ``stall`` events: each start to its end, or to the session's end
    when the session ended (or crashed) inside one."""
    spans, start = [], None
    for e in data.of("stall"):
        if e.get("state") == "start" and is_number(e.get("start")):
            start = float(e["start"])
        elif e.get("state") == "end" and is_number(e.get("start")) and is_number(e.get("end")):
            spans.append(Span(float(e["start"]), float(e["end"]), "stall"))
            start = None
    if start is not None:
        spans.append(Span(start, max(end, start), "stall (to the end)"))
    return spans


def accepted(data: SessionData, commands: tuple[str, ...]) -> list[tuple[float, str]]:
    """(t, who) of each accepted command among ``commands``."""
    return [
        (float(e["t"]), str(e.get("source") or "?"))
        for e in data.of("command")
        if e.get("command") in commands and e.get("accepted", True) is not False
    ]


def stops(data: SessionData) -> list[tuple[float, str]]:
    """Accepted stop commands, by whom; the patient_stop that an escape triggers is the escape, not another stop."""
    escapes = [float(e["t"]) for e in data.of("escape")]
    patient = {t for t, who in accepted(data, ("patient_stop",))}
    return [
        (t, who)
        for t, who in accepted(data, STOP_COMMANDS)
        if not (t in patient and any(0 <= t - x <= _SAME_INCIDENT_S for x in escapes))
    ]


def shield_kind(text: str) -> str:
    """What the shield did, without this instance's numbers: "raise limited to 0.129 (0.025/s …)"
    and "hold: last raise 5.1 s ago" count as "raise limited" and "hold" (a report once listed
    173 interventions one by one)."""
    return re.split(r"[:(]| to \d| \d", text, maxsplit=1)[0].strip() or text
