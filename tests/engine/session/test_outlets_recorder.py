"""vrex's outlets recorded by the real LabRecorder into a real XDF file, read by pyxdf.

Each test uses its own session id, so its streams' source_ids are its own. Tests that stop
a running recorder are marked slow: LabRecorder takes about 6 s to finish a file.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import pyxdf

from engine.session.outlets import FEATURES, VrexOutlets
from sensors import lsl
from sensors.errors import SensorError, StreamNotFound
from sensors.recorder import XdfRecorder, intact_length, load_xdf
from sensors.types import StreamSpec

from .conftest import RESOLVE_S


def load(path):
    streams, _ = pyxdf.load_xdf(str(path), synchronize_clocks=False, dejitter_timestamps=False, verbose=False)
    return {s["info"]["name"][0]: s for s in streams}


def labels(stream):
    channels = stream["info"]["desc"][0]["channels"][0]["channel"]
    return [c["label"][0] for c in channels]


def device(uid, closing, rate=250.0):
    spec = StreamSpec("vrex-test-ecg", "ECG", rate, 1, "float32", uid("device"), labels=("lead II",), units=("mV",))
    return closing(lsl.make_outlet(spec))


FORMAT_TABLE = {  # docs/session-format.md: name -> (type, channels, channel format)
    "vrex-intensity": ("VrexIntensity", 2, "float32"),
    "vrex-markers": ("Markers", 1, "string"),
    "vrex-events": ("VrexEvents", 1, "string"),
    "vrex-features": ("VrexFeatures", 9, "float32"),
    "vrex-headpose": ("HeadPose", 6, "float32"),
    "vrex-frames": ("VrexFrames", 1, "float32"),
}


def test_outlets_are_the_streams_of_the_format(uid, closing):
    session = uid("20261127-081500-heights")
    outlets = closing(VrexOutlets(session))
    specs = outlets.specs()
    assert {s.name: (s.type, s.channel_count, s.channel_format) for s in specs} == FORMAT_TABLE
    assert all(s.rate == 0.0 for s in specs)
    assert all(s.source_id.startswith(f"vrex-{session}-") for s in specs)
    assert len({s.source_id for s in specs}) == 6


def test_two_sessions_with_the_same_id_never_share_a_source_id(uid, closing):
    """Two vrex started in the same second on the same scenario get the same session id
    (it happened between parallel test runs); the recorder must still find one each."""
    session = uid("20261127-081500-heights")
    first, second = closing(VrexOutlets(session)), closing(VrexOutlets(session))
    assert not {s.source_id for s in first.specs()} & {s.source_id for s in second.specs()}
    found = lsl.find_each([lsl.stream_predicate(source_id=s.source_id) for s in first.specs()], RESOLVE_S)
    assert [len(r) for r in found] == [1] * 6


def test_features_refuse_unknown_names(uid, closing):
    outlets = closing(VrexOutlets(uid("session")))
    with pytest.raises(KeyError, match="hr") as err:
        outlets.features({"hr": 70.0})
    assert "hr_bpm" in str(err.value)  # the message lists the real channel names


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One recording of vrex's six outlets and a 250 Hz ECG device, pushed with known
    values and time stamps, stopped; shared by the tests that read it."""
    session = f"test-{uuid.uuid4().hex[:12]}"
    outlets = VrexOutlets(session)
    ecg = lsl.make_outlet(
        StreamSpec("vrex-test-ecg", "ECG", 250.0, 1, "float32", f"device-{session}", labels=("lead II",), units=("mV",))
    )
    try:
        ecg_stream = lsl.find_stream(source_id=ecg.spec.source_id, timeout=RESOLVE_S)
        path = tmp_path_factory.mktemp("recorded") / "recording.xdf"
        rec = XdfRecorder.start(path, [ecg_stream, *outlets.specs()], timeout=RESOLVE_S)
        try:
            running, pid = rec.running, rec.pid
            assert outlets.wait_for_consumers(RESOLVE_S) and ecg.wait_for_consumers(RESOLVE_S)
            t0 = lsl.local_clock()
            ecg.push(np.arange(500, dtype=np.float32), t0 + np.arange(500) / 250.0)
            for i in range(20):
                outlets.intensity(i / 20, 0.5, ts=t0 + i)
                outlets.frame(11.0 + i, ts=t0 + i)
                outlets.headpose(i, 1.5, -2.0, 90.0, -10.0, 0.5, ts=t0 + i)
            outlets.features({"hr_bpm": 72.5, "eda_tonic_us": 3.25, "ecg_quality": 1.0}, ts=t0)
            outlets.features({"hr_bpm": None, "resp_quality": 0.0}, ts=t0 + 1)
            shown = outlets.marker(
                {"kind": "shown", "intensity": 0.4, "level": 2, "level_name": "railing low", "cause": "controller"},
                ts=t0 + 2,
            )
            lines = [json.dumps({"seq": i, "kind": "note", "text": f"n{i}"}) for i in range(5)]
            for i, line in enumerate(lines):
                outlets.event(line, ts=t0 + i)
        finally:
            rec.stop()
    finally:
        outlets.close()
        ecg.close()
    return dict(path=path, rec=rec, t0=t0, shown=shown, lines=lines, running=running, pid=pid)


