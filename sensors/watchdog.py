"""Staleness: is a stream alive *now*, judged by the age of its newest sample.

LSL gives no error when a device freezes or its app dies: an inlet with ``recover=True``
just delivers nothing (LSL's own watchdog waits 15 s before it even tries to reconnect).
So vrex judges every stream by its timestamps, on LSL's clock:

* expected interval: ``1/rate`` for a regular stream; for an irregular one it must be
  given (RR intervals: a beat at least every 2 s, i.e. heart rate above 30 bpm).
* ``stale_after = expected interval + grace``. The grace (default 1.0 s) is the floor for
  fast streams, where 1/rate is tiny: it absorbs chunked delivery (a Polar H10 sends ECG
  in packets about 0.5 s apart) and scheduling jitter. A stream is marked stale at the
  first ``check`` after ``newest sample + stale_after``, so detection comes ``grace`` plus
  at most one poll interval after the last expected sample: 1.0 s + poll by default,
  inside the issue's 1.5 s.
* a sample is *fresh* when it arrives at most ``stale_after`` old; an older one is part of
  a backlog (after a freeze the device's queue arrives in a burst). Old samples are real
  data about the past, so they are counted and reported, but they never make a stream
  look alive and never count as recovery.
* after staleness, recovery needs ``confirm`` fresh samples (default 2: proof that data is
  flowing again, not one straggler). The first data after start-up needs just one.
* timestamps ahead of the clock (a misbehaving outlet or a bad timestamp model) count as
  arriving now, never later, so they cannot keep a dead stream alive.
* completeness: a regular stream can be alive and still deliver a fraction of what it
  declares (a 32 Hz sensor sending 1 sample a second over a failing link). Over the last
  ``completeness_window`` seconds of fresh timestamps (5 s; judged once that much has
  arrived) the delivered rate is compared with the declared one: below
  ``sensors.quality.MIN_COMPLETENESS`` of it the stream is ``incomplete`` (an event says
  "receiving 1.0 samples/s of 32 nominal"; ``usable`` is False), and it is complete again
  from ``GOOD_COMPLETENESS``. ``sensors.quality`` holds each window to the same rule, so the
  features computed from such a stream are NaN with that reason.

The watchdog never reads a clock by itself other than through ``clock`` (a callable that
returns now on LSL's clock), so tests can drive time by hand.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .quality import GOOD_COMPLETENESS, MIN_COMPLETENESS

DEFAULT_GRACE_S = 1.0
COMPLETENESS_WINDOW_S = 5.0  # delivered rate measured over this much data
# Irregular streams: the longest normal wait for the next sample.
DEFAULT_IRREGULAR_INTERVAL_S = {"rr": 2.0}  # a beat at least every 2 s (HR > 30 bpm)
FUTURE_TOLERANCE_S = 0.05  # clock sync is ms-accurate; beyond this is wrong


class Status(enum.Enum):
    NO_DATA = "no data"  # nothing fresh has ever arrived
    OK = "ok"
    STALE = "stale"


@dataclass(frozen=True)
class Event:
    """Something a therapist or the recorder should know about one stream."""

    time: float  # when it was noticed (the watchdog's clock)
    stream: str
    kind: str  # watchdog: 'stale', 'recovered', 'old', 'future', 'gap',
    # 'incomplete', 'complete';
    # reader: 'nonfinite', 'units', 'future' (dropped)
    message: str


@dataclass(frozen=True)
class Arrival:
    """How one chunk of timestamps was judged."""

    fresh: int = 0
    old: int = 0
    future: int = 0
    newest_age: float = math.nan  # now - newest timestamp of the chunk
    oldest_age: float = math.nan


_NOTHING = Arrival()


class Watchdog:
    """Tracks one stream: feed it every chunk's timestamps, call ``check`` every poll."""

    def __init__(
        self,
        stream: str,
        rate: float,
        *,
        clock: Callable[[], float],
        expected_interval: float | None = None,
        grace: float = DEFAULT_GRACE_S,
        confirm: int = 2,
        max_events: int = 100,
        completeness_window: float = COMPLETENESS_WINDOW_S,
    ):
        if expected_interval is None:
            if not rate or rate <= 0:
                raise ValueError(
                    f"stream '{stream}' is irregular (rate 0): give expected_interval, the "
                    f"longest normal wait in seconds for its next sample (RR: 2.0)"
                )
            expected_interval = 1.0 / rate
        if expected_interval <= 0 or grace <= 0 or confirm < 1 or not completeness_window > 0:
            raise ValueError(
                f"expected_interval, grace and completeness_window must be > 0 and "
                f"confirm >= 1; got {expected_interval}, {grace}, "
                f"{completeness_window}, {confirm}"
            )
        self.stream = stream
        self.rate = float(rate)
        self.expected_interval = float(expected_interval)
        self.grace = float(grace)
        self.stale_after = self.expected_interval + self.grace
        self.confirm = int(confirm)
        self.clock = clock
        self.status = Status.NO_DATA
        self.last_time = math.nan  # newest fresh sample, clamped to its arrival time
        self.last_arrival = math.nan  # when any sample last arrived
        self.stale_since = math.nan  # when the stream became stale (last + stale_after)
        self.detected_at = math.nan  # when that was noticed
        self.fresh_total = 0
        self.old_total = 0
        self.future_total = 0
        self._confirming = 0
        self._newest_seen = -math.inf  # newest timestamp of any sample (for gaps)
        self.completeness_window = float(completeness_window)
        self.delivered_rate = math.nan  # fresh samples/s over the window; NaN: not judged yet
        self.incomplete = False
        self._fresh_times: deque[np.ndarray] = deque()  # per chunk, the last window's worth
        self._fresh_held = 0
        self._first_fresh = math.nan
        self.events: deque[Event] = deque(maxlen=max_events)
        self._last_emitted: dict[str, float] = {}

    # --- feeding -------------------------------------------------------------------------
    def arrived(self, times: np.ndarray, now: float | None = None) -> Arrival:
        """Judge a chunk of timestamps (LSL clock, already clock-synchronised)."""
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        n = times.size
        if n == 0:
            return _NOTHING
        now = self.clock() if now is None else now
        self.last_arrival = now
        # Two reductions settle the usual chunk (all fresh); counting is for the rare one.
        oldest, newest = float(times.min()), float(times.max())
        n_old = 0 if now - oldest <= self.stale_after else int(np.count_nonzero(times < now - self.stale_after))
        n_future = 0 if newest - now <= FUTURE_TOLERANCE_S else int(np.count_nonzero(times > now + FUTURE_TOLERANCE_S))
        n_fresh = n - n_old
        first = float(times[0])
        if self._newest_seen > -math.inf and first - self._newest_seen > self.stale_after:
            self._emit(
                now,
                "gap",
                f"no samples between {self._newest_seen:.3f} and "
                f"{first:.3f} ({first - self._newest_seen:.2f} s of data missing)",
            )
        self._newest_seen = max(self._newest_seen, newest)
        if n_future:
            self.future_total += n_future
            self._emit_limited(
                now,
                "future",
                f"{n_future} sample(s) stamped up to {newest - now:.3f} s ahead of this clock; treated as arriving now",
            )
        if n_old:
            self.old_total += n_old
            self._emit_limited(
                now,
                "old",
                f"{n_old} sample(s) arrived {now - oldest:.2f} s old "
                f"(backlog, e.g. after a freeze); kept as past data, not as a "
                f"sign of life",
            )
        if n_fresh:
            self.fresh_total += n_fresh
            if self.rate > 0:
                self._hold_fresh(times if not n_old else times[times >= now - self.stale_after], now)
            newest_fresh = min(newest, now)
            if math.isnan(self.last_time) or newest_fresh > self.last_time:
                self.last_time = newest_fresh
            self._on_fresh(n_fresh, now)
        return Arrival(n_fresh, n_old, n_future, now - newest, now - oldest)

    def _hold_fresh(self, times: np.ndarray, now: float) -> None:
        held = np.minimum(times, now)  # stamped ahead: counts as arriving now
        self._fresh_times.append(held)
        self._fresh_held += held.size
        if math.isnan(self._first_fresh):
            self._first_fresh = float(held.min())
        # Bounded even if nobody calls check(): only the last window's worth is kept.
        lo = float(held[-1]) - self.completeness_window
        while len(self._fresh_times) > 1 and self._fresh_times[0][-1] <= lo:
            self._fresh_held -= self._fresh_times.popleft().size

    def _judge_completeness(self, now: float) -> None:
        """Delivered rate over the window that ends at the newest fresh sample."""
        lo = self.last_time - self.completeness_window
        chunks = self._fresh_times
        while chunks and chunks[0][-1] <= lo:
            self._fresh_held -= chunks.popleft().size
        if not chunks or self._first_fresh > lo:
            return  # less than a window seen: no verdict yet
        inside = self._fresh_held - int(np.count_nonzero(chunks[0] <= lo))
        self.delivered_rate = inside / self.completeness_window
        share = self.delivered_rate / self.rate
        if not self.incomplete and share < MIN_COMPLETENESS:
            self.incomplete = True
            self._emit(
                now,
                "incomplete",
                f"{self._receiving()} (under {MIN_COMPLETENESS:.0%} of "
                f"it over {self.completeness_window:g} s): not usable; check the device's "
                f"link or its declared rate",
            )
        elif self.incomplete and share >= GOOD_COMPLETENESS:
            self.incomplete = False
            self._emit(now, "complete", f"{self._receiving()} again")

    def _receiving(self) -> str:
        return f"receiving {self.delivered_rate:.1f} samples/s of {self.rate:g} nominal"

    def _on_fresh(self, n_fresh: int, now: float) -> None:
        if self.status is Status.OK:
            return
        if self.status is Status.NO_DATA:
            self.status = Status.OK
            return
        self._confirming += n_fresh
        if self._confirming >= self.confirm:
            outage = now - self.stale_since
            self.status = Status.OK
            self._confirming = 0
            self._emit(now, "recovered", f"fresh data again after {outage:.2f} s stale")

    # --- judging -------------------------------------------------------------------------
    def check(self, now: float | None = None) -> Status:
        """Mark the stream stale if its newest fresh sample is older than ``stale_after``."""
        now = self.clock() if now is None else now
        if self.status is Status.OK and now - self.last_time > self.stale_after:
            self.status = Status.STALE
            self.stale_since = self.last_time + self.stale_after
            self.detected_at = now
            self._confirming = 0
            self._emit(
                now, "stale", f"no fresh sample for {now - self.last_time:.2f} s (limit {self.stale_after:.2f} s)"
            )
            # The gap is staleness, not incompleteness: judge the delivered rate afresh,
            # over a whole window of the data that follows it.
            self._fresh_times.clear()
            self._fresh_held = 0
            self._first_fresh = self.delivered_rate = math.nan
            self.incomplete = False
        elif self.status is Status.STALE and self._confirming and now - self.last_time > self.stale_after:
            self._confirming = 0  # the straggler was not followed by more data
        if self.status is Status.OK and self.rate > 0:
            self._judge_completeness(now)
        return self.status

    def age(self, now: float | None = None) -> float:
        """Seconds since the newest fresh sample (inf before any)."""
        now = self.clock() if now is None else now
        return math.inf if math.isnan(self.last_time) else now - self.last_time

    @property
    def usable(self) -> bool:
        return self.status is Status.OK and not self.incomplete

    def describe(self, now: float | None = None) -> str:
        if self.status is Status.NO_DATA:
            if self.old_total:
                return (
                    f"'{self.stream}': samples arrive but all are more than "
                    f"{self.stale_after:.2f} s old; does the outlet stamp them with "
                    f"LSL's local_clock()?"
                )
            return f"'{self.stream}': no data yet"
        incomplete = f", incomplete: {self._receiving()}" if self.incomplete else ""
        return f"'{self.stream}': {self.status.value}{incomplete}, newest sample {self.age(now):.2f} s old"

    def pop_events(self) -> list[Event]:
        events = list(self.events)
        self.events.clear()
        return events

    def _emit_limited(self, now: float, kind: str, message: str) -> None:
        """At most one event of this kind per second (totals keep the exact counts)."""
        if now - self._last_emitted.get(kind, -math.inf) >= 1.0:
            self._last_emitted[kind] = now
            self._emit(now, kind, message)

    def _emit(self, now: float, kind: str, message: str) -> None:
        self.events.append(Event(now, self.stream, kind, f"stream '{self.stream}': {message}"))
