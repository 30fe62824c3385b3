"""Live physiology: streams in, features out, at the control tick.

``LivePhysiology`` joins acquisition (``sensors.acquire``) and feature extraction
(``sensors.features``): ``poll()`` drains every stream and feeds new ECG/PPG samples to the
streaming beat detectors (call it often: every frame, or at 20–50 Hz); ``tick()`` returns
the features as of now (about once a second). Time comes from ``clock``, the same clock the
readers judge staleness by, so a simulated session can run faster than real time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from sensors import lsl
from sensors.acquire import Acquisition
from sensors.baseline import Baseline
from sensors.errors import SensorError
from sensors.features import FeatureExtractor
from sensors.features_heart import DETECTORS
from sensors.stream_reader import Poll, StreamReader
from sensors.types import Features, Quality
from sensors.watchdog import Status

WINDOW_S = 60.0  # the longest window a feature uses (EDA)


class LivePhysiology:
    def __init__(
        self,
        acquisition: Acquisition,
        *,
        baseline: Baseline | None = None,
        clock: Callable[[], float] = lsl.local_clock,
    ):
        self.acquisition = acquisition
        self.clock = clock
        self.signals: dict[str, StreamReader] = {}
        for role, reader in list(acquisition.readers.items()):
            if not isinstance(reader, StreamReader) or reader.kind in self.signals:
                continue
            if reader.kind in DETECTORS:
                try:
                    DETECTORS[reader.kind](reader.spec.rate)  # a rate its detector can use?
                except SensorError as exc:  # one unusable stream must not stop the others
                    acquisition.failed[role] = exc
                    del acquisition.readers[role]
                    reader.close()
                    continue
            self.signals[reader.kind] = reader
        self.beats_arrived = 0  # beats (ECG/PPG detections, RR intervals) in the last poll
        rates = {k: r.spec.rate for k, r in self.signals.items() if k in DETECTORS}
        self.extractor = FeatureExtractor(rates, baseline=baseline)

    @classmethod
    def open(
        cls,
        wanted: Mapping[str, str | Mapping],
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = lsl.local_clock,
        baseline: Baseline | None = None,
    ) -> LivePhysiology:
        """Open the wanted streams (role -> kind or find_stream arguments); missing or bad ones
        are listed in ``failed`` with their reason, the others run."""
        return cls(Acquisition.open(wanted, timeout=timeout, clock=clock), baseline=baseline, clock=clock)

    @property
    def failed(self) -> dict:
        return self.acquisition.failed

    def poll(self, now: float | None = None) -> dict[str, Poll]:
        now = self.clock() if now is None else now
        polls = self.acquisition.poll(now)
        beats = 0
        for kind, reader in self.signals.items():
            if kind in DETECTORS:
                fresh = reader.new()
                if len(fresh.times):
                    beats += len(self.extractor.push(kind, fresh.times, fresh.values))
            elif kind == "rr":
                beats += sum(p.new for role, p in polls.items() if self.acquisition.readers.get(role) is reader)
        # Heart rate can only change when a beat arrives: a session ticks at once on new beats,
        # so a heart rate over the ceiling is acted on when its beat is seen, not up to 1 s later.
        self.beats_arrived = beats
        return polls

    def tick(self, now: float | None = None) -> Features:
        now = self.clock() if now is None else now
        # A stream the watchdog calls stale is never read, however young its last window.
        alive = set(map(id, self.acquisition.readers.values()))  # dropped readers are not read
        stale = {
            kind for kind, reader in self.signals.items() if reader.status is Status.STALE or id(reader) not in alive
        }
        windows = {kind: reader.window(WINDOW_S, end=now) for kind, reader in self.signals.items() if kind not in stale}
        features = self.extractor.tick(now, windows)
        quality = {**features.quality, **{kind: Quality(0.0, "stale") for kind in stale}}
        return replace(features, quality=quality)

    def close(self) -> None:
        self.acquisition.close()