@pytest.mark.slow
def test_every_stream_is_recorded_with_every_sample(recorded):
    rec, t0 = recorded["rec"], recorded["t0"]
    assert recorded["running"] and recorded["pid"]
    assert not rec.running and rec.stop_seconds > 0
    assert {s.name for s in rec.streams} == {
        "vrex-test-ecg",
        "vrex-intensity",
        "vrex-markers",
        "vrex-events",
        "vrex-features",
        "vrex-headpose",
        "vrex-frames",
    }
    got = load(recorded["path"])
    assert set(got) == {s.name for s in rec.streams}
    assert all("footer" in s for s in got.values())
    np.testing.assert_array_equal(got["vrex-test-ecg"]["time_series"][:, 0], np.arange(500))
    np.testing.assert_allclose(got["vrex-test-ecg"]["time_stamps"], t0 + np.arange(500) / 250.0)
    np.testing.assert_allclose(got["vrex-intensity"]["time_series"], [[i / 20, 0.5] for i in range(20)], rtol=1e-6)
    np.testing.assert_allclose(got["vrex-intensity"]["time_stamps"], t0 + np.arange(20))
    np.testing.assert_allclose(got["vrex-frames"]["time_series"][:, 0], 11.0 + np.arange(20))
    np.testing.assert_allclose(got["vrex-headpose"]["time_series"][7], [7, 1.5, -2, 90, -10, 0.5])
    features = got["vrex-features"]["time_series"]
    assert labels(got["vrex-features"]) == list(FEATURES)
    assert features[0, 0] == 72.5 and features[0, 2] == 3.25 and features[0, 5] == 1.0
    assert math.isnan(features[0, 1]) and math.isnan(features[1, 0]) and features[1, 8] == 0.0
    shown = recorded["shown"]
    assert got["vrex-markers"]["time_series"] == [[shown]]
    assert json.loads(shown) == {
        "kind": "shown",
        "intensity": 0.4,
        "level": 2,
        "level_name": "railing low",
        "cause": "controller",
    }
    assert [s[0] for s in got["vrex-events"]["time_series"]] == recorded["lines"]
    assert labels(got["vrex-headpose"]) == ["x", "y", "z", "heading", "pitch", "roll"]
    assert got["vrex-events"]["info"]["type"] == ["VrexEvents"]
    assert "Closing the file" in recorded["path"].with_suffix(".log").read_text()


@pytest.mark.slow
def test_a_file_cut_anywhere_loads_up_to_its_last_whole_chunk(recorded, tmp_path):
    """What a killed recorder leaves: the file cut at an arbitrary byte. (pyxdf 1.17.5 alone
    raises struct.error or ParseError at most such cuts: 6741 of 10336 in one file.)"""
    data = recorded["path"].read_bytes()
    full = load(recorded["path"])
    assert intact_length(recorded["path"]) == len(data)
    boundaries = []
    cut_file = tmp_path / "cut.xdf"
    cuts = sorted(set(range(4, len(data), 53)) | {len(data) - k for k in range(1, 40)})
    for cut in cuts:
        cut_file.write_bytes(data[:cut])
        whole = intact_length(cut_file)
        assert 4 <= whole <= cut
        boundaries.append(whole)
        streams, _ = load_xdf(cut_file, synchronize_clocks=False, dejitter_timestamps=False)
        for s in streams:  # every stream holds a beginning of the full one
            name = s["info"]["name"][0]
            n = len(s["time_stamps"])
            np.testing.assert_array_equal(s["time_stamps"], full[name]["time_stamps"][:n])
    assert len(set(boundaries)) > 10  # the cuts fell in many different chunks
    with pytest.raises(SensorError, match="not an XDF file"):
        cut_file.write_bytes(b"XD")
        intact_length(cut_file)


