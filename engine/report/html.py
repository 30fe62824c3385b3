"""One self-contained HTML report: inline CSS, figures as data: URIs, no scripts, no links
out, so it can be mailed, archived or opened offline in a clinic without anything else."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from html import escape
from typing import Any

from engine.report.load import SessionData
from engine.report.summary import Summary, display_level

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:1180px;margin:2em auto;
padding:0 1em;line-height:1.4}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}.problems{background:#fff4e5;border:1px solid #f0b46b;
padding:.4em 1em;border-radius:4px}.problems h2{border:none;margin-top:.4em}img{max-width:100%;height:auto}
code{font-size:.9em;word-break:break-all}.plain{font-size:1.05em;background:#f6f8fa;padding:.6em 1em;
border-radius:4px}footer{color:#777;font-size:.85em;margin-top:2em}
"""
_NOTABLE = {"escape", "shield", "note", "ssq", "session_start", "session_end", "phase"}


def render_html(data: SessionData, summary: Summary, images: dict[str, bytes]) -> str:
    """The report page for ``data``; ``images`` are PNG bytes by figure name."""
    meta = data.meta
    title = f"Session report — patient {meta.get('patient', '?')}, {data.scenario_id}"
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='sub'>{escape(_subtitle(data, summary))}</p>",
        f"<p class='plain'>{escape(summary.plain())}</p>",
    ]
    if data.problems:
        parts.append(
            "<section class='problems'><h2>Missing or damaged</h2><p>The rest of this report is made from "
            "what could be read.</p><ul>"
            + "".join(f"<li><b>{escape(p.file)}</b>: {escape(p.message)}</li>" for p in data.problems)
            + "</ul></section>"
        )
    parts += [
        "<h2>Summary</h2>",
        _table(None, _facts(summary)),
        "<h2>Levels</h2>",
        f"<p>Exposure phase only ({escape(_windows(summary))}); level from <code>{escape(summary.level_source or 'no')}"
        "</code> events. Levels are numbered from 1, the calmest, as in the session console. SUDS per level are the "
        "ratings given while at that level; looking away is the time from each looked_away to its looked_back "
        "spent at that level.</p>",
        _level_table(summary),
    ]
    captions = {
        "timeline": "The session over time. Shaded: phases and looking away; vertical lines: stops and escapes.",
        "levels": "Time at each level and the SUDS given there (exposure phase).",
        "headpose": "Where the head pointed during exposure: heading × pitch of the head drawn, sampled every "
        "0.3 s of session time (so the frame rate does not weigh it), in 5° cells.",
    }
    for name, png in images.items():
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure><img src='{uri}' alt='{escape(name)} plot'><figcaption>{escape(captions.get(name, ''))}"
            "</figcaption></figure>"
        )
    if not images:
        parts.append("<p>No plots: there are no events with a time to plot.</p>")
    if summary.notes:
        parts += ["<h2>Notes</h2>", _table(["time", "note"], [[_clock(t), text] for t, text in summary.notes])]
    parts += ["<h2>Events of note</h2>", _events(data)]
    if summary.ssq:
        parts += [
            "<h2>Simulator sickness (SSQ)</h2>",
            _table(["time", "scores"], [[_clock(e["t"]), _scores(e)] for e in summary.ssq]),
        ]
    parts += [
        "<h2>Recording</h2>",
        _streams(data),
        "<h2>Session details</h2>",
        _table(None, _metadata(data)),
        f"<footer>Written by <code>vrex report</code> on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"from <code>{escape(str(data.folder))}</code>.</footer></body></html>",
    ]
    return "\n".join(parts)


def _subtitle(data: SessionData, summary: Summary) -> str:
    meta = data.meta
    bits = [
        str(meta.get("session_id") or data.folder.name),
        f"started {meta.get('started_utc') or 'unknown'}",
        f"{summary.duration_s / 60:.1f} min",
        f"ended: {summary.ending or 'unknown (did not end normally)'}",
    ]
    if meta.get("mode"):
        bits.append(f"mode {meta['mode']}")
    if meta.get("demo"):
        bits.append(f"demo at {meta.get('speed', '?')}× speed")
    return " · ".join(bits)


def _facts(s: Summary) -> list[list[str]]:
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
        ["head direction", _head(s)],
        ["SSQ", "; ".join(f"{_clock(e['t'])}: {_scores(e)}" for e in s.ssq) or "not entered"],
        ["phases", ", ".join(f"{p.label} {p.seconds / 60:.1f} min" for p in s.phases) or "not recorded"],
    ]


def _head(s: Summary) -> str:
    from engine.report.headpose import fraction_near

    heat = s.head
    if heat is None:
        return "no head movement recorded (a screen's view is still, and older recordings have none)"
    near = fraction_near(heat)
    sampled = f"{heat.samples * heat.period_s / 60:.1f} min of exposure sampled every {heat.period_s:g} s"
    if near is None:
        return f"{sampled}; gaze target {heat.target_source}"
    return f"within 30° of the gaze target {100 * near:.0f} % of the time ({sampled}; target: {heat.target_source})"


def _level_table(s: Summary) -> str:
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


def _events(data: SessionData) -> str:
    rows = []
    for e in data.events:
        kind = e["kind"]
        if (
            kind in _NOTABLE
            or (kind == "command" and (e.get("command") != "suds"))
            or (kind == "intensity" and e.get("source") in ("therapist", "shield", "console"))
            or (kind == "sensor" and e.get("status") != "fresh")
        ):
            rows.append([_clock(e["t"]), kind, str(e.get("source", "")), _detail(e), str(e.get("reason") or "")])
    if not rows:
        return "<p>None recorded.</p>"
    more = f"<p>… and {len(rows) - 300} more in events.jsonl.</p>" if len(rows) > 300 else ""
    return _table(["time", "what", "by", "detail", "reason"], rows[:300]) + more


def _detail(e: dict[str, Any]) -> str:
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


def _streams(data: SessionData) -> str:
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


def _metadata(data: SessionData) -> list[list[str]]:
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


def _table(header: list[str] | None, rows: Iterable[list[str]], numeric: Iterable[int] = ()) -> str:
    numeric = set(numeric)
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>"
        + "".join(
            (
                f"<td class='n'>{escape(c)}</td>"
                if i in numeric
                else (f"<th>{escape(c)}</th>" if header is None and i == 0 else f"<td>{escape(c)}</td>")
            )
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def _windows(s: Summary) -> str:
    return ", ".join(f"{_clock(w.start)}–{_clock(w.end)}" for w in s.exposure)


def _scores(e: dict[str, Any]) -> str:
    skip = {"seq", "t", "lsl", "wall", "source", "kind", "reason"}
    return ", ".join(f"{k} {v}" for k, v in e.items() if k not in skip)


def _mapping(value: Any) -> str | None:
    return ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value


def _times(ts: list[float]) -> str:
    return f"{len(ts)}" + (f" (at {', '.join(_clock(t) for t in ts)})" if ts else "")


def _clock(t: float) -> str:
    t = int(round(float(t)))
    return f"{t // 60:d}:{t % 60:02d}"


def _v(value: Any, fmt: str = "{:g}") -> str:
    if value is None:
        return "—"
    try:
        return fmt.format(value)
    except (TypeError, ValueError):  # a string where a number was expected: show it as it is
        return str(value)
