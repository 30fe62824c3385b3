"""The heart half of ``sensors.features.extract``: HR and RMSSD from the first usable of
ECG, PPG and RR intervals, and the beat-to-beat HR (``sensors.hr_fast``) from the first of
them whose newest run of beats is regular, fresh and from a usable signal. Per source, the
signal's own checks come first; then beats that do not look like the window's median beat
are dropped, intervals are formed and judged, and the quality folds all three together.
Each function here reads its windows and beats and nothing else; ``DETECTORS`` are the
streaming beat detectors that ``FeatureExtractor`` feeds and that run over a window when
no beats are given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import StreamFormatError
from .heart import heart_rate, heart_rate_from_intervals
from .hr_fast import FastHeart, fast_heart_rate, fast_heart_rate_from_beats
from .peaks import RPeakDetector
from .pulse import PulseDetector
from .quality import beat_correlations, signal_quality, template_quality
from .types import Quality, Window

BEAT_R_MIN = 0.7  # clean beats correlate ≥ 0.8 with their median (ECG and PPG alike)
DETECTORS: dict[str, type[RPeakDetector] | type[PulseDetector]] = {"ecg": RPeakDetector, "ppg": PulseDetector}
FAST_MARGIN_S = 0.25  # the run's quality window starts this long before its first beat (a QRS's width)


def tail(w: Window, start: float) -> Window:
    """The samples of ``w`` stamped after ``start``."""
    k = int(np.searchsorted(w.times, start, side="right"))
    return Window(w.times[k:], w.values[k:], w.rate, w.unit)


def _worst(*qs: Quality) -> Quality:
    return min(qs, key=lambda q: q.index)


def _beats_offline(kind: str, w: Window) -> np.ndarray:
    rate = w.rate if w.rate > 0 else (len(w.times) - 1) / max(w.duration, 1e-9)
    try:
        return DETECTORS[kind](rate).push(w.times, w.values)
    except StreamFormatError:  # a rate the detector cannot use: no beats, not a crash
        return np.empty(0)


def _heart(
    kind: str, w: Window, beats, time: float, hr_s: float, rmssd_s: float, want_fast: bool = True
) -> tuple[float, float, Quality, str, str, FastHeart]:
    """(hr, rmssd, quality, why hr is NaN, why rmssd is NaN, beat-to-beat HR) from one source.

    Beats that do not look like the window's median beat (correlation < ``BEAT_R_MIN``:
    a beat found in a burst of noise, usually misplaced) are dropped before intervals are
    formed; the intervals around them then fail the artefact rules. The quality folds in
    the signal's checks, the beats' template match and the intervals' artefact share.

    The beat-to-beat HR reads the same cleaned beats but not the 10-s artefact rules (which
    reject a sudden surge's beats: the reason it exists); it needs the signal's own checks
    over the last ``hr_s`` and the run's beats to match their template. ``want_fast`` False
    (an earlier source gave it already) skips it: its quality checks cost a tick time."""
    skipped = FastHeart(math.nan, Quality(0.0, "no data"), math.nan, "not needed")
    if kind == "rr":
        scale = 1.0 if w.unit == "s" else 1e-3  # RR streams carry ms unless they say s
        rr = np.asarray(w.values) * scale
        hr = heart_rate_from_intervals(w.times, rr, time, window_s=hr_s, rmssd_window_s=rmssd_s)
        why = "" if hr.quality.usable else f"rr {hr.quality.reason} ({hr.reason})"
        fast = fast_heart_rate(w.times, rr, time) if want_fast else skipped
        return hr.hr_bpm, hr.rmssd_ms, hr.quality, why, why or hr.reason, fast
    recent = tail(w, time - hr_s)
    q = signal_quality(recent, kind)
    if not q.usable:
        why = f"{kind} {q.reason}"
        return math.nan, math.nan, q, why, why, FastHeart(math.nan, q, math.nan, why)
    if beats is None:
        beats = _beats_offline(kind, w)
    beats = np.asarray(beats, dtype=np.float64)
    span = tail(w, time - max(hr_s, rmssd_s))
    bt, r = beat_correlations(span, beats, kind)
    if r.size:
        beats = np.setdiff1d(beats, bt[r < BEAT_R_MIN])
    hr = heart_rate(beats, time, window_s=hr_s, rmssd_window_s=rmssd_s)
    fast = _fast_checked(fast_heart_rate_from_beats(beats, time), q, w, time, bt, r, kind) if want_fast else skipped
    q = _worst(q, hr.quality, _template_q(r[bt > time - hr_s], kind))
    if not q.usable:
        why = f"{kind} {q.reason}" + (f" ({hr.reason})" if hr.reason else "")
        return math.nan, math.nan, q, why, why, fast
    return hr.hr_bpm, hr.rmssd_ms, q, "", hr.reason, fast


def _fast_checked(
    fast: FastHeart, signal_q: Quality, w: Window, time: float, bt: np.ndarray, r: np.ndarray, kind: str
) -> FastHeart:
    """A run's HR kept only when the signal passed its checks over the last ``hr_s``
    (``signal_q``) and again over the run's own span up to ``time`` (a burst of movement
    that began a second ago barely dents a 10-s window but ruins a 3-s one: measured on
    the synthetic ECG and PPG, 0.5 s into a burst the 3-s index is 0.1–0.6, the 10-s one
    0.86), and the run's beats match the median beat on average (``template_quality``: a
    regular train of detections in noise, e.g. a periodic movement, matches no heartbeat's
    shape)."""
    if fast.hr_bpm != fast.hr_bpm:
        return fast
    span_q = signal_quality(tail(w, fast.start - FAST_MARGIN_S), kind)
    q = _worst(signal_q, span_q, _template_q(r[bt >= fast.start], kind))
    if not q.usable:
        return FastHeart(math.nan, q, fast.age_s, f"{kind} {q.reason} over the run")
    return FastHeart(fast.hr_bpm, q, fast.age_s, "", fast.start)


def _template_q(r: np.ndarray, kind: str) -> Quality:
    """Quality from beats' correlations with the median beat (too few beats: no verdict)."""
    return template_quality(r, kind) if r.size >= 3 else Quality(1.0, "ok")


