"""The paragraph at the top of a report: the session in plain words, for a clinician to read
and sign without decoding tables — levels reached and held, time and SUDS per level, heart
rate and skin conductance at rest and at their peak, holds, stops, notes, shield actions,
stalls, and how it ended. Every number comes from the ``Summary``; nothing is worked out
twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.report.ending import who
from engine.report.load import SessionData, is_number
from engine.report.spans import display_level

if TYPE_CHECKING:  # summary imports this module
    from engine.report.spans import Span
    from engine.report.summary import Summary


@dataclass(frozen=True)
class Vitals:
    """Heart rate (bpm) and tonic EDA (µS) at rest (the baseline) and at their exposure peak."""

    hr_rest: float | None = None
    hr_peak: float | None = None
    eda_rest: float | None = None
    eda_peak: float | None = None


def vitals(data: SessionData, exposure: list[Span]) -> Vitals:
    """Rest: the ``baseline`` event's values (what the controller compares against), else the
    median of the baseline phase's ticks. Peak: the highest tick during exposure."""
    ticks = data.ticks
    base = data.of("baseline")
    values = base[-1].get("values") if base and isinstance(base[-1].get("values"), dict) else {}
    in_base = np.array([p == "baseline" for p in ticks.phase], dtype=bool)
    in_exp = np.zeros(len(ticks), dtype=bool)
    for w in exposure:
        in_exp |= (ticks.t >= w.start) & (ticks.t < w.end)

    def rest(key: str, column: np.ndarray) -> float | None:
        if is_number(values.get(key)):
            return float(values[key])
        known = column[in_base & ~np.isnan(column)]
        return float(np.median(known)) if len(known) else None

    def peak(column: np.ndarray) -> float | None:
        known = column[in_exp & ~np.isnan(column)]
        return float(known.max()) if len(known) else None

    return Vitals(
        rest("hr_bpm", ticks.hr_bpm),
        peak(ticks.hr_bpm),
        rest("eda_tonic_us", ticks.eda_tonic_us),
        peak(ticks.eda_tonic_us),
    )


def paragraph(s: Summary) -> str:
    """The session in a few plain sentences (``Summary.plain``)."""
    exposure = sum(w.seconds for w in s.exposure)
    parts = [
        f"Exposure lasted {_minutes(exposure)} ({', '.join(f'{_clock(w.start)}–{_clock(w.end)}' for w in s.exposure)})."
    ]
    if s.highest_reached is None:
        parts.append("No level was recorded.")
    else:
        held = (
            f"held level {_name(s, s.highest_held)} for {_minutes(s.held_s)} without dropping below it"
            if s.highest_held is not None
            else "held no level for a full minute"
        )
        parts.append(f"The patient reached level {_name(s, s.highest_reached)} and {held}.")
    rows = [
        f"{_name(s, r.level)} {_minutes(r.time_s)}"
        + (f" (SUDS peak {r.peak_suds:g}, last {r.end_suds:g})" if r.ratings else " (no SUDS)")
        for r in s.levels
        if r.time_s > 0 or r.ratings
    ]
    if rows:
        parts.append("Time per level: " + "; ".join(rows) + ".")
    parts.append(_vitals(s.vitals))
    said = [
        _said(len(s.holds), "hold", "holds") + (f" ({_who_when(s.holds)})" if s.holds else ""),
        _said(len(s.stops), "stop", "stops") + (f" ({_who_when(s.stops)})" if s.stops else ""),
    ]
    if s.escapes:
        said.append(f"{_said(len(s.escapes), 'escape', 'escapes')} (at {', '.join(map(_clock, s.escapes))})")
    text = "; ".join(said)
    parts.append(text[0].upper() + text[1:] + ".")
    kinds = ", ".join(f"{k.replace('_', ' ')} × {n}" for k, n in sorted(s.shield_kinds.items()))
    parts.append(
        f"The safety shield stepped in {_times(s.shield_events)}" + (f" ({kinds})." if kinds else ".")
        if s.shield_events
        else "The safety shield never had to step in."
    )
    if s.stalls:
        frozen = sum(x.seconds for x in s.stalls)
        parts.append(
            f"The picture froze {_times(len(s.stalls))} ({frozen:.1f} s in all, first at {_clock(s.stalls[0].start)})."
        )
    else:
        parts.append("The picture never froze.")
    if s.notes:
        parts.append("Notes: " + "; ".join(f"{_clock(t)} “{text}”" for t, text in s.notes) + ".")
    parts.append(f"The session ended: {s.ending or 'unknown — no end was recorded'}.")
    return " ".join(p for p in parts if p)


def _vitals(v: Vitals) -> str:
    bits = []
    if v.hr_rest is not None or v.hr_peak is not None:
        bits.append(
            f"heart rate {_v(v.hr_rest, '{:.0f} bpm')} at rest, {_v(v.hr_peak, '{:.0f} bpm')} at its peak in exposure"
        )
    if v.eda_rest is not None or v.eda_peak is not None:
        bits.append(
            f"skin conductance {_v(v.eda_rest, '{:.1f} µS')} at rest, {_v(v.eda_peak, '{:.1f} µS')} at its peak"
        )
    return ("Physiology: " + "; ".join(bits) + ".") if bits else "No heart rate or skin conductance was recorded."


def _who_when(items: list[tuple[float, str]]) -> str:
    return ", ".join(f"by {who(source)} at {_clock(t)}" for t, source in items)


def _name(s: Summary, level: int | None) -> str:
    name = s.level_names.get(level, "") if level is not None else ""
    return f"{display_level(level)}" + (f" “{name}”" if name else "")


def _said(n: int, one: str, many: str) -> str:
    return f"no {many}" if n == 0 else f"{n} {one if n == 1 else many}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _clock(t: float) -> str:
    t = int(round(float(t)))
    return f"{t // 60:d}:{t % 60:02d}"


def _v(value: float | None, fmt: str) -> str:
    return "unknown" if value is None else fmt.format(value)
