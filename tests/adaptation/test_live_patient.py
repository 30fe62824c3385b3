"""The demo's simulated patient: the trained-on model, with a body the waveform generator draws."""

from __future__ import annotations

import numpy as np
import pytest

from adaptation.live_patient import Injections, SimulatedPatient, Surge, person_of


def test_the_generators_heart_rate_is_the_models():
    p = SimulatedPatient(seed=2)
    for t in range(1, 400):
        p.advance(float(t), 0.6 if t > 60 else 0.0)  # a frightening level after a minute
    model_hr = p.true_physiology()["hr_bpm"]
    rr_t = np.arange(380.0, 399.0, 0.25)
    synth_hr = p.person.hr_rest + p.person.hr_gain * p._arousal(rr_t).mean()
    assert synth_hr == pytest.approx(model_hr, rel=0.03)
    assert model_hr > p.params["hr_rest"][0] * 1.02  # it did rise (an accelerator)


def test_the_generated_beats_follow_arousal():
    p = SimulatedPatient(seed=2)
    for t in range(1, 300):
        p.advance(float(t), 0.8 if t > 100 else 0.0)
        p.synth.chunk(float(t - 1), float(t))
    beats = np.array(p.synth.beats)
    calm = beats[(beats > 30) & (beats < 90)]
    afraid = beats[(beats > 250) & (beats < 299)]
    assert 60.0 / np.diff(afraid).mean() > 60.0 / np.diff(calm).mean() + 3


def test_an_injected_surge_raises_the_heart_only_while_it_lasts():
    p = SimulatedPatient(seed=2, injections=Injections(surges=[Surge(100.0, 30.0, 50.0)]))
    rest = p.person.hr_rest
    p.advance(110.0, 0.0)
    assert p.person.hr_rest == pytest.approx(rest + 50.0)
    p.advance(131.0, 0.0)
    assert p.person.hr_rest == pytest.approx(rest)


def test_same_seed_same_person_and_course():
    a, b = SimulatedPatient(seed=7), SimulatedPatient(seed=7)
    for t in range(1, 200):
        a.advance(float(t), 0.5)
        b.advance(float(t), 0.5)
    assert a.arousal == b.arousal and a.answer_suds() == b.answer_suds()


def test_fear_turns_the_head_away_and_escape_is_reported_once():
    p = SimulatedPatient(seed=6)  # high resting arousal, low threshold
    assert abs(p.head_pose()[3]) < 5
    for t in range(1, 1200):
        p.advance(float(t), 1.0)
        if p.escaped:
            break
    assert p.arousal > 0.7 and abs(p.head_pose()[3]) > 30
    # the model's escape hazard, seeded: at the step it happened, and again for the same seed
    # (the second was 18 s before per-person seed streams, issue 15; a recorded time is no check)
    assert p.escaped and p.escaped_at == float(t)
    again = SimulatedPatient(seed=6)
    for u in range(1, t + 1):
        again.advance(float(u), 1.0)
    assert again.escaped_at == p.escaped_at
    first = p.escaped_at
    p.advance(1300.0, 1.0)
    assert p.escaped_at == first  # reported once, kept


def test_person_mapping_keeps_decelerators_slowing():
    p = SimulatedPatient(seed=1)  # an HR decelerator
    assert bool(p.params["hr_decelerator"][0]) and person_of(p.params).hr_gain < 0


def test_glances_away_come_more_often_when_afraid_and_the_head_never_jumps():
    def glances(intensity: float, seed: int) -> tuple[int, float]:
        p = SimulatedPatient(seed=seed)
        count, away, last, biggest = 0, False, p.head_pose(0.0), 0.0
        for k in range(1, 600 * 10):
            t = k / 10
            p.advance(t, intensity)
            pose = p.head_pose(t)
            biggest = max(biggest, abs(pose[3] - last[3]), abs(pose[4] - last[4]))
            last = pose
            now_away = abs(pose[3]) > 30 or pose[4] > 25
            count += now_away and not away
            away = now_away
            if p.escaped:
                break
        return count, biggest

    calm = sum(glances(0.0, s)[0] for s in range(4))
    afraid = sum(glances(0.6, s)[0] for s in range(4))
    assert afraid > calm + 3
    assert (
        max(glances(0.6, s)[1] for s in range(2)) < 15.0
    )  # under 150°/s: a quick glance (people turn at 200+), no jump


def test_glances_leave_the_patients_course_as_it_was():
    a = SimulatedPatient(seed=3)
    b = SimulatedPatient(seed=3)
    for t in range(1, 300):
        a.advance(float(t), 0.5)
        a.head_pose(float(t))
        b.advance(float(t), 0.5)
    assert a.arousal == b.arousal and a.answer_suds() == b.answer_suds()
