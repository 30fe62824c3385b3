"""EDA (tonic level, SCRs) and respiration rate on synthetic signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.eda import eda_features
from sensors.resp import respiration_rate
from sensors.types import Window
from tests.sensors.test_features_synthetic import synth_eda, synth_resp

ONSETS = [5.0, 18.0, 31.0, 45.0, 52.0]
AMPS = [0.05, 0.3, 0.8, 0.15, 0.4]


@pytest.mark.parametrize("rate", [4.0, 8.0, 32.0])
@pytest.mark.parametrize("drift", [0.0, 0.6, -0.6])  # µS per minute
def test_scrs_found_with_their_onsets_and_amplitudes(rate, drift):
    t, x, tonic = synth_eda(60, rate, ONSETS, AMPS, drift_us_per_min=drift, seed=int(rate))
    f = eda_features(Window(t, x, rate))
    assert f.quality.usable
    assert f.onsets.size == len(ONSETS)
    # Smoothing below 1 Hz moves the visible onset up to half a second early.
    assert np.all(np.abs(f.onsets - ONSETS) <= 0.5), f.onsets
    # Trough-to-peak (detrended) still includes the previous response's tail.
    assert np.all(np.abs(f.amplitudes - AMPS) <= np.maximum(0.02, 0.06 * np.array(AMPS))), f.amplitudes
    assert f.scr_per_min == pytest.approx(5 / (t[-1] - t[0]) * 60)
    assert f.scr_amplitude_us == pytest.approx(np.mean(f.amplitudes))
    assert f.tonic_us == pytest.approx(tonic.mean(), abs=0.05)


def test_no_responses_means_zero_count_and_the_plain_level():
    t, x, tonic = synth_eda(60, 4.0, [], [], drift_us_per_min=0.3, noise_us=0.004, seed=2)
    f = eda_features(Window(t, x, 4.0))
    assert f.scr_per_min == 0.0 and f.scr_amplitude_us == 0.0
    assert f.tonic_us == pytest.approx(tonic.mean(), abs=0.01)


def test_slow_rise_and_fast_step_are_not_responses():
    t = np.arange(0, 60, 1 / 16)
    x = 3.0 + np.clip((t - 10) / 12, 0, 1) * 0.5  # 12 s rise: tonic, not an SCR
    x = x + np.where(t > 40, 0.3, 0.0)  # instantaneous step: an artefact
    f = eda_features(Window(t, x, 16.0))
    assert f.onsets.size == 0, f.onsets


def test_response_still_rising_at_the_window_end_is_not_counted():
    t, x, _ = synth_eda(30, 4.0, [29.0], [0.5], seed=1)
    assert eda_features(Window(t, x, 4.0)).onsets.size == 0


def test_short_eda_window_is_nan_with_a_reason():
    t, x, _ = synth_eda(5, 4.0, [], [], seed=1)
    f = eda_features(Window(t, x, 4.0))
    assert math.isnan(f.tonic_us) and "needs 10 s" in f.reason


@pytest.mark.parametrize("rate", [10.0, 25.0, 100.0])
@pytest.mark.parametrize("bpm", [6.0, 12.0, 20.0, 30.0, 40.0])
def test_respiration_rate(rate, bpm):
    window = 60.0 if bpm < 10 else 30.0
    t, x, onsets = synth_resp(120, rate, bpm, seed=int(rate + bpm))
    for end in (window, 90.0, 120.0):
        m = (t > end - window) & (t <= end)
        r = respiration_rate(Window(t[m], x[m], rate))
        o = onsets[(onsets > end - window) & (onsets <= end)]
        true = 60.0 / np.mean(np.diff(o))  # the breaths actually in the window
        assert r.quality.usable
        # A breath miscounted in the window is off by ≥ 6 %; edge cycles alone by up to 5 %.
        assert r.rate_bpm == pytest.approx(true, abs=max(1.0, 0.05 * true)), (end, r, true)


def test_respiration_with_heavy_noise_is_counted_right_or_refused():
    for seed in range(6):
        t, x, onsets = synth_resp(60, 10.0, 15.0, seed=seed, noise=0.5)
        r = respiration_rate(Window(t[t > 30], x[t > 30], 10.0))
        if not math.isnan(r.rate_bpm):
            true = 60.0 / np.mean(np.diff(onsets[onsets > 30]))
            assert r.rate_bpm == pytest.approx(true, abs=1.5)
        else:
            assert r.reason


def test_respiration_needs_two_breaths():
    t, x, _ = synth_resp(60, 25.0, 4.0, seed=3)
    r = respiration_rate(Window(t[t < 16], x[t < 16], 25.0))
    assert math.isnan(r.rate_bpm) and r.reason


def test_noise_riding_on_a_zero_crossing_counts_once():
    from sensors.resp import _upward_crossings

    t = np.linspace(0, 10, 1001)
    s = -np.sin(2 * np.pi * 0.2 * t)  # upward zero crossings at 2.5 and 7.5 s
    s += 0.05 * np.sin(2 * np.pi * 7 * t)  # jitter that re-crosses zero
    on = _upward_crossings(s, t, 0.25 * float(np.median(np.abs(s))))
    assert on.size == 2 and np.allclose(on, [2.5, 7.5], atol=0.05), on


def test_breaths_too_scattered_to_average_are_refused_without_a_numpy_warning(monkeypatch):
    """Breaths of 2 and 10 s: none lies within ±50 % of their 6 s median, so the rate's mean
    would be of nothing. Seen in a loaded demo as 'Mean of empty slice' on the terminal."""
    import warnings

    import sensors.resp as resp

    t, x, _ = synth_resp(30, 25.0, 12.0, seed=1)
    monkeypatch.setattr(resp, "_upward_crossings", lambda s, t, h: np.array([0.0, 2.0, 12.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning fails the test
        r = respiration_rate(Window(t, x, 25.0))
    assert math.isnan(r.rate_bpm) and not r.quality.usable and "scatter" in r.reason