@pytest.mark.slow
def test_a_stream_given_twice_is_recorded_once(tmp_path, uid, closing):
    ecg = device(uid, closing)
    found = lsl.find_stream(source_id=ecg.spec.source_id, timeout=RESOLVE_S)
    rec = closing(
        XdfRecorder.start(
            tmp_path / "r.xdf",
            [found, ecg.spec, ecg.spec.source_id],
            watch=[ecg.spec.source_id],
            timeout=RESOLVE_S,
            log=None,
        )
    )
    assert len(rec.streams) == 1 and rec.watching == ()
    assert ecg.wait_for_consumers(RESOLVE_S)
    ecg.push(np.arange(10, dtype=np.float32))
    rec.stop()
    assert list(load(tmp_path / "r.xdf")) == ["vrex-test-ecg"]
    assert not (tmp_path / "r.log").exists()


def test_an_existing_file_is_never_overwritten(tmp_path, uid, closing):
    ecg = device(uid, closing)
    path = tmp_path / "recording.xdf"
    path.write_bytes(b"an earlier session")
    with pytest.raises(SensorError, match="already exists"):
        XdfRecorder.start(path, [ecg.spec], timeout=RESOLVE_S)
    assert path.read_bytes() == b"an earlier session"


def test_an_unwritable_place_is_refused_with_the_reason(tmp_path, uid, closing):
    ecg = device(uid, closing)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SensorError, match="Not a directory") as err:
        XdfRecorder.start(tmp_path / "file" / "recording.xdf", [ecg.spec], timeout=RESOLVE_S)
    assert str(tmp_path / "file" / "recording.xdf") in str(err.value)


def test_a_missing_stream_is_named_and_no_file_is_left(tmp_path, uid, closing):
    ecg = device(uid, closing)
    missing = uid("nobody")
    path = tmp_path / "recording.xdf"
    with pytest.raises(StreamNotFound) as err:
        XdfRecorder.start(path, [ecg.spec, missing], timeout=1.0)
    assert missing in str(err.value) and "Streams on the network" in str(err.value)
    assert not path.exists()


@pytest.mark.slow
def test_stop_is_idempotent_and_the_context_manager_stops(tmp_path, uid, closing):
    ecg = device(uid, closing)
    with XdfRecorder.start(tmp_path / "r.xdf", [ecg.spec], timeout=RESOLVE_S, log=None) as rec:
        assert rec.running
    assert not rec.running
    rec.stop()
    assert (tmp_path / "r.xdf").read_bytes().startswith(b"XDF:")


def test_a_dead_recorder_is_reported(tmp_path, uid, closing):
    ecg = device(uid, closing)
    rec = XdfRecorder.start(tmp_path / "r.xdf", [ecg.spec], timeout=RESOLVE_S)
    rec._process.kill()
    rec._process.wait(timeout=30)
    assert not rec.running
    with pytest.raises(SensorError, match="had died"):
        rec.stop()
    rec.stop()  # reported once; then nothing to do


