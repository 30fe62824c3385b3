"""A patient's sessions in time order, and progress compared within a scenario."""

from __future__ import annotations

import pytest

from engine.errors import VrexError
from engine.report.history import format_history, patient_history, validate_patient
from tests.engine.report.synth import write_session

EARLY = [(120, 200, 0), (200, 300, 1), (300, 480, 2)]  # held 2, reached 2
LATE = [(120, 180, 1), (180, 240, 3), (240, 480, 5)]  # held 5, reached 5


@pytest.fixture
def root(tmp_path):
    """p01: three heights sessions and one spiders session, written out of time order; q17: one."""
    root = tmp_path / "sessions"
    write_session(
        root / "p01" / "20261127-090000-heights",
        started="2026-11-27T09:00:00Z",
        schedule=LATE,
        suds=[(200, 60), (300, 65)],
    )
    write_session(
        root / "p01" / "20261113-090000-heights",
        started="2026-11-13T09:00:00Z",
        schedule=EARLY,
        suds=[(250, 70), (400, 90)],
    )
    write_session(root / "p01" / "20261120-090000-heights", started="2026-11-20T09:00:00Z")
    write_session(
        root / "p01" / "20261121-100000-spiders",
        started="2026-11-21T10:00:00Z",
        scenario="spiders",
        schedule=[(120, 480, 1)],
        stop_at=None,
        escape_at=300,
        end_reason="escaped",
    )
    write_session(root / "q17" / "20261122-090000-heights", patient="q17", started="2026-11-22T09:00:00Z")
    (root / "p03-empty").mkdir()
    return root


def test_sessions_are_listed_oldest_first_with_their_numbers(root):
    h = patient_history(root, "p01")
    assert [r.folder.name for r in h.rows] == [
        "20261113-090000-heights",
        "20261120-090000-heights",
        "20261121-100000-spiders",
        "20261127-090000-heights",
    ]
    assert [r.highest_held for r in h.rows] == [2, 2, 1, 5]
    assert [r.highest_reached for r in h.rows] == [2, 3, 1, 5]
    assert [r.peak_suds for r in h.rows] == [90, 80, 80, 65]
    assert [r.end_reason for r in h.rows] == ["stopped", "stopped", "escaped", "stopped"]
    assert [r.duration_s for r in h.rows] == [600] * 4


def test_progress_compares_sessions_of_one_scenario(root):
    h = patient_history(root, "p01")
    # spiders is not compared with heights: its change is None, and heights' last change is 5 - 2
    assert [r.held_change for r in h.rows] == [None, 0, None, 3]
    heights = next(p for p in h.progress if p.scenario == "heights")
    assert (heights.sessions, heights.first_held, heights.last_held, heights.best_held) == (3, 2, 5, 5)
    assert (heights.first_peak_suds, heights.last_peak_suds) == (90, 65)
    text = format_history(h)
    assert "heights: 3 sessions; highest level held 3 → 6 (+3), best 6; peak SUDS 90 → 65" in text
    assert "spiders: one session, highest level held 2" in text
    lines = text.splitlines()
    assert lines[0] == "patient p01: 4 sessions"
    assert lines[2].startswith("2026-11-13 09:00  heights") and "+3" in lines[5]


def test_a_session_with_a_corrupt_session_json_is_dated_by_its_folder(root):
    folder = root / "p01" / "20261110-090000-heights"
    write_session(folder, started="2026-11-10T09:00:00Z")
    (folder / "session.json").write_text("{broken")
    h = patient_history(root, "p01")
    assert h.rows[0].folder == folder and h.rows[0].problems == 2  # session.json and no recording.xdf
    assert h.rows[0].scenario == "heights"  # from the session_start event


def test_an_unknown_patient_lists_the_patients_there(root):
    with pytest.raises(VrexError) as info:
        patient_history(root, "p0l")
    text = str(info.value)
    assert "no sessions for patient 'p0l'" in text and "p01, q17." in text and "Did you mean 'p01'?" in text
    assert "p03-empty" not in text


def test_a_missing_root_says_where_sessions_live(tmp_path):
    with pytest.raises(VrexError, match="no such folder .* --sessions"):
        patient_history(tmp_path / "nope", "p01")


@pytest.mark.parametrize("bad", ["../p01", "p01/x", "..", "", ".hidden", "p.01", "a" * 65, "p 01"])
def test_patient_ids_that_could_leave_the_folder_are_refused(bad):
    with pytest.raises(VrexError, match="is not valid"):
        validate_patient(bad)


def test_good_patient_ids_pass():
    assert validate_patient("P-017_b") == "P-017_b" and validate_patient("a" * 64)


def test_one_session_is_one_session_and_the_sessions_folder_has_one_name(tmp_path, capsys):
    from engine.cli import main
    from tests.engine.report.synth import write_session

    write_session(tmp_path / "p01" / "20261120-090000-heights")
    assert main(["history", "p01", "--sessions", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 session" in out and "1 sessions" not in out
    assert main(["history", "p01", "--root", str(tmp_path)]) == 0  # the older name still works


def test_a_session_the_therapist_stopped_is_not_listed_as_completed(tmp_path):
    # recorded "completed" (the plan ran out) after a STOP at 8:00 that was never resumed
    write_session(tmp_path / "p01" / "20261120-090000-heights", started="2026-11-20T09:00:00Z", end_reason="completed")
    h = patient_history(tmp_path, "p01")
    assert h.rows[0].end_reason == "completed"  # as recorded
    row = format_history(h).splitlines()[2]
    assert "stopped by the therapist at 8:00" in row and "completed" not in row, row
