"""``vrex verify``: the hash chain of events.jsonl catches an altered, removed or inserted
line at its line number; a real EventLog's file passes; an old log is not chained."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from engine import cli
from engine.session.events import GENESIS, EventLog, line_hash, read_events
from engine.session.folder import SessionFolder
from engine.session.verify import verify_events

NOW = datetime(2026, 11, 27, 8, 15, 0, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    """A real session folder with 10 events and session.json's events_chain, as a session ends."""
    folder = SessionFolder.create(tmp_path, "demo", "heights", NOW)
    with EventLog(folder.events, lambda: 1.0, lsl_clock=lambda: 2.0) as events:
        for i in range(10):
            events.log("sensors", "tick", hr_bpm=70 + i)
        folder.update(events_chain=events.head)
    return folder


def lines(folder):
    return folder.events.read_bytes().split(b"\n")[:-1]


def rewrite(folder, new_lines):
    folder.events.write_bytes(b"".join(line + b"\n" for line in new_lines))


def verify(capsys, folder):
    code = cli.main(["verify", str(folder.path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_real_event_log_is_chained_and_verifies(session, capsys):
    first, second = (json.loads(x) for x in lines(session)[:2])
    assert first["prev"] == GENESIS and second["prev"] == line_hash(lines(session)[0])
    code, out = verify(capsys, session)
    assert code == 0 and "ok: 10 events, chain intact" in out


def test_readers_ignore_the_prev_field(session):
    events, problems = read_events(session.events)
    assert len(events) == 10 and problems == []


@pytest.mark.parametrize("line", [1, 4, 10])
def test_an_altered_line_is_named(session, capsys, line):
    raw = lines(session)
    raw[line - 1] = raw[line - 1].replace(b'"hr_bpm":7', b'"hr_bpm":9')
    rewrite(session, raw)
    code, out = verify(capsys, session)
    assert code == 1 and f"events.jsonl:{line}: line {line} altered" in out


@pytest.mark.parametrize("line", [1, 4, 10])
def test_a_removed_line_is_named(session, capsys, line):
    raw = lines(session)
    del raw[line - 1]
    rewrite(session, raw)
    code, out = verify(capsys, session)
    assert code == 1 and f"events.jsonl:{line}:" in out and "removed" in out


@pytest.mark.parametrize("line", [1, 4, 11])
def test_an_inserted_line_is_named(session, capsys, line):
    raw = lines(session)
    fake = dict(json.loads(raw[3]), kind="note", text="never said")
    raw.insert(line - 1, json.dumps(fake, separators=(",", ":")).encode())
    rewrite(session, raw)
    code, out = verify(capsys, session)
    assert code == 1 and f"events.jsonl:{line}:" in out and ("inserted" in out or "added" in out)


def test_an_inserted_line_with_a_forged_prev_is_named(session, capsys):
    raw = lines(session)
    fake = dict(json.loads(raw[4]), kind="note", text="never said")  # prev = link to line 4
    raw.insert(4, json.dumps(fake, separators=(",", ":")).encode())
    rewrite(session, raw)
    code, out = verify(capsys, session)
    assert code == 1 and "events.jsonl:5: line 5 inserted" in out


def test_an_old_log_without_the_chain_is_not_chained_exit_0(tmp_path, capsys):
    folder = SessionFolder.create(tmp_path, "demo", "heights", NOW)
    folder.events.write_text('{"seq":0,"t":0,"source":"session","kind":"session_start"}\n')
    code, out = verify(capsys, folder)
    assert code == 0 and "not chained (recorded before" in out and "note:" in out


def test_a_log_reopened_after_a_crash_cut_its_last_line_still_verifies(tmp_path):
    path = tmp_path / "events.jsonl"
    with EventLog(path, lambda: 0.0, lsl_clock=lambda: 0.0) as events:
        events.log("session", "session_start")
    with open(path, "ab") as f:
        f.write(b'{"seq":1,"t":0.5,"sour')  # kill -9 mid-line
    with EventLog(path, lambda: 1.0, lsl_clock=lambda: 0.0) as events:
        events.log("session", "session_end")
        head = events.head
    verdict = verify_events(path, head)
    assert verdict.ok and "2 events" in verdict.message
    assert any("line 2" in note for note in verdict.notes)


def test_a_missing_session_folder_is_named(tmp_path, capsys):
    code, out = verify(capsys, type("F", (), {"path": tmp_path / "nope"}))
    assert code == 1 and "nope/events.jsonl does not exist" in out
