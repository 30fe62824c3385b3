"""One self-contained HTML report: inline CSS, figures as data: URIs, no scripts, no links
out, so it can be mailed, archived or opened offline in a clinic without anything else."""

from __future__ import annotations

import base64
import datetime as dt
from html import escape

from engine.report.html_format import clock as _clock
from engine.report.html_format import scores as _scores
from engine.report.html_format import table as _table
from engine.report.html_format import windows as _windows
from engine.report.html_sections import events as _events
from engine.report.html_sections import facts as _facts
from engine.report.html_sections import level_table as _level_table
from engine.report.html_sections import metadata as _metadata
from engine.report.html_sections import streams as _streams
from engine.report.load import SessionData
from engine.report.summary import Summary

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