def sigterm_blocked_by_thread(pid: int) -> dict[int, bool]:
    """Thread id → whether that thread blocks SIGTERM (Linux's /proc SigBlk mask)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):  # that thread ended meanwhile
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        out[int(task.name)] = bool(int(fields["SigBlk"], 16) >> (signal.SIGTERM - 1) & 1)
    return out


def test_the_worker_stops_waiting_on_a_stop_line_end_of_stdin_or_the_sigterm_flag(monkeypatch):
    """The wait itself, in this process: the SIGTERM handler only sets a flag, which the
    polled wait must notice though nothing arrives on stdin."""
    import threading

    from sensors import recorder_worker as worker

    monkeypatch.setattr(worker, "POLL_S", 0.01)
    monkeypatch.setattr(worker, "_stop_asked", False)

    def waiting(fd: int) -> threading.Thread:
        waiter = threading.Thread(target=worker._wait_for_stop, args=(fd,), daemon=True)
        waiter.start()
        return waiter

    line_r, line_w = os.pipe()
    os.write(line_w, b"stop\n")
    eof_r, eof_w = os.pipe()
    os.close(eof_w)
    quiet_r, quiet_w = os.pipe()
    by_line, by_eof, by_flag = waiting(line_r), waiting(eof_r), waiting(quiet_r)
    by_line.join(10.0), by_eof.join(10.0), by_flag.join(0.3)
    assert not by_line.is_alive() and not by_eof.is_alive()  # a stop line; end of stdin (vrex gone)
    assert by_flag.is_alive()  # nothing yet: it waits
    worker._on_term(signal.SIGTERM, None)
    by_flag.join(10.0)
    assert worker._stop_asked and not by_flag.is_alive()  # nothing on stdin: the flag stopped it
    for fd in (line_r, line_w, eof_r, quiet_r, quiet_w):
        os.close(fd)


@pytest.mark.slow
def test_sigterm_to_the_recorder_finishes_the_file(tmp_path, uid, closing):
    """A system shutdown sends SIGTERM: the recorder finishes the file on its own."""
    ecg = device(uid, closing)
    rec = closing(XdfRecorder.start(tmp_path / "r.xdf", [ecg.spec], timeout=RESOLVE_S))
    assert ecg.wait_for_consumers(RESOLVE_S)
    ecg.push(np.arange(50, dtype=np.float32))
    if Path(f"/proc/{rec.pid}/task").is_dir():
        # The kernel gives a process's signal to any thread that does not block it; one that
        # went to a LabRecorder thread left the worker waiting for ever (6 of 20 tries before
        # the fix). So only the main thread, which runs the handler, may take it.
        blocked = sigterm_blocked_by_thread(rec.pid)
        assert blocked[rec.pid] is False and len(blocked) > 1, blocked
        assert all(blocked[tid] for tid in blocked if tid != rec.pid), blocked
    os.kill(rec.pid, signal.SIGTERM)
    rec._process.wait(timeout=60)
    assert not rec.running
    rec.stop()  # it said it finished: no error
    got = load(tmp_path / "r.xdf")
    assert "footer" in got["vrex-test-ecg"]
    np.testing.assert_array_equal(got["vrex-test-ecg"]["time_series"][:, 0], np.arange(50))


@pytest.mark.slow
def test_a_late_stream_joins_through_the_watch_list(tmp_path, uid, closing):
    ecg = device(uid, closing)
    late_id = uid("late")
    rec = closing(XdfRecorder.start(tmp_path / "r.xdf", [ecg.spec], watch=[late_id], timeout=RESOLVE_S))
    assert rec.watching == (late_id,)
    late = closing(lsl.make_outlet(StreamSpec("vrex-test-late", "EDA", 0.0, 1, "float32", late_id)))
    # LabRecorder's watcher looks every 5 s; what was pushed before it subscribed is lost.
    assert late.wait_for_consumers(30.0), "LabRecorder did not pick up the late stream in 30 s"
    for i in range(10):
        late.push_sample([100.0 + i])
    rec.stop()
    got = load(tmp_path / "r.xdf")
    np.testing.assert_array_equal(got["vrex-test-late"]["time_series"][:, 0], 100.0 + np.arange(10))


@pytest.mark.slow
def test_a_restarted_device_stays_in_the_same_stream(tmp_path, uid, closing):
    sid = uid("device")
    spec = StreamSpec("vrex-test-ppg", "PPG", 0.0, 1, "float32", sid)
    first = lsl.make_outlet(spec)
    rec = closing(XdfRecorder.start(tmp_path / "r.xdf", [spec], timeout=RESOLVE_S))
    assert first.wait_for_consumers(RESOLVE_S)
    first.push(np.arange(5, dtype=np.float32))
    time.sleep(1.0)  # LabRecorder pulls every 0.5 s
    first.close()
    del first
    second = closing(lsl.make_outlet(spec))  # the device app restarted
    assert second.wait_for_consumers(30.0), "LabRecorder did not reconnect within 30 s"
    second.push(np.arange(5, 10, dtype=np.float32))
    rec.stop()
    got = load(tmp_path / "r.xdf")
    assert list(got) == ["vrex-test-ppg"]
    np.testing.assert_array_equal(got["vrex-test-ppg"]["time_series"][:, 0], np.arange(10))
