"""Recordings on disk → streams in memory, for ``vrex replay`` and for tests.

Formats:
- **XDF** (``.xdf``), LSL's own, read with pyxdf (the LSL project's reader; a truncated
  file loads up to the cut). A channel without a label is ``chN``, one without a unit has
  unit '' (pyxdf gives None for both), so vrex's own recordings replay as recorded;
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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sensors.errors import RecordingError
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
_XDF_FORMATS = ("float32", "double64", "string", "int8", "int16", "int32", "int64")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedStream:
    spec: StreamSpec
    times: np.ndarray  # (n,) seconds from the recording's own clock
    values: np.ndarray  # (n, channels) float64, or (n,) object for markers


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


def _load_xdf(path: Path) -> list[RecordedStream]:
    import pyxdf  # only replay needs it

    try:
        streams, _ = pyxdf.load_xdf(str(path), dejitter_timestamps=False)
    except Exception as exc:  # pyxdf raises many kinds on damaged input
        problem = _xdf_header_problem(path)
        if problem is not None:  # pyxdf's own message (e.g. a float() error) names no stream
            raise RecordingError(
                f"{path}: {problem}, so the file cannot be read (pyxdf: {type(exc).__name__}: "
                f"{exc}) — fix that stream's header, or record again"
            ) from exc
        raise RecordingError(
            f"{path}: not a readable XDF file ({type(exc).__name__}: {exc}) — "
            "record with LabRecorder or vrex, or check the file is complete"
        ) from exc
    return [_xdf_stream(path, index, s) for index, s in enumerate(streams)]


def _xdf_header_problem(path: Path) -> str | None:
    """The first stream header that pyxdf cannot load ('stream 'X': why'), or None."""
    try:
        from pyxdf.pyxdf import parse_xdf  # headers only, as text: nothing converted yet

        chunks = parse_xdf(str(path))
    except Exception:  # not XDF at all, or cut inside a header
        return None
    headers = [c for c in chunks if isinstance(c, dict) and c.get("tag") == 2]
    for number, header in enumerate(headers, start=1):
        name = (header.get("name") or "").strip()
        which = f"stream '{name}'" if name else f"stream {number} (stream_id {header.get('stream_id')})"
        if not name:
            return f"{which} has no name"
        rate: Any = header.get("nominal_srate")  # text in a sound file; anything in a damaged one
        try:
            rate_ok = math.isfinite(float(rate)) and float(rate) >= 0
        except (TypeError, ValueError):
            rate_ok = False
        if not rate_ok:
            return f"{which}: nominal_srate '{rate}' is not a rate in Hz (0 for irregular)"
        count: Any = header.get("channel_count")
        if not (count or "").strip().isdigit() or int(count) < 1:
            return f"{which}: channel_count '{count}' is not a number of channels"
        fmt = (header.get("channel_format") or "").strip()
        if fmt not in _XDF_FORMATS:
            return f"{which}: channel_format '{fmt}' is not one of {', '.join(_XDF_FORMATS)}"
    return None


# What pyxdf gives for one header field is not always [text]: an empty element
# (<unit></unit>, written by vrex for a channel without a unit) comes back as [None], an
# absent one as nothing at all, one with children as [dict]. Every reader below goes
# through these two helpers so that none of those shapes reaches an LSL outlet as None.
def _xdf_text(node: object, key: str, default: str = "") -> str:
    """The text of ``node[key][0]``, stripped; ``default`` when missing, empty or not text."""
    value = node.get(key) if isinstance(node, Mapping) else None
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else default


def _xdf_children(node: object, *keys: str) -> list:
    """``node[k1][0][k2][0]…[kn]``, a list (e.g. every ``channel`` of ``desc/channels``); [] if
    any step is missing or not the shape XDF headers have."""
    for key in keys[:-1]:
        value = node.get(key) if isinstance(node, Mapping) else None
        node = value[0] if isinstance(value, list) and value else None
    value = node.get(keys[-1]) if isinstance(node, Mapping) else None
    return value if isinstance(value, list) else []


def _xdf_stream(path: Path, index: int, s: object) -> RecordedStream:
    info = s.get("info") if isinstance(s, Mapping) else None
    if not isinstance(s, Mapping) or not isinstance(info, Mapping):
        raise RecordingError(f"{path}: stream {index + 1} has no header — the file is damaged; record again")
    name = _xdf_text(info, "name") or f"xdf-stream-{_xdf_text(info, 'stream_id') or index + 1}"
    where = f"{path}: stream '{name}'"
    rate_text = _xdf_text(info, "nominal_srate", "0")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate >= 0):
        raise RecordingError(
            f"{where}: nominal_srate '{rate_text}' is not a rate — the header is damaged "
            "(a rate in Hz, or 0 for an irregular stream)"
        )
    series = s.get("time_series")
    fmt = _xdf_text(info, "channel_format").lower() or ("string" if isinstance(series, list) else "float32")
    if fmt not in _XDF_FORMATS:
        raise RecordingError(f"{where}: channel format '{fmt}' is not an LSL format — one of {', '.join(_XDF_FORMATS)}")
    try:
        header_count = int(_xdf_text(info, "channel_count", "0"))
    except ValueError:
        header_count = 0
    try:
        times = np.asarray(s.get("time_stamps", []), dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{where}: time stamps are not numbers ({exc}) — the file is damaged") from exc
    values = _xdf_values(where, series, fmt, header_count)
    if len(values) != len(times):
        raise RecordingError(f"{where}: {len(times)} time stamps for {len(values)} samples — the file is damaged")
    count = values.shape[1]
    if header_count and len(values) and header_count != count:
        logger.warning(
            "%s: header says %d channel(s), samples have %d; replaying %d", where, header_count, count, count
        )
    labels, units = _xdf_channels(info, count)
    spec = StreamSpec(
        name=name,
        type=_xdf_text(info, "type"),
        rate=rate,
        channel_count=count,
        channel_format=fmt,
        source_id=_xdf_text(info, "source_id"),
        hostname=_xdf_text(info, "hostname"),
        labels=labels,
        units=units,
    )
    return RecordedStream(spec, times, values)


def _xdf_values(where: str, series: Any, fmt: str, header_count: int) -> np.ndarray:
    """Samples as (n, channels): float64, or object (text) for string streams."""
    if series is None:
        series = []
    if fmt == "string":
        rows = [[row] if isinstance(row, str) or row is None else list(row) for row in series]
        width = len(rows[0]) if rows else max(header_count, 1)
        for i, row in enumerate(rows):
            if not row or len(row) != width:
                raise RecordingError(
                    f"{where}: sample {i} has {len(row)} channel(s), expected "
                    f"{width or header_count or 1} — the file is damaged"
                )
        values = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            values[i] = ["" if v is None else str(v) for v in row]
        return values
    try:
        values = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RecordingError(
            f"{where}: samples are not {fmt} numbers of one shape ({exc}) — the file is damaged"
        ) from exc
    if values.size == 0:
        return np.zeros((0, max(header_count, 1)))
    if values.ndim == 1:  # one channel, or one sample of several
        return values[:, None] if header_count <= 1 or len(values) != header_count else values[None, :]
    if values.ndim != 2:
        raise RecordingError(
            f"{where}: samples have shape {values.shape}, expected (samples, channels) — the file is damaged"
        )
    return values


def _xdf_channels(info: Mapping, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Labels and units from ``desc/channels/channel``; a missing, empty or None label is
    ``chN`` and a missing unit is '' (an outlet cannot carry None)."""
    channels = _xdf_children(info, "desc", "channels", "channel")
    if len(channels) != count:
        return tuple(f"ch{i + 1}" for i in range(count)), ("",) * count
    labels = tuple(_xdf_text(c, "label") or _xdf_text(c, "name") or f"ch{i + 1}" for i, c in enumerate(channels))
    units = tuple(_xdf_text(c, "unit") or _xdf_text(c, "units") for c in channels)
    return labels, units
