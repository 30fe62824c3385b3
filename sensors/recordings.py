"""Recordings on disk → streams in memory, for ``vrex replay`` and for tests.

Formats:
- **XDF** (``.xdf``), LSL's own, read with pyxdf (the LSL project's reader; a truncated
  file loads up to the cut);
- **NPZ** (``.npz``): one 1-D array per signal plus ``fs`` (Hz), as in ../shared/data. The
  array name gives the signal and unit: ``ecg_ii_mV`` → type ECG, unit mV, label 'ii';
  ``ppg_nu`` → PPG; ``eda_uS``; ``resp``. Names it cannot place are refused by name;
- **CSV** (``.csv``): a header row; a ``time`` column in seconds, then one column per
  signal named like the NPZ arrays (``ecg_mV,ppg_nu,...``).

Every failure is a ``RecordingError`` naming the file and what to do.
"""

from __future__ import annotations

import csv
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensors.errors import RecordingError
from sensors.types import StreamSpec

_TYPES = {"ecg": "ECG", "ppg": "PPG", "bvp": "PPG", "eda": "EDA", "gsr": "EDA", "resp": "RESP",
          "rr": "RR", "markers": "Markers"}
_UNITS = {"mv": "mV", "uv": "uV", "v": "V", "us": "uS", "nu": "normalised", "ms": "ms", "s": "s"}
MAX_SECONDS = 48 * 3600       # longer is not a session recording


@dataclass(frozen=True)
class RecordedStream:
    spec: StreamSpec
    times: np.ndarray          # (n,) seconds from the recording's own clock
    values: np.ndarray         # (n, channels) float64, or (n,) object for markers


@dataclass(frozen=True)
class Recording:
    path: Path
    streams: tuple[RecordedStream, ...]

    @property
    def start(self) -> float:
        return min(float(s.times[0]) for s in self.streams if len(s.times))

    @property
    def duration(self) -> float:
        return max(float(s.times[-1]) for s in self.streams if len(s.times)) - self.start


def load_recording(path: str | Path) -> Recording:
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file — give the path of a .xdf, .npz or .csv recording")
    loader = {".xdf": _load_xdf, ".npz": _load_npz, ".csv": _load_csv}.get(path.suffix.lower())
    if loader is None:
        raise RecordingError(f"{path}: '{path.suffix}' is not a recording format vrex reads — .xdf, .npz or .csv")
    streams = loader(path)
    streams = tuple(s for s in streams if len(s.times))
    if not streams:
        raise RecordingError(f"{path}: the recording holds no samples — is it the right file?")
    for s in streams:
        bad = ~np.isfinite(s.times)
        if bad.any() or np.any(np.diff(s.times) < 0):
            raise RecordingError(f"{path}: stream '{s.spec.name}' has time stamps that are not finite or go "
                                 "backwards — the file is damaged")
    return Recording(path, streams)


def _signal_spec(key: str, rate: float, path: Path, source: str) -> StreamSpec:
    parts = key.lower().split("_")
    kind = _TYPES.get(parts[0])
    if kind is None:
        raise RecordingError(f"{path}: cannot tell what signal '{key}' is — name it ecg_*, ppg_*, bvp_*, eda_*, "
                             "gsr_*, resp_* or rr_*, with the unit last (e.g. ecg_mV, eda_uS)")
    unit = _UNITS.get(parts[-1], "") if len(parts) > 1 else ""
    label = "_".join(parts[1:-1] if unit else parts[1:]) or parts[0]
    return StreamSpec(name=f"replay-{key}", type=kind, rate=rate, channel_count=1, channel_format="float32",
                      source_id=f"vrex-replay:{source}:{key}", labels=(label,), units=(unit,))


def _load_npz(path: Path) -> list[RecordedStream]:
    try:
        with np.load(path, allow_pickle=False) as data:      # never unpickle a file from outside
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
    return [RecordedStream(_signal_spec(name.strip(), rate, path, path.stem), times, table[:, i + 1:i + 2])
            for i, name in enumerate(header[1:])]


def _all_numbers(row: list[str]) -> bool:
    try:
        [float(x) for x in row]
    except ValueError:
        return False
    return True


def _load_xdf(path: Path) -> list[RecordedStream]:
    import pyxdf          # only replay needs it
    try:
        streams, _ = pyxdf.load_xdf(str(path), dejitter_timestamps=False)
    except Exception as exc:          # pyxdf raises many kinds on damaged input
        raise RecordingError(f"{path}: not a readable XDF file ({type(exc).__name__}: {exc}) — "
                             "record with LabRecorder or vrex, or check the file is complete") from exc
    out = []
    for s in streams:
        info = s["info"]
        field = lambda k, d="": (info.get(k) or [d])[0]
        rate = float(field("nominal_srate", "0") or 0)
        fmt = field("channel_format", "float32")
        count = int(field("channel_count", "1") or 1)
        labels, units = _xdf_channels(info, count)
        spec = StreamSpec(name=field("name", "unnamed"), type=field("type", ""), rate=rate, channel_count=count,
                          channel_format=fmt, source_id=field("source_id"), hostname=field("hostname"),
                          labels=labels, units=units)
        times = np.asarray(s["time_stamps"], dtype=np.float64)
        series = s["time_series"]
        values = np.asarray(series, dtype=object if fmt == "string" else np.float64)
        if values.ndim == 1:
            values = values[:, None]
        out.append(RecordedStream(spec, times, values))
    return out


def _xdf_channels(info: dict, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
        labels = tuple((c.get("label") or [""])[0] for c in channels)
        units = tuple((c.get("unit") or [""])[0] for c in channels)
        if len(labels) == count:
            return labels, units
    except (KeyError, IndexError, TypeError):
        pass
    return tuple(f"ch{i + 1}" for i in range(count)), ("",) * count
