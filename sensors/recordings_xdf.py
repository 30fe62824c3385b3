"""XDF recordings (LabRecorder's and vrex's own) → ``RecordedStream``s, for
``sensors.recordings.load_recording``. Read with pyxdf, the LSL project's reader (a
truncated file loads up to the cut). pyxdf gives a header field as [text], [None] (an
empty element), nothing at all or [dict]: every field is read through ``_xdf_text`` and
``_xdf_children``, so a channel without a label is ``chN`` and one without a unit has unit
'' and vrex's own recordings replay as recorded. A header pyxdf cannot load is named by
stream and field; every failure is a ``RecordingError`` naming the file and the stream.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sensors.errors import RecordingError
from sensors.recording_types import RecordedStream
from sensors.types import StreamSpec

logger = logging.getLogger(__name__)

_XDF_FORMATS = ("float32", "double64", "string", "int8", "int16", "int32", "int64")


def read_xdf(path: Path) -> list[RecordedStream]:
    """Every stream of the XDF file ``path``, its samples as (n, channels); a
    ``RecordingError`` naming the file (and the stream) where it cannot be read."""
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
