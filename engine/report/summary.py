"""The numbers a clinician reads first: time and SUDS at each level, what was reached and
held, escapes, stops, shield interventions, avoidance and SSQ.

Per-level numbers count the exposure phase only (baseline and recovery sit at the calm
level and would swamp it); when no phase is recorded the whole session counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.report.ending import accepted, ending, shield_kind, stall_spans
from engine.report.ending import stops as _stops
from engine.report.load import SessionData, is_number
from engine.report.plain import Vitals, paragraph, vitals
from engine.report.spans import Span, Step, display_level  # noqa: F401 — display_level: imported from here

HELD_S = 60.0  # a level is "held" after this long without dropping below it
TICK_S = 1.0  # the control side ticks at least once a second of session time (Plan.tick_s),
# and more often when heart beats arrive (MIN_BEAT_TICK_S): see level_steps


_EPS = 1e-6


@dataclass(frozen=True)
class LevelRow:
    level: int
    name: str
    intensity: float | None
    time_s: float
    visits: int
    peak_suds: float | None
    end_suds: float | None
    ratings: int
    away_s: float = 0.0  # looking away (looked_away .. looked_back) while at this level


@dataclass
class Summary:
    duration_s: float
    phases: list[Span]
    exposure: list[Span]  # the windows the per-level numbers count
    steps: list[Step]  # the level over the whole session
    level_source: str  # which events the level came from
    levels: list[LevelRow]
    highest_reached: int | None
    highest_held: int | None
    held_s: float  # longest stretch at or above highest_held
    peak_suds: float | None
    end_suds: float | None
    suds: list[tuple[float, float]]  # (t, value), the whole session
    escapes: list[float]
    stops: list[tuple[float, str]]  # (t, who): therapist, patient, console
    decisions: int
    decisions_applied: int
    shield_events: int
    shield_kinds: dict[str, int]
    avoidance: list[Span]
    ssq: list[dict[str, Any]]
    notes: list[tuple[float, str]]
    end_reason: str | None  # as recorded (session.json)
    level_names: dict[int, str] = field(default_factory=dict)
    stalls: list[Span] = field(default_factory=list)  # frames frozen (runner's watchdog), session seconds
    head: Any = None  # headpose.HeatMap over exposure, or None (no head movement recorded)
    ending: str | None = None  # how it ended, in a clinician's words (``ending``)
    holds: list[tuple[float, str]] = field(default_factory=list)  # (t, who): accepted hold commands
    vitals: Vitals = field(default_factory=Vitals)  # HR and EDA at rest and at their exposure peak

    def name(self, level: int | None) -> str:
        return "—" if level is None else f"{display_level(level)} {self.level_names.get(level, '')}".strip()

    def plain(self) -> str:
        """The session in plain words: the paragraph a report opens with (``plain.py``)."""
        return paragraph(self)


def summarise(data: SessionData) -> Summary:
    end = data.duration_s
    phases = phase_spans(data, end)
    exposure = [p for p in phases if p.label == "exposure"] or [Span(0.0, end, "whole session")]
    steps, source = level_steps(data, end)
    names = data.level_names()
    in_exposure = _clip(steps, exposure)
    reached = max((s.level for s in in_exposure), default=None)
    held, held_s = highest_held(in_exposure)
    suds = [(float(e["t"]), float(e["value"])) for e in data.of("suds") if is_number(e.get("value"))]
    decisions = data.of("decision")
    shield = data.of("shield")
    kinds = Counter(shield_kind(str(k)) for e in shield for k in _listed(e.get("interventions")))
    avoidance = avoidance_spans(data, end)
    return Summary(
        duration_s=end,
        phases=phases,
        exposure=exposure,
        steps=steps,
        level_source=source,
        levels=_level_rows(data, in_exposure, exposure, steps, names, avoidance),
        highest_reached=reached,
        highest_held=held,
        held_s=held_s,
        peak_suds=max((v for _, v in suds), default=None),
        end_suds=suds[-1][1] if suds else None,
        suds=suds,
        escapes=[float(e["t"]) for e in data.of("escape")],
        stops=_stops(data),
        decisions=len(decisions),
        decisions_applied=sum(1 for d in decisions if d.get("applied")),
        shield_events=len(shield),
        shield_kinds=dict(kinds),
        avoidance=avoidance,
        ssq=[e for e in data.of("ssq")],
        notes=[(float(e["t"]), str(e.get("text", ""))) for e in data.of("note")],
        end_reason=data.end_reason,
        ending=ending(data, _stops(data), stall_spans(data, end), end),
        level_names=names,
        stalls=stall_spans(data, end),
        head=_head_map(data, exposure),
        holds=accepted(data, ("hold",)),
        vitals=vitals(data, exposure),
    )


def _head_map(data: SessionData, exposure: list[Span]) -> Any:
    """The head-direction heat map over exposure (``headpose.py``), when the head moved."""
    if data.headpose is None or not data.headpose.moved:
        return None
    from engine.report.headpose import gaze_target, heat_map

    return heat_map(data.headpose, exposure, *gaze_target(data.meta))


def phase_spans(data: SessionData, end: float) -> list[Span]:
    """From ``phase`` events; without them, from the runs of the ticks' ``phase``."""
    marks = [(float(e["t"]), str(e.get("phase"))) for e in data.of("phase") if e.get("phase")]
    if not marks:
        ticks = data.ticks
        marks = [(float(ticks.t[i]), p) for i, p in enumerate(ticks.phase) if p and (i == 0 or ticks.phase[i - 1] != p)]
    spans = [Span(t, nxt, p) for (t, p), (nxt, _) in zip(marks, marks[1:] + [(end, "")]) if p != "done"]
    return [s for s in spans if s.end > s.start]


