"""The HTML report's sections built from a session: the summary's facts, the table of levels,
the events of note (with each one's detail in words), the recorded streams and the session's
details. Each returns escaped HTML or rows for ``html_format.table``; ``html.py`` lays them
out on the page."""

from __future__ import annotations

from typing import Any

from engine.report.html_format import clock as _clock
from engine.report.html_format import mapping as _mapping
from engine.report.html_format import num as _v
from engine.report.html_format import scores as _scores
from engine.report.html_format import table as _table
from engine.report.html_format import times as _times
from engine.report.load import SessionData
from engine.report.summary import Summary, display_level

_NOTABLE = {"escape", "shield", "note", "ssq", "session_start", "session_end", "phase"}


def facts(s: Summary) -> list[list[str]]:
    held = (
        f"{s.name(s.highest_held)} ({s.held_s:.0f} s without dropping below it)"
        if s.highest_held is not None
        else "none held ≥ 60 s"
    )
    avoid = sum(a.seconds for a in s.avoidance)
    kinds = ", ".join(f"{k} × {n}" for k, n in sorted(s.shield_kinds.items()))
    return [
        ["highest level reached", s.name(s.highest_reached)],
        ["highest level held (≥ 60 s)", held],
        ["peak SUDS", _v(s.peak_suds)],
        ["last SUDS", _v(s.end_suds)],
        ["escapes", _times(s.escapes)],
        [
            "stops",
            f"{len(s.stops)}"
            + (f" ({', '.join(f'at {_clock(t)} by {who}' for t, who in s.stops)})" if s.stops else ""),
        ],
        [
            "frame stalls",
            f"{len(s.stalls)}"
            + (
                f" ({sum(x.seconds for x in s.stalls):.1f} s frozen: "
                + ", ".join(f"at {_clock(x.start)} for {x.seconds:.1f} s" for x in s.stalls)
                + ")"
                if s.stalls
                else ""
            ),
        ],
        ["shield interventions", f"{s.shield_events}" + (f" ({kinds})" if kinds else "")],
        ["controller decisions", f"{s.decisions} ({s.decisions_applied} applied)"],
        ["looking away", f"{len(s.avoidance)} times, {avoid:.0f} s in all"],
        ["head direction", head(s)],
        ["SSQ", "; ".join(f"{_clock(e['t'])}: {_scores(e)}" for e in s.ssq) or "not entered"],
        ["phases", ", ".join(f"{p.label} {p.seconds / 60:.1f} min" for p in s.phases) or "not recorded"],
    ]


def head(s: Summary) -> str:
    from engine.report.headpose import fraction_near

    heat = s.head
    if heat is None:
        return "no head movement recorded (a screen's view is still, and older recordings have none)"
    near = fraction_near(heat)
    sampled = f"{heat.samples * heat.period_s / 60:.1f} min of exposure sampled every {heat.period_s:g} s"
    if near is None:
        return f"{sampled}; gaze target {heat.target_source}"
    return f"within 30° of the gaze target {100 * near:.0f} % of the time ({sampled}; target: {heat.target_source})"


def level_table(s: Summary) -> str:
    rows = [
        [
            display_level(r.level),
            r.name,
            _v(r.intensity, "{:.2f}"),
            f"{r.time_s / 60:.1f}",
            f"{r.time_s:.0f}",
            str(r.visits),
            _v(r.peak_suds),
            _v(r.end_suds),
            str(r.ratings),
            f"{r.away_s:.0f}",
        ]
        for r in s.levels
    ]
    if not rows:
        return "<p>No level information: no tick, shown or intensity events.</p>"
    return _table(
        [
            "level",
            "name",
            "intensity",
            "minutes",
            "seconds",
            "visits",
            "peak SUDS",
            "end SUDS",
            "ratings",
            "looking away (s)",
        ],
        rows,
        numeric={0, 2, 3, 4, 5, 6, 7, 8, 9},
    )


