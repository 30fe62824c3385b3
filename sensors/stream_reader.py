"""One numeric signal read from LSL: ``StreamReader`` pulls what its inlet has, converts it
to the signal's canonical unit, stores it in a ring buffer and has a watchdog judge its
staleness and completeness; each ``poll()`` says what it found in a ``Poll``. A stream
that is not a signal vrex reads (a marker or string stream, an ECG/PPG/EDA/RESP stream
without a nominal rate, the wrong channel count) is refused when the reader is made, with
the stream named. Samples stamped over ``FUTURE_DROP_S`` in the future are dropped and
samples with NaN or inf stored as NaN, each with an event saying so. ``sensors.acquire`` polls several readers
together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensors import lsl
from sensors.buffer import RingBuffer
from sensors.errors import SensorError, StreamFormatError
from sensors.types import StreamSpec, Window
from sensors.units import IRREGULAR, NEEDS_RATE, Conversion, canonical_kind, conversion
from sensors.watchdog import (
    COMPLETENESS_WINDOW_S,
    DEFAULT_GRACE_S,
    DEFAULT_IRREGULAR_INTERVAL_S,
    Event,
    Status,
    Watchdog,
)

DEFAULT_SECONDS = 120.0  # ring buffer: the longest feature window plus margin
MAX_IRREGULAR_RATE = 5.0  # RR capacity: up to 300 bpm
FUTURE_DROP_S = 1.0  # samples stamped further ahead than this are dropped


@dataclass(frozen=True)
class Poll:
    """What one ``poll`` found for one stream."""

    stream: str
    new: int = 0  # samples stored (fresh and old)
    old: int = 0  # of which arrived as backlog
    nonfinite: int = 0  # samples with NaN or inf in any channel (stored as NaN)
    status: Status = Status.NO_DATA
    events: tuple[Event, ...] = ()
    error: SensorError | None = None  # set when the stream failed and was dropped
    incomplete: bool = False  # alive, but delivering under MIN_COMPLETENESS of its rate


def _check_signal(spec: StreamSpec, kind: str | None, channels: int | None) -> str:
    what = spec.describe()
    if kind is None or kind == "markers":
        raise StreamFormatError(
            f"{what}: type '{spec.type}' is not a signal vrex reads; expected ECG, PPG/BVP, "
            f"EDA/GSR, RESP or RR (set kind= if the type is just spelled differently)"
        )
    if spec.channel_format == "string":
        raise StreamFormatError(
            f"{what}: sends strings, but a {kind.upper()} signal must be "
            f"numeric (float32, double64 or an integer format)"
        )
    if kind in NEEDS_RATE and not spec.rate > 0:
        raise StreamFormatError(
            f"{what}: declares an irregular rate (0), but a {kind.upper()} "
            f"signal needs its nominal sampling rate; fix the outlet"
        )
    if channels is not None and spec.channel_count != channels:
        raise StreamFormatError(f"{what}: has {spec.channel_count} channel(s), expected {channels}")
    return kind


class StreamReader:
    """One numeric signal: pulls, converts to canonical units, stores, judges staleness."""

    def __init__(
        self,
        inlet: lsl.Inlet,
        *,
        kind: str | None = None,
        seconds: float = DEFAULT_SECONDS,
        capacity: int | None = None,
        channels: int | None = None,
        expected_interval: float | None = None,
        grace: float = DEFAULT_GRACE_S,
        confirm: int = 2,
        completeness_window: float = COMPLETENESS_WINDOW_S,
        clock: Callable[[], float] = lsl.local_clock,
    ):
        spec = inlet.spec
        self.inlet, self.spec, self.name, self.clock = inlet, spec, spec.name, clock
        self.kind = _check_signal(spec, canonical_kind(kind or spec.type), channels)
        self.labels = (
            spec.labels
            if len(spec.labels) == spec.channel_count
            else tuple(f"ch{i + 1}" for i in range(spec.channel_count))
        )
        units = spec.units if len(spec.units) == spec.channel_count else ("",) * spec.channel_count
        self.conversions: tuple[Conversion, ...] = tuple(
            conversion(self.kind, u, stream=self.name, channel=label) for u, label in zip(units, self.labels)
        )
        irregular = self.kind in IRREGULAR or spec.rate <= 0
        if irregular:
            capacity = capacity or math.ceil(seconds * MAX_IRREGULAR_RATE)
            expected_interval = expected_interval or DEFAULT_IRREGULAR_INTERVAL_S.get(self.kind)
        rate = 0.0 if irregular else spec.rate
        self.buffer = RingBuffer(seconds, rate, spec.channel_count, capacity=capacity, unit=self.conversions[0].unit)
        self.watchdog = Watchdog(
            self.name,
            rate,
            clock=clock,
            expected_interval=expected_interval,
            grace=grace,
            confirm=confirm,
            completeness_window=completeness_window,
        )
        self._scratch = np.empty((inlet.max_pull, spec.channel_count), dtype=np.float64)
        factors = np.array([1.0 if c.reciprocal else c.factor for c in self.conversions])
        self._scale = None if np.all(factors == 1.0) else factors
        self._reciprocal = [(i, c) for i, c in enumerate(self.conversions) if c.reciprocal]
        self._float_input = np.issubdtype(inlet.dtype, np.floating)
        self.nonfinite_total = 0
        self._events: list[Event] = []
        assumed = [c for c in self.conversions if c.assumed]
        if assumed:
            self._event(
                clock(),
                "units",
                f"declares no unit; assuming {assumed[0].unit} "
                f"(set desc/channels/channel/unit in the outlet to be sure)",
            )

    def _event(self, now: float, kind: str, message: str) -> None:
        self._events.append(Event(now, self.name, kind, f"stream '{self.name}': {message}"))

    def poll(self, now: float | None = None) -> Poll:
        """Drain the inlet, store what arrived, and judge staleness at ``now`` (default: the
        clock, read after each pull so that nothing pulled can seem to come from the future)."""
        fixed = now
        new = old = nonfinite = 0
        while True:
            times, raw = self.inlet.pull(fixed)
            n = len(times)
            if n == 0:
                break
            now = self.clock() if fixed is None else fixed
            kept, n_old, n_bad = self._ingest(times, raw, now)
            new, old, nonfinite = new + kept, old + n_old, nonfinite + n_bad
            if n < self.inlet.max_pull:
                break
        self.nonfinite_total += nonfinite
        now = self.clock() if fixed is None else fixed
        was = self.watchdog.status
        status = self.watchdog.check(now)
        if status is Status.STALE and was is not Status.STALE:
            # Whatever comes next (a restart, a backlog) breaks LSL's sample-index timing.
            self.inlet.reset_smoothing(monotonize=True)
        events: tuple = ()
        if self._events or self.watchdog.events:
            events = tuple(self._events) + tuple(self.watchdog.pop_events())
            self._events.clear()
        return Poll(self.name, new, old, nonfinite, status, events, incomplete=self.watchdog.incomplete)

    def _ingest(self, times: np.ndarray, raw: np.ndarray, now: float) -> tuple[int, int, int]:
        n = len(times)
        values = self._scratch[:n]
        values[...] = raw
        if float(times.max()) > now + FUTURE_DROP_S:
            # Impossible stamps (a wrong clock offset): stored, they would block every later
            # sample as "going backwards".
            keep = times <= now + FUTURE_DROP_S
            self._event(
                now,
                "future",
                f"dropped {n - int(keep.sum())} sample(s) stamped more than {FUTURE_DROP_S:g} s in the future",
            )
            times, values = times[keep], values[keep]
        n_bad = 0
        # One sum is finite exactly when every value is (short of overflow, which only sends
        # us to the full check): the usual chunk costs one reduction.
        if self._float_input and not math.isfinite(float(values.sum())):
            bad = ~np.isfinite(values)
            if bad.any():
                n_bad = int(np.count_nonzero(bad.any(axis=1)))
                values[bad] = np.nan
                channels = [self.labels[i] for i in np.flatnonzero(bad.any(axis=0))]
                self._event(
                    now,
                    "nonfinite",
                    f"{n_bad} sample(s) with NaN or inf in {', '.join(channels)}; stored as NaN (not usable)",
                )
        if self._scale is not None:
            values *= self._scale
        for i, conv in self._reciprocal:
            conv.apply(values[:, i], out=values[:, i])
        n_old = self.watchdog.arrived(times, now).old
        return self.buffer.push(times, values), n_old, n_bad

    # --- reading ---------------------------------------------------------------------------
    def channel_index(self, channel: int | str) -> int:
        if isinstance(channel, str):
            if channel not in self.labels:
                raise KeyError(
                    f"stream '{self.name}' has no channel '{channel}'; its channels: {', '.join(self.labels)}"
                )
            return self.labels.index(channel)
        return channel

    def window(self, seconds: float, channel: int | str = 0, end: float | None = None) -> Window:
        return self.buffer.window(seconds, self.channel_index(channel), end)

    def new(self, channel: int | str = 0) -> Window:
        return self.buffer.new(self.channel_index(channel))

    @property
    def status(self) -> Status:
        return self.watchdog.status

    def age(self, now: float | None = None) -> float:
        return self.watchdog.age(now)

    @property
    def incomplete(self) -> bool:
        """Alive but delivering under ``MIN_COMPLETENESS`` of its declared rate."""
        return self.watchdog.incomplete

    @property
    def delivered_rate(self) -> float:
        """Fresh samples per second over the watchdog's completeness window (NaN: not yet)."""
        return self.watchdog.delivered_rate

    def close(self) -> None:
        self.inlet.close()