def level_steps(data: SessionData, end: float) -> tuple[list[Step], str]:
    """The level as steps: from ticks (one a second), else from ``shown`` or ``intensity`` events."""
    t, level = data.ticks.t, data.ticks.level
    ok = ~np.isnan(level)
    if ok.any():
        t, level = t[ok], level[ok].astype(int)
        period = float(np.median(np.diff(t))) if len(t) > 1 else TICK_S
        # A tick stands for the time until the next one; a longer gap (lost ticks) stays unknown.
        # Ticks come on beats too, so the median gap can be 0.3 s while the scheduled tick is
        # 1 s apart: only a gap longer than 2.5 scheduled ticks is lost ticks (a report once
        # split a 126-s hold at every ordinary 1-s gap and said the level was never held).
        hole = 2.5 * max(period, TICK_S)
        ends = np.minimum(np.append(t[1:], t[-1] + period), t + hole)
        # Only the control loop changes the level, and it ticks when it runs: a hole with the same
        # level on both sides and no level event inside it (a stall, a loaded machine at demo
        # speed) is that level throughout, so the stay is not cut in two (nor "not held").
        changes = sorted(
            float(e["t"]) for kind in ("shown", "intensity") for e in data.of(kind) if is_number(e.get("t"))
        )
        for i in np.flatnonzero(ends[:-1] < t[1:]):
            a, b = float(t[i]), float(t[i + 1])
            if level[i] == level[i + 1] and not any(a < c < b for c in changes):
                ends[i] = b
        return _merge([Step(float(a), float(b), int(lv)) for a, b, lv in zip(t, ends, level)]), "tick"
    for kind in ("shown", "intensity"):
        marks = [(float(e["t"]), int(e["level"])) for e in data.of(kind) if isinstance(e.get("level"), int)]
        if marks:
            bounds = [m[0] for m in marks[1:]] + [max(end, marks[-1][0])]
            return _merge([Step(a, b, lv) for (a, lv), b in zip(marks, bounds)]), kind
    return [], ""


def highest_held(steps: list[Step], hold_s: float = HELD_S) -> tuple[int | None, float]:
    """The highest level L with a continuous stretch of ≥ ``hold_s`` at L or above, and that stretch."""
    best: tuple[int | None, float] = (None, 0.0)
    for level in sorted({s.level for s in steps}):
        longest = run = 0.0
        last_end = None
        for s in steps:
            if s.level >= level:
                run = run + s.seconds if last_end is not None and abs(s.start - last_end) < _EPS else s.seconds
                last_end = s.end
                longest = max(longest, run)
            else:
                last_end, run = None, 0.0
        if longest >= hold_s - _EPS:
            best = (level, longest)
    return best


def avoidance_spans(data: SessionData, end: float) -> list[Span]:
    """Looking away, from ``looked_away`` to the next ``looked_back`` (or the end). Sessions
    recorded before wave 2 logged ``avoidance`` with ``looking_away`` true or false."""
    spans, since = [], None
    turns = sorted(data.of("looked_away") + data.of("looked_back") + data.of("avoidance"), key=lambda e: float(e["t"]))
    for e in turns:
        away = bool(e.get("looking_away"))
        if away and since is None:
            since = float(e["t"])
        elif not away and since is not None:
            spans.append(Span(since, float(e["t"]), "looking away"))
            since = None
    if since is not None and end > since:
        spans.append(Span(since, end, "looking away"))
    return spans


def _level_rows(
    data: SessionData,
    steps: list[Step],
    windows: list[Span],
    all_steps: list[Step],
    names: dict[int, str],
    avoidance: list[Span] = (),
) -> list[LevelRow]:
    ratings: dict[int, list[float]] = {}
    for e in data.of("suds"):
        t = float(e["t"])
        if not is_number(e.get("value")) or not any(w.start <= t < w.end + _EPS for w in windows):
            continue
        level = e["level"] if isinstance(e.get("level"), int) else _level_at(all_steps, t)
        if level is not None:
            ratings.setdefault(level, []).append(float(e["value"]))
    intensities = data.level_intensities()
    rows = []
    for level in sorted({s.level for s in steps} | set(ratings)):
        mine = [s for s in steps if s.level == level]
        values = ratings.get(level, [])
        away = sum(max(0.0, min(s.end, a.end) - max(s.start, a.start)) for s in mine for a in avoidance)
        rows.append(
            LevelRow(
                level,
                names.get(level, ""),
                intensities.get(level),
                sum(s.seconds for s in mine),
                len(mine),
                max(values) if values else None,
                values[-1] if values else None,
                len(values),
                away,
            )
        )
    return rows


def _clip(steps: list[Step], windows: list[Span]) -> list[Step]:
    out = []
    for w in windows:
        out += [
            Step(max(s.start, w.start), min(s.end, w.end), s.level)
            for s in steps
            if min(s.end, w.end) > max(s.start, w.start)
        ]
    return _merge(out)


def _merge(steps: list[Step]) -> list[Step]:
    out: list[Step] = []
    for s in steps:
        if out and out[-1].level == s.level and abs(out[-1].end - s.start) < _EPS:
            out[-1] = Step(out[-1].start, s.end, s.level)
        else:
            out.append(s)
    return out


def _listed(value: Any) -> list:
    """``interventions`` as a list, whether the writer gave a list, one string or nothing."""
    if isinstance(value, (list, tuple)):
        return list(value) or ["(unnamed)"]
    return [value] if value else ["(unnamed)"]


def _level_at(steps: list[Step], t: float) -> int | None:
    return next((s.level for s in steps if s.start <= t < s.end), None)
