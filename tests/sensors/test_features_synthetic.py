"""Seeded synthetic physiology with known ground truth, shared by the features tests.

Each generator returns ``(times, values, truth)``; ``truth`` holds the event times or
values the signal was built from, so a detector can be scored against them. The tests at
the bottom check the generators and the scorer themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
PHYSIONET = DATA / "physionet_a103l_ecg_ppg_250hz.npz"


def beat_times(
    duration: float, hr_bpm, rng: np.random.Generator, jitter: float = 0.03, rsa: float = 0.04
) -> np.ndarray:
    """Beat times with respiratory sinus arrhythmia and random jitter; ``hr_bpm`` may be a
    function of time."""
    hr = hr_bpm if callable(hr_bpm) else (lambda t: hr_bpm)
    t, out = 0.3 + rng.uniform(0, 0.3), []
    while t < duration:
        out.append(t)
        rr = 60.0 / hr(t)
        rr *= 1.0 + rsa * np.sin(2 * np.pi * 0.25 * t) + jitter * rng.standard_normal()
        t += max(rr, 0.25)
    return np.array(out)


def synth_ecg(
    duration: float,
    rate: float,
    hr_bpm=70.0,
    seed: int = 0,
    noise_mv: float = 0.04,
    wander_mv: float = 0.4,
    powerline_mv: float = 0.05,
    polarity: float = 1.0,
):
    """ECG (mV) as a sum of Gaussian P-Q-R-S-T waves per beat, plus baseline wander,
    mains hum, white noise and occasional EMG bursts; truth = R-peak times."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration, 1.0 / rate)
    beats = beat_times(duration, hr_bpm, rng)
    x = np.zeros_like(t)
    waves = [
        (-0.20, 0.12, 0.025),
        (-0.035, -0.10, 0.010),
        (0.0, 1.0, 0.011),
        (0.035, -0.25, 0.011),
        (0.0, 0.30, 0.045),
    ]  # (offset s, mV, width s)
    rr = np.diff(beats, append=beats[-1] + 0.8)
    for b, r in zip(beats, rr):
        amp = 1.0 + 0.15 * np.sin(2 * np.pi * 0.25 * b) + 0.05 * rng.standard_normal()
        for k, (off, a, w) in enumerate(waves):
            if k == 4:
                off = 0.28 * np.sqrt(min(r, 1.2))  # QT shortens with RR (Bazett-like)
            lo, hi = np.searchsorted(t, [b + off - 5 * w, b + off + 5 * w])
            x[lo:hi] += amp * a * np.exp(-0.5 * ((t[lo:hi] - b - off) / w) ** 2)
    x *= polarity
    x += wander_mv * (np.sin(2 * np.pi * 0.22 * t + rng.uniform(0, 6)) + 0.5 * np.sin(2 * np.pi * 0.05 * t))
    x += np.cumsum(rng.standard_normal(t.size)) * (0.02 / np.sqrt(rate))  # slow drift
    if rate > 110:
        x += powerline_mv * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 6))
    x += noise_mv * rng.standard_normal(t.size)
    for start in rng.uniform(0, duration, size=max(1, int(duration // 30))):  # EMG bursts
        m = (t > start) & (t < start + 1.0)
        x[m] += 0.08 * rng.standard_normal(m.sum())
    return t, x, beats


def synth_ppg(duration: float, rate: float, hr_bpm=75.0, seed: int = 0, noise: float = 0.02):
    """PPG (arbitrary units) as systolic + dicrotic Gaussians per beat, with respiratory
    baseline modulation and noise; truth = systolic-peak times."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration, 1.0 / rate)
    beats = beat_times(duration, hr_bpm, rng, jitter=0.02)
    x = np.zeros_like(t)
    for b in beats:
        for off, a, w in [(0.0, 1.0, 0.07), (0.22, 0.35, 0.08)]:
            lo, hi = np.searchsorted(t, [b + off - 5 * w, b + off + 5 * w])
            x[lo:hi] += a * np.exp(-0.5 * ((t[lo:hi] - b - off) / w) ** 2)
    x += 0.3 * np.sin(2 * np.pi * 0.25 * t) + 0.2 * np.sin(2 * np.pi * 0.03 * t)
    x += noise * rng.standard_normal(t.size)
    return t, x, beats


def synth_eda(
    duration: float,
    rate: float,
    onsets,
    amplitudes,
    tonic_us: float = 4.0,
    drift_us_per_min: float = 0.2,
    seed: int = 0,
    noise_us: float = 0.003,
):
    """Skin conductance (µS): a drifting tonic level plus Bateman-shaped SCRs (rise about
    1.2 s, recovery half-time about 2.5 s) starting at ``onsets``; truth = the tonic trace."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration, 1.0 / rate)
    tonic = tonic_us + drift_us_per_min * t / 60.0
    x = tonic.copy()
    tau_r, tau_d = 0.75, 3.0
    tp = np.log(tau_d / tau_r) * tau_d * tau_r / (tau_d - tau_r)
    peak = np.exp(-tp / tau_d) - np.exp(-tp / tau_r)
    for on, a in zip(onsets, amplitudes):
        s = np.clip(t - on, 0, None)
        x += a * (np.exp(-s / tau_d) - np.exp(-s / tau_r)) / peak
    x += noise_us * rng.standard_normal(t.size)
    x = np.round(x / 0.001) * 0.001  # a 1 nS ADC step
    return t, x, tonic


def synth_resp(duration: float, rate: float, breaths_per_min: float, seed: int = 0, noise: float = 0.05):
    """Respiration belt signal: breath cycles with 10 % random length and depth variation,
    baseline drift and noise; truth = breath-onset times."""
    rng = np.random.default_rng(seed)
    onsets, t0 = [], rng.uniform(0, 1)
    while t0 < duration + 20:
        onsets.append(t0)
        t0 += 60.0 / breaths_per_min * (1 + 0.1 * rng.standard_normal())
    onsets = np.array(onsets)
    t = np.arange(0.0, duration, 1.0 / rate)
    k = np.searchsorted(onsets, t, side="right") - 1
    phase = (t - onsets[k]) / (onsets[k + 1] - onsets[k])
    depth = 1 + 0.15 * rng.standard_normal(onsets.size)
    x = depth[k] * (0.5 - 0.5 * np.cos(2 * np.pi * phase))
    x += 0.3 * np.sin(2 * np.pi * 0.01 * t) + noise * rng.standard_normal(t.size)
    return t, x, onsets[onsets < duration]


def match(detected, truth, tol: float = 0.05) -> tuple[float, float]:
    """Sensitivity and positive predictive value, each true beat matched at most once."""
    detected, truth = np.asarray(detected), np.asarray(truth)
    used = np.zeros(detected.size, bool)
    tp = 0
    for b in truth:
        j = np.searchsorted(detected, b)
        best = None
        for k in (j - 1, j):
            if 0 <= k < detected.size and not used[k] and abs(detected[k] - b) <= tol:
                if best is None or abs(detected[k] - b) < abs(detected[best] - b):
                    best = k
        if best is not None:
            used[best] = True
            tp += 1
    se = tp / truth.size if truth.size else 1.0
    ppv = tp / detected.size if detected.size else 1.0
    return se, ppv


# -- the helpers themselves ------------------------------------------------------------------


def test_match_counts_each_true_beat_once():
    truth = np.array([1.0, 2.0, 3.0])
    assert match(truth, truth) == (1.0, 1.0)
    se, ppv = match(np.array([1.01, 1.02, 2.2, 3.0]), truth)  # one double, one too far
    assert se == 2 / 3 and ppv == 2 / 4


def test_ecg_truth_marks_the_r_peaks():
    t, x, beats = synth_ecg(20, 500, noise_mv=0.0, wander_mv=0.0, powerline_mv=0.0, seed=3)
    for b in beats[1:-1]:
        m = np.abs(t - b) < 0.1
        assert abs(t[m][np.argmax(x[m])] - b) < 0.004


def test_resp_truth_is_one_onset_per_cycle():
    _, _, onsets = synth_resp(60, 25, 15.0, seed=1)
    assert 13 <= onsets.size <= 17
