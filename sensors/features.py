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

Modules: ``features_heart`` (the heart features, source by source), ``peaks`` (ECG R
peaks), ``pulse`` (PPG pulses), ``heart`` (HR, RMSSD), ``eda``, ``resp``, ``quality``,
``baseline``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .baseline import Baseline
from .eda import eda_features
from .features_heart import DETECTORS
from .features_heart import heart_features as _heart_features
from .features_heart import tail as _tail
from .resp import respiration_rate
from .types import Features, Quality, Window

SIGNALS = ("ecg", "ppg", "eda", "resp", "rr")
RR_MAX_AGE_S = 3.0  # RR arrives once per beat: the watchdog's 2 s interval + 1 s grace


def _check_names(names, where: str) -> None:
    unknown = set(names) - set(SIGNALS)
    if unknown:
        raise ValueError(f"{where}: unknown signal(s) {sorted(unknown)}; expected some of {list(SIGNALS)}")


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
