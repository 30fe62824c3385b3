"""Inputs a review found that crashed the reader or passed junk as real; each now fails safe."""

import numpy as np

from sensors import lsl
from sensors.features import extract
from sensors.live import LivePhysiology
from sensors.resp import respiration_rate
from sensors.types import StreamSpec, Window


def rr(ends, values_ms):
    return {"rr": Window(np.asarray(ends, float), np.asarray(values_ms, float), 0.0, "ms")}


def test_zero_rr_intervals_do_not_crash_and_are_not_usable():
    f = extract(100.0, rr(np.arange(91, 100.5, 1.0), np.zeros(10)))
    assert np.isnan(f.hr_bpm) and not f.quality["rr"].usable


def test_negative_rr_intervals_never_raise_quality_into_usable():
    f = extract(6.5, rr([1, 2, 3, 4.5, 6, 6.4], np.array([1, 1, 1, 2.5, 2.5, -4]) * 1000.0))
    assert np.isnan(f.hr_bpm) and not f.quality["rr"].usable
    g = extract(100.0, rr(np.arange(91, 100.5, 1.0), [-3000.0] + [1000.0] * 9))
    assert 0.0 <= g.quality["rr"].index <= 1.0


def test_a_slow_heart_on_an_rr_stream_is_not_called_stale_between_beats():
    ends = np.arange(1, 16) * 1.5  # 40 bpm
    f = extract(ends[-1] + 1.6, rr(ends, np.full(15, 1500.0)))
    assert f.hr_bpm == 40.0 and f.quality["rr"].usable


def test_rates_the_detectors_cannot_use_give_nan_not_a_crash():
    ecg = Window(np.arange(500) / 50, np.sin(np.arange(500)), 50.0, "mV")
    assert np.isnan(extract(10.0, {"ecg": ecg}).hr_bpm)
    r = respiration_rate(Window(np.arange(30) * 10.0, np.sin(np.arange(30)), 0.1, ""))
    assert np.isnan(r.rate_bpm) and "needs at least" in r.reason


def test_a_stream_too_slow_for_its_detector_fails_alone(uid, closing):
    source = uid("slow")
    ecg = closing(
        lsl.make_outlet(
            StreamSpec(f"{source}-ecg", "ECG", 50.0, 1, "float32", f"{source}-ecg", labels=("II",), units=("mV",))
        )
    )
    eda = closing(
        lsl.make_outlet(
            StreamSpec(f"{source}-eda", "EDA", 4.0, 1, "float32", f"{source}-eda", labels=("palm",), units=("uS",))
        )
    )
    live = closing(
        LivePhysiology.open({"ecg": {"source_id": f"{source}-ecg"}, "eda": {"source_id": f"{source}-eda"}}, timeout=10)
    )
    assert "ecg" in live.failed and "50" in str(live.failed["ecg"])
    assert list(live.signals) == ["eda"]
    assert ecg and eda
