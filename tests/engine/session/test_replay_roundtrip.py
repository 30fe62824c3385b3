"""A session's own recording replays (issue 12): ``vrex demo`` records a short session, its
``recording.xdf`` goes back out over LSL, ``sensors`` reads it back, and the heart rate is
the one the recording holds.

Before the fix ``vrex replay`` died on every vrex recording: the intensity stream's
channels have no unit, pyxdf reads ``<unit></unit>`` as None, and pylsl cannot encode None.

The reference heart rate is computed from the recording's own ECG, PPG and RR samples with
the same feature code but no LSL in between; the replayed one is what ``LivePhysiology``
makes of the streams ``RecordingPublisher`` sends. Both are taken at the times the session
logged a heart rate (its ``vrex-features`` stream), and the logged value is compared too:
that one was computed live during the demo, which ran 10× faster than real time, so a
sample arriving 30 ms late was 0.3 session seconds late and a beat could be missing from a
tick; its agreement is judged by the median, the replay's by every tick.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sensors import lsl
from sensors.acquire import Acquisition, make_reader
from sensors.features import FeatureExtractor
from sensors.live import LivePhysiology
from sensors.publish import RecordingPublisher
from sensors.recording_types import Recording
from sensors.recordings import load_recording
from sensors.types import Window
from sensors.units import conversion
from sensors.watchdog import Status

pyxdf = pytest.importorskip("pyxdf")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
HEART = {"ecg": "ECG", "ppg": "PPG", "rr": "RR"}  # role -> stream type in a demo recording
SPEED = 5.0  # replay: 100 s of recording in 20 s; the inlets' 5 s buffers hold 1 s of wall time
MARGIN_S = 1.0  # a tick is computed once this much later data has arrived: every beat before it is
# confirmed (the detectors confirm within 0.4 s), as the reference has them all
WINDOW_S = 60.0
BUFFER_S = 30


@pytest.fixture(scope="module")
def recording_path(tmp_path_factory) -> Path:
    """The real `vrex demo`, short: 20 s baseline, 1 min exposure, 10 s recovery at 10× speed."""
    out = tmp_path_factory.mktemp("sessions")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "demo",
            "--speed",
            "10",
            "--baseline",
            "20",
            "--minutes",
            "1",
            "--recovery",
            "10",
            "--display",
            "offscreen",
            "--renderer",
            "p3tinydisplay",
            "--no-console",
            "--no-report",
            "--quiet",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    (folder,) = [d for d in (out / "demo").iterdir() if d.is_dir()]
    return folder / "recording.xdf"


def logged_heart_rates(rec: Recording) -> list[tuple[float, float]]:
    """(time, hr_bpm) of every tick the session logged with a heart rate, but the last second
    or two of the heart streams: a tick is computed MARGIN_S after its time, and a reader
    judges staleness at the moment it is asked, so once the replayed streams end a tick just
    before their end would see them 'stale' (sessions only ever ask about the present)."""
    (features,) = [s for s in rec.streams if s.spec.type == "VrexFeatures"]
    column = features.spec.labels.index("hr_bpm")
    end = min(float(s.times[-1]) for s in rec.streams if s.spec.type in HEART.values())
    return [
        (float(t), float(v))
        for t, v in zip(features.times, features.values[:, column])
        if math.isfinite(v) and t + MARGIN_S + 1.0 <= end
    ]


def recorded_heart_rates(rec: Recording, times: list[float]) -> list[float]:
    """Heart rate at each time from the recording's samples alone (no LSL): the same
    extractor the live path uses, fed the samples in order, ticked at each time."""
    signals = {}
    for role, kind in HEART.items():
        (s,) = [s for s in rec.streams if s.spec.type == kind]
        c = conversion(role, s.spec.units[0])
        signals[role] = (s.times, c.apply(s.values[:, 0]), 0.0 if role == "rr" else s.spec.rate, c.unit)
    extractor = FeatureExtractor({role: signals[role][2] for role in ("ecg", "ppg")})
    fed = dict.fromkeys(("ecg", "ppg"), 0)
    out = []
    for t in times:
        for role in fed:
            stamps, values = signals[role][:2]
            end = int(np.searchsorted(stamps, t + MARGIN_S, side="right"))
            extractor.push(role, stamps[fed[role] : end], values[fed[role] : end])
            fed[role] = end
        windows = {}
        for role, (stamps, values, rate, unit) in signals.items():
            a, b = np.searchsorted(stamps, [t - WINDOW_S, t], side="right")
            windows[role] = Window(stamps[a:b], values[a:b], rate, unit)
        out.append(extractor.tick(t, windows).hr_bpm)
    return out


def test_the_replayed_heart_rate_is_the_recordings(recording_path, closing):
    rec = load_recording(recording_path)  # crashed here or in the publisher before the fix
    logged = logged_heart_rates(rec)
    assert len(logged) >= 30, f"the demo logged only {len(logged)} heart rates"

    publisher = closing(RecordingPublisher(rec, speed=SPEED))
    # Both sides run on one session clock, SPEED times faster from the publisher's start (the
    # origin of the replayed stamps), as in tests/sensors/test_live_physionet.py.
    clock = lambda: publisher.start + (lsl.local_clock() - publisher.start) * SPEED  # noqa: E731
    sources = {role: next(s.spec.source_id for s in rec.streams if s.spec.type == kind) for role, kind in HEART.items()}
    # Inlets holding 30 s of stream (6 s of wall time at SPEED), not a session's 5 s: a loaded
    # machine that stalls this loop for a second must not lose samples and so change the result.
    # No dejitter: the replayed stamps are the recording's own, exact; smoothing (for devices'
    # jitter) restarts after a stall and then moves them.
    readers = {
        role: make_reader(
            lsl.find_stream(source_id=sid, timeout=10).open(max_buflen=BUFFER_S, dejitter=False), clock=clock
        )
        for role, sid in sources.items()
    }
    live = closing(LivePhysiology(Acquisition(readers), clock=clock))
    assert set(live.signals) == set(HEART), live.failed
    # An inlet passes nothing on until liblsl has measured its clock offset (0.64 s after it
    # opened, longer on a loaded machine; tens of session seconds at SPEED): wait for all three,
    # or the first ticks would find no data yet. Nothing is published yet, so nothing is pulled.
    waited = time.monotonic() + 30
    while any(r.inlet.offset is None for r in readers.values()) and time.monotonic() < waited:
        for r in readers.values():
            r.inlet.pull()
        time.sleep(0.05)
    publisher.start = lsl.local_clock()  # the replay starts now that the inlets listen
    on_replay = lambda t: publisher.start + (t - rec.start)  # noqa: E731  recording time -> replay clock
    pending = list(logged)
    ticks = []
    deadline = time.monotonic() + rec.duration / SPEED + 120
    while pending and time.monotonic() < deadline:
        publisher.step()
        live.poll()
        # A tick is computed once MARGIN_S of later samples have arrived on every stream, and
        # none is stale. Publisher and readers share this thread: when a loaded machine stalls it,
        # the clock runs on, samples are still in transit and the readers call the streams stale
        # until the catch-up arrives. A session ticks at the present; this test ticks the past.
        while pending and all(
            r.status is not Status.STALE and r.buffer.newest_time >= on_replay(pending[0][0]) + MARGIN_S
            for r in readers.values()
        ):
            ticks.append(live.tick(now=on_replay(pending.pop(0)[0])))
        time.sleep(0.01)
    live.close()  # inlets before their outlets: no liblsl complaints
    assert not pending, f"{len(pending)} ticks never came: the replay stalled"

    reference = recorded_heart_rates(rec, [t for t, _ in logged])
    replayed, reference = np.array([f.hr_bpm for f in ticks]), np.array(reference)
    session = np.array([hr for _, hr in logged])
    both = np.isfinite(reference)
    assert both.sum() >= 0.9 * len(logged), f"the recording itself gives a heart rate at only {both.sum()} ticks"
    differ = [
        f"{t - rec.start:.1f} s: replay {f.hr_bpm:.1f} ({f.hr_source or f.reasons.get('hr_bpm')}; "
        f"{ {k: q.reason for k, q in f.quality.items()} }), recording {ref:.1f}"
        for (t, _), f, ref in zip(logged, ticks, reference)
        if math.isfinite(f.hr_bpm) != math.isfinite(ref)
    ]
    assert not differ, "a heart rate on one side only, at:\n" + "\n".join(differ)
    off = np.abs(replayed[both] - reference[both])
    off_session = np.abs(replayed[both] - session[both])
    print(
        f"\n{both.sum()} ticks; replayed vs recorded HR: max {off.max():.3f} bpm, median {np.median(off):.3f}; "
        f"vs the session's logged HR: max {off_session.max():.2f}, median {np.median(off_session):.2f} bpm"
    )
    assert off.max() <= 1.0, f"replayed HR differs from the recording's by up to {off.max():.2f} bpm"
    assert np.median(off_session) <= 1.0, (
        f"replayed HR differs from the logged one by {np.median(off_session):.2f} bpm (median)"
    )


def test_vrex_replay_plays_the_recording_to_the_end(recording_path):
    """The command a user runs on a session folder's recording."""
    rec = load_recording(recording_path)
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "replay", str(recording_path), "--speed", "100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert "Traceback" not in r.stderr
    assert f"replayed {rec.duration:.1f} s of {len(rec.streams)} stream(s)" in r.stdout
    for s in rec.streams:
        assert f"'{s.spec.name}' ({s.spec.type}," in r.stdout
