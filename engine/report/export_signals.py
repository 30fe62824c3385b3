"""A session's physiology on one time grid, in SI units, with its events as annotations:
the part of ``vrex export`` that turns ``recording.xdf`` + ``events.jsonl`` into an MNE Raw.

How (docs/session-format.md, "Export"):

- **Grid.** One rate for every channel: the highest nominal rate of the regular
  physiological streams (ECG, PPG, EDA, RESP), else ``FALLBACK_RATE``. Time 0 is the first
  sample of any exported stream on the LSL clock (``recording_start``); events are placed
  by their ``lsl`` stamp on the same clock.
- **Regular streams** (ECG, PPG, EDA, RESP) are linearly interpolated onto the grid (pyxdf
  dejitters their stamps first). **Irregular streams** (RR intervals, vrex's features and
  intensity) hold each value until the next sample (a step, as the value was meant).
- **Gaps** (no sample for longer than ``gap_s`` of a stream, or before its first / after its
  last sample) are NaN in the data and a ``BAD_gap`` annotation naming the channels; a
  format that cannot hold NaN (EDF) gets 0 there and keeps the annotation.
- **Units** (MNE keeps SI): ECG in V and EDA in S, converted from the unit the stream
  declares (``sensors.units``); RR in s; PPG and RESP carry no physical unit (vrex's
  simulator sends "normalised", devices send counts): arbitrary units, ``FIFF_UNIT_NONE``,
  written "a.u." where a format has a unit field; the unit each stream declared is kept in
  ``channel_units_declared``. Feature and intensity channels (misc) carry their unit in
  their name (``hr_bpm``, ``eda_tonic_us``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.report.load import SessionData, is_number
from engine.report.summary import display_level
from sensors.units import canonical_kind, conversion

log = logging.getLogger(__name__)

FALLBACK_RATE = 10.0  # Hz, when no regular physiological stream was recorded (RR only)
REGULAR_GAP_PERIODS = 5  # a regular stream's gap: more than this many sample periods without a sample
HOLD_MAX_S = 5.0  # an irregular stream's value is held at most this long (RR, features: ~1 s apart)
# MNE channel type and the SI factor from the canonical unit of sensors.units (mV, uS, ms, as sent)
KINDS = {"ecg": ("ecg", 1e-3), "eda": ("gsr", 1e-6), "ppg": ("bio", 1.0), "resp": ("resp", 1.0), "rr": ("misc", 1e-3)}
OWN_STREAMS = {"vrex-features": "misc", "vrex-intensity": "misc"}  # vrex's numeric streams worth a researcher's time
# vrex's own channels, short enough for EDF's 16-character labels with MNE's type prefix
SHORT = {
    "shown": "int_shown",
    "target": "int_target",
    "hr_bpm": "hr_bpm",
    "rmssd_ms": "rmssd_ms",
    "eda_tonic_us": "scl_us",
    "scr_per_min": "scr_per_min",
    "resp_bpm": "resp_bpm",
    "ecg_quality": "q_ecg",
    "ppg_quality": "q_ppg",
    "eda_quality": "q_eda",
    "resp_quality": "q_resp",
}
SI_UNIT = {"ecg": "V", "eda": "S", "rr": "s", "ppg": "a.u.", "resp": "a.u."}


@dataclass
class Channel:
    name: str
    ch_type: str  # MNE channel type
    unit: str  # what the exported values are in: V, S, s, a.u., or the name's own unit
    declared: str  # the unit the stream declared
    stream: str
    values: np.ndarray = field(repr=False)  # on the grid, NaN in gaps


@dataclass
class Signals:
    sfreq: float
    start_lsl: float  # LSL time of sample 0
    channels: list[Channel]
    gaps: list[tuple[float, float, tuple[str, ...]]]  # onset, duration (s from start), channel names
    method: str  # how the streams were put on the grid, for the sidecar


def read_signals(xdf: Path, events: tuple[float, float] | None = None) -> Signals:
    """The exportable streams of ``xdf`` on one grid (see the module's notes), stretched to
    cover ``events`` (the first and last event's LSL time) so no event falls off the data."""
    from sensors.recorder import load_xdf

    quiet = logging.getLogger("pyxdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "segments and clock-segments differ" at every dropout: not the user's business
    try:
        streams, _ = load_xdf(xdf)  # clock sync and dejitter on: a researcher's alignment
    finally:
        quiet.setLevel(level)
    picked = [(s, _role(s)) for s in streams]
    picked = [(s, role) for s, role in picked if role is not None and len(s.get("time_stamps", ())) > 0]
    if not picked:
        return Signals(FALLBACK_RATE, 0.0, [], [], "no numeric physiological stream was recorded")
    regular = [_rate(s) for s, role in picked if role in ("ecg", "ppg", "eda", "resp") and _rate(s) > 0]
    sfreq = max(regular, default=FALLBACK_RATE)
    start = min([float(s["time_stamps"][0]) for s, _ in picked] + list(events or ())[:1])
    end = max([float(s["time_stamps"][-1]) for s, _ in picked] + list(events or ())[1:])
    grid = start + np.arange(int(np.ceil((end - start) * sfreq - 1e-9)) + 1) / sfreq  # the last event inside
    channels, gaps = [], []
    for s, role in picked:
        made = _channels(s, role, grid)
        channels += made
        names = tuple(c.name for c in made)
        gaps += [(a - start, b - a, names) for a, b in _gap_spans(np.isnan(made[0].values), grid)] if made else []
    method = (
        f"resampled to {sfreq:g} Hz (the highest physiological rate); regular streams linearly interpolated, "
        f"irregular ones (RR, features, intensity) held until the next sample (at most {HOLD_MAX_S:g} s); "
        f"gaps longer than {REGULAR_GAP_PERIODS} sample periods are NaN and annotated BAD_gap"
    )
    return Signals(sfreq, start, channels, gaps, method)


def _role(stream: dict) -> str | None:
    info = stream["info"]
    name, kind = info["name"][0], canonical_kind(info["type"][0] or "")
    if info["channel_format"][0] == "string":
        return None
    if kind in KINDS:
        return kind
    return "own" if name in OWN_STREAMS else None


def _rate(stream: dict) -> float:
    try:
        return float(stream["info"]["nominal_srate"][0])
    except (TypeError, ValueError, KeyError, IndexError):
        return 0.0


def _desc(stream: dict) -> list[tuple[str, str]]:
    """(label, unit) of each channel, from the stream's header."""
    n = int(stream["info"]["channel_count"][0])
    try:
        chans = stream["info"]["desc"][0]["channels"][0]["channel"]
    except (KeyError, IndexError, TypeError):
        chans = []
    out = []
    for i in range(n):
        c = chans[i] if i < len(chans) and isinstance(chans[i], dict) else {}
        label = (c.get("label") or [None])[0] or ""
        unit = (c.get("unit") or c.get("units") or [None])[0] or ""
        out.append((str(label).strip(), str(unit).strip()))
    return out


def _channels(stream: dict, role: str, grid: np.ndarray) -> list[Channel]:
    name = stream["info"]["name"][0]
    stamps = np.asarray(stream["time_stamps"], dtype=float)
    values = np.asarray(stream["time_series"], dtype=float).reshape(len(stamps), -1)
    rate = _rate(stream)
    out = []
    for i, (label, declared) in enumerate(_desc(stream)):
        if role == "own":
            ch_name = SHORT.get(label, f"{label or name}-{i}"[:11])  # EDF: "MISC " + name in its 16 characters
            ch_type, unit, column = OWN_STREAMS[name], declared or "", values[:, i]
        else:
            conv = conversion(role, declared, stream=name, channel=label)  # raises on a unit vrex cannot read
            ch_type, factor = KINDS[role]
            column = conv.apply(values[:, i]) * factor
            ch_name, unit = role.upper() if i == 0 else f"{role.upper()}-{i + 1}", SI_UNIT[role]
        on_grid = _interpolate(stamps, column, grid, rate) if rate > 0 else _hold(stamps, column, grid)
        out.append(Channel(ch_name, ch_type, unit, declared, name, on_grid))
    return out


def _interpolate(t: np.ndarray, v: np.ndarray, grid: np.ndarray, rate: float) -> np.ndarray:
    ok = np.isfinite(v)
    t, v = t[ok], v[ok]
    out = np.full(len(grid), np.nan)
    if len(t) < 2:
        return out
    edge = 0.5 / rate  # streams start within a sample of each other: their first grid point is not a gap
    inside = (grid >= t[0] - edge) & (grid <= t[-1] + edge)
    out[inside] = np.interp(grid[inside], t, v)
    after = np.searchsorted(t, grid[inside], side="right").clip(1, len(t) - 1)
    long_gap = (t[after] - t[after - 1]) > REGULAR_GAP_PERIODS / rate
    vals = out[inside]
    vals[long_gap] = np.nan
    out[inside] = vals
    return out


def _hold(t: np.ndarray, v: np.ndarray, grid: np.ndarray) -> np.ndarray:
    out = np.full(len(grid), np.nan)
    if not len(t):
        return out
    i = np.searchsorted(t, grid, side="right") - 1  # the last sample at or before each grid time
    known = (i >= 0) & (grid - t[i.clip(0)] <= HOLD_MAX_S)
    out[known] = v[i[known]]
    return out


def _gap_spans(missing: np.ndarray, grid: np.ndarray) -> list[tuple[float, float]]:
    if not missing.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], missing.astype(np.int8), [0]))))
    step = grid[1] - grid[0] if len(grid) > 1 else 0.0
    return [(float(grid[a]), float(grid[b - 1] + step)) for a, b in zip(edges[::2], edges[1::2])]


