"""A fixed-size ring of (timestamp, values) for one stream; the newest data overwrites the
oldest. Pushes and reads are vectorised numpy copies (at most two slices each); nothing is
allocated per sample.

Timestamps must not go backwards: samples older than the newest one already stored are
dropped and counted (``dropped``), because every window is found by binary search on time.
"""

from __future__ import annotations

import math

import numpy as np

from sensors.types import Window


class RingBuffer:
    """The last ``seconds`` of a stream at ``rate`` Hz, or the last ``capacity`` samples.

    Irregular streams (``rate`` 0: RR intervals, markers) have no duration, so they need a
    ``capacity`` in samples.
    """

    def __init__(
        self,
        seconds: float | None = None,
        rate: float = 0.0,
        channels: int = 1,
        *,
        capacity: int | None = None,
        unit: str = "",
    ):
        if capacity is None:
            if not (rate and rate > 0 and seconds and seconds > 0):
                raise ValueError(
                    f"RingBuffer needs seconds > 0 and rate > 0, or capacity= in samples "
                    f"(irregular streams); got seconds={seconds}, rate={rate}"
                )
            capacity = math.ceil(seconds * rate) + 1  # +1: a full window holds both ends
        if capacity < 1 or channels < 1:
            raise ValueError(f"capacity and channels must be >= 1; got {capacity}, {channels}")
        self.rate = float(rate)
        self.unit = unit
        self.capacity = int(capacity)
        self.channels = int(channels)
        self._t = np.zeros(self.capacity, dtype=np.float64)
        self._v = np.zeros((self.capacity, self.channels), dtype=np.float64)
        self._head = 0  # next physical write position
        self._size = 0
        self.total = 0  # samples accepted since creation
        self.dropped = 0  # samples refused because their time went backwards
        self._unread = 0

    # --- writing ---------------------------------------------------------------------------
    def push(self, times: np.ndarray, values: np.ndarray, *, ordered: bool = False) -> int:
        """Append a chunk (times (n,), values (n, channels) or (n,)); returns samples kept.

        ``ordered=True`` promises the chunk's own times never decrease (skips that check).
        """
        times = np.asarray(times, dtype=np.float64).reshape(-1)
        values = np.asarray(values)
        if values.ndim == 1 and self.channels == 1:
            values = values.reshape(-1, 1)
        if values.ndim != 2 or values.shape != (times.shape[0], self.channels):
            raise ValueError(f"push needs values of shape ({times.shape[0]}, {self.channels}); got {values.shape}")
        n = times.shape[0]
        if n == 0:
            return 0
        last = self._t[(self._head - 1) % self.capacity] if self._size else -math.inf
        if times[0] < last or (n > 1 and not ordered and bool((np.diff(times) < 0).any())):
            running = np.maximum.accumulate(np.concatenate(([last], times)))[:-1]
            keep = times >= running
            self.dropped += int(n - keep.sum())
            times, values = times[keep], values[keep]
            n = times.shape[0]
            if n == 0:
                return 0
        self.total += n
        self._unread += n
        if n > self.capacity:
            times, values = times[-self.capacity :], values[-self.capacity :]
        m = times.shape[0]
        first = min(m, self.capacity - self._head)
        self._t[self._head : self._head + first] = times[:first]
        self._v[self._head : self._head + first] = values[:first]
        if m > first:
            self._t[: m - first] = times[first:]
            self._v[: m - first] = values[first:]
        self._head = (self._head + m) % self.capacity
        self._size = min(self.capacity, self._size + m)
        return n

    def clear(self) -> None:
        self._head = self._size = self._unread = 0

    # --- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._size

    @property
    def n_new(self) -> int:
        """Samples pushed since the last ``window``/``new`` read (may exceed ``len``)."""
        return self._unread

    @property
    def newest_time(self) -> float:
        return float(self._t[(self._head - 1) % self.capacity]) if self._size else math.nan

    @property
    def oldest_time(self) -> float:
        return float(self._t[self._start]) if self._size else math.nan

    @property
    def _start(self) -> int:
        return (self._head - self._size) % self.capacity

    def _segments(self) -> tuple[slice, slice]:
        """Physical slices of the logical (oldest-first) order: older part, then newer part."""
        start, end = self._start, self._start + self._size
        if end <= self.capacity:
            return slice(start, end), slice(0, 0)
        return slice(start, self.capacity), slice(0, end - self.capacity)

    def _count_le(self, t: float) -> int:
        """How many stored samples have time <= t (both segments are sorted, older first)."""
        older, newer = self._segments()
        return int(np.searchsorted(self._t[older], t, side="right") + np.searchsorted(self._t[newer], t, side="right"))

    def _copy(self, i0: int, i1: int) -> tuple[np.ndarray, np.ndarray]:
        """Logical samples [i0, i1) as fresh arrays (times (n,), values (n, channels))."""
        n = max(0, i1 - i0)
        p0 = (self._start + i0) % self.capacity
        first = min(n, self.capacity - p0)
        times = np.empty(n, dtype=np.float64)
        values = np.empty((n, self.channels), dtype=np.float64)
        times[:first] = self._t[p0 : p0 + first]
        values[:first] = self._v[p0 : p0 + first]
        times[first:] = self._t[: n - first]
        values[first:] = self._v[: n - first]
        return times, values

    def _window(self, times: np.ndarray, values: np.ndarray, channel: int) -> Window:
        if not -self.channels <= channel < self.channels:
            raise IndexError(f"channel {channel} out of range for {self.channels} channel(s)")
        return Window(times, np.ascontiguousarray(values[:, channel]), self.rate, self.unit)

    def window(self, seconds: float, channel: int = 0, end: float | None = None) -> Window:
        """Samples with ``end - seconds < t <= end`` (``end``: the newest sample by default).

        Reading marks everything as read (``n_new`` becomes 0).
        """
        self._unread = 0
        if not self._size:
            return self._window(np.empty(0), np.empty((0, self.channels)), channel)
        end = self.newest_time if end is None else float(end)
        i0, i1 = self._count_le(end - seconds), self._count_le(end)
        return self._window(*self._copy(i0, i1), channel)

    def latest(self, n: int, channel: int = 0) -> Window:
        """The newest ``n`` samples (fewer if fewer are stored)."""
        n = min(max(0, int(n)), self._size)
        return self._window(*self._copy(self._size - n, self._size), channel)

    def new(self, channel: int = 0) -> Window:
        """Samples pushed since the last read (capped at the capacity), then marks them read."""
        n = min(self._unread, self._size)
        self._unread = 0
        return self._window(*self._copy(self._size - n, self._size), channel)


