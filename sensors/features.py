"""Features at a control tick: ``extract(time, windows, beats)`` → ``Features``.

``extract`` is a pure function: it reads windows of raw samples (ECG, PPG, EDA,
respiration, RR intervals) and beat times, and returns every feature with its quality.
A value computed from a window that fails its quality checks is NaN, and
``Features.reasons`` says why. Beats come from the streaming detectors in
``sensors.peaks`` and ``sensors.pulse``, fed as samples arrive; ``FeatureExtractor`` does that feeding and calls
``extract`` at each tick. Given no beats for a signal, ``extract`` runs a fresh detector
over the window, which is slower and misses the last ~0.4 s.

Heart rate is taken from the first trustworthy source of ECG, PPG, then RR intervals.
The beat-to-beat heart rate (``sensors.hr_fast``: the newest run of regular beats, for the
shield's HR ceiling) is taken the same way, from the first source whose newest run is
regular, fresh and from a usable signal; it may come from another source than the 10-s HR.

Modules: ``peaks`` (ECG R peaks), ``pulse`` (PPG pulses), ``heart`` (HR, RMSSD),
``eda``, ``resp``, ``quality``, ``baseline``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .baseline import Baseline
from .eda import eda_features
from .errors import StreamFormatError
from .heart import heart_rate, heart_rate_from_intervals
from .hr_fast import FastHeart, fast_heart_rate, fast_heart_rate_from_beats
from .peaks import RPeakDetector
from .pulse import PulseDetector
from .quality import beat_correlations, signal_quality, template_quality
from .resp import respiration_rate
from .types import Features, Quality, Window

SIGNALS = ("ecg", "ppg", "eda", "resp", "rr")
BEAT_R_MIN = 0.7  # clean beats correlate ≥ 0.8 with their median (ECG and PPG alike)
DETECTORS: dict[str, type[RPeakDetector] | type[PulseDetector]] = {"ecg": RPeakDetector, "ppg": PulseDetector}
FAST_MARGIN_S = 0.25  # the run's quality window starts this long before its first beat (a QRS's width)
RR_MAX_AGE_S = 3.0  # RR arrives once per beat: the watchdog's 2 s interval + 1 s grace


def _check_names(names, where: str) -> None:
    unknown = set(names) - set(SIGNALS)
    if unknown:
        raise ValueError(f"{where}: unknown signal(s) {sorted(unknown)}; expected some of {list(SIGNALS)}")


def _tail(w: Window, start: float) -> Window:
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
    recent = _tail(w, time - hr_s)
    q = signal_quality(recent, kind)
    if not q.usable:
        why = f"{kind} {q.reason}"
        return math.nan, math.nan, q, why, why, FastHeart(math.nan, q, math.nan, why)
    if beats is None:
        beats = _beats_offline(kind, w)
    beats = np.asarray(beats, dtype=np.float64)
    span = _tail(w, time - max(hr_s, rmssd_s))
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
    span_q = signal_quality(_tail(w, fast.start - FAST_MARGIN_S), kind)
    q = _worst(signal_q, span_q, _template_q(r[bt >= fast.start], kind))
    if not q.usable:
        return FastHeart(math.nan, q, fast.age_s, f"{kind} {q.reason} over the run")
    return FastHeart(fast.hr_bpm, q, fast.age_s, "", fast.start)


def _template_q(r: np.ndarray, kind: str) -> Quality:
    """Quality from beats' correlations with the median beat (too few beats: no verdict)."""
    return template_quality(r, kind) if r.size >= 3 else Quality(1.0, "ok")


def extract(
    time: float,
    windows: Mapping[str, Window],
    beats: Mapping[str, np.ndarray] | None = None,
    *,
    baseline: Baseline | None = None,
    hr_window_s: float = 10.0,
    rmssd_window_s: float = 30.0,
    eda_window_s: float = 60.0,
    resp_window_s: float = 30.0,
    max_age_s: float = 1.5,
) -> Features:
    """All features as of ``time`` (seconds, the windows' clock).

    windows: per signal ('ecg' mV, 'ppg', 'eda' µS, 'resp', 'rr' intervals in ms, or s if
    the window's unit is 's'), samples up to ``time``; each is cut to the span its feature
    uses. beats: beat times per signal ('ecg', 'ppg') from the streaming detectors.
    A signal whose newest sample is older than ``max_age_s`` is 'stale' and yields nothing.
    """
    _check_names(windows, "extract")
    quality: dict[str, Quality] = {}
    age: dict[str, float] = {}
    reasons: dict[str, str] = {}
    values: dict[str, Any] = {}  # Features' fields by name: numbers, the source's name, a Quality
    fresh = _fresh_windows(time, windows, max_age_s, quality, age)
    _heart_features(time, fresh, beats or {}, hr_window_s, rmssd_window_s, quality, values, reasons)
    _eda_and_breathing(time, fresh, eda_window_s, resp_window_s, quality, values, reasons)

    f = Features(time=float(time), quality=quality, age_s=age, reasons=reasons, **values)
    relative = baseline.relative(f) if baseline is not None else dict.fromkeys(Features.NAMES, math.nan)
    # the beat-to-beat HR against the same HR baseline, as a fraction above it (sensors.baseline)
    base = baseline.values()["hr_bpm"] if baseline is not None else math.nan
    relative["hr_fast_bpm"] = (f.hr_fast_bpm - base) / base if base > 0 else math.nan
    return dataclasses.replace(f, relative=relative)


