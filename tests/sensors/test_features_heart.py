"""Heart rate and RMSSD from beats and RR intervals, with artefact rejection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.heart import accepted_intervals, heart_rate, heart_rate_from_intervals


def beats_from(rr, start=100.0):
    return start + np.concatenate([[0.0], np.cumsum(rr)])


def test_steady_rhythm_gives_its_rate_and_rmssd():
    rr = np.tile([0.80, 0.84], 40)  # successive differences all 40 ms
    b = beats_from(rr)
    hr = heart_rate(b, b[-1])
    assert hr.hr_bpm == pytest.approx(60 / 0.82, abs=0.2)  # odd count of intervals in 10 s
    assert hr.rmssd_ms == pytest.approx(40.0, abs=1e-6)
    assert hr.quality.usable and hr.quality.reason == "ok" and hr.n_rejected == 0


def test_missed_and_extra_beats_are_rejected():
    rr = np.full(40, 0.75)
    b = beats_from(rr)
    b = np.delete(b, 30)  # missed beat: one interval of 1.5 s
    b = np.sort(np.append(b, b[35] + 0.3))  # extra beat: 0.3 s + 0.45 s
    hr = heart_rate(b, b[-1] + 0.2)
    assert hr.hr_bpm == pytest.approx(80.0, abs=0.01)
    assert hr.n_rejected == 3
    assert hr.rmssd_ms == pytest.approx(0.0, abs=1e-9)  # no difference across a rejected interval


def test_local_median_rule_flags_only_the_outlier():
    rr = np.array([0.8, 0.82, 0.79, 0.81, 0.4, 1.2, 0.8, 0.81, 0.8])  # ectopic: short then long
    assert accepted_intervals(rr).tolist() == [True] * 4 + [False, False] + [True] * 3


@pytest.mark.parametrize("rr, reason", [(0.2, "implausible values"), (2.5, "implausible values")])
def test_heart_rate_of_300_or_24_bpm_is_nan(rr, reason):
    b = beats_from(np.full(60, rr))
    hr = heart_rate(b, b[-1])
    assert math.isnan(hr.hr_bpm) and math.isnan(hr.rmssd_ms)
    assert not hr.quality.usable and hr.quality.reason == reason


def test_no_beats_is_not_a_heart_rate_of_zero():
    b = beats_from(np.full(20, 0.8))
    hr = heart_rate(b, b[-1] + 4.0)  # the last beat was 4 s ago
    assert math.isnan(hr.hr_bpm) and hr.quality.reason == "implausible values"
    assert "no beat" in hr.reason
    assert math.isnan(heart_rate([], 10.0).hr_bpm)


def test_mostly_garbage_beats_are_noisy_not_a_number():
    rng = np.random.default_rng(1)
    b = np.sort(rng.uniform(0, 30, 80))  # random "beats"
    hr = heart_rate(b, 30.0)
    assert math.isnan(hr.hr_bpm) and hr.quality.reason in ("noisy", "implausible values")


def test_rmssd_waits_for_ten_seconds_of_clean_beats():
    b = beats_from(np.tile([0.8, 0.84], 6))  # 9.8 s of beats
    hr = heart_rate(b, b[-1])
    assert not math.isnan(hr.hr_bpm) and math.isnan(hr.rmssd_ms)
    assert "10 s" in hr.reason
    b = beats_from(np.tile([0.8, 0.84], 7))  # 11.5 s
    assert heart_rate(b, b[-1]).rmssd_ms == pytest.approx(40.0)


def test_large_successive_jumps_do_not_enter_rmssd():
    rr = np.tile([0.80, 0.80, 0.80, 0.95], 10)  # 150 ms jumps, 17 % of the pair: kept
    rr[20] = 0.62  # a mislocated beat: short ...
    rr[21] = 0.98  # ... then long
    b = beats_from(rr)
    full = heart_rate(b, b[-1], rmssd_window_s=40)
    diffs = np.diff(rr)
    keep = np.abs(diffs) <= 0.2 * 0.5 * (rr[1:] + rr[:-1])
    ok = accepted_intervals(rr)
    keep &= ok[1:] & ok[:-1]
    assert full.rmssd_ms == pytest.approx(1000 * np.sqrt(np.mean(diffs[keep] ** 2)))
    assert full.rmssd_ms < 1000 * np.sqrt(np.mean(diffs**2))


def test_rr_interval_stream():
    rr = np.full(30, 0.6)
    ends = 50.0 + np.cumsum(rr)
    hr = heart_rate_from_intervals(ends, rr, ends[-1])
    assert hr.hr_bpm == pytest.approx(100.0) and hr.rmssd_ms == pytest.approx(0.0)
