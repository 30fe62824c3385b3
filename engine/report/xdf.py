"""``recording.xdf`` summarised for the report: which streams, how many samples, how long;
and the samples of the one stream the report draws from (the head pose, ``headpose.py``).

A file cut by a crash is read up to its last whole chunk (``sensors.recorder.load_xdf``);
pyxdf logs other damage rather than raising, so its log is watched as well as its
exceptions; a stream without a footer is one the recorder never closed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from engine.report.records import EVENTS_STREAM, HEADPOSE_STREAM, Problem, StreamSummary

HeadSamples = tuple[np.ndarray, np.ndarray]  # LSL stamps, (n, 6) x, y, z, heading, pitch, roll


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def read_recording(path: Path) -> tuple[list[StreamSummary], list[str] | None, list[Problem], HeadSamples | None]:
    """Streams in ``path``, the lines of its vrex-events stream (None if absent), problems,
    and the vrex-headpose stream's samples (None if absent or empty)."""
    from sensors.recorder import intact_length, load_xdf  # here: history and the rest never need it

    logger = logging.getLogger("pyxdf")
    collect, propagate = _Collect(), logger.propagate
    logger.addHandler(collect)
    logger.propagate = False  # its warnings (e.g. effective vs nominal rate) are not the user's business
    try:
        # No clock sync or dejitter: the summary needs counts and spans, and both are slow on long files.
        # sensors.recorder.load_xdf reads up to the last whole chunk: pyxdf alone raises when a
        # crash cut the file inside a chunk's header
        size, intact = path.stat().st_size, intact_length(path)
        streams, _ = load_xdf(path, synchronize_clocks=False, dejitter_timestamps=False, handle_clock_resets=False)
    except Exception as exc:  # pyxdf raises many kinds on damaged input
        return (
            [],
            None,
            [
                Problem(
                    path.name,
                    f"cannot be read ({type(exc).__name__}: {exc}) — it is damaged or "
                    "not XDF; the rest of the report comes from events.jsonl",
                )
            ],
            None,
        )
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    problems = [
        Problem(path.name, f"damaged: pyxdf says “{m}”; samples after the damage may be lost")
        for m in dict.fromkeys(collect.messages)
    ]
    if intact < size:
        problems.append(
            Problem(
                path.name,
                f"cut inside a chunk after {intact} of {size} bytes (a crash?): read up to the last whole chunk",
            )
        )
    summaries, events, head = [], None, None
    for s in streams:
        summary = _summary(s)
        summaries.append(summary)
        if summary.name == EVENTS_STREAM:
            events = [str(row[0]) if len(row) else "" for row in s.get("time_series", [])]
        elif summary.name == HEADPOSE_STREAM and summary.samples:
            values = np.asarray(s.get("time_series"), dtype=float)
            if values.ndim == 2 and values.shape[1] >= 5:
                head = (np.asarray(s["time_stamps"], dtype=float), values)
    open_streams = [s.name for s in summaries if not s.complete]
    if open_streams:
        problems.append(
            Problem(
                path.name,
                f"cut short: {len(open_streams)} of {len(summaries)} streams were never "
                f"closed by the recorder ({', '.join(open_streams)}); they are read up to the cut",
            )
        )
    if not summaries:
        problems.append(Problem(path.name, "holds no streams"))
    return summaries, events, problems, head


def _summary(stream: dict) -> StreamSummary:
    info = stream.get("info", {})

    def field(key: str, default: str = "") -> str:
        value = info.get(key) or [default]
        return str(value[0]) if value[0] is not None else default

    stamps = stream.get("time_stamps")
    n = 0 if stamps is None else len(stamps)
    return StreamSummary(
        name=field("name", "unnamed"),
        type=field("type"),
        channels=_int(field("channel_count", "0")),
        samples=n,
        duration_s=float(stamps[-1] - stamps[0]) if n > 1 else 0.0,
        nominal_rate=_float(field("nominal_srate", "0")),
        complete=stream.get("footer") is not None,
    )


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