def _fresh_windows(
    time: float, windows: Mapping[str, Window], max_age_s: float, quality: dict[str, Quality], age: dict[str, float]
) -> dict[str, Window]:
    """The windows whose newest sample is recent enough; the others get their quality
    ('no data', 'stale') and every one with data its age."""
    fresh: dict[str, Window] = {}
    for name, w in windows.items():
        if len(w.times) == 0:
            quality[name] = Quality(0.0, "no data")
            continue
        age[name] = float(time - w.times[-1])
        # RR samples come once per beat: allow the watchdog's 2 s beat interval + 1 s grace.
        limit = max(max_age_s, RR_MAX_AGE_S) if name == "rr" else max_age_s
        if age[name] > limit:
            quality[name] = Quality(0.0, "stale")
        else:
            fresh[name] = w
    return fresh


def _heart_features(
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


def _eda_and_breathing(
    time: float,
    fresh: dict[str, Window],
    eda_window_s: float,
    resp_window_s: float,
    quality: dict[str, Quality],
    values: dict[str, Any],
    reasons: dict[str, str],
) -> None:
    """Tonic EDA and SCRs, and the breathing rate, each from its fresh window; why not."""
    if "eda" in fresh:
        e = eda_features(_tail(fresh["eda"], time - eda_window_s))
        quality["eda"] = e.quality
        values.update(eda_tonic_us=e.tonic_us, scr_per_min=e.scr_per_min, scr_amplitude_us=e.scr_amplitude_us)
        if e.reason:
            for n in ("eda_tonic_us", "scr_per_min", "scr_amplitude_us"):
                reasons[n] = e.reason
    else:
        for n in ("eda_tonic_us", "scr_per_min", "scr_amplitude_us"):
            reasons[n] = f"eda {quality['eda'].reason}" if "eda" in quality else "no EDA stream"

    if "resp" in fresh:
        r = respiration_rate(_tail(fresh["resp"], time - resp_window_s))
        quality["resp"] = r.quality
        values["resp_rate_bpm"] = r.rate_bpm
        if r.reason:
            reasons["resp_rate_bpm"] = r.reason
    else:
        reasons["resp_rate_bpm"] = f"resp {quality['resp'].reason}" if "resp" in quality else "no respiration stream"


class FeatureExtractor:
    """The stateful half of feature extraction, for a control loop.

    ``push`` hands each new ECG/PPG chunk to a streaming beat detector as it arrives (other
    signals need no state); ``tick`` calls ``extract`` with the beats found so far. Beat
    histories older than ``keep_s`` are dropped.
    """

    def __init__(
        self, rates: Mapping[str, float], *, baseline: Baseline | None = None, keep_s: float = 120.0, **extract_kwargs
    ):
        _check_names(rates, "FeatureExtractor")
        self._detectors = {k: DETECTORS[k](r) for k, r in rates.items() if k in DETECTORS}
        self._beats: dict[str, np.ndarray] = {k: np.empty(0) for k in self._detectors}
        self.baseline = baseline
        self.keep_s = keep_s
        self._kwargs = extract_kwargs

    def push(self, signal: str, times, values) -> np.ndarray:
        """Feed samples of ``signal``; returns the beats they confirmed (ECG/PPG), else none."""
        _check_names([signal], "FeatureExtractor.push")
        det = self._detectors.get(signal)
        if det is None:
            return np.empty(0)
        new = det.push(times, values)
        if new.size:
            b = np.concatenate([self._beats[signal], new])
            self._beats[signal] = b[b > b[-1] - self.keep_s]
        return new

    def beats(self, signal: str) -> np.ndarray:
        return self._beats.get(signal, np.empty(0))

    def tick(self, time: float, windows: Mapping[str, Window]) -> Features:
        return extract(time, windows, self._beats, baseline=self.baseline, **self._kwargs)