def events(data: SessionData) -> str:
    rows = []
    for e in data.events:
        kind = e["kind"]
        if (
            kind in _NOTABLE
            or (kind == "command" and (e.get("command") != "suds"))
            or (kind == "intensity" and e.get("source") in ("therapist", "shield", "console"))
            or (kind == "sensor" and e.get("status") != "fresh")
        ):
            rows.append([_clock(e["t"]), kind, str(e.get("source", "")), detail(e), str(e.get("reason") or "")])
    if not rows:
        return "<p>None recorded.</p>"
    more = f"<p>… and {len(rows) - 300} more in events.jsonl.</p>" if len(rows) > 300 else ""
    return _table(["time", "what", "by", "detail", "reason"], rows[:300]) + more


def detail(e: dict[str, Any]) -> str:
    kind = e["kind"]
    if kind == "command":
        args = e.get("args")
        said = ", ".join(f"{k} {v}" for k, v in args.items()) if isinstance(args, dict) else str(args or "")
        why = f" — {e['reason']}" if e.get("reason") and e.get("accepted", True) is False else ""
        return f"{e.get('command')} {said}".strip() + ("" if e.get("accepted", True) else f" (refused{why})")
    if kind == "shield":
        listed = e.get("interventions")
        listed = ", ".join(map(str, listed)) if isinstance(listed, (list, tuple)) else str(listed or "")
        before = ("proposed", e["proposed"]) if "proposed" in e else ("from", e.get("current"))
        return f"{listed}: {before[0]} {_v(before[1], '{:.2f}')} → {_v(e.get('target'), '{:.2f}')}"
    if kind == "intensity":
        level = e.get("level") if isinstance(e.get("level"), int) else None
        return f"level {display_level(level)} {e.get('level_name') or ''}, target {_v(e.get('target'), '{:.2f}')}"
    if kind == "sensor":
        return f"{e.get('signal')}: {e.get('status')}"
    keys = {"phase": "phase", "note": "text", "session_end": "end_reason", "ssq": "total"}
    return str(e.get(keys.get(kind, ""), "")) if kind in keys else ""


def streams(data: SessionData) -> str:
    if not data.streams:
        return "<p>No streams: recording.xdf is missing or could not be read (see “Missing or damaged”).</p>"
    rows = [
        [
            s.name,
            s.type,
            str(s.channels),
            str(s.samples),
            f"{s.duration_s:.1f}",
            f"{s.nominal_rate:g}" if s.nominal_rate else "irregular",
            "yes" if s.complete else "no (cut short)",
        ]
        for s in data.streams
    ]
    return _table(["stream", "type", "channels", "samples", "seconds", "rate (Hz)", "closed"], rows, numeric={2, 3, 4})


def metadata(data: SessionData) -> list[list[str]]:
    m = data.meta
    scenario = m.get("scenario") if isinstance(m.get("scenario"), dict) else {"id": m.get("scenario")}
    controller = m.get("controller") if isinstance(m.get("controller"), dict) else {"name": m.get("controller")}
    rows = [
        ["patient", m.get("patient")],
        ["session", m.get("session_id")],
        ["started / ended (UTC)", f"{m.get('started_utc') or '?'} / {m.get('ended_utc') or 'not ended'}"],
        ["scenario", f"{scenario.get('title') or ''} ({scenario.get('id') or '?'}) {scenario.get('file') or ''}"],
        ["scenario sha256", scenario.get("sha256")],
        ["controller", f"{controller.get('name') or '?'} {controller.get('version') or ''}"],
        ["mode", m.get("mode")],
        ["ceilings", _mapping(m.get("ceilings"))],
        ["planned phases (s)", _mapping(m.get("phases_s"))],
        ["software", _mapping(m.get("software"))],
        ["events read from", data.events_source or "nothing"],
    ]
    return [[k, "—" if v in (None, "") else str(v)] for k, v in rows]
