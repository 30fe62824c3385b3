"""The synthetic physiology is continuous across chunks and follows its arousal trace."""

import numpy as np
import pytest

from sensors.waveforms import Artefacts, Person, PhysiologySynth


def steady(level):
    return lambda t: np.full(np.shape(t), level, dtype=float)


def collect(synth, seconds, chunk):
    parts = {}
    t = 0.0
    while t < seconds - 1e-9:
        for name, (times, values) in synth.chunk(t, min(seconds, t + chunk)).items():
            parts.setdefault(name, []).append((times, values))
        t += chunk
    return {k: (np.concatenate([a for a, _ in v]), np.concatenate([b for _, b in v])) for k, v in parts.items()}


def test_chunking_does_not_change_the_signal():
    a = collect(PhysiologySynth(steady(0.3), seed=4), 30, 30.0)
    b = collect(PhysiologySynth(steady(0.3), seed=4), 30, 0.37)
    for name in a:
        assert np.array_equal(a[name][0], b[name][0]), name
        assert np.allclose(a[name][1], b[name][1], atol=1e-9), name


@pytest.mark.parametrize("level, expected", [(0.0, 70.0), (1.0, 105.0)])
def test_heart_rate_follows_arousal(level, expected):
    synth = PhysiologySynth(steady(level), seed=1)
    collect(synth, 120, 1.0)
    rr = np.diff([b for b in synth.beats if b < 120])
    assert 60.0 / rr.mean() == pytest.approx(expected, rel=0.04)


def test_decelerators_slow_down_with_fear():
    synth = PhysiologySynth(steady(1.0), person=Person(hr_gain=-12.0), seed=2)
    collect(synth, 120, 1.0)
    assert 60.0 / np.diff([b for b in synth.beats if b < 120]).mean() < 62


def test_ecg_r_peaks_sit_on_the_true_beats():
    synth = PhysiologySynth(steady(0.2), seed=3)
    t, v = collect(synth, 20, 2.0)["ecg"]
    for beat in [b for b in synth.beats if 1 < b < 19]:
        near = (t > beat - 0.1) & (t < beat + 0.1)
        assert abs(t[near][np.argmax(v[near])] - beat) <= 1 / 250 + 1e-9


def test_eda_rises_with_arousal_and_non_responders_have_no_scrs():
    def ramp(t):
        return np.clip(np.asarray(t, float) / 60.0, 0, 1)

    responder = collect(PhysiologySynth(ramp, seed=5), 90, 1.0)["eda"][1]
    flat = collect(PhysiologySynth(ramp, person=Person(scr_responder=False), seed=5), 90, 1.0)["eda"][1]
    assert responder[-32:].mean() > responder[:32].mean() + 3.0
    assert np.all(np.diff(flat) >= -1e-12)  # tonic only: never a response's decay
    assert np.any(np.diff(responder) < -1e-4)  # responses rise and fall


def test_breathing_speeds_up_with_arousal():
    def breaths(level):
        t, v = collect(PhysiologySynth(steady(level), seed=6), 60, 1.0)["resp"]
        return int(np.sum((v[:-1] < 0) & (v[1:] >= 0)))

    assert 12 <= breaths(0.0) <= 14 and 21 <= breaths(1.0) <= 23


def test_artefacts_flat_line_and_dropouts():
    art = Artefacts(electrode_loss=[(10, 15)], dropouts=[(20, 22)])
    data = collect(PhysiologySynth(steady(0.2), artefacts=art, seed=7), 30, 1.0)
    t, v = data["ecg"]
    assert np.all(v[(t >= 10) & (t < 15)] == 0.0)
    assert not np.any((t >= 20) & (t < 22))
    assert np.any(t >= 22)
