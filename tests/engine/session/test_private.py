"""Issue 16, item 2: session folders are closed from their creation and never written
through a planted symbolic link. Real files, a real umask, the real writers."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from engine.errors import VrexError
from engine.session.events import EventLog
from engine.session.folder import SessionFolder
from sensors import lsl
from sensors.recorder import XdfRecorder
from sensors.types import StreamSpec
from tests.engine.report import synth

from .conftest import RESOLVE_S

NOW = datetime(2026, 11, 27, 8, 15, 0, 123000, tzinfo=UTC)
VICTIM = b"another user's file: must stay as it is\n"


@pytest.fixture
def umask_022():
    """The usual umask, under which open() and mkdir() give 0644 and 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, int]:
    """Every folder and file below ``root`` (itself included) → its permission bits."""
    found = {".": stat.S_IMODE(os.lstat(root).st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def assert_private(root: Path) -> None:
    wrong = {
        name: oct(mode) for name, mode in modes(root).items() if mode != (0o700 if (root / name).is_dir() else 0o600)
    }
    assert not wrong, f"not 0700 folders / 0600 files: {wrong}"


def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim"
    path.write_bytes(VICTIM)
    return path


def session_with_events(root: Path) -> SessionFolder:
    """A session written by vrex's own writers (SessionFolder, EventLog): the report tests'
    standard 10-minute session, so `vrex report` has plots to draw."""
    meta = synth.session_json("x", "demo", "2026-11-27T08:15:00.123Z", "heights", "stopped")
    for key in ("format", "session_id", "patient", "started_utc"):
        del meta[key]
    folder = SessionFolder.create(root, "demo", "heights", NOW, **meta)
    now = [0.0]
    with EventLog(folder.events, lambda: now[0], lsl_clock=lambda: 5000.0 + now[0]) as events:
        for t, source, kind, extra in synth._events(
            "demo", "heights", synth.SCHEDULE, synth.SUDS, 480, None, "stopped", 600
        ):
            now[0] = t
            events.log(source, kind, extra.pop("reason", ""), **extra)
        folder.update(events_chain=events.head)  # as a session's end does
    return folder


def test_a_session_folder_is_closed_from_creation_whatever_the_umask(tmp_path, umask_022):
    root = tmp_path / "out" / "sessions"
    folder = session_with_events(root)
    from engine.report import write_report

    write_report(folder.path)
    assert (folder.path / "report.html").exists() and list((folder.path / "plots").glob("*.png"))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700  # the root vrex made
    assert_private(root)


def test_files_are_never_chmodded_after_creation(tmp_path, umask_022, monkeypatch):
    """No window: the modes come from os.open/os.mkdir themselves."""

    def refuse(*args, **kwargs):
        raise AssertionError("chmod after creation leaves a window another user can open in")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(os, "fchmod", refuse)
    test_a_session_folder_is_closed_from_creation_whatever_the_umask(tmp_path, None)


@pytest.mark.slow  # ~7 s: a real LabRecorder writes the files
def test_the_recorder_makes_its_xdf_and_log_0600(tmp_path, umask_022, uid, closing):
    spec = StreamSpec("vrex-test-ecg", "ECG", 250.0, 1, "float32", uid("device"))
    ecg = closing(lsl.make_outlet(spec))
    rec = closing(XdfRecorder.start(tmp_path / "recording.xdf", [ecg.spec], timeout=RESOLVE_S))
    assert ecg.wait_for_consumers(RESOLVE_S)
    ecg.push(np.arange(10, dtype=np.float32))
    rec.stop()
    assert stat.S_IMODE((tmp_path / "recording.xdf").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "recording.log").stat().st_mode) == 0o600


def test_a_link_at_the_recorders_log_is_refused(tmp_path, uid, closing):
    target = victim(tmp_path)
    (tmp_path / "recording.log").symlink_to(target)
    spec = StreamSpec("vrex-test-ecg", "ECG", 250.0, 1, "float32", uid("device"))
    ecg = closing(lsl.make_outlet(spec))
    from sensors.errors import SensorError

    with pytest.raises(SensorError, match="recording.log.*symbolic link"):
        XdfRecorder.start(tmp_path / "recording.xdf", [ecg.spec], timeout=RESOLVE_S)
    assert target.read_bytes() == VICTIM
    assert not (tmp_path / "recording.xdf").exists()


@pytest.mark.parametrize("planted", ["report.html", "report.html.tmp", "plots/timeline.png"])
def test_vrex_report_never_writes_through_a_planted_link(tmp_path, planted):
    folder = session_with_events(tmp_path / "sessions")
    target = victim(tmp_path)
    link = folder.path / planted
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(target)
    from engine import cli

    assert cli.main(["report", str(folder.path)]) == 0
    assert target.read_bytes() == VICTIM
    if planted != "report.html.tmp":  # replaced by vrex's own file, not followed
        assert not link.is_symlink() and link.stat().st_mode & 0o077 == 0


def test_vrex_report_refuses_a_plots_folder_that_is_a_link(tmp_path):
    folder = session_with_events(tmp_path / "sessions")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "timeline.png").write_bytes(VICTIM)
    (folder.path / "plots").symlink_to(elsewhere)
    from engine.report import write_report

    with pytest.raises(VrexError, match="plots is a symbolic link"):
        write_report(folder.path)
    assert (elsewhere / "timeline.png").read_bytes() == VICTIM


def test_session_json_replaces_a_planted_link(tmp_path):
    folder = session_with_events(tmp_path / "sessions")
    target = victim(tmp_path)
    folder.metadata.unlink()
    folder.metadata.symlink_to(target)
    folder.end("completed")
    assert target.read_bytes() == VICTIM
    assert not folder.metadata.is_symlink()
    assert SessionFolder(folder.path).info["end_reason"] == "completed"


def test_events_jsonl_that_is_a_link_is_refused_naming_it(tmp_path):
    target = victim(tmp_path)
    link = tmp_path / "events.jsonl"
    link.symlink_to(target)
    with pytest.raises(VrexError, match=r"events\.jsonl is a symbolic link.*move the link away"):
        EventLog(link, lambda: 0.0, lsl_clock=lambda: 0.0)
    dangling = tmp_path / "other.jsonl"
    dangling.symlink_to(tmp_path / "not-yet")  # would be created through the link
    with pytest.raises(VrexError, match="symbolic link"):
        EventLog(dangling, lambda: 0.0, lsl_clock=lambda: 0.0)
    assert target.read_bytes() == VICTIM and not (tmp_path / "not-yet").exists()


def test_an_old_0644_event_log_is_closed_when_appended_to(tmp_path, umask_022):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    with EventLog(path, lambda: 0.0, lsl_clock=lambda: 0.0) as events:
        events.log("session", "session_start")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
