"""Baseline: resting values and features relative to them."""

from __future__ import annotations

import math

import pytest

from sensors.baseline import Baseline
from sensors.types import Features


def test_relative_values_against_the_resting_median():
    b = Baseline(min_values=5)
    for k in range(10):
        b.add(
            Features(
                time=k,
                hr_bpm=70.0 + (k % 3) - 1,
                rmssd_ms=40.0,
                eda_tonic_us=4.0,
                scr_per_min=1.0,
                scr_amplitude_us=0.1,
                resp_rate_bpm=12.0,
            )
        )
    b.add(Features(time=11, hr_bpm=180.0))  # one artefact barely counts
    assert b.ready and b.values()["hr_bpm"] == 70.0
    rel = b.relative(
        Features(
            time=20,
            hr_bpm=84.0,
            rmssd_ms=25.0,
            eda_tonic_us=5.0,
            scr_per_min=4.0,
            scr_amplitude_us=0.3,
            resp_rate_bpm=18.0,
        )
    )
    assert rel["hr_bpm"] == pytest.approx(0.20)  # 20 % over baseline: "elevated"
    assert rel["eda_tonic_us"] == pytest.approx(0.25)
    assert rel["rmssd_ms"] == pytest.approx(-15.0)
    assert rel["scr_per_min"] == pytest.approx(3.0)
    assert rel["scr_amplitude_us"] == pytest.approx(0.2)
    assert rel["resp_rate_bpm"] == pytest.approx(6.0)


def test_nan_values_are_not_learnt_and_give_nan():
    b = Baseline(min_values=3)
    for k in range(5):
        b.add(Features(time=k, hr_bpm=60.0))  # EDA missing throughout
    assert b.count("eda_tonic_us") == 0 and b.count("hr_bpm") == 5
    rel = b.relative(Features(time=9, hr_bpm=math.nan, eda_tonic_us=3.0))
    assert math.isnan(rel["hr_bpm"]) and math.isnan(rel["eda_tonic_us"])


def test_not_ready_before_enough_values():
    b = Baseline(min_values=30)
    for k in range(29):
        b.add(Features(time=k, hr_bpm=60.0))
    assert not b.ready and math.isnan(b.relative(Features(time=30, hr_bpm=70.0))["hr_bpm"])
    b.add(Features(time=29, hr_bpm=60.0))
    assert b.ready


def test_extract_fills_relative_from_a_baseline():
    import numpy as np

    from sensors.features import extract
    from sensors.types import Window
    from tests.sensors.test_features_synthetic import synth_ecg

    t, x, _ = synth_ecg(40, 250.0, hr_bpm=72.0, seed=3)
    b = Baseline(min_values=1)
    b.add(Features(time=0.0, hr_bpm=60.0))
    f = extract(39.99, {"ecg": Window(t, x, 250.0)}, baseline=b)
    assert f.relative["hr_bpm"] == pytest.approx(f.hr_bpm / 60.0 - 1.0)
    # the beat-to-beat HR against the same baseline (sensors.hr_fast; the shield reads it)
    assert f.relative["hr_fast_bpm"] == pytest.approx(f.hr_fast_bpm / 60.0 - 1.0)
    assert np.isnan(f.relative["eda_tonic_us"])
    unrelated = extract(39.99, {"ecg": Window(t, x, 250.0)})  # no baseline yet: all NaN
    assert set(unrelated.relative) == set(Features.NAMES) | {"hr_fast_bpm"}
    assert all(np.isnan(v) for v in unrelated.relative.values())
