"""Electrodermal activity: tonic level and skin-conductance responses (SCRs) in a window.

SCR rules (Boucsein 2012, *Electrodermal Activity*, 2nd ed.; docs/clinical.md):
an SCR is a rise from a trough (its onset) to a peak, with a rise time of 0.5–5 s and an
amplitude of at least ``min_amplitude_us`` (the literature uses 0.01–0.05 µS; 0.02 µS by
default, above the 1 nS steps and noise of wrist devices), measured trough to peak after
removing the window's linear trend. A rise that has been going on
for longer than 5 s is tonic drift, not a response; a rise faster than 0.5 s is an
artefact (a pressed electrode). Responses are counted when their peak lies in the window
and their onset is seen.

The tonic level is the mean of the signal with each response cut out: from its onset to
where it has recovered by 90 % (or the next onset), the signal is replaced by a straight
line between the two ends.

Works at any rate from 4 Hz (Empatica E4) upward; the signal is smoothed below 1 Hz first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from . import filters
from .numerics import butter_sos
from .quality import sample_rate, signal_quality
from .types import Quality, Window

RISE_MIN_S, RISE_MAX_S = 0.5, 5.0


@dataclass(frozen=True)
class EdaFeatures:
    tonic_us: float
    scr_per_min: float
    scr_amplitude_us: float  # mean amplitude of the window's SCRs; 0 when there were none
    onsets: np.ndarray  # onset times of the SCRs (seconds)
    amplitudes: np.ndarray  # their amplitudes (µS)
    quality: Quality
    reason: str = ""


def _nan(quality: Quality, reason: str) -> EdaFeatures:
    return EdaFeatures(math.nan, math.nan, math.nan, np.empty(0), np.empty(0), quality, reason)


def eda_features(window: Window, *, min_amplitude_us: float = 0.02, min_duration_s: float = 10.0) -> EdaFeatures:
    """Tonic level (µS), SCRs per minute and their mean amplitude (µS) in ``window``."""
    q = signal_quality(window, "eda")
    if not q.usable:
        return _nan(q, f"EDA {q.reason}")
    if window.duration < min_duration_s:
        return _nan(Quality(0.0, "no data"), f"EDA window {window.duration:.1f} s; needs {min_duration_s:g} s")
    t = np.asarray(window.times, dtype=np.float64)
    fs = sample_rate(window)
    s = _smooth(np.asarray(window.values, dtype=np.float64), fs)
    d = filters.detrend_rows(s[None, :])[0]  # = signal.detrend(s); s is finite
    onsets, peaks = _scrs(s, d, t, fs, min_amplitude_us)
    amps = d[peaks] - d[onsets]
    tonic = _tonic(s, onsets, peaks, amps)
    per_min = onsets.size / (window.duration / 60.0)
    mean_amp = float(amps.mean()) if amps.size else 0.0
    return EdaFeatures(float(tonic), float(per_min), mean_amp, t[onsets], amps, q)


def _smooth(x: np.ndarray, fs: float) -> np.ndarray:
    cut = min(1.0, 0.4 * fs)
    sos = butter_sos(2, cut, "lowpass", fs)
    pad = min(x.size - 1, int(3 * fs))
    return filters.sosfiltfilt(sos, x, padlen=pad) if pad > 0 else x.copy()


def _scrs(s: np.ndarray, d: np.ndarray, t: np.ndarray, fs: float, min_amp: float) -> tuple[np.ndarray, np.ndarray]:
    """Onset and peak indices of the SCRs in the smoothed signal ``s`` (``d``: detrended).

    The onset is where the rise starts: going back from the steepest point of the rise to
    where the slope has fallen below a fifth of its maximum, so that slow drift (upward or
    downward) neither hides a response nor lengthens it."""
    # Peaks and amplitudes are taken with the window's linear trend removed: on a rising
    # baseline a small response's decay can cancel the drift and leave no local maximum,
    # and five seconds of drift would otherwise add to a rise. The prominence only drops
    # ripples; the trough-to-peak amplitude below is what decides.
    peaks, _ = signal.find_peaks(d, prominence=0.25 * min_amp)
    slope = np.gradient(d) * fs
    onsets, kept = [], []
    reach = int(round(RISE_MAX_S * fs))
    last_peak = 0
    for p in peaks:
        lo = max(last_peak, p - reach - 1, 0)
        k = lo + int(np.argmax(slope[lo : p + 1]))
        if slope[k] <= 0:
            continue
        below = np.flatnonzero(slope[lo : k + 1] < 0.2 * slope[k])
        if not below.size:
            continue  # rising since before the search began: drift, or onset unseen
        on = lo + int(below[-1])
        # the trough itself: the lowest point between the slope's foot and the steep part
        on = on + int(np.argmin(d[on : k + 1]))
        if on == 0:
            continue  # onset before the window: not seen
        rise = t[p] - t[on]
        if d[p] - d[on] >= min_amp and RISE_MIN_S <= rise <= RISE_MAX_S + 1.0 / fs:
            onsets.append(on)
            kept.append(p)
            last_peak = p
    return np.asarray(onsets, dtype=int), np.asarray(kept, dtype=int)


def _tonic(s: np.ndarray, onsets: np.ndarray, peaks: np.ndarray, amps: np.ndarray) -> float:
    base = s.copy()
    for k, (on, p, a) in enumerate(zip(onsets, peaks, amps)):
        stop = onsets[k + 1] if k + 1 < onsets.size else s.size - 1
        after = np.flatnonzero(s[p : stop + 1] <= s[on] + 0.1 * a)
        end = p + int(after[0]) if after.size else stop
        if end >= s.size - 1 and not after.size:
            base[on:] = s[on]  # not recovered by the window's end: hold the onset level
        else:
            base[on : end + 1] = np.linspace(s[on], s[end], end - on + 1)
    return float(base.mean())