def heart_features(
    time: float,
    fresh: dict[str, Window],
    beats: Mapping[str, np.ndarray],
    hr_window_s: float,
    rmssd_window_s: float,
    quality: dict[str, Quality],
    values: dict[str, Any],
    reasons: dict[str, str],
) -> None:
    """HR and RMSSD from the first usable of ECG, PPG and RR (in that order), and the
    beat-to-beat HR from the first that gives a regular run; why not, when none does."""
    hr_why = []
    fast_why = []
    for kind in ("ecg", "ppg", "rr"):
        if kind not in fresh:
            if kind in quality:
                hr_why.append(f"{kind} {quality[kind].reason}")
                fast_why.append(f"{kind} {quality[kind].reason}")
            continue
        hr, rmssd, q, why, rmssd_why, fast = _heart(
            kind, fresh[kind], beats.get(kind), time, hr_window_s, rmssd_window_s, "hr_fast_bpm" not in values
        )
        if "hr_fast_bpm" not in values:
            if fast.hr_bpm == fast.hr_bpm:
                values.update(
                    hr_fast_bpm=fast.hr_bpm, hr_fast_source=kind, hr_fast_quality=fast.quality, hr_fast_age_s=fast.age_s
                )
            else:
                fast_why.append(f"{kind}: {fast.reason}")
        quality[kind] = q
        if q.usable and "hr_bpm" not in values:
            values.update(hr_bpm=hr, rmssd_ms=rmssd, hr_source=kind)
            if math.isnan(rmssd):
                reasons["rmssd_ms"] = rmssd_why
        elif not q.usable:
            hr_why.append(why)
    if "hr_bpm" not in values:
        why = "; ".join(hr_why) or "no ECG, PPG or RR stream"
        reasons["hr_bpm"] = reasons["rmssd_ms"] = why
    if "hr_fast_bpm" not in values:
        reasons["hr_fast_bpm"] = "; ".join(fast_why) or "no ECG, PPG or RR stream"
