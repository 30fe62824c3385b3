"""Plain data that crosses module boundaries in ``sensors/`` (and into ``adaptation/``).

Times are seconds on LSL's clock (``pylsl.local_clock()``), already corrected to this
machine's clock by the inlet's clock synchronisation. Nothing here imports pylsl.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class StreamSpec:
    """What a stream says about itself (its LSL header and ``desc/channels``)."""

    name: str
    type: str  # ECG, PPG, BVP, EDA, GSR, RESP, RR, Markers, ...
    rate: float  # samples per second; 0 for irregular streams (RR, markers)
    channel_count: int
    channel_format: str  # float32, double64, int32, string, ...
    source_id: str = ""
    hostname: str = ""
    labels: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    def describe(self) -> str:
        rate = "irregular" if self.rate == 0 else f"{self.rate:g} Hz"
        where = f"source '{self.source_id}' on {self.hostname or '?'}"
        return f"'{self.name}' ({self.type}, {rate}, {self.channel_count} ch, {where})"


@dataclass(frozen=True)
class Window:
    """Samples of one signal over a time window, oldest first."""

    times: np.ndarray  # (n,) seconds, LSL clock
    values: np.ndarray  # (n,) float64, in the signal's canonical unit
    rate: float  # nominal rate; 0 for irregular streams
    unit: str = ""

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self.times) > 1 else 0.0


@dataclass(frozen=True)
class Quality:
    """How far a signal can be trusted right now: 1 good … 0 useless, and why."""

    index: float
    reason: str = "ok"  # 'ok', 'flat line', 'clipping', 'implausible values', 'noisy', 'stale', 'no data'
    # (the weakest check; 'ok' only when nothing cost any index)

    @property
    def usable(self) -> bool:
        return self.index >= 0.5


@dataclass(frozen=True)
class Features:
    """Everything the controller may read at one control tick.

    Absolute values are NaN when they cannot be computed from trustworthy data; ``quality``
    and ``age`` say why. ``relative`` holds each value minus the person's baseline (for
    heart rate and EDA, as a fraction of baseline), NaN before a baseline exists.
    """

    time: float
    hr_bpm: float = math.nan
    hr_source: str = ""  # 'ecg', 'ppg' or 'rr'
    rmssd_ms: float = math.nan
    eda_tonic_us: float = math.nan
    scr_per_min: float = math.nan
    scr_amplitude_us: float = math.nan
    resp_rate_bpm: float = math.nan
    quality: dict[str, Quality] = field(default_factory=dict)  # per signal: ecg, ppg, eda, resp, rr
    age_s: dict[str, float] = field(default_factory=dict)  # per signal: newest sample's age
    relative: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # per NaN feature: why, in words
    # Beat-to-beat heart rate (sensors.hr_fast): the newest run of ~6 regular beats, for the
    # safety shield's HR ceiling only — not in NAMES, so the policy's input never changes.
    # NaN unless the run is regular, fresh and from a usable signal; relative['hr_fast_bpm']
    # is its fraction above the HR baseline.
    hr_fast_bpm: float = math.nan
    hr_fast_source: str = ""  # 'ecg', 'ppg' or 'rr'
    hr_fast_quality: Quality = Quality(0.0, "no data")
    hr_fast_age_s: float = math.nan  # newest beat of the run: its age at ``time``

    NAMES = ("hr_bpm", "rmssd_ms", "eda_tonic_us", "scr_per_min", "scr_amplitude_us", "resp_rate_bpm")

    def to_array(self) -> np.ndarray:
        return np.array([getattr(self, n) for n in self.NAMES], dtype=np.float64)
