"""A session folder (docs/session-format.md) read into memory for reports and history.

Nothing here raises on damaged content: a session killed mid-write, a corrupt
``session.json`` or a truncated ``recording.xdf`` becomes a ``Problem`` in the list and the
rest is still read, because half a report is worth more to a clinician than none. Only a
path that is not a session folder at all is a ``VrexError``. The events themselves are read
line by line in ``events_file.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import VrexError
from engine.report.events_file import read_events as _read_events
from engine.report.records import EVENTS_STREAM, HEADPOSE_STREAM, Problem, StreamSummary  # noqa: F401 — re-exported
from vrexbase.real import is_finite

FORMAT = "vrex-session/1"
SESSION_FILES = ("session.json", "events.jsonl", "recording.xdf")
WHAT_A_SESSION_HOLDS = (
    "a session folder holds session.json (metadata), events.jsonl (every event) and "
    "recording.xdf (the LSL streams), written by `vrex session` or `vrex demo` under "
    "out/sessions/<patient>/<date>-<scenario>/"
)


@dataclass(frozen=True)
class Ticks:
    """The ``tick`` events as columns; a null or absent value is NaN."""

    t: np.ndarray
    intensity: np.ndarray
    target: np.ndarray
    level: np.ndarray
    hr_bpm: np.ndarray
    eda_tonic_us: np.ndarray
    phase: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.t)


@dataclass
class SessionData:
    folder: Path
    meta: dict[str, Any]  # session.json, or what the session_start event says
    events: list[dict[str, Any]]  # valid events in writing order
    ticks: Ticks
    streams: list[StreamSummary]
    problems: list[Problem]
    events_source: str  # "events.jsonl", "recording.xdf (vrex-events stream)" or ""
    headpose: Any = None  # headpose.HeadTrack from the recording, or None (not recorded, not read)
    by_kind: dict[str, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_kind = defaultdict(list)
        for e in self.events:
            self.by_kind[e["kind"]].append(e)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return self.by_kind.get(kind, [])

    @property
    def duration_s(self) -> float:
        return max((float(e["t"]) for e in self.events), default=0.0)

    @property
    def scenario_id(self) -> str:
        s = self.meta.get("scenario")
        return str(s.get("id") or s.get("title") or "?") if isinstance(s, dict) else str(s or "?")

    def level_names(self) -> dict[int, str]:
        """Level index → name, from the scenario in session.json, else from the events."""
        names: dict[int, str] = {}
        scenario = self.meta.get("scenario")
        levels = scenario.get("levels") if isinstance(scenario, dict) else None
        for i, lv in enumerate(levels if isinstance(levels, list) else []):
            if isinstance(lv, dict) and lv.get("name"):
                names[i] = str(lv["name"])
        for e in self.of("intensity") + self.of("shown"):
            if isinstance(e.get("level"), int) and e.get("level_name"):
                names.setdefault(e["level"], str(e["level_name"]))
        return names

    def level_intensities(self) -> dict[int, float]:
        scenario = self.meta.get("scenario")
        levels = scenario.get("levels") if isinstance(scenario, dict) else None
        return {
            i: float(lv["intensity"])
            for i, lv in enumerate(levels if isinstance(levels, list) else [])
            if isinstance(lv, dict) and is_number(lv.get("intensity"))
        }

    @property
    def end_reason(self) -> str | None:
        ends = self.of("session_end")
        return self.meta.get("end_reason") or (ends[-1].get("end_reason") if ends else None)


def load_session(folder: str | Path, *, read_recording: bool = True, identity: str | Path | None = None) -> SessionData:
    """Read ``folder``; ``read_recording=False`` skips the XDF (history needs only events).
    A sealed folder (engine/records/) is decrypted into a private temporary folder with the
    ``identity`` file (or ``$VREX_IDENTITY``), read, and that copy removed."""
    folder = Path(folder)
    from engine.records.seal import is_sealed  # pyrage only when a folder is read

    if is_sealed(folder):
        from engine.records.unseal import opened

        with opened(folder, identity) as plain:
            data = load_session(plain, read_recording=read_recording)
        data.folder = folder  # the session's own folder, not the removed copy
        return data
    check_session_folder(folder)
    problems: list[Problem] = []
    meta = _read_meta(folder / "session.json", problems)
    streams: list[StreamSummary] = []
    xdf_events: list[str] | None = None
    head_samples = None
    xdf = folder / "recording.xdf"
    if not xdf.is_file():
        problems.append(
            Problem(
                "recording.xdf",
                "missing — the raw LSL streams (physiology waveforms) were not "
                "recorded or the file was moved; everything else comes from events.jsonl",
            )
        )
    elif read_recording:
        from engine.report.xdf import read_recording as read_xdf  # pyxdf only when there is a file

        streams, xdf_events, xdf_problems, head_samples = read_xdf(xdf)
        problems += xdf_problems
    events, source = _read_events(folder / "events.jsonl", xdf_events, problems)
    if not meta:
        meta = _meta_from_events(events)
    if events and not (meta.get("end_reason") or any(e["kind"] == "session_end" for e in events)):
        problems.append(
            Problem(
                source or "events.jsonl",
                f"no session_end event: the session did not end normally (crash, kill or still "
                f"running); what happened up to t = {max(e['t'] for e in events):.0f} s is reported",
            )
        )
    head = None
    if head_samples is not None:
        from engine.report.headpose import track

        head = track(*head_samples, events)
    return SessionData(folder, meta, events, _ticks(events), streams, problems, source, head)


def check_session_folder(folder: Path) -> None:
    """Raise a ``VrexError`` naming the path unless it is a folder holding a session file."""
    if not folder.exists():
        raise VrexError(f"{folder}: no such folder — give a session folder; {WHAT_A_SESSION_HOLDS}")
    if not folder.is_dir():
        raise VrexError(f"{folder}: not a folder — give a session folder; {WHAT_A_SESSION_HOLDS}")
    if any((folder / name).is_file() for name in SESSION_FILES):
        return
    inside = sorted(p.name for p in folder.iterdir())
    sessions = [name for name in inside if any((folder / name / f).is_file() for f in SESSION_FILES)]
    hint = (
        f"; it holds session folders — give one of them: {', '.join(sessions[:5])}"
        if sessions
        else f"; this one holds {', '.join(inside[:8]) + (' …' if len(inside) > 8 else '') if inside else 'nothing'}"
    )
    raise VrexError(f"{folder}: not a session folder — {WHAT_A_SESSION_HOLDS}{hint}")


def _read_meta(path: Path, problems: list[Problem]) -> dict[str, Any]:
    if not path.is_file():
        problems.append(
            Problem(
                path.name,
                "missing — it is written when a session starts; patient, scenario and "
                "controller below come from the session_start event where possible",
            )
        )
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(
                path.name,
                f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                "metadata below comes from the session_start event where possible",
            )
        )
        return {}
    if not isinstance(meta, dict):
        problems.append(Problem(path.name, f"holds a JSON {type(meta).__name__}, not an object; metadata ignored"))
        return {}
    if meta.get("format") != FORMAT:
        problems.append(Problem(path.name, f"format is {meta.get('format')!r}, expected {FORMAT!r}; read anyway"))
    return meta


def _meta_from_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    start = next((e for e in events if e["kind"] == "session_start"), None)
    if start is None:
        return {}
    return {k: start[k] for k in ("patient", "scenario", "mode", "controller") if k in start}


def _ticks(events: list[dict[str, Any]]) -> Ticks:
    ticks = [e for e in events if e["kind"] == "tick"]

    def column(key: str) -> np.ndarray:
        return np.array([float(e[key]) if is_number(e.get(key)) else np.nan for e in ticks], dtype=float)

    return Ticks(
        column("t"),
        column("intensity"),
        column("target"),
        column("level"),
        column("hr_bpm"),
        column("eda_tonic_us"),
        tuple(str(e.get("phase") or "") for e in ticks),
    )


def is_number(value: Any) -> bool:
    """A finite int or float (JSON true/false and NaN are not numbers here): vrexbase's rule."""
    return is_finite(value)
