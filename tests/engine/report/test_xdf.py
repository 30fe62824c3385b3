"""A real ``recording.xdf`` (real LSL outlets, recorded by LabRecorder) in the report, whole,
cut in half, and standing in for a lost events.jsonl."""

from __future__ import annotations

import time
import uuid

import pytest

from engine.report import load_session, summarise, write_report
from tests.engine.report.synth import EXPECTED, write_session

pytestmark = pytest.mark.slow  # LabRecorder takes about 5 s to close a file


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """(recording.xdf, the event lines pushed into its vrex-events stream)."""
    pylsl = pytest.importorskip("pylsl")
    labrecorder = pytest.importorskip("labrecorder")
    folder = tmp_path_factory.mktemp("xdf")
    lines = (write_session(folder / "source") / "events.jsonl").read_text().splitlines()
    uid = uuid.uuid4().hex
    infos = [
        pylsl.StreamInfo("vrex-events", "VrexEvents", 1, 0, "string", f"vrex-events-{uid}"),
        pylsl.StreamInfo("sim-ecg", "ECG", 1, 100.0, "float32", f"sim-ecg-{uid}"),
    ]
    outlets = [pylsl.StreamOutlet(info) for info in infos]
    # LabRecorder re-resolves what it is given; handed freshly made StreamInfos it crashed the process
    # here (labrecorder 1.0.0rc0 bundles liblsl 1.17.5 beside pylsl's 1.18), so it gets resolved ones.
    resolved = [pylsl.resolve_byprop("source_id", info.source_id(), timeout=5)[0] for info in infos]
    path = folder / "recording.xdf"
    recording = labrecorder.Recording(str(path), resolved)
    assert all(outlet.wait_for_consumers(10) for outlet in outlets), "LabRecorder did not connect"
    events, ecg = outlets
    for line in lines:
        events.push_sample([line])
    for i in range(20):  # about 2 s of a 100 Hz signal
        ecg.push_chunk([[float(k % 50)] for k in range(i * 10, i * 10 + 10)])
        time.sleep(0.1)
    recording.stop()
    del recording  # closes the file (waits for its threads)
    del outlets, events, ecg
    return path, lines


def session_with(tmp_path, xdf, *, cut: float = 1.0):
    folder = write_session(tmp_path / "p01" / "20261120-090000-heights")
    data = xdf.read_bytes()
    (folder / "recording.xdf").write_bytes(data[: int(len(data) * cut)])
    return folder


def test_the_report_lists_the_recorded_streams(tmp_path, recorded):
    xdf, lines = recorded
    folder = session_with(tmp_path, xdf)
    report = write_report(folder)
    assert not [p for p in report.problems if p.file == "recording.xdf"], report.problems
    streams = {s.name: s for s in load_session(folder).streams}
    assert set(streams) == {"vrex-events", "sim-ecg"}
    assert streams["vrex-events"].samples == len(lines) and streams["vrex-events"].type == "VrexEvents"
    assert 100 <= streams["sim-ecg"].samples <= 200 and streams["sim-ecg"].nominal_rate == 100
    assert 1.0 < streams["sim-ecg"].duration_s < 3.0
    assert all(s.complete for s in streams.values())
    page = report.html.read_text()
    assert "<td>sim-ecg</td><td>ECG</td>" in page and f"<td class='n'>{len(lines)}</td>" in page


def test_a_recording_cut_in_half_is_reported_damaged_and_the_rest_is_there(tmp_path, recorded):
    folder = session_with(tmp_path, recorded[0], cut=0.5)
    report = write_report(folder)
    xdf_problems = [p.message for p in report.problems if p.file == "recording.xdf"]
    assert xdf_problems and any(w in m for m in xdf_problems for w in ("damaged", "cut short", "cannot be read"))
    assert report.summary.highest_held == EXPECTED["highest_held"]
    page = report.html.read_text()
    assert "Missing or damaged" in page and "third floor" in page and page.count("data:image/png;base64,") == 2


def test_a_lost_events_file_is_replaced_by_the_recorded_events(tmp_path, recorded):
    folder = session_with(tmp_path, recorded[0])
    (folder / "events.jsonl").unlink()
    data = load_session(folder)
    assert data.events_source == "recording.xdf (vrex-events stream)"
    assert any("read instead from the vrex-events stream" in p.message for p in data.problems)
    s = summarise(data)
    assert {r.level: r.time_s for r in s.levels} == pytest.approx(EXPECTED["time_at_level"])
    assert s.highest_held == EXPECTED["highest_held"] and s.stops == [(480.0, "therapist")]
