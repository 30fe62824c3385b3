"""Recordings on disk → streams in memory, for ``vrex replay`` and for tests.

Formats:
- **XDF** (``.xdf``), LSL's own, read with pyxdf (the LSL project's reader; a truncated
  file loads up to the cut) in ``sensors.recordings_xdf``. A channel without a label is
  ``chN``, one without a unit has unit '' (pyxdf gives None for both), so vrex's own
  recordings replay as recorded;
- **NPZ** (``.npz``): one 1-D array per signal plus ``fs`` (Hz), as in tests/data. The
  array name gives the signal and unit: ``ecg_ii_mV`` → type ECG, unit mV, label 'ii';
  ``ppg_nu`` → PPG; ``eda_uS``; ``resp``. Names it cannot place are refused by name;
- **CSV** (``.csv``): a header row; a ``time`` column in seconds, then one column per
  signal named like the NPZ arrays (``ecg_mV,ppg_nu,...``).

Every failure is a ``RecordingError`` naming the file (and the stream, where one is the
cause) and what to do. Samples stamped out of order are put in time order, with a warning.
"""

from __future__ import annotations

import csv
import logging
import math
import zipfile
from pathlib import Path

import numpy as np

from sensors.errors import RecordingError
from sensors.recording_types import RecordedStream, Recording
from sensors.recordings_xdf import read_xdf as _load_xdf
from sensors.types import StreamSpec

_TYPES = {
    "ecg": "ECG",
    "ppg": "PPG",
    "bvp": "PPG",
    "eda": "EDA",
    "gsr": "EDA",
    "resp": "RESP",
    "rr": "RR",
    "markers": "Markers",
}
_UNITS = {"mv": "mV", "uv": "uV", "v": "V", "us": "uS", "nu": "normalised", "ms": "ms", "s": "s"}
MAX_SECONDS = 48 * 3600  # longer is not a session recording

logger = logging.getLogger(__name__)


def load_recording(path: str | Path) -> Recording:
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file — give the path of a .xdf, .npz or .csv recording")
    loader = {".xdf": _load_xdf, ".npz": _load_npz, ".csv": _load_csv}.get(path.suffix.lower())
    if loader is None:
        raise RecordingError(f"{path}: '{path.suffix}' is not a recording format vrex reads — .xdf, .npz or .csv")
    streams = tuple(s for s in loader(path) if len(s.times))
    if not streams:
        raise RecordingError(f"{path}: the recording holds no samples — is it the right file?")
    return Recording(path, tuple(_in_time_order(path, s) for s in streams))


def _in_time_order(path: Path, s: RecordedStream) -> RecordedStream:
    """The stream with its samples in time order. A stamp that is not a number is damage; one
    earlier than the sample before it is not: an outlet may stamp samples out of order (LSL
    records what it is given), and a replay sends each sample at its own time."""
    if not np.isfinite(s.times).all():
        raise RecordingError(
            f"{path}: stream '{s.spec.name}' has time stamps that are not finite — the file is damaged; record again"
        )
    back = int(np.count_nonzero(np.diff(s.times) < 0))
    if not back:
        return s
    logger.warning(
        "%s: stream '%s' has %d sample(s) stamped earlier than the sample before; replaying them in time order",
        path,
        s.spec.name,
        back,
    )
    order = np.argsort(s.times, kind="stable")
    return RecordedStream(s.spec, s.times[order], s.values[order])


def _signal_spec(key: str, rate: float, path: Path, source: str) -> StreamSpec:
    parts = key.lower().split("_")
    kind = _TYPES.get(parts[0])
    if kind is None:
        raise RecordingError(
            f"{path}: cannot tell what signal '{key}' is — name it ecg_*, ppg_*, bvp_*, eda_*, "
            "gsr_*, resp_* or rr_*, with the unit last (e.g. ecg_mV, eda_uS)"
        )
    unit = _UNITS.get(parts[-1], "") if len(parts) > 1 else ""
    label = "_".join(parts[1:-1] if unit else parts[1:]) or parts[0]
    return StreamSpec(
        name=f"replay-{key}",
        type=kind,
        rate=rate,
        channel_count=1,
        channel_format="float32",
        source_id=f"vrex-replay:{source}:{key}",
        labels=(label,),
        units=(unit,),
    )


def _load_npz(path: Path) -> list[RecordedStream]:
    try:
        with np.load(path, allow_pickle=False) as data:  # never unpickle a file from outside
            arrays = {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise RecordingError(f"{path}: not a readable NPZ recording ({exc}) — the file may be truncated") from exc
    rate_key = next((k for k in ("fs", "rate", "sampling_rate") if k in arrays), None)
    if rate_key is None:
        raise RecordingError(f"{path}: no sampling rate — add an array 'fs' holding the rate in Hz")
    rate = float(np.asarray(arrays.pop(rate_key)).reshape(-1)[0])
    if not (math.isfinite(rate) and 0 < rate <= 100_000):
        raise RecordingError(f"{path}: sampling rate {rate} Hz is not usable — a positive rate in Hz")
    out = []
    for key, values in arrays.items():
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise RecordingError(f"{path}: array '{key}' has shape {values.shape} — one 1-D array per signal")
        if len(values) / rate > MAX_SECONDS:
            raise RecordingError(f"{path}: array '{key}' lasts over {MAX_SECONDS // 3600} h — not a session recording")
        times = np.arange(len(values)) / rate
        out.append(RecordedStream(_signal_spec(key, rate, path, path.stem), times, values[:, None]))
    return out


def _load_csv(path: Path) -> list[RecordedStream]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = [row for row in reader if row]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RecordingError(f"{path}: not a CSV text file ({exc}) — UTF-8 text with a header row") from exc
    if not header or header[0].strip().lower() not in ("time", "time_s", "t"):
        raise RecordingError(f"{path}: the first column must be 'time' (seconds) — e.g. 'time,ecg_mV,ppg_nu'")
    try:
        table = np.array([[float(x) for x in row] for row in rows], dtype=np.float64)
    except ValueError as exc:
        line = next(i + 2 for i, row in enumerate(rows) if not _all_numbers(row))
        raise RecordingError(f"{path}:{line}: {exc} — numbers only below the header") from exc
    if table.ndim != 2 or table.shape[1] != len(header) or len(table) < 2:
        raise RecordingError(f"{path}: every row needs {len(header)} values and there must be at least 2 rows")
    times = table[:, 0]
    rate = float(1.0 / np.median(np.diff(times))) if len(times) > 1 else 0.0
    return [
        RecordedStream(_signal_spec(name.strip(), rate, path, path.stem), times, table[:, i + 1 : i + 2])
        for i, name in enumerate(header[1:])
    ]


def _all_numbers(row: list[str]) -> bool:
    try:
        [float(x) for x in row]
    except ValueError:
        return False
    return True
