"""Respiration rate from a respiration waveform (belt, thermistor, impedance) in a window.

The window is band-passed from 0.05 Hz to twice its dominant breathing frequency (at most
1.5 Hz; zero-phase, since the whole window is at hand). Breaths are then counted as upward
zero crossings with hysteresis: the signal must go below −h and then above +h, h being a
quarter of the median absolute value, so noise riding on a crossing is not counted twice.
The rate is 60 over the mean cycle length, leaving out cycles under 0.5 or over 1.5 times
the median (a sigh, a swallow, a shallow breath that never crossed). Rates 10 Hz and up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import filters
from .numerics import butter_sos, psd
from .quality import sample_rate, signal_quality
from .types import Quality, Window

BAND_HZ = (0.05, 1.5)
HYST = 0.25
CYCLE_S = (60.0 / 60.0, 60.0 / 3.0)  # plausible breath lengths: 60 down to 3 per minute


@dataclass(frozen=True)
class Respiration:
    rate_bpm: float  # breaths per minute
    n_cycles: int
    quality: Quality
    reason: str = ""


def respiration_rate(window: Window, *, min_duration_s: float = 15.0) -> Respiration:
    """Breaths per minute in ``window`` (at least ``min_duration_s`` long, 2 whole breaths)."""
    q = signal_quality(window, "resp")
    if not q.usable:
        return Respiration(math.nan, 0, q, f"respiration {q.reason}")
    if window.duration < min_duration_s:
        return Respiration(
            math.nan,
            0,
            Quality(0.0, "no data"),
            f"respiration window {window.duration:.1f} s; needs {min_duration_s:g} s",
        )
    fs = sample_rate(window)
    if 0.4 * fs <= 2 * BAND_HZ[0]:  # too few samples per breath to filter or count
        return Respiration(
            math.nan,
            0,
            Quality(0.0, "implausible values"),
            f"respiration sampled at {fs:.2g} Hz; needs at least {5 * BAND_HZ[0]:.2g} Hz",
        )
    t = np.asarray(window.times, dtype=np.float64)
    x = np.asarray(window.values, dtype=np.float64)
    # Low-pass at twice the dominant breathing frequency: keeps the breath's shape, drops
    # the noise that would otherwise cross zero between breaths.
    f, p = psd(x, fs, int(32 * fs))
    band = (f >= BAND_HZ[0]) & (f <= BAND_HZ[1])
    f_dom = float(f[band][np.argmax(p[band])]) if band.any() else BAND_HZ[1] / 2
    hi = min(BAND_HZ[1], max(2.0 * f_dom, 0.3), 0.4 * fs)
    sos = butter_sos(2, (BAND_HZ[0], hi), "bandpass", fs)
    s = filters.sosfiltfilt(sos, x - x.mean(), padlen=min(x.size - 1, int(10 * fs)))
    onsets = _upward_crossings(s, t, HYST * float(np.median(np.abs(s))))
    cycles = np.diff(onsets)
    cycles = cycles[(cycles >= CYCLE_S[0]) & (cycles <= CYCLE_S[1])]
    if cycles.size < 2:
        return Respiration(
            math.nan,
            int(cycles.size),
            Quality(min(q.index, 0.4), "noisy"),
            f"fewer than 2 plausible breaths in {window.duration:.0f} s",
        )
    med = float(np.median(cycles))
    # Irregular breathing is real, but cycles scattered beyond ±50 % mean we count noise.
    # Judged first: with that much scatter no cycle may lie within ±50 % of the median (two
    # breaths of 2 and 10 s), and the mean below would be of nothing (a NaN and a numpy
    # warning on the therapist's terminal, seen in a loaded demo).
    spread = float(np.median(np.abs(cycles - med)) / med)
    if spread > 0.5:
        return Respiration(
            math.nan, int(cycles.size), Quality(0.3, "noisy"), f"breath lengths scatter by {100 * spread:.0f} %"
        )
    rate = 60.0 / float(cycles[(cycles >= 0.5 * med) & (cycles <= 1.5 * med)].mean())
    return Respiration(rate, int(cycles.size), q)


def _upward_crossings(s: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
    """Times where ``s`` crosses zero upward, counted once per excursion beyond ±h."""
    out = []
    low = np.flatnonzero(s < -h)
    high = np.flatnonzero(s > h)
    i = 0
    while True:
        # next time below -h at or after i, then next time above +h after that
        j = low[np.searchsorted(low, i)] if np.searchsorted(low, i) < low.size else None
        if j is None:
            break
        k = high[np.searchsorted(high, j)] if np.searchsorted(high, j) < high.size else None
        if k is None:
            break
        # the zero crossing between them: last sample at or below zero before k
        z = j + int(np.flatnonzero(s[j:k] <= 0)[-1])
        frac = -s[z] / (s[z + 1] - s[z]) if s[z + 1] != s[z] else 0.0
        out.append(t[z] + frac * (t[z + 1] - t[z]))
        i = k
    return np.asarray(out, dtype=np.float64)