# --- events --------------------------------------------------------------------------------
ANNOTATED = ("phase", "intensity", "shown", "suds", "command", "shield", "note", "escape", "stall", "session_end")


def session_to_lsl(data: SessionData) -> float | None:
    """LSL time minus session time (the LSL time of session t = 0), from the first event with both."""
    first = next((e for e in data.events if is_number(e.get("lsl"))), None)
    return float(first["lsl"]) - float(first["t"]) if first else None


def _annotated(data: SessionData) -> list[tuple[float, dict[str, Any]]]:
    offset = session_to_lsl(data) or 0.0  # lines without an lsl stamp (older logs) by their session time
    return [
        (float(e["lsl"]) if is_number(e.get("lsl")) else float(e["t"]) + offset, e)
        for e in data.events
        if e["kind"] in ANNOTATED and not (e["kind"] == "command" and e.get("command") == "suds")
    ]


def event_span(data: SessionData) -> tuple[float, float] | None:
    """The LSL times of the first and last annotated event (what the grid must cover)."""
    times = [t for t, _ in _annotated(data)]
    return (min(times), max(times)) if times else None


def annotations(data: SessionData, start_lsl: float) -> list[tuple[float, float, str]]:
    """(onset s, duration s, description) of the events a researcher aligns to, on the grid's clock."""
    return [(lsl - start_lsl, 0.0, describe(e)) for lsl, e in _annotated(data)]


