"""PhysioNet 2015 challenge record a103l (tests/data/README.md): ECG- and PPG-derived heart
rate from the same person must agree. The samples go through the streaming detectors in
one-second chunks, as at a control tick, and features are taken every 10 s."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.features import FeatureExtractor
from sensors.types import Window
from tests.sensors.test_features_synthetic import PHYSIONET


@pytest.fixture(scope="module")
def ticks():
    d = np.load(PHYSIONET)
    fs = float(d["fs"])
    ecg, ppg = d["ecg_ii_mV"].astype(np.float64), d["ppg_nu"].astype(np.float64)
    t = np.arange(ecg.size) / fs
    fx = FeatureExtractor({"ecg": fs, "ppg": fs})
    out = []
    step = int(fs)
    for k in range(0, t.size, step):
        fx.push("ecg", t[k : k + step], ecg[k : k + step])
        fx.push("ppg", t[k : k + step], ppg[k : k + step])
        now = t[min(k + step, t.size) - 1]
        if (k // step + 1) % 10 == 0:
            m = (t > now - 30.0) & (t <= now)
            by_ecg = fx.tick(now, {"ecg": Window(t[m], ecg[m], fs)})
            by_ppg = fx.tick(now, {"ppg": Window(t[m], ppg[m], fs)})
            out.append((now, by_ecg, by_ppg))
    return out


def test_ecg_and_ppg_heart_rates_agree(ticks):
    hr_e = np.array([e.hr_bpm for _, e, _ in ticks])
    hr_p = np.array([p.hr_bpm for _, _, p in ticks])
    both = np.isfinite(hr_e) & np.isfinite(hr_p)
    assert len(ticks) == 33 and both.sum() >= 24, (both.sum(), len(ticks))
    assert np.median(np.abs(hr_e[both] - hr_p[both])) <= 2.0
    assert 125.5 <= np.median(hr_e[both]) <= 128.0 and 125.5 <= np.median(hr_p[both]) <= 128.0


def test_the_artefact_stretch_is_flagged_not_reported(ticks):
    # About 266–315 s the ECG lead comes off (lead-off code values, clipping); the PPG has gaps.
    for now, e, p in ticks:
        for f, kind in ((e, "ecg"), (p, "ppg")):
            if np.isfinite(f.hr_bpm):
                assert abs(f.hr_bpm - 126.5) < 6.0, (now, kind, f.hr_bpm)
            else:
                assert not f.quality[kind].usable and f.reasons["hr_bpm"]
    flagged = [now for now, e, _ in ticks if not e.quality["ecg"].usable]
    assert flagged and all(260 < now <= 320 for now in flagged), flagged


def test_ecg_rmssd_is_small_and_steady_or_withheld(ticks):
    # An ICU patient at 127 bpm: beat-to-beat variability of a few ms (cf. neurokit2: 4–6 ms).
    rmssd = np.array([e.rmssd_ms for now, e, _ in ticks if 30 <= now <= 260])
    assert np.isfinite(rmssd).all() and np.all((rmssd > 2) & (rmssd < 10)), rmssd
    # Where the lead comes off, mislocated beats would inflate it several-fold: no number.
    late = {now: e.rmssd_ms for now, e, _ in ticks if now > 260}
    assert all(np.isnan(v) or v < 10 for v in late.values()), late
