"""Heart rate and RMSSD from beat times or an RR-interval stream, with artefact rejection.

An interval is rejected when it is physiologically implausible (heart rate outside 30–220
bpm) or when it differs by more than 25 % from the median of its neighbours — the usual
signature of a missed beat (about twice as long), an extra beat (much shorter) or an
ectopic beat (short then long) — or by more than 40 % from the median of all of them
(at a window's edge the neighbours are one-sided, and in a burst of artefact they vouch
for each other; 40 % still lets a startle of +30 bpm through). RMSSD uses only successive differences between two
accepted, adjacent intervals that differ by at most 20 % (Malik's rule: a larger jump
between neighbours is a mislocated beat far more often than physiology, and RMSSD squares
it), and only once the accepted intervals cover at least 10 s (Munoz et al. 2015, PLoS One
10:e0138921: RMSSD from 10 s already tracks the 5-minute reference).

From PPG the same numbers are pulse-rate variability: pulse timing jitter adds to RMSSD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .numerics import median
from .types import Quality

HR_MIN_BPM, HR_MAX_BPM = 30.0, 220.0
OUTLIER_FRACTION = 0.25
GLOBAL_FRACTION = 0.40
SUCCESSIVE_FRACTION = 0.20
SILENCE_S = 3.0  # no beat for this long: the heart rate is unknown, not slow
NEIGHBOURS = 5  # on each side, for the local median
RMSSD_MIN_S = 10.0


@dataclass(frozen=True)
class HeartRate:
    """Heart rate over the last ``window_s`` and RMSSD over the last ``rmssd_window_s``.

    ``reason`` says why a value is NaN ('' when both are numbers)."""

    hr_bpm: float
    rmssd_ms: float
    quality: Quality
    n_intervals: int  # intervals in the HR window
    n_rejected: int
    reason: str = ""


def accepted_intervals(rr_s: np.ndarray) -> np.ndarray:
    """Mask of the intervals (seconds) that pass the range and the two median rules."""
    rr = np.asarray(rr_s, dtype=np.float64)
    ok = np.isfinite(rr) & (rr >= 60.0 / HR_MAX_BPM) & (rr <= 60.0 / HR_MIN_BPM)
    if rr.size == 0:
        return ok
    padded = np.full(rr.size + 2 * NEIGHBOURS, np.nan)
    padded[NEIGHBOURS : NEIGHBOURS + rr.size] = np.where(ok, rr, np.nan)
    # Neighbours only: an interval must not vouch for itself.
    win = padded[np.arange(rr.size)[:, None] + _AROUND]
    med = _nanmedian_rows(win)
    local = np.where(np.isfinite(med), med, rr)
    overall = median(rr[ok]) if ok.any() else math.nan
    return ok & (np.abs(rr - local) <= OUTLIER_FRACTION * local) & (np.abs(rr - overall) <= GLOBAL_FRACTION * overall)


_AROUND = np.r_[0:NEIGHBOURS, NEIGHBOURS + 1 : 2 * NEIGHBOURS + 1]  # offsets of the neighbours in the padded row


def _nanmedian_rows(win: np.ndarray) -> np.ndarray:
    """``np.nanmedian(win, axis=1)``, to the bit, for rows of a few values: sorted, NaNs
    last, the mean of the middle two finite values (the middle one twice for an odd count,
    as numpy does it), NaN for a row with none. numpy's own goes through masked arrays and
    cost more than the rest of a tick's heart rate."""
    s = np.sort(win, axis=1)
    k = np.count_nonzero(~np.isnan(win), axis=1)
    hi = k // 2
    lo = np.where(k % 2 == 1, hi, hi - 1)
    rows = np.arange(win.shape[0])
    return (s[rows, lo] + s[rows, hi]) / 2.0


def heart_rate_from_intervals(
    ends: np.ndarray, rr_s: np.ndarray, end: float, *, window_s: float = 10.0, rmssd_window_s: float = 30.0
) -> HeartRate:
    """HR and RMSSD from intervals ``rr_s`` (seconds) that end at times ``ends``.

    An interval belongs to a window when it ends inside ``(end - window, end]``. Intervals
    must be in time order and consecutive (each starts where the previous ended), as from
    a beat detector or a chest strap's RR stream."""
    ends = np.asarray(ends, dtype=np.float64)
    rr = np.asarray(rr_s, dtype=np.float64)
    span = max(window_s, rmssd_window_s)
    sel = (ends > end - span) & (ends <= end)
    ends, rr = ends[sel], rr[sel]
    ok = accepted_intervals(rr)
    in_hr = ends > end - window_s
    n, n_ok = int(in_hr.sum()), int((ok & in_hr).sum())
    if n == 0:
        return HeartRate(
            math.nan, math.nan, Quality(0.0, "implausible values"), 0, 0, f"no beats in the last {window_s:g} s"
        )
    if end - ends[-1] > SILENCE_S:
        return HeartRate(
            math.nan, math.nan, Quality(0.0, "implausible values"), n, 0, f"no beat for {end - ends[-1]:.1f} s"
        )
    fin = np.isfinite(rr)
    covered = float(rr[ok & in_hr].sum())
    # Only real, positive intervals count as time: a strap's 0 ("no interval") or a
    # negative value must neither divide by zero nor shrink the divisor into a good score.
    real = in_hr & fin & (rr > 0)
    total = float(rr[real].sum())
    index = min(1.0, covered / total) if total > 0 else 0.0
    implausible = int((~fin | (rr < 60.0 / HR_MAX_BPM) | (rr > 60.0 / HR_MIN_BPM))[in_hr].sum())
    if n_ok < 3 or index < 0.5:
        kind = "implausible values" if implausible * 2 >= n - n_ok else "noisy"
        return HeartRate(
            math.nan,
            math.nan,
            Quality(min(index, 0.49), kind),
            n,
            n - n_ok,
            f"{n_ok} of {n} intervals plausible, {covered:.1f} s of {window_s:g} s clean",
        )
    hr = 60.0 / float(rr[ok & in_hr].mean())
    pair = ok[1:] & ok[:-1]
    pair &= np.abs(np.diff(rr)) <= SUCCESSIVE_FRACTION * 0.5 * (rr[1:] + rr[:-1])
    clean_s = float(rr[ok].sum())
    if clean_s < RMSSD_MIN_S or not pair.any():
        rmssd, why = math.nan, f"RMSSD needs {RMSSD_MIN_S:g} s of clean beats; have {clean_s:.1f} s"
    else:
        diffs = np.diff(rr)[pair]
        rmssd, why = 1000.0 * float(np.sqrt(np.mean(diffs * diffs))), ""
    return HeartRate(hr, rmssd, Quality(index, "ok" if index >= 1.0 else "noisy"), n, n - n_ok, why)


def heart_rate(beat_times, end: float, *, window_s: float = 10.0, rmssd_window_s: float = 30.0) -> HeartRate:
    """HR and RMSSD from beat times (seconds, ascending) as of time ``end``."""
    b = np.asarray(beat_times, dtype=np.float64)
    b = b[b <= end]
    if b.size < 2:
        return heart_rate_from_intervals(
            np.empty(0), np.empty(0), end, window_s=window_s, rmssd_window_s=rmssd_window_s
        )
    return heart_rate_from_intervals(b[1:], np.diff(b), end, window_s=window_s, rmssd_window_s=rmssd_window_s)
