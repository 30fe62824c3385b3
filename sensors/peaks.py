"""Causal beat detection for streaming ECG (``RPeakDetector``; PPG: ``sensors.pulse``).

The detectors keep their filter states and decision state between calls, and every
decision is taken at a fixed sample index (never "at the end of a chunk"), so feeding a
recording in chunks of any size, one sample included, gives exactly the same beats as
feeding it whole. Filters are IIR/FIR with carried state (``sosfilt``/``lfilter`` with
``zi``, through ``sensors.filters``), which is bit-exact across chunk boundaries. Each new
sample is filtered once; the filtered history lives in a preallocated ``Tape`` and only
the samples a decision can still reach (6 s) are kept.

Time comes in with the samples: a beat's time is the timestamp of its fiducial sample.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy import ndimage, signal

from . import filters
from .buffer import Tape
from .errors import StreamFormatError
from .numerics import median


def check_rate(rate: float, lo: float, hi: float, what: str) -> float:
    rate = float(rate)
    if not np.isfinite(rate) or not lo <= rate <= hi:
        raise StreamFormatError(
            f"{what} needs a sampling rate from {lo:g} to {hi:g} Hz; got {rate!r}. Check the rate the stream declares."
        )
    return rate


class SampleCleaner:
    """Input hygiene shared by the detectors: shapes checked, non-finite samples held."""

    def __init__(self) -> None:
        self._last_finite = None  # non-finite samples hold the last finite value
        self.n = 0  # samples seen so far (absolute index of the next one)

    def clean(self, times, values) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        x = np.array(values, dtype=np.float64).reshape(-1)
        if t.shape != x.shape:
            raise ValueError(f"push() needs as many times as values; got {t.size} times and {x.size} values")
        bad = ~np.isfinite(x)
        if bad.any():
            # Hold the last finite value: one NaN must not poison the IIR states forever.
            idx = np.where(bad, 0, np.arange(x.size))
            np.maximum.accumulate(idx, out=idx)
            first = self._last_finite if self._last_finite is not None else 0.0
            held = x[idx]
            lead = bad & (np.cumsum(~bad) == 0)
            held[lead] = first
            x = held
        if x.size:
            self._last_finite = x[-1]
        return t, x


class RPeakDetector:
    """Streaming QRS detector: Pan & Tompkins (1985, IEEE TBME 32:230) with Hamilton &
    Tompkins' (1986, IEEE TBME 33:1157) robust refinements.

    Pipeline: band-pass 5–15 Hz → derivative → square → 150 ms moving-window integral.
    The first 2 s set the signal and noise levels (then their beats are reported too).
    Candidates are local maxima of the integral over ±200 ms (also the refractory period).
    A candidate is a QRS when it exceeds NPK + 0.25·(SPK − NPK); within 360 ms of the last
    QRS it must also have at least half its slope (T-wave rejection). If no QRS came for
    1.66 mean RR intervals, the largest candidate above half the threshold is taken
    (search-back); if there is none, both levels are re-learnt from that stretch as at
    start-up, so the detector re-locks after an artefact or an amplitude drop. The R peak
    is the dominant extremum (its polarity learnt from the beats) of a 0.5–40 Hz
    band-passed copy of the ECG, less that filter's group delay.

    Latency: about 0.35 s. Rates 100 Hz – 2 kHz.
    """

    LEARN_S = 2.0
    HALF_WINDOW_S = 0.2  # local-maximum half width, and the refractory period
    MWI_S = 0.150
    TWAVE_S = 0.36
    KEEP_S = 6.0

    def __init__(self, rate: float):
        fs = self.rate = check_rate(rate, 100.0, 2000.0, "R-peak detection")
        self._in = SampleCleaner()
        self._sos_qrs = signal.butter(2, [5.0, 15.0], "bandpass", fs=fs, output="sos")
        self._sos_fid = signal.butter(2, [0.5, min(40.0, 0.4 * fs)], "bandpass", fs=fs, output="sos")
        self._n_mwi = max(2, round(self.MWI_S * fs))
        self._mwi_b = np.full(self._n_mwi, 1.0 / self._n_mwi)
        self._w = max(1, round(self.HALF_WINDOW_S * fs))
        self._learn_n = round(self.LEARN_S * fs)
        self._twave_n = round(self.TWAVE_S * fs)
        self._keep_n = round(self.KEEP_S * fs)
        self._lookback_n = round(4.0 * fs)
        b, a = signal.sos2tf(self._sos_qrs)
        _, gd = signal.group_delay((b, a), w=[10.0], fs=fs)
        self._fid_span = self._n_mwi + int(round(gd[0])) + round(0.05 * fs)
        b, a = signal.sos2tf(self._sos_fid)
        _, gd = signal.group_delay((b, a), w=[15.0], fs=fs)
        self._fid_delay = int(round(gd[0]))  # the R peak is this much earlier than in _fid
        self._zi_qrs: np.ndarray | None = None  # filter states, set by the first samples
        self._zi_fid: np.ndarray | None = None
        self._zi_mwi = np.zeros(self._n_mwi - 1)
        self._prev_bp = 0.0
        # Histories; index 0 of each is absolute sample ``_start``. The integral starts with
        # ``_w`` samples of -1 so that the first real samples can be local maxima.
        self._start = -self._w
        self._tape = Tape(4, self._keep_n + self._w)
        self._tape.append(np.full(self._w, -1.0), np.zeros(self._w), np.zeros(self._w), np.zeros(self._w))
        self._f, self._slope, self._fid, self._t = self._tape.columns()
        self._next = 0  # next sample index to test as a candidate
        self._learned = False
        self._spk = self._npk = 0.0
        self._rr: deque[int] = deque(maxlen=8)  # last RR intervals, in samples
        self._rr_med: float | None = None  # their median, until the next one arrives
        self._last_qrs: int | None = None  # integral-peak index of the last QRS
        self._last_slope = 0.0
        self._last_fid = -(10**12)
        self._anchor = 0  # search-back deadline counts from here
        self._noise: list[tuple[int, float]] = []  # candidates since the last QRS
        self._pos = self._neg = 0.0  # running sizes of upward / downward QRS deflections

    # -- public --------------------------------------------------------------------------------
    def push(self, times, values) -> np.ndarray:
        """Add samples (seconds, mV); return the times of the beats confirmed by them."""
        t, x = self._in.clean(times, values)
        if x.size == 0:
            return np.empty(0)
        if self._zi_qrs is None or self._zi_fid is None:
            self._zi_qrs = signal.sosfilt_zi(self._sos_qrs) * x[0]
            self._zi_fid = signal.sosfilt_zi(self._sos_fid) * x[0]
        bp, self._zi_qrs = filters.sosfilt(self._sos_qrs, x, self._zi_qrs)
        fid, self._zi_fid = filters.sosfilt(self._sos_fid, x, self._zi_fid)
        d = np.empty_like(bp)
        d[0] = bp[0] - self._prev_bp
        d[1:] = bp[1:] - bp[:-1]
        d *= self.rate
        self._prev_bp = bp[-1]
        f, self._zi_mwi = filters.fir(self._mwi_b, d * d, self._zi_mwi)
        self._tape.append(f, np.abs(d), fid, t)
        self._f, self._slope, self._fid, self._t = self._tape.columns()
        self._in.n += x.size
        beats: list[float] = []
        self._decide(beats)
        self._trim()
        return np.asarray(beats, dtype=np.float64)

    # -- decisions -----------------------------------------------------------------------------
    def _decide(self, beats: list[float]) -> None:
        n = self._in.n
        hi = n - self._w  # candidates below hi have their full window
        if not self._learned:
            if hi < self._learn_n:
                return
            head = self._f[-self._start : -self._start + self._learn_n]
            self._spk = float(head.max()) / 3.0
            self._npk = float(head.mean()) / 2.0
            # Polarity seed: skip the first 0.5 s, where the 0.5 Hz high-pass is settling.
            fid = self._fid[-self._start + self._learn_n // 4 : -self._start + self._learn_n]
            mid = float(np.median(fid))
            self._pos, self._neg = float(fid.max()) - mid, mid - float(fid.min())
            self._learned = True
        lo = self._next
        if hi <= lo:
            return
        seg = self._f[lo - self._w - self._start : hi + self._w - self._start]
        mx = ndimage.maximum_filter1d(seg, size=2 * self._w + 1)
        core = seg[self._w : -self._w]
        prev = seg[self._w - 1 : -self._w - 1]
        cands = np.flatnonzero((core >= mx[self._w : -self._w]) & (core > prev)) + lo
        for idx in cands:
            self._search_until(int(idx) - 1, beats)
            self._candidate(int(idx), float(self._f[idx - self._start]), beats)
        self._search_until(hi - 1, beats)
        self._next = hi

    def _threshold(self) -> float:
        return self._npk + 0.25 * (self._spk - self._npk)

    def _rr_mean(self) -> float:
        # Asked at every candidate, changed only at a beat: remembered in between.
        if self._rr_med is None:
            self._rr_med = float(np.median(self._rr)) if self._rr else float(self.rate)
        return self._rr_med

    def _search_until(self, last: int, beats: list[float]) -> None:
        """Run every search-back whose deadline is at or before sample ``last``."""
        while True:
            deadline = self._anchor + round(1.66 * self._rr_mean())
            if deadline > last:
                return
            floor = deadline - self._lookback_n
            if self._last_qrs is not None:
                floor = max(floor, self._last_qrs + self._w)
            pool = [(v, i) for i, v in self._noise if floor < i <= deadline]
            best = max(pool) if pool else None
            if best is None or best[0] <= 0.5 * self._threshold():
                # Lost lock (an artefact inflated the levels, or the amplitude dropped):
                # re-learn them from this stretch as at start-up, then look once more.
                a = max(self._anchor + 1, floor + 1, self._start, 0)
                seg = self._f[a - self._start : deadline + 1 - self._start]
                if seg.size:
                    self._spk, self._npk = float(seg.max()) / 3.0, float(seg.mean()) / 2.0
            if best is not None and best[0] > 0.5 * self._threshold():
                self._accept(best[1], best[0], beats, weight=0.25)
            else:
                self._anchor = deadline

    def _candidate(self, idx: int, val: float, beats: list[float]) -> None:
        if self._last_qrs is not None and idx - self._last_qrs <= self._w:
            return
        if val > self._threshold():
            slope = self._max_slope(idx)
            t_wave = (
                self._last_qrs is not None and idx - self._last_qrs < self._twave_n and slope < 0.5 * self._last_slope
            )
            if not t_wave:
                self._accept(idx, val, beats, weight=0.125, slope=slope)
                return
        self._npk = 0.125 * val + 0.875 * self._npk
        self._noise.append((idx, val))

    def _max_slope(self, idx: int) -> float:
        a = idx - self._n_mwi - self._start
        return float(self._slope[max(a, 0) : idx + 1 - self._start].max())

    def _accept(self, idx: int, val: float, beats: list[float], weight: float, slope: float | None = None) -> None:
        # Clamp the update so that one huge artefact cannot lift the signal level out of reach.
        self._spk = weight * min(val, 4.0 * self._spk + 1e-300) + (1.0 - weight) * self._spk
        if self._last_qrs is not None:
            rr = idx - self._last_qrs
            if 0.27 * self.rate <= rr <= 2.0 * self.rate:
                self._rr.append(rr)
                self._rr_med = None
        self._last_qrs = self._anchor = idx
        self._last_slope = self._max_slope(idx) if slope is None else slope
        self._noise = [(i, v) for i, v in self._noise if i > idx]
        fid = self._fiducial(idx)
        self._last_fid = fid
        beats.append(float(self._t[max(fid - self._fid_delay, 0, self._start) - self._start]))

    def _fiducial(self, idx: int) -> int:
        lo = max(idx - self._fid_span, self._last_fid + self._w // 2 + 1, self._start, 0)
        seg = self._fid[lo - self._start : idx + 1 - self._start]
        base = median(seg)
        up, down = float(seg.max()) - base, base - float(seg.min())
        self._pos = 0.8 * self._pos + 0.2 * up
        self._neg = 0.8 * self._neg + 0.2 * down
        k = int(np.argmax(seg)) if self._pos >= self._neg else int(np.argmin(seg))
        return lo + k

    def _trim(self) -> None:
        if not self._learned:
            return
        cut = self._in.n - self._keep_n - self._start
        if cut > 0:
            self._start += cut
            self._tape.drop(cut)
            self._f, self._slope, self._fid, self._t = self._tape.columns()
        self._noise = [(i, v) for i, v in self._noise if i >= self._in.n - self._keep_n]
