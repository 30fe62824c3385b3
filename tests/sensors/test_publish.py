"""Simulated physiology and recordings go out as real LSL streams and arrive intact."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sensors import lsl
from sensors.publish import RecordingPublisher, SimulatedPublisher
from sensors.recordings import load_recording
from sensors.waveforms import PhysiologySynth


class HandClock:
    def __init__(self):
        self.now = lsl.local_clock()

    def __call__(self):
        return self.now


def drain(inlet, seconds=10.0, want=1):
    """Pull until ``want`` samples arrived (or time is up); return (times, values)."""
    times, values = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t, v = inlet.pull()
        if len(t):
            times.append(t.copy())
            values.append(v.copy())
        if sum(len(x) for x in times) >= want:
            break
        time.sleep(0.02)
    return (np.concatenate(times), np.concatenate(values)) if times else (np.zeros(0), np.zeros((0, 1)))


def test_simulated_streams_carry_their_metadata_samples_and_timing(uid, closing):
    source = uid("sim")
    clock = HandClock()
    synth = PhysiologySynth(lambda t: np.full(np.shape(t), 0.2), seed=3)
    pub = closing(SimulatedPublisher(synth, prefix=source, source=source, clock=clock))
    ecg = closing(lsl.find_stream(source_id=f"{source}-ecg", timeout=10).open())
    rr = closing(lsl.find_stream(source_id=f"{source}-rr", timeout=10).open())
    assert ecg.spec.units == ("mV",) and ecg.spec.rate == 250.0 and rr.spec.units == ("ms",)
    time.sleep(0.3)  # let the inlets subscribe before anything is sent
    clock.now += 4.0  # four seconds of session at once (the control inlet holds 5 s)
    pub.step()
    times, values = drain(ecg, want=1000)
    assert len(times) == 1000
    assert times[0] == pytest.approx(clock.now - 4.0, abs=0.01)
    assert np.diff(times) == pytest.approx(np.full(999, 1 / 250), abs=1e-3)
    assert values.max() > 0.8  # R peaks about 1 mV
    rr_times, rr_ms = drain(rr, want=3)
    assert len(rr_ms) >= 3 and np.all((rr_ms > 600) & (rr_ms < 1000))


@pytest.mark.slow  # ~10 s of real LSL streaming on loopback
def test_a_dropout_silences_rr_too(uid, closing):
    """A dropout means no samples at all: RR intervals must not keep the heart 'fresh'."""
    from sensors.waveforms import Artefacts

    source = uid("sim")
    clock = HandClock()
    synth = PhysiologySynth(lambda t: np.full(np.shape(t), 0.2), artefacts=Artefacts(dropouts=[(3.0, 9.0)]), seed=3)
    pub = closing(SimulatedPublisher(synth, prefix=source, source=source, clock=clock))
    rr = closing(lsl.find_stream(source_id=f"{source}-rr", timeout=10).open())
    time.sleep(0.3)
    clock.now += 12.0
    pub.step()
    times, _ = drain(rr, want=10)
    session = times - (clock.now - 12.0)
    assert len(session) >= 4 and (session < 3.0).any() and (session >= 9.0).any()
    assert not ((session >= 3.0) & (session < 9.0)).any()


def test_a_recording_replays_with_its_values_and_spacing(tmp_path, uid, closing):
    path = tmp_path / f"{uid('rec')}.npz"
    ecg = np.sin(np.arange(1000) / 7.0)
    np.savez(path, ecg_mV=ecg, fs=250.0)
    clock = HandClock()
    pub = closing(RecordingPublisher(load_recording(path), clock=clock))
    source = pub.outs[0][0].outlet.spec.source_id
    inlet = closing(lsl.find_stream(source_id=source, timeout=10).open())
    time.sleep(0.3)
    clock.now += 2.0  # half the recording
    pub.step()
    assert not pub.finished
    clock.now += 5.0
    pub.step()
    assert pub.finished
    times, values = drain(inlet, want=1000)
    assert np.allclose(values[:, 0], ecg, atol=1e-6)
    assert times[-1] - times[0] == pytest.approx(999 / 250, abs=0.01)


def test_speed_publishes_session_time_faster(uid, closing):
    clock = HandClock()
    synth = PhysiologySynth(lambda t: np.zeros(np.shape(t)), seed=1)
    source = uid("fast")
    pub = closing(SimulatedPublisher(synth, prefix=source, source=source, clock=clock, speed=10.0))
    clock.now += 1.0
    assert pub.step() == pytest.approx(10.0)
