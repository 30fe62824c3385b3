"""Exact, cheaper stand-ins for the numpy/scipy calls that the quality checks and the beat
detectors make at every control tick: ``median``, ``percentile`` and ``mode_and_median``
(order statistics without numpy's generic reduction machinery), ``psd`` (Welch's spectrum
in plain numpy) with its cached frequency grid, window and band masks, and ``butter_sos``
(a cached Butterworth design). Each gives the numbers its numpy/scipy original gives, to
the bit (tests/sensors/test_filters.py holds them to it); ``sensors.filters`` does the same
for the filters themselves.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import signal


@lru_cache(maxsize=64)
def butter_sos(order: int, cutoff: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    """A Butterworth design, cached: designing costs more than filtering a window."""
    return signal.butter(order, cutoff, btype, fs=fs, output="sos")


def psd(x: np.ndarray, fs: float, nper: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's power spectrum (Hann, 50 % overlap, mean removed), unscaled: only shares of
    power are compared. Plain numpy, several times cheaper than scipy's for one window."""
    nper = int(min(nper, x.size))
    step = max(1, nper // 2)
    xc = x - x.mean()
    # = sliding_window_view(xc, nper)[::step], without its argument handling
    segs = np.lib.stride_tricks.as_strided(
        xc, ((xc.size - nper) // step + 1, nper), (step * xc.strides[0], xc.strides[0]), writeable=False
    )
    spec = np.abs(np.fft.rfft(segs * _hann(nper), axis=1)) ** 2
    return _freqs(nper, fs), spec.mean(axis=0)


@lru_cache(maxsize=64)
def _freqs(n: int, fs: float) -> np.ndarray:
    f = np.fft.rfftfreq(n, 1.0 / fs)
    f.flags.writeable = False  # shared between calls
    return f


@lru_cache(maxsize=64)
def band_masks(n: int, fs: float, ref: tuple[float, float], band: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Which of ``psd``'s frequencies (for ``n`` samples at ``fs``) lie in ``ref`` and in ``band``."""
    f = _freqs(n, fs)
    return (f >= ref[0]) & (f <= ref[1]), (f >= band[0]) & (f <= band[1])


@lru_cache(maxsize=64)
def _hann(n: int) -> np.ndarray:
    w = np.hanning(n)
    w.flags.writeable = False  # shared between calls
    return w


def median(a: np.ndarray) -> float:
    """``float(np.median(a))`` for a 1-D array without NaN, to the bit: the same order
    statistics (unique whatever the partition), averaged as numpy does, without its generic
    reduction machinery (a few µs a call, several calls a tick)."""
    n = a.size
    h = n // 2
    if n % 2:
        return float(np.partition(a, h)[h])
    p = np.partition(a, (h - 1, h))
    return float((p[h - 1] + p[h]) / 2)


def percentile(v: np.ndarray, q: float) -> float:
    """``np.percentile(v, q)`` (linear), to the bit, for the few values of a window's blocks:
    numpy's virtual index and its two-sided interpolation, without its generic machinery
    (which cost as much as the rest of the flat-line check)."""
    s = np.sort(v)
    n = s.size
    vi = (n - 1) * (q / 100)
    if vi >= n - 1:
        return float(s[-1])
    k = math.floor(vi)
    g = vi - k
    a, b = float(s[k]), float(s[k + 1])
    d = b - a
    return a + d * g if g < 0.5 else b - d * (1 - g)


def mode_and_median(x: np.ndarray) -> tuple[float, int, float]:
    """The most frequent value (the smallest of equals), its count, and the median: what
    ``np.unique(x, return_counts=True)`` and ``np.median(x)`` give, from one sort."""
    xs = np.sort(x)
    n = xs.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=n)
    k = int(np.argmax(counts))
    med = float(xs[n // 2]) if n % 2 else float((xs[n // 2 - 1] + xs[n // 2]) / 2)
    return float(xs[starts[k]]), int(counts[k]), med
