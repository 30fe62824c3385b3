"""Damaged and incomplete session folders: what is missing is listed, the rest is read."""

from __future__ import annotations

import json

import pytest

from engine.errors import VrexError
from engine.report import load_session, summarise
from tests.engine.report.synth import EXPECTED


def messages(data, file):
    return [p.message for p in data.problems if p.file == file]


def test_a_complete_folder_lacks_only_its_recording(session):
    data = load_session(session)
    assert [p.file for p in data.problems] == ["recording.xdf"]
    assert "missing" in messages(data, "recording.xdf")[0]
    assert data.events_source == "events.jsonl" and data.meta["patient"] == "p01"
    assert len(data.ticks) == 600 and data.duration_s == 600


def test_a_last_line_cut_short_is_reported_and_the_rest_read(session):
    path = session / "events.jsonl"
    n = len(path.read_text().splitlines())
    with open(path, "a") as f:
        f.write('{"seq": 99999, "t": 600.5, "kind": "ti')  # killed mid-write: no newline
    data = load_session(session)
    cut = messages(data, "events.jsonl")
    assert any(f"line {n + 1}, the last, is cut short" in m for m in cut), cut
    assert {r.level: r.time_s for r in summarise(data).levels} == pytest.approx(EXPECTED["time_at_level"])


def test_bad_lines_in_the_middle_are_named_by_number(session):
    path = session / "events.jsonl"
    lines = path.read_text().splitlines()
    lines[9] = "not json at all"
    lines[19] = json.dumps({"seq": 19, "t": "soon", "kind": "tick"})
    lines[29] = "[1, 2]"
    path.write_text("\n".join(lines) + "\n")
    found = messages(load_session(session), "events.jsonl")
    assert any(m.startswith("line 10: not JSON") for m in found), found
    assert any(m.startswith("line 20: 't' is 'soon'") for m in found), found
    assert any(m.startswith("line 30: a JSON list") for m in found), found
    # seq 9, 19 and 29 are gone, so the sequence has gaps
    assert any("seq 8 is followed by 10" in m for m in found), found


def test_many_bad_lines_are_counted_not_all_listed(session):
    path = session / "events.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:100] + ["garbage"] * 12 + lines[100:]) + "\n")
    found = messages(load_session(session), "events.jsonl")
    assert sum(m.startswith("line ") for m in found) == 5
    assert "7 more bad lines were skipped" in found


def test_missing_session_json_falls_back_to_the_start_event(session):
    (session / "session.json").unlink()
    data = load_session(session)
    assert "missing" in messages(data, "session.json")[0]
    assert data.meta == {"patient": "p01", "scenario": "heights", "mode": "auto", "controller": "policy"}
    s = summarise(data)
    assert s.highest_held == EXPECTED["highest_held"] and s.end_reason == "stopped"
    assert s.levels[1].name == "first floor"  # names from the intensity events


def test_corrupt_session_json_is_said_to_be_corrupt(session):
    (session / "session.json").write_text('{"format": "vrex-session/1", "patient": ')
    data = load_session(session)
    [message] = messages(data, "session.json")
    assert message.startswith("not valid JSON") and "line 1" in message
    assert data.meta["patient"] == "p01"  # from the session_start event


def test_wrong_format_is_read_anyway_but_said(session):
    meta = json.loads((session / "session.json").read_text())
    meta["format"] = "vrex-session/9"
    (session / "session.json").write_text(json.dumps(meta))
    data = load_session(session)
    assert "format is 'vrex-session/9'" in messages(data, "session.json")[0]
    assert summarise(data).highest_reached == 3


def test_no_events_file_says_what_cannot_be_reported(session):
    (session / "events.jsonl").unlink()
    data = load_session(session)
    [message] = messages(data, "events.jsonl")
    assert message.startswith("missing") and "no timeline" in message
    s = summarise(data)
    assert s.levels == [] and s.highest_reached is None and s.suds == []


def test_an_empty_events_file_holds_no_events(session):
    (session / "events.jsonl").write_text("")
    assert "holds no readable events" in messages(load_session(session), "events.jsonl")[0]


def test_a_session_that_did_not_end_is_said_so(session):
    path = session / "events.jsonl"
    lines = [ln for ln in path.read_text().splitlines() if json.loads(ln)["t"] < 360]  # killed at 6:00
    path.write_text("\n".join(lines) + "\n")
    meta = json.loads((session / "session.json").read_text())
    meta.update(ended_utc=None, end_reason=None)
    (session / "session.json").write_text(json.dumps(meta))
    data = load_session(session)
    assert any("did not end normally" in m and "t = 359 s" in m for m in messages(data, "events.jsonl"))
    s = summarise(data)
    assert s.end_reason is None
    assert s.exposure[0].end == 359  # exposure runs to the last event written


def test_a_recording_that_is_not_xdf_cannot_be_read_but_the_rest_is(session):
    (session / "recording.xdf").write_bytes(b"this is not XDF")
    data = load_session(session)
    [message] = messages(data, "recording.xdf")
    assert message.startswith("cannot be read") and "events.jsonl" in message
    assert data.streams == [] and summarise(data).highest_reached == EXPECTED["highest_reached"]


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p / "nowhere", "no such folder"),
        (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "not a folder"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "this one holds nothing"),
    ],
)
def test_not_a_session_folder_is_a_clear_error(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(VrexError) as info:
        load_session(path)
    text = str(info.value)
    assert str(path) in text and expected in text
    assert "session.json" in text and "events.jsonl" in text and "recording.xdf" in text


def test_a_patient_folder_given_by_mistake_names_its_sessions(session):
    with pytest.raises(VrexError, match="give one of them: 20261120-090000-heights"):
        load_session(session.parent)
