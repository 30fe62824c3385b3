"""The real PhysioNet record, replayed through LSL and the live pipeline: ECG- and
PPG-derived heart rates agree (issue 3: median absolute difference over 10 s windows ≤ 2 bpm)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from sensors import lsl
from sensors.live import LivePhysiology
from sensors.publish import RecordingPublisher
from sensors.recordings import load_recording

DATA = Path(__file__).resolve().parents[1] / "data" / "physionet_a103l_ecg_ppg_250hz.npz"
SPEED = 10.0  # 330 s of recording in 33 s; both sides run on the same session clock


@pytest.mark.slow
def test_ecg_and_ppg_heart_rates_agree_through_lsl(tmp_path, uid, closing):
    # Only lead II and the PPG: copy them under names that make unique streams.
    with np.load(DATA) as d:
        path = tmp_path / f"{uid('a103l')}.npz"
        np.savez(path, ecg_ii_mV=d["ecg_ii_mV"], ppg_nu=d["ppg_nu"], fs=d["fs"])
    recording = load_recording(path)
    publisher = closing(RecordingPublisher(recording, speed=SPEED))

    # The session clock runs SPEED times faster from the publisher's start, the origin of
    # the samples' stamps, so the readers see an ordinary session.
    def clock():
        return publisher.start + (lsl.local_clock() - publisher.start) * SPEED

    sources = {o.outlet.spec.type: o.outlet.spec.source_id for o, _, _ in publisher.outs}
    live = closing(
        LivePhysiology.open(
            {"ecg": {"source_id": sources["ECG"]}, "ppg": {"source_id": sources["PPG"]}}, timeout=10, clock=clock
        )
    )
    assert not live.failed, live.failed
    time.sleep(0.5)
    publisher.start = lsl.local_clock()  # the session starts now that both inlets listen
    start = publisher.start
    ecg_hr, ppg_hr = [], []
    next_tick = clock() + 10.0
    while not publisher.finished or clock() < start + recording.duration + 2:
        publisher.step()
        live.poll()
        if clock() >= next_tick:
            now = next_tick
            # one heart rate per 10 s window, from each source's own beats
            for kind, out in (("ecg", ecg_hr), ("ppg", ppg_hr)):
                beats = live.extractor.beats(kind)
                inside = beats[(beats > now - 10.0) & (beats <= now)]
                out.append(60.0 / np.median(np.diff(inside)) if len(inside) > 3 else math.nan)
            next_tick += 10.0
        time.sleep(0.01)
    ecg_hr, ppg_hr = np.array(ecg_hr), np.array(ppg_hr)
    both = np.isfinite(ecg_hr) & np.isfinite(ppg_hr)
    print(
        f"\n{both.sum()} windows; median HR ECG {np.median(ecg_hr[both]):.1f} PPG {np.median(ppg_hr[both]):.1f} bpm; "
        f"median |ECG-PPG| {np.median(np.abs(ecg_hr[both] - ppg_hr[both])):.2f} bpm"
    )
    assert both.sum() >= 25, f"only {both.sum()} windows had both heart rates"
    assert np.median(ecg_hr[both]) == pytest.approx(126.5, abs=2.5)  # the record's known rate
    assert np.median(np.abs(ecg_hr[both] - ppg_hr[both])) <= 2.0
