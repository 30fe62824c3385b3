"""Publish simulated physiology or a recording as live LSL streams, in real time or faster.

Both publishers keep one rule about time: a sample's LSL time stamp is the publisher's
start time plus the sample's own time in the session (simulated seconds, or seconds into
the recording). At ``speed`` K the samples go out K times faster, so their stamps run
ahead of the wall clock by the same factor; a consumer that runs at the same speed (the
demo's simulated clock) sees a normal session. At speed 1 they are ordinary live streams.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensors import lsl
from sensors.errors import SensorError
from sensors.recording_types import Recording
from sensors.types import StreamSpec
from sensors.waveforms import PhysiologySynth

Clock = Callable[[], float]

SIGNALS = {  # signal -> (LSL type, unit, label)
    "ecg": ("ECG", "mV", "lead II"),
    "ppg": ("PPG", "normalised", "finger"),
    "eda": ("EDA", "uS", "palm"),
    "resp": ("RESP", "normalised", "chest belt"),
}


@dataclass
class _Out:
    outlet: lsl.Outlet
    sent: int = 0  # samples (or beats) already published


class _Publisher:
    def __init__(self, speed: float, clock: Clock):
        if not speed > 0:
            raise SensorError(f"speed must be above 0, got {speed}")
        self.speed = speed
        self.clock = clock
        self.start = clock()

    def session_time(self, now: float | None = None) -> float:
        """Seconds of session (simulated or recorded) that should have been published by now."""
        return ((self.clock() if now is None else now) - self.start) * self.speed

    def run(self, seconds: float, tick: float = 0.02, on_tick: Callable[[float], None] | None = None) -> None:
        """Publish until ``seconds`` of session time have gone out (wall time ÷ speed)."""
        while True:
            t = self.step()
            if on_tick is not None:
                on_tick(t)
            if t >= seconds:
                return
            time.sleep(tick)

    def step(self) -> float:
        raise NotImplementedError


class SimulatedPublisher(_Publisher):
    """ECG, PPG, EDA, respiration and RR intervals from a ``PhysiologySynth``."""

    def __init__(
        self,
        synth: PhysiologySynth,
        *,
        prefix: str = "vrex-sim",
        source: str = "vrex-sim",
        speed: float = 1.0,
        clock: Clock = lsl.local_clock,
        chunk_seconds: float = 0.02,
    ):
        super().__init__(speed, clock)
        self.synth = synth
        self.done = 0.0  # session time published so far
        self.outs: dict[str, _Out] = {}
        for name, rate in synth.rates.items():
            kind, unit, label = SIGNALS[name]
            spec = StreamSpec(
                name=f"{prefix}-{name}",
                type=kind,
                rate=rate,
                channel_count=1,
                channel_format="float32",
                source_id=f"{source}-{name}",
                labels=(label,),
                units=(unit,),
            )
            self.outs[name] = _Out(lsl.make_outlet(spec, chunk_size=max(1, int(rate * chunk_seconds))))
        rr = StreamSpec(
            name=f"{prefix}-rr",
            type="RR",
            rate=0.0,
            channel_count=1,
            channel_format="float32",
            source_id=f"{source}-rr",
            labels=("RR",),
            units=("ms",),
        )
        self.outs["rr"] = _Out(lsl.make_outlet(rr))

    def step(self, now: float | None = None) -> float:
        target = self.session_time(now)
        if target <= self.done:
            return self.done
        chunk = self.synth.chunk(self.done, target)
        for name, (times, values) in chunk.items():
            if len(times):
                self.outs[name].outlet.push(values.astype(np.float32), self.start + times)
        beats = self.synth.beats
        first, last = bisect_left(beats, self.done), bisect_left(beats, target)
        dropouts = self.synth.artefacts.dropouts
        for index in range(max(1, first), last):  # an RR interval is known at its closing beat
            if any(a <= beats[index] < b for a, b in dropouts):
                continue  # a dropout silences every stream, RR included
            rr_ms = (beats[index] - beats[index - 1]) * 1000.0
            self.outs["rr"].outlet.push_sample([rr_ms], self.start + beats[index])
        self.done = target
        return target

    def close(self) -> None:
        for out in self.outs.values():
            out.outlet.close()


class RecordingPublisher(_Publisher):
    """Every stream of a recording, with its original timing (or ``speed`` times faster)."""

    def __init__(self, recording: Recording, *, speed: float = 1.0, clock: Clock = lsl.local_clock, loop: bool = False):
        super().__init__(speed, clock)
        self.recording = recording
        self.loop = loop
        self.outs: list[tuple[_Out, np.ndarray, np.ndarray]] = []
        for s in recording.streams:
            spec = StreamSpec(
                name=s.spec.name,
                type=s.spec.type,
                rate=s.spec.rate,
                channel_count=s.values.shape[1],
                channel_format=s.spec.channel_format,
                source_id=s.spec.source_id or f"vrex-replay:{recording.path.name}:{s.spec.name}",
                labels=s.spec.labels,
                units=s.spec.units,
            )
            rel = s.times - recording.start
            self.outs.append((_Out(lsl.make_outlet(spec)), rel, s.values))

    def step(self, now: float | None = None) -> float:
        target = self.session_time(now)
        duration = self.recording.duration
        for out, rel, values in self.outs:
            n = len(rel)
            while True:
                lap, index = divmod(out.sent, n)
                if not self.loop and lap > 0:
                    break
                offset = lap * (duration + (rel[1] - rel[0] if n > 1 else 0.0))
                end = int(np.searchsorted(rel, target - offset, side="right"))
                if end <= index:
                    break
                stamps = self.start + offset + rel[index:end]
                if values.dtype == object:
                    for stamp, row in zip(stamps, values[index:end]):
                        out.outlet.push_sample([str(v) for v in row], float(stamp))
                else:
                    out.outlet.push(values[index:end], stamps)
                out.sent += end - index
                if end < n:
                    break
        return target

    @property
    def finished(self) -> bool:
        return not self.loop and all(out.sent >= len(rel) for out, rel, _ in self.outs)

    def close(self) -> None:
        for out, _, _ in self.outs:
            out.outlet.close()
