"""Causal systolic-peak detection for streaming PPG/BVP (same contract as ``sensors.peaks``:
chunk-invariant, time comes in with the samples; each sample filtered once, the history
kept in a preallocated ``Tape``)."""

from __future__ import annotations

import numpy as np
from scipy import signal

from . import filters
from .buffer import Tape
from .peaks import SampleCleaner, check_rate


class PulseDetector:
    """Streaming systolic-peak detector for PPG/BVP: Elgendi et al. (2013, PLoS One
    8:e76585), made causal.

    Band-pass 0.5–8 Hz → keep the positive part S → square → two moving averages, 111 ms
    (systolic peak) and 667 ms (beat), aligned on their centres. Where the short one
    exceeds the long one plus β·mean(S²) (β = 0.02; the mean is a 10 s running mean here)
    is a block of interest; a block at least 111 ms long holds one pulse, at the maximum of
    S. The pulse is then placed on the maximum of the unfiltered wave from 150 ms before to
    50 ms after that sample (the causal band-pass shifts the peak by a shape-dependent few
    tens of ms). Pulses closer than 250 ms (240 bpm) to the previous one are dropped.

    Latency: about 0.5 s. Rates 25 Hz – 2 kHz.
    """

    BETA = 0.02
    MIN_GAP_S = 0.25
    MAX_BLOCK_S = 2.0

    def __init__(self, rate: float):
        fs = self.rate = check_rate(rate, 25.0, 2000.0, "Pulse detection")
        self._in = SampleCleaner()
        self._sos = signal.butter(2, [0.5, 8.0], "bandpass", fs=fs, output="sos")
        self._w1 = max(2, round(0.111 * fs))
        self._w2 = max(self._w1 + 1, round(0.667 * fs))
        self._d1, self._d2 = (self._w1 - 1) // 2, (self._w2 - 1) // 2
        self._b1, self._b2 = np.full(self._w1, 1.0 / self._w1), np.full(self._w2, 1.0 / self._w2)
        a = 1.0 / (10.0 * fs)
        self._ema = (np.array([a]), np.array([1.0, a - 1.0]))
        self._back, self._ahead = round(0.15 * fs), round(0.05 * fs)
        self._gap = round(self.MIN_GAP_S * fs)
        self._max_block = round(self.MAX_BLOCK_S * fs)
        self._keep = self._max_block + self._w2 + self._back + 2
        self._zi: np.ndarray | None = None
        self._zi1 = np.zeros(self._w1 - 1)
        self._zi2 = np.zeros(self._w2 - 1)
        self._zim = np.zeros(1)
        self._start = 0
        self._tape = Tape(5, self._keep)
        self._s, self._x, self._t, self._ma1, self._thr = self._tape.columns()
        self._next = 0  # next centre index to classify
        self._block: int | None = None  # start index of the block we are in
        self._last = -(10**12)

    def push(self, times, values) -> np.ndarray:
        """Add samples; return the times of the pulses confirmed by them."""
        t, x = self._in.clean(times, values)
        if x.size == 0:
            return np.empty(0)
        if self._zi is None:
            self._zi = signal.sosfilt_zi(self._sos) * x[0]
        s, self._zi = filters.sosfilt(self._sos, x, self._zi)
        np.maximum(s, 0.0, out=s)
        y = s * s
        ma1, self._zi1 = filters.fir(self._b1, y, self._zi1)
        ma2, self._zi2 = filters.fir(self._b2, y, self._zi2)
        m, self._zim = filters.iir(*self._ema, y, self._zim)
        self._tape.append(s, x, t, ma1, ma2 + self.BETA * m)
        self._s, self._x, self._t, self._ma1, self._thr = self._tape.columns()
        self._in.n += x.size
        beats: list[float] = []
        self._decide(beats)
        self._trim()
        return np.asarray(beats, dtype=np.float64)

    def _decide(self, beats: list[float]) -> None:
        hi = self._in.n - self._d2  # centres below hi can be classified
        lo = self._next
        if hi <= lo:
            return
        o = self._start
        above = self._ma1[lo + self._d1 - o : hi + self._d1 - o] > self._thr[lo + self._d2 - o : hi + self._d2 - o]
        prev = self._block is not None
        edges = np.flatnonzero(np.diff(np.concatenate([[prev], above]).astype(np.int8))) + lo
        for edge in edges.tolist():
            e = int(edge)
            if self._block is None:
                self._block = e
            else:
                self._close(self._block, e, beats)
                self._block = None
        if self._block is not None and hi - self._block > self._max_block:
            self._block = -1  # too long for a pulse: wait for it to end, then drop it
        self._next = hi

    def _close(self, a: int, b: int, beats: list[float]) -> None:
        # The length rule is checked here too, not only at a push's end, so that whether a
        # long block yields a pulse cannot depend on where the chunks were cut.
        if a < 0 or not self._w1 <= b - a <= self._max_block:
            return
        k = a + int(np.argmax(self._s[a - self._start : b - self._start]))
        if k - self._last < self._gap:
            return
        self._last = k
        lo = max(k - self._back, self._start, 0) - self._start
        j = lo + int(np.argmax(self._x[lo : k + self._ahead + 1 - self._start]))
        beats.append(float(self._t[j]))

    def _trim(self) -> None:
        cut = self._in.n - self._keep - self._start
        if cut > 0:
            self._start += cut
            self._tape.drop(cut)
            self._s, self._x, self._t, self._ma1, self._thr = self._tape.columns()
