"""How far one window of a signal can be trusted: ``signal_quality(window, kind)``.

Checks, worst first: no samples; too few samples for the rate the stream declares (a
32 Hz stream delivering 1 sample a second is not a 32 Hz signal with a slow heart: its
reason says "incomplete: receiving 1.0 samples/s of 32 nominal"); non-finite or
out-of-range values (an ECG of 50 mV, a negative skin conductance); a flat line (a lifted
electrode or a frozen sensor: short blocks with almost no change); clipping (runs of
samples stuck at the window's extreme or at the device's limits, or one code value far
from the median that keeps coming back, as a lead-off monitor writes it); noise (too
little power where the signal lives). The index is the lowest of the checks' indices and
the reason names that check; ``Quality.usable`` (index ≥ 0.5) is what feature functions
obey. Each runs at every control tick, so the costly numpy/scipy calls are replaced by
exact equivalents (``sensors.filters``, ``sensors.numerics``): the same numbers, to the
bit.

``beat_quality`` adds the check that needs beats: how well the beats match the window's
median beat (template matching after Orphanidou et al. 2015, IEEE JBHI 19:832: mean
correlation ≥ 0.66 for ECG, ≥ 0.86 for PPG). Noise that still lets a detector find
"beats" fails it; ``beat_correlations`` gives each beat's own correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import filters
from .numerics import band_masks as _band_masks
from .numerics import butter_sos, median, psd
from .numerics import mode_and_median as _mode_and_median
from .numerics import percentile as _percentile
from .types import Quality, Window


@dataclass(frozen=True)
class Rules:
    lo: float  # plausible range of values, in the canonical unit
    hi: float
    block_s: float  # flat-line test: block length ...
    flat_abs: float  # ... and the change below which a block is flat, ...
    flat_rel: float  # ... or below this share of the livelier blocks' change
    band: tuple[float, float] | None = None  # noise test: where the signal's power is ...
    ref: tuple[float, float] | None = None  # ... as a share of this wider band
    share_min: float = 0.0  # below this share the window is unusable
    share_good: float = 1.0  # at or above it, fully trusted
    hf_max: float = np.inf  # EDA: largest RMS above 1 Hz (µS) still usable ...
    hf_good: float = 0.0  # ... and the RMS up to which it is fully trusted
    rails: bool = True  # look for runs at the window's extremes, and ...
    codes: bool = True  # ... for a code value recurring far from the median


RULES = {
    # pSQI, the share of 5–15 Hz in 5–40 Hz power (Li, Clark & Clifford 2008, Physiol Meas
    # 29:15; clean ECG about 0.5–0.8).
    # Only white-ish noise fails it; beat_quality catches the rest.
    "ecg": Rules(-10.0, 10.0, 1.0, 0.01, 0.01, (5.0, 15.0), (5.0, 40.0), 0.4, 0.5),
    "ppg": Rules(-np.inf, np.inf, 1.0, 0.0, 0.01, (0.5, 4.0), (0.5, 12.0), 0.5, 0.7),
    "resp": Rules(-np.inf, np.inf, 4.0, 0.0, 0.01, (0.05, 1.0), (0.05, 5.0), 0.5, 0.7),
    # Below 0.02 µS no skin is in contact; above 100 µS is no skin at all. A resting
    # non-responder's EDA may barely move, so only an unchanging 10 s counts as flat. Noise
    # above 1 Hz of 0.03 µS RMS would pass for SCRs of the 0.01–0.05 µS minimum amplitude.
    # Its peaks are slow and quantised, so they may sit on one value: only the device's
    # own limits (``limits=``) say clipping.
    "eda": Rules(0.02, 100.0, 10.0, 0.0, 0.0, hf_max=0.03, hf_good=0.01, rails=False, codes=False),
}
# half width (s; None: half an RR), least mean r, band the beats are compared in (Hz)
TEMPLATE = {"ecg": (0.12, 0.66, (1.0, 40.0)), "ppg": (None, 0.86, (0.5, 8.0))}
RAIL_MIN_S = 0.02  # a clipped run lasts at least this long (and 3 samples)
# Delivered samples as a share of the declared rate: unusable below MIN_COMPLETENESS (a
# quarter of the samples lost breaks beat intervals and filters alike), fully trusted from
# GOOD_COMPLETENESS (a device clock a few % slow, jitter at the window's edges).
MIN_COMPLETENESS = 0.8
GOOD_COMPLETENESS = 0.9


def sample_rate(w: Window) -> float:
    if w.rate > 0:
        return float(w.rate)
    return (len(w.times) - 1) / w.duration if w.duration > 0 else 0.0


def signal_quality(window: Window, kind: str, *, limits: tuple[float, float] | None = None) -> Quality:
    """Quality of ``window`` for signal ``kind`` ('ecg', 'ppg', 'eda' or 'resp').

    ``limits``: the device's measuring range, when known; samples at or beyond it count as
    clipped."""
    try:
        rules = RULES[kind]
    except KeyError:
        raise ValueError(f"signal_quality: unknown signal kind {kind!r}; expected one of {sorted(RULES)}") from None
    x = np.asarray(window.values, dtype=np.float64)
    if x.size < 2:
        return Quality(0.0, "no data")
    complete, why = completeness(window)
    if complete < 0.5:
        return Quality(complete, why)  # a trickle of samples: nothing else can be judged
    lo, hi = float(x.min()), float(x.max())
    # NaN and ±inf carry through min and max: one pass instead of isfinite's mask.
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Quality(0.0, "implausible values")
    if lo < rules.lo or hi > rules.hi:
        return Quality(0.0, "implausible values")
    fs = sample_rate(window)
    # The weakest check names the reason (the first of equals, in this order).
    index, reason = complete, why
    flat = _flat(x, fs, rules, lo, hi)
    if flat < index:
        index, reason = flat, "flat line"
    clip = _clipping(x, fs, rules, limits, lo, hi)
    if clip < index:
        index, reason = clip, "clipping"
    noise = _noise(x, fs, rules)
    if noise < index:
        index, reason = noise, "noisy"
    return Quality(index, reason) if index < 1.0 else Quality(1.0, "ok")


def delivered_rate(window: Window) -> float:
    """Samples per second that ``window`` holds between its first and last sample (NaN
    with fewer than two, or all at one time)."""
    n = len(window.times)
    duration = window.duration
    return (n - 1) / duration if n > 1 and duration > 0 else math.nan


def completeness(window: Window) -> tuple[float, str]:
    """(index, reason) for how much of its declared rate ``window`` delivers: 1 from
    ``GOOD_COMPLETENESS`` of it, 0.5 at ``MIN_COMPLETENESS``; (1, 'ok') when there is no
    declared rate to hold it to (irregular streams) or too little to tell."""
    got = delivered_rate(window)
    if not (window.rate > 0 and math.isfinite(got)):
        return 1.0, "ok"
    index = _ramp(got / window.rate, GOOD_COMPLETENESS, MIN_COMPLETENESS)
    if index >= 1.0:
        return 1.0, "ok"
    return index, f"incomplete: receiving {got:.1f} samples/s of {window.rate:g} nominal"


def _flat(x: np.ndarray, fs: float, rules: Rules, lo: float | None = None, hi: float | None = None) -> float:
    """1 minus the share of flat blocks; at most 0.4 when the newest block is flat, since
    that means the signal is lost now, however good the rest of the window was."""
    n = max(4, int(round(rules.block_s * fs)))
    if lo is None or hi is None:
        lo, hi = float(x.min()), float(x.max())
    tiny = 1e-9 * max(1.0, max(-lo, hi))  # = |x|.max()
    if x.size < n:
        return 1.0 if hi - lo > max(rules.flat_abs, tiny) else 0.0
    blocks = x[x.size - x.size // n * n :].reshape(-1, n)  # aligned on the newest sample
    ptp = blocks.max(axis=1) - blocks.min(axis=1)
    # Relative to the livelier blocks too, so that a unitless PPG is judged on its own scale.
    tol = max(rules.flat_abs, rules.flat_rel * _percentile(ptp, 90), tiny)
    flat = ptp <= tol
    index = 1.0 - np.count_nonzero(flat) / flat.size
    return min(index, 0.4) if flat[-1] else index


def _clipping(
    x: np.ndarray,
    fs: float,
    rules: Rules,
    limits: tuple[float, float] | None,
    lo: float | None = None,
    hi: float | None = None,
) -> float:
    if lo is None or hi is None:
        lo, hi = float(x.min()), float(x.max())
    span = hi - lo  # = np.ptp(x)
    if span == 0.0:
        return 1.0  # constant: the flat-line check speaks for it
    eps = 1e-9 * span
    rail = (x >= hi - eps) | (x <= lo + eps) if rules.rails else np.zeros(x.size, bool)
    if limits is not None:
        rail |= (x <= limits[0]) | (x >= limits[1])
    min_run = max(3, int(round(RAIL_MIN_S * fs)))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], rail.astype(np.int8), [0]])))
    runs = edges[1::2] - edges[::2]
    clipped = int(runs[runs >= min_run].sum())
    stuck = 0
    if rules.codes:
        # A code value that keeps recurring far from the median: a lead-off or saturation code.
        value, count, med = _mode_and_median(x)
        mad = 1.4826 * median(np.abs(x - med))
        if count >= max(3, 0.01 * x.size) and abs(value - med) > 3.0 * mad + eps:
            stuck = count
    frac = max(clipped, stuck) / x.size
    return min(1.0, max(0.0, 1.0 - 10.0 * frac))  # 5 % of the window clipped: unusable


def _noise(x: np.ndarray, fs: float, rules: Rules) -> float:
    if rules.band is not None:
        return _band_share(x, fs, rules)
    if np.isfinite(rules.hf_max) and fs > 2.5 and x.size > 18:
        sos = butter_sos(2, 1.0, "lowpass", fs)
        hf = float(np.sqrt(np.mean((x - filters.sosfiltfilt(sos, x)) ** 2)))
        return _ramp(-hf, -rules.hf_good, -rules.hf_max)
    return 1.0


def _ramp(v: float, good: float, minimum: float) -> float:
    """1 at ``good`` or better, 0.5 at ``minimum``, linear between and beyond."""
    bad = 2 * minimum - good
    return float(np.clip((v - bad) / (good - bad), 0.0, 1.0))


def _band_share(x: np.ndarray, fs: float, rules: Rules) -> float:
    assert rules.band is not None and rules.ref is not None  # called only for rules with a noise band
    nyq = fs / 2.0
    lo, hi = rules.ref[0], min(rules.ref[1], 0.9 * nyq)
    if fs <= 0 or hi <= rules.band[1]:
        return 1.0
    nper = min(x.size, int(4 * fs / max(rules.band[0], 0.25)))
    if x.size < 4 or nper < 16:
        return 1.0
    _, p = psd(x, fs, nper)
    in_ref, in_band = _band_masks(min(nper, x.size), fs, (lo, hi), rules.band)
    total = p[in_ref].sum()
    if total <= 0:
        return 1.0
    share = p[in_band].sum() / total
    return _ramp(float(share), rules.share_good, rules.share_min)


def beat_correlations(window: Window, beat_times, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Each whole beat in ``window`` and its correlation with the window's median beat.

    Beats are compared band-passed and detrended; a beat too near the window's edges to
    have a whole segment is left out."""
    half, _, band = TEMPLATE[kind]
    x = np.asarray(window.values, dtype=np.float64)
    t = np.asarray(window.times, dtype=np.float64)
    b = np.asarray(beat_times, dtype=np.float64)
    b = b[(b >= t[0]) & (b <= t[-1])] if t.size else b[:0]
    if b.size >= 2 and half is None:
        half = 0.5 * median(np.diff(b))
    fs = sample_rate(window)
    empty = np.empty(0)
    if half is None or fs <= 0 or not np.isfinite(x).all():
        return empty, empty
    h = max(2, int(round(half * fs)))
    if x.size > 30:
        sos = butter_sos(2, (band[0], min(band[1], 0.45 * fs)), "bandpass", fs)
        x = filters.sosfiltfilt(sos, x)
    idx = np.searchsorted(t, b)
    whole = (idx - h >= 0) & (idx + h < x.size)
    idx, b = idx[whole], b[whole]
    if idx.size < 3:
        return empty, empty
    segs = filters.detrend_rows(x[idx[:, None] + np.arange(-h, h + 1)])
    template = np.median(segs, axis=0)  # a few bad beats cannot bend it
    norm = np.linalg.norm(segs, axis=1) * np.linalg.norm(template)
    r = np.where(norm > 0, segs @ template / np.where(norm > 0, norm, 1.0), 0.0)
    return b, r


def beat_quality(window: Window, beat_times, kind: str) -> Quality:
    """Mean correlation of the beats in ``window`` with their median beat (template
    matching). Needs at least 3 whole beats in the window; with fewer it says 'no data'."""
    _, r = beat_correlations(window, beat_times, kind)
    return template_quality(r, kind) if r.size else Quality(0.0, "no data")


def template_quality(r: np.ndarray, kind: str) -> Quality:
    """Quality from beats' correlations with their template: the mean against the
    Orphanidou threshold for ``kind`` (index 0.5 there, 1 halfway from it to 1.0)."""
    r_min = TEMPLATE[kind][1]
    index = _ramp(float(np.mean(r)), 1.0 - 0.5 * (1.0 - r_min), r_min)
    return Quality(index, "ok") if index >= 1.0 else Quality(index, "noisy")
