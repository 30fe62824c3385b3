"""A patient's sessions, oldest first, and their progress across sessions.

Progress compares sessions of the same scenario only: level 5 of one hierarchy says nothing
about level 5 of another.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import VrexError
from engine.report.load import SESSION_FILES, load_session
from engine.report.summary import display_level, summarise

# What `vrex session --patient` accepts (engine/commands/session.py); it can never be a path.
PATIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class SessionRow:
    folder: Path
    started: dt.datetime | None  # from session.json, else the folder's name (YYYYmmdd-HHMMSS-…)
    scenario: str
    duration_s: float
    highest_reached: int | None
    highest_held: int | None
    peak_suds: float | None
    end_reason: str | None
    problems: int
    held_change: int | None  # highest held minus that of the previous session of this scenario
    sealed: bool = False  # sealed and not opened (no identity): only sealed.json's date and scenario are known
    ended: str | None = None  # how it ended in a clinician's words (Summary.ending, without the recorded reason)


@dataclass(frozen=True)
class Progress:
    scenario: str
    sessions: int
    first_held: int | None
    last_held: int | None
    best_held: int | None
    first_peak_suds: float | None
    last_peak_suds: float | None


@dataclass(frozen=True)
class History:
    patient: str
    rows: list[SessionRow]
    progress: list[Progress]


def validate_patient(patient: str) -> str:
    if not PATIENT_ID.fullmatch(patient):
        raise VrexError(
            f"patient id {patient!r} is not valid — a patient id is 1 to 64 letters, digits, '-' and "
            "'_' (pseudonymous, never a name), as given to `vrex session --patient`"
        )
    return patient


def list_patients(root: Path) -> list[str]:
    """Folders under ``root`` that hold at least one session."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _session_folders(p))


def patient_history(root: str | Path, patient: str, identity: str | Path | None = None) -> History:
    """``identity``: the file that opens sealed sessions (or ``$VREX_IDENTITY``); without
    one, sealed sessions are listed from their ``sealed.json`` (date, scenario, duration)."""
    from engine.records.keyfiles import identity_path
    from engine.records.seal import is_sealed, read_manifest

    root = Path(root)
    validate_patient(patient)
    if not root.is_dir():
        raise VrexError(
            f"{root}: no such folder — sessions are written under out/sessions by `vrex session` and "
            "`vrex demo`; give the folder that holds the patients' folders with --sessions"
        )
    folders = _session_folders(root / patient)
    if not folders:
        known = list_patients(root)
        close = difflib.get_close_matches(patient, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(known) if known else "none"
        raise VrexError(
            f"no sessions for patient {patient!r} under {root} — patients with sessions there: {listing}.{hint}"
        )
    loaded = []
    for folder in folders:
        if is_sealed(folder) and identity_path(identity) is None:
            m = read_manifest(folder)
            loaded.append((_started(m.get("started_utc"), folder.name), folder.name, folder, m))
            continue
        data = load_session(folder, read_recording=False, identity=identity)  # the XDF adds nothing to a row
        loaded.append((_started(data.meta.get("started_utc"), folder.name), folder.name, data, summarise(data)))
    # Undated sessions go last, in folder order, rather than being dropped.
    loaded.sort(key=lambda item: (item[0] is None, item[0] or dt.datetime.min.replace(tzinfo=dt.UTC), item[1]))
    rows, previous = [], {}
    for started, _, data, s in loaded:
        if isinstance(data, Path):  # sealed, not opened
            rows.append(_sealed_row(data, started, s))
            continue
        before = previous.get(data.scenario_id)
        change = s.highest_held - before if s.highest_held is not None and before is not None else None
        rows.append(
            SessionRow(
                data.folder,
                started,
                data.scenario_id,
                s.duration_s,
                s.highest_reached,
                s.highest_held,
                s.peak_suds,
                s.end_reason,
                len(data.problems),
                change,
                ended=s.ending.rsplit(" (", 1)[0] if s.ending else None,
            )
        )
        if s.highest_held is not None:
            previous[data.scenario_id] = s.highest_held
    return History(patient, rows, _progress(rows))


def format_history(history: History) -> str:
    """A plain-text table, then one line of progress per scenario."""
    header = ["started (UTC)", "scenario", "min", "reached", "held", "Δheld", "peak SUDS", "ended", "problems"]
    table = [header] + [
        [
            f"{r.started:%Y-%m-%d %H:%M}" if r.started else "?",
            r.scenario,
            f"{r.duration_s / 60:.1f}",
            display_level(r.highest_reached),
            display_level(r.highest_held),
            "" if r.held_change is None else f"{r.held_change:+d}",
            _n(r.peak_suds),
            # the clinician's words: a session the therapist stopped is not "completed" here either
            "sealed" if r.sealed else (r.ended or r.end_reason or "did not end"),
            str(r.problems or ""),
        ]
        for r in history.rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [f"patient {history.patient}: {_count(len(history.rows), 'session')}"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    lines.append("")
    for p in history.progress:
        if p.sessions < 2:
            lines.append(f"{p.scenario}: one session, highest level held {display_level(p.last_held)}")
            continue
        change = f" ({p.last_held - p.first_held:+d})" if p.first_held is not None and p.last_held is not None else ""
        lines.append(
            f"{p.scenario}: {_count(p.sessions, 'session')}; highest level held {display_level(p.first_held)} → "
            f"{display_level(p.last_held)}{change}, best {display_level(p.best_held)}; "
            f"peak SUDS {_n(p.first_peak_suds)} → {_n(p.last_peak_suds)}"
        )
    lines.append("levels count from 1 (the calmest); 'held' = 60 s or more without dropping below it")
    if any(r.sealed for r in history.rows):
        lines.append(
            "sealed sessions show date and scenario only: give --identity FILE (or VREX_IDENTITY) for the rest"
        )
    return "\n".join(lines)


def _sealed_row(folder: Path, started: dt.datetime | None, manifest: dict) -> SessionRow:
    """What a sealed session's ``sealed.json`` says, without opening it."""
    ended = _started(manifest.get("ended_utc"), "")
    duration = (ended - started).total_seconds() if ended and started else 0.0
    scenario = str(manifest.get("scenario") or "?")
    return SessionRow(folder, started, scenario, duration, None, None, None, None, 0, None, sealed=True)


def _progress(rows: list[SessionRow]) -> list[Progress]:
    out = []
    for scenario in dict.fromkeys(r.scenario for r in rows):
        mine = [r for r in rows if r.scenario == scenario]
        held = [r.highest_held for r in mine if r.highest_held is not None]
        out.append(
            Progress(
                scenario,
                len(mine),
                mine[0].highest_held,
                mine[-1].highest_held,
                max(held, default=None),
                mine[0].peak_suds,
                mine[-1].peak_suds,
            )
        )
    return out


def _started(iso: object, folder_name: str) -> dt.datetime | None:
    if isinstance(iso, str):
        try:
            when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    try:
        return dt.datetime.strptime(folder_name[:15], "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _session_folders(patient_folder: Path) -> list[Path]:
    if not patient_folder.is_dir():
        return []
    return sorted(
        p
        for p in patient_folder.iterdir()
        if p.is_dir() and any((p / name).is_file() for name in (*SESSION_FILES[:2], "sealed.json"))
    )


def _n(value: float | int | None) -> str:
    return "—" if value is None else f"{value:g}"


def _count(n: int, noun: str) -> str:
    """'1 session', '2 sessions'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