def describe(e: dict[str, Any]) -> str:
    """One event as a short annotation: ``level/3 over the trees``, ``suds/40``, ``stop/therapist``,
    on one line: a note's tab or newline would split a row of BIDS' events.tsv, and any other
    control character has no place in an EDF+ annotation."""
    return "".join(ch for ch in " ".join(_describe(e).split()) if ch.isprintable())


def _describe(e: dict[str, Any]) -> str:
    kind = e["kind"]
    if kind in ("intensity", "shown"):
        level = e.get("level") if isinstance(e.get("level"), int) else None
        return f"{kind}/level {display_level(level)} {e.get('level_name') or ''}".strip()
    if kind == "suds":
        return f"suds/{e.get('value')}"
    if kind == "command":
        refused = "" if e.get("accepted", True) is not False else " (refused)"
        return f"command/{e.get('command')} by {e.get('source') or '?'}{refused}"
    if kind == "shield":
        listed = e.get("interventions")
        return "shield/" + (",".join(map(str, listed)) if isinstance(listed, (list, tuple)) else str(listed or ""))
    if kind == "note":
        return f"note/{e.get('text', '')}"
    if kind == "phase":
        return f"phase/{e.get('phase')}"
    if kind == "stall":
        return f"stall/{e.get('state')}"
    if kind == "session_end":
        return f"session_end/{e.get('end_reason')}"
    return kind


def sample0_utc(data: SessionData, signals: Signals) -> dt.datetime | None:
    """The UTC time of sample 0: ``started_utc`` is session t = 0, and sample 0 is a little
    before or after it on the LSL clock."""
    started, zero = _started(data), session_to_lsl(data)
    if started is None:
        return None
    return started + dt.timedelta(seconds=signals.start_lsl - zero if zero is not None else 0.0)


def _started(data: SessionData) -> dt.datetime | None:
    text = data.meta.get("started_utc")
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
