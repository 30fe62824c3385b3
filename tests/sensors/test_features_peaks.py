"""Streaming beat detectors: accuracy on signals with known beats, and chunk invariance."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.errors import StreamFormatError
from sensors.peaks import RPeakDetector
from sensors.pulse import PulseDetector
from tests.sensors.test_features_synthetic import PHYSIONET, match, synth_ecg, synth_ppg

LATENCY_S = 0.6  # beats this close to the end are not confirmed yet; not scored


def scored(beats, truth, end):
    return beats[beats < end - LATENCY_S], truth[truth < end - LATENCY_S]


def ramp(lo, hi, duration):
    return lambda t: lo + (hi - lo) * t / duration


@pytest.mark.parametrize("rate", [130.0, 250.0, 1000.0])
@pytest.mark.parametrize("hr, polarity", [(ramp(45, 185, 150), 1.0), (72.0, -1.0)])
def test_r_peaks_sensitivity_and_ppv(rate, hr, polarity):
    t, x, truth = synth_ecg(150, rate, hr_bpm=hr, seed=int(rate), polarity=polarity)
    beats, truth = scored(RPeakDetector(rate).push(t, x), truth, t[-1])
    se, ppv = match(beats, truth, tol=0.05)
    assert se >= 0.995 and ppv >= 0.995, (se, ppv, truth.size, beats.size)


@pytest.mark.parametrize("rate", [100.0, 2000.0])
def test_r_peaks_at_the_rate_limits(rate):
    t, x, truth = synth_ecg(60, rate, hr_bpm=80.0, seed=5)
    beats, truth = scored(RPeakDetector(rate).push(t, x), truth, t[-1])
    assert match(beats, truth) == (1.0, 1.0)


@pytest.mark.parametrize("rate", [130.0, 250.0, 1000.0])
def test_r_peaks_on_neurokit_ecgsyn(rate):
    import neurokit2 as nk  # a test dependency: installed by the test command, never skipped
    from scipy.signal import find_peaks

    clean = nk.ecg_simulate(
        duration=60, sampling_rate=int(rate), heart_rate=110, heart_rate_std=4, noise=0, random_state=7
    )
    # Truth from the noise-free signal (padded, so a peak on the first sample counts too).
    pk, _ = find_peaks(np.r_[clean.min(), clean, clean.min()], height=0.5 * clean.max(), distance=int(0.25 * rate))
    t = np.arange(clean.size) / rate
    rng = np.random.default_rng(0)
    x = clean + 0.3 * np.sin(2 * np.pi * 0.2 * t) + 0.05 * rng.standard_normal(t.size)
    beats, truth = scored(RPeakDetector(rate).push(t, x), t[pk - 1], t[-1])
    se, ppv = match(beats, truth, tol=0.05)
    assert se >= 0.995 and ppv >= 0.995, (se, ppv)


def test_r_peaks_relock_after_artefact_and_amplitude_drop():
    t, x, truth = synth_ecg(90, 250.0, hr_bpm=80.0, seed=4)
    rng = np.random.default_rng(0)
    burst = (t > 30) & (t < 35)
    x[burst] += 8.0 * rng.standard_normal(burst.sum())  # motion artefact, 8 mV
    x[t > 55] *= 0.25  # electrode re-seated, smaller QRS
    beats = RPeakDetector(250.0).push(t, x)
    for lo, hi in [(37.0, 54.0), (57.0, 89.0)]:  # within 2 s of each event
        se, ppv = match(beats[(beats > lo) & (beats < hi)], truth[(truth > lo) & (truth < hi)])
        assert se == 1.0 and ppv == 1.0, (lo, se, ppv)


@pytest.mark.parametrize("rate", [25.0, 64.0, 250.0])
def test_pulse_peaks_sensitivity_and_ppv(rate):
    t, x, truth = synth_ppg(150, rate, hr_bpm=ramp(45, 180, 150), seed=int(rate))
    beats, truth = scored(PulseDetector(rate).push(t, x), truth, t[-1])
    se, ppv = match(beats, truth, tol=0.06)
    assert se >= 0.99 and ppv >= 0.99, (se, ppv)


def feed_in_chunks(detector, t, x, rng, max_chunk):
    out, i = [], 0
    while i < t.size:
        n = int(rng.integers(1, max_chunk + 1))
        out.append(detector.push(t[i : i + n], x[i : i + n]))
        i += n
    return np.concatenate(out)


@pytest.fixture(scope="module")
def record():
    d = np.load(PHYSIONET)
    t = np.arange(d["ecg_ii_mV"].size) / float(d["fs"])
    return t, d["ecg_ii_mV"].astype(np.float64), d["ppg_nu"].astype(np.float64)


@pytest.mark.parametrize("kind", ["ecg", "ppg"])
def test_streaming_in_random_chunks_equals_whole_recording(record, kind):
    t, ecg, ppg = record
    cls, x = (RPeakDetector, ecg) if kind == "ecg" else (PulseDetector, ppg)
    rng = np.random.default_rng(42)
    whole = cls(250.0).push(t, x)
    assert whole.size > 600
    for max_chunk in (300, 5000):
        assert np.array_equal(feed_in_chunks(cls(250.0), t, x, rng, max_chunk), whole), max_chunk
    # Tiny chunks through the artefact-laden stretch, where search-back and re-lock work hardest.
    seg = (t >= 260) & (t < 300)
    whole = cls(250.0).push(t[seg], x[seg])
    assert np.array_equal(feed_in_chunks(cls(250.0), t[seg], x[seg], rng, 7), whole)


@pytest.mark.parametrize("kind", ["ecg", "ppg"])
def test_streaming_one_sample_at_a_time_equals_whole(record, kind):
    t, ecg, ppg = record
    cls, x = (RPeakDetector, ecg) if kind == "ecg" else (PulseDetector, ppg)
    n = 3000  # 12 s: learning phase, first beats, steady state
    whole = cls(250.0).push(t[:n], x[:n])
    det = cls(250.0)
    single = np.concatenate([det.push(t[i : i + 1], x[i : i + 1]) for i in range(n)])
    assert whole.size >= 15 and np.array_equal(single, whole)


def test_empty_and_non_finite_chunks_keep_the_detector_working():
    t, x, truth = synth_ecg(40, 250.0, hr_bpm=70.0, seed=9)
    x = x.copy()
    x[(t > 20) & (t < 20.5)] = np.nan  # a dropout inside the stream
    x[(t > 25) & (t < 25.1)] = np.inf
    det = RPeakDetector(250.0)
    assert det.push(np.empty(0), np.empty(0)).size == 0
    beats = det.push(t, x)
    late = truth[(truth > 27) & (truth < 39)]
    assert match(beats[(beats > 27) & (beats < 39)], late) == (1.0, 1.0)


@pytest.mark.parametrize(
    "cls, rate",
    [
        (RPeakDetector, 50.0),
        (RPeakDetector, 4000.0),
        (PulseDetector, 10.0),
        (RPeakDetector, 0.0),
        (PulseDetector, float("nan")),
    ],
)
def test_rates_out_of_range_are_refused(cls, rate):
    with pytest.raises(StreamFormatError, match="sampling rate"):
        cls(rate)


def test_mismatched_times_and_values_are_refused():
    with pytest.raises(ValueError, match="as many times as values"):
        RPeakDetector(250.0).push(np.arange(10.0), np.zeros(9))