class Tape:
    """Parallel float64 histories (a detector's filtered signals and their times) kept
    contiguous in one preallocated array, so that a detector can slice and search them.

    Appending writes after the newest sample; ``drop`` forgets the oldest ones by moving a
    start offset. Only when the free room at the end runs out are the kept samples moved
    to the front (one copy of at most ``keep`` samples per ``keep`` appended, instead of
    copying the whole history on every push); a chunk larger than the room grows the
    array. ``columns()`` returns views of the kept samples, valid until the next append.
    """

    def __init__(self, channels: int, keep: int):
        if channels < 1 or keep < 1:
            raise ValueError(f"Tape needs channels >= 1 and keep >= 1; got {channels}, {keep}")
        self._buf = np.empty((channels, 2 * keep + 64), dtype=np.float64)
        self._lo = self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    def append(self, *columns: np.ndarray) -> None:
        """One array per channel, all of the same length."""
        n = len(columns[0])
        if self._hi + n > self._buf.shape[1]:
            live = self._hi - self._lo
            if live + n > self._buf.shape[1] // 2:  # keep room for as much again
                grown = np.empty((self._buf.shape[0], 2 * (live + n) + 64), dtype=np.float64)
                grown[:, :live] = self._buf[:, self._lo : self._hi]
                self._buf = grown
            else:
                self._buf[:, :live] = self._buf[:, self._lo : self._hi]
            self._lo, self._hi = 0, live
        for row, col in zip(self._buf, columns):
            row[self._hi : self._hi + n] = col
        self._hi += n

    def drop(self, n: int) -> None:
        """Forget the oldest ``n`` samples."""
        self._lo = min(self._hi, self._lo + max(0, int(n)))

    def columns(self) -> tuple[np.ndarray, ...]:
        return tuple(row[self._lo : self._hi] for row in self._buf)
