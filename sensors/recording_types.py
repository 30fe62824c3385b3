"""What a recording on disk becomes in memory, whatever its format: a ``Recording`` of
``RecordedStream``s, each a stream's header (as a ``StreamSpec``), its time stamps and its
samples. ``sensors.recordings.load_recording`` makes them (its XDF part in
``sensors.recordings_xdf``); ``vrex replay`` and ``sensors.publish`` send them out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensors.types import StreamSpec


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
