"""What a session folder's reader and its XDF reader both speak of: the names of vrex's own
streams in the recording, a problem found while reading, a stream's summary. A leaf
module, so ``load.py`` and ``xdf.py`` need not import each other."""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_STREAM = "vrex-events"  # every events.jsonl line, also recorded in the XDF
HEADPOSE_STREAM = "vrex-headpose"  # the head the display drew, one sample per frame (report: heat map)


@dataclass(frozen=True)
class Problem:
    """Something missing or damaged, named by the file it concerns."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class StreamSummary:
    name: str
    type: str
    channels: int
    samples: int
    duration_s: float
    nominal_rate: float
    complete: bool  # the stream's footer was written, i.e. the recorder closed it
