"""``vrex report`` and ``vrex history`` as a user runs them: exit codes and messages."""

from __future__ import annotations

from tests.engine.report.synth import write_session


def test_report_writes_into_the_session_folder_and_prints_the_paths(vrex, session):
    code, out, err = vrex("report", session)
    assert code == 0, err
    assert f"report: {session / 'report.html'}" in out
    assert str(session / "plots" / "timeline.png") in out and str(session / "plots" / "levels.png") in out
    assert (session / "report.html").stat().st_size > 50_000
    assert "recording.xdf: missing" in err  # what is missing is said on the terminal too


def test_report_out_writes_elsewhere(vrex, session, tmp_path):
    code, out, _ = vrex("report", session, "--out", tmp_path / "r")
    assert (
        code == 0 and (tmp_path / "r" / "report.html").is_file() and (tmp_path / "r" / "plots" / "levels.png").is_file()
    )
    assert not (session / "report.html").exists()


def test_report_on_a_missing_folder_names_it(vrex, tmp_path):
    code, out, err = vrex("report", tmp_path / "nope")
    assert code == 1 and out == ""
    assert err.startswith(f"vrex report: {tmp_path / 'nope'}: no such folder")
    assert "session.json" in err and "Traceback" not in err


def test_report_on_a_folder_that_is_not_a_session_says_what_one_holds(vrex, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = vrex("report", tmp_path)
    assert code == 1
    assert "not a session folder" in err and "events.jsonl" in err and "holds notes.txt" in err


def test_report_into_an_unwritable_place_says_so(vrex, session, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    code, _, err = vrex("report", session, "--out", blocker / "sub")
    assert code == 1 and "cannot write the report there" in err and "--out" in err


def test_history_prints_the_table_and_progress(vrex, tmp_path):
    root = tmp_path / "sessions"
    write_session(root / "p01" / "20261113-090000-heights", started="2026-11-13T09:00:00Z", schedule=[(120, 480, 1)])
    write_session(root / "p01" / "20261120-090000-heights", started="2026-11-20T09:00:00Z")
    code, out, err = vrex("history", "p01", "--root", root)
    assert code == 0, err
    assert out.startswith("patient p01: 2 sessions")
    assert "heights: 2 sessions; highest level held 2 → 3 (+1)" in out


def test_history_of_an_unknown_patient_lists_the_known(vrex, session):
    code, out, err = vrex("history", "p99", "--root", session.parent.parent)
    assert code == 1 and out == ""
    assert "no sessions for patient 'p99'" in err and "p01" in err


def test_history_refuses_a_path_as_patient(vrex, session):
    code, _, err = vrex("history", "../p01", "--root", session.parent.parent)
    assert code == 2 and "is not valid" in err and "Traceback" not in err
