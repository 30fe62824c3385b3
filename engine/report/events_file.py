"""A session's events read from ``events.jsonl`` (or, when that file is gone, from the
``vrex-events`` stream of ``recording.xdf``, which holds the same lines), one JSON object per
line. A line that is not an event, a last line cut short by a kill, and gaps in ``seq`` each
become a ``Problem``; every readable event is kept. Used by ``load.load_session``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.report.records import Problem
from vrexbase.real import is_finite

_MAX_LISTED = 5  # bad lines listed one by one; the rest are counted


def read_events(path: Path, xdf_lines: list[str] | None, problems: list[Problem]) -> tuple[list[dict[str, Any]], str]:
    """The events at ``path``, else those in ``xdf_lines``, and where they were read from
    ("" when neither had any); what is missing or damaged is added to ``problems``."""
    if path.is_file():
        text = path.read_bytes().decode("utf-8", errors="replace")
        lines = text.split("\n")
        cut_short = not text.endswith("\n") and lines[-1].strip() != ""
        if lines and lines[-1] == "":
            lines.pop()
        events = _parse(lines, path.name, problems, last_may_be_cut=cut_short)
        source = path.name
    elif xdf_lines:
        problems.append(
            Problem(
                path.name,
                "missing — events were read instead from the vrex-events stream "
                "in recording.xdf, which holds the same lines",
            )
        )
        events = _parse(xdf_lines, "recording.xdf (vrex-events)", problems, last_may_be_cut=False)
        source = "recording.xdf (vrex-events stream)"
    else:
        problems.append(
            Problem(
                path.name,
                "missing — without events there is no timeline, no levels, SUDS, "
                "decisions or shield interventions to report",
            )
        )
        return [], ""
    if not events:
        problems.append(
            Problem(
                source,
                "holds no readable events — there is no timeline, no levels, SUDS, "
                "decisions or shield interventions to report",
            )
        )
    return events, source


def _parse(lines: list[str], name: str, problems: list[Problem], last_may_be_cut: bool) -> list[dict[str, Any]]:
    events, bad = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event, why = _event(line)
        if event is not None:
            events.append(event)
        elif last_may_be_cut and number == len(lines):
            problems.append(
                Problem(
                    name,
                    f"line {number}, the last, is cut short (the session was stopped while writing it); it was ignored",
                )
            )
        else:
            bad.append(f"line {number}: {why}")
    for item in bad[:_MAX_LISTED]:
        problems.append(Problem(name, f"{item}; the line was skipped"))
    if len(bad) > _MAX_LISTED:
        problems.append(Problem(name, f"{len(bad) - _MAX_LISTED} more bad lines were skipped"))
    _check_seq(events, name, problems)
    return events


def _event(line: str) -> tuple[dict[str, Any] | None, str]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg}, column {exc.colno})"
    if not isinstance(obj, dict):
        return None, f"a JSON {type(obj).__name__}, not an object"
    if not isinstance(obj.get("kind"), str):
        return None, "no 'kind'"
    if not is_finite(obj.get("t")):
        return None, f"'t' is {obj.get('t')!r}, not a number of seconds"
    return obj, ""


def _check_seq(events: list[dict[str, Any]], name: str, problems: list[Problem]) -> None:
    """Gaps in ``seq`` mean events were lost between two that survived."""
    gaps = []
    seqs = [e.get("seq") for e in events]
    for a, b in zip(seqs, seqs[1:]):
        if isinstance(a, int) and isinstance(b, int) and b != a + 1:
            gaps.append(f"seq {a} is followed by {b}")
    if gaps:
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        problems.append(Problem(name, f"events are missing or out of order: {'; '.join(gaps[:3])}{more}"))
