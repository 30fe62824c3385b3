"""EDF+ through edfio, with a physical range and unit per channel.

Not ``mne.export``: it shares one physical range among all channels of a type (RR in
seconds and intensity in 0..1 in one MISC range) and writes units other than volts as
blank; EDF's 8-character header fields would also round a range in siemens (3e-6) to
nothing. Here each channel has its own range and a unit a reader can use:

    ECG  uV (MNE reads it back in V)     EDA  uS           RR  ms
    PPG, RESP  a.u.                      vrex's features: their unit (bpm, ms, uS, 1/min)

Labels carry MNE's channel-type prefix (``ECG ECG``, ``BIO PPG``, ``RESP RESP``,
``MISC hr_bpm``) so ``mne.io.read_raw_edf(path, infer_types=True)`` types them; EDF has no
type for EDA (``EDA``: set it with ``raw.set_channel_types({"EDA": "gsr"})``). Gaps are 0
(EDF has no NaN) and annotated ``BAD_gap``; the last data record is padded the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import VrexError
from engine.report.export_signals import Channel, Signals, annotations, sample0_utc
from engine.report.load import SessionData

PREFIX = {"ecg": "ECG", "bio": "BIO", "resp": "RESP", "misc": "MISC", "gsr": ""}
EDF_UNIT = {"V": ("uV", 1e6), "S": ("uS", 1e6), "s": ("ms", 1e3), "a.u.": ("a.u.", 1.0)}


def write_edf(
    path: Path,
    signals: Signals,
    notes: list[tuple[float, float, str]],
    start: dt.datetime | None,
    patient: str,
    type_prefix: bool = True,
) -> Path:
    """``signals`` as EDF+ at ``path``, with ``notes`` (onset, duration, text) and the gaps as
    annotations; ``type_prefix=False`` for BIDS, where channels.tsv gives the types."""
    from edfio import Edf, EdfAnnotation, EdfSignal, Patient, Recording

    fs = signals.sfreq
    if not float(fs).is_integer():
        raise VrexError(f"--format edf: the sampling rate {fs:g} Hz is not a whole number; use --format fif")
    fs = int(fs)
    n = len(signals.channels[0].values)
    padded = -(-n // fs) * fs  # whole 1-s data records
    out = []
    for c in signals.channels:
        unit, factor = edf_unit(c)
        values = np.zeros(padded)
        values[:n] = np.nan_to_num(c.values * factor, nan=0.0)
        low, high = float(values.min()), float(values.max())
        span = max(high - low, 1e-3 if unit == "uS" else 1.0)
        low, high = _round8(low - 0.001 * span, np.floor), _round8(high + 0.001 * span, np.ceil)
        label = f"{PREFIX.get(c.ch_type, '') if type_prefix else ''} {c.name}".strip()
        out.append(
            EdfSignal(values, fs, label=label, physical_dimension=unit, physical_range=(low, high), prefiltering="")
        )
    gaps = [(o, d, "BAD_gap") for o, d, _ in signals.gaps]
    if padded > n:
        gaps.append((n / fs, (padded - n) / fs, "BAD_gap"))
    notes = [EdfAnnotation(max(0.0, o), d or None, _ascii(t)) for o, d, t in sorted(notes + gaps)]
    code = re.sub(r"[^A-Za-z0-9_-]", "_", patient or "X") or "X"
    edf = Edf(
        out,
        patient=Patient(code=code),
        recording=Recording(startdate=start.date() if start else None, equipment_code="vrex"),
        starttime=start.time().replace(tzinfo=None) if start else None,
        data_record_duration=1.0,
        annotations=notes,
    )
    edf.write(path)
    return path


def edf_unit(channel: Channel) -> tuple[str, float]:
    """The unit ``channel`` has in the EDF file, and the factor from its exported values."""
    return EDF_UNIT.get(channel.unit, (channel.unit[:8], 1.0))


def _round8(value: float, direction: Any) -> float:
    """A bound that survives EDF's 8-character field, rounded outwards."""
    digits = 8 - len(str(int(abs(value)))) - (2 if value < 0 else 1)
    scale = 10 ** max(digits, 0)
    return float(direction(value * scale) / scale)


def _ascii(text: str) -> str:
    """Annotation texts in ASCII (EDF+ readers differ on anything else); the event log keeps the original."""
    return text.encode("ascii", "replace").decode("ascii").replace("\x14", " ").replace("\x15", " ")


def write_session_edf(path: Path, signals: Signals, data: SessionData, type_prefix: bool = True) -> Path:
    """EDF+ of a session's signals, with its events and the gaps as annotations."""
    notes = annotations(data, signals.start_lsl)
    return write_edf(path, signals, notes, sample0_utc(data, signals), str(data.meta.get("patient") or ""), type_prefix)
