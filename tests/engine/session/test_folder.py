"""The session folder: real directories; refusals happen before anything is created."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.errors import VrexError
from engine.session import folder as folder_module
from engine.session.folder import FORMAT, SessionFolder, check_patient, check_writable, file_sha256, software_versions

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 27, 8, 15, 0, 123456, tzinfo=UTC)


def test_create_makes_the_folder_and_its_session_json(tmp_path):
    folder = SessionFolder.create(tmp_path / "sessions", "P017", "heights", NOW, mode="auto", demo=True, speed=15.0)
    assert folder.path == tmp_path / "sessions" / "P017" / "20261127-081500-heights"
    assert folder.session_id == "20261127-081500-heights"
    assert (folder.events, folder.recording, folder.metadata) == (
        folder.path / "events.jsonl",
        folder.path / "recording.xdf",
        folder.path / "session.json",
    )
    meta = json.loads(folder.metadata.read_text())
    assert meta["format"] == FORMAT == "vrex-session/1"
    assert (meta["session_id"], meta["patient"]) == ("20261127-081500-heights", "P017")
    assert meta["started_utc"] == "2026-11-27T08:15:00.123Z"
    assert meta["ended_utc"] is None and meta["end_reason"] is None
    assert (meta["mode"], meta["demo"], meta["speed"]) == ("auto", True, 15.0)
    assert meta["software"]["python"] and meta["software"]["numpy"]
    assert sorted(p.name for p in folder.path.iterdir()) == ["session.json"]  # no temp files


def test_folder_name_is_utc_and_taken_names_get_a_suffix(tmp_path):
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    names = [SessionFolder.create(tmp_path, "demo", "heights", paris).path.name for _ in range(3)]
    assert names == ["20261127-081500-heights", "20261127-081500-heights-2", "20261127-081500-heights-3"]
    third = json.loads((tmp_path / "demo" / names[2] / "session.json").read_text())
    assert third["session_id"] == names[2]


@pytest.mark.parametrize("patient", ["", "a b", "../escape", "x/y", "Anna Müller", "p" * 65, "P017\n", ".hidden"])
def test_unsafe_patient_ids_are_refused_before_anything_is_made(tmp_path, patient):
    with pytest.raises(VrexError, match="letters, digits") as err:
        SessionFolder.create(tmp_path / "sessions", patient, "heights", NOW)
    assert repr(patient) in str(err.value)
    assert not (tmp_path / "sessions").exists()


def test_safe_patient_ids_pass():
    for patient in ("P017", "demo", "site-2_patient-0042", "x" * 64):
        assert check_patient(patient) == patient


def test_unsafe_scenario_id_is_refused(tmp_path):
    with pytest.raises(VrexError, match="scenario id '../x'"):
        SessionFolder.create(tmp_path, "demo", "../x", NOW)


def test_root_that_is_a_file_is_refused(tmp_path):
    root = tmp_path / "out"
    root.write_text("not a folder")
    with pytest.raises(VrexError) as err:
        SessionFolder.create(root, "demo", "heights", NOW)
    assert str(root) in str(err.value) and "is a file, not a folder" in str(err.value)
    assert root.read_text() == "not a folder"


def test_root_below_a_file_is_refused_with_the_system_reason(tmp_path):
    (tmp_path / "file").write_text("x")
    root = tmp_path / "file" / "sessions"
    with pytest.raises(VrexError) as err:
        check_writable(root)
    assert str(root) in str(err.value)
    assert os.strerror(20) in str(err.value)  # ENOTDIR: "Not a directory"


@pytest.mark.parametrize("root", ["/proc/vrex-sessions", "/sys/kernel"])
def test_root_the_system_will_not_let_us_write_is_refused(root):
    """Permission bits do not stop root (tests run as root), so use folders that refuse
    everyone: /proc cannot hold new folders, /sys/kernel refuses new files."""
    if not os.path.isdir(os.path.dirname(root)):
        pytest.skip(f"{os.path.dirname(root)} does not exist on this system")
    with pytest.raises(VrexError) as err:
        check_writable(root)
    message = str(err.value)
    assert message.startswith(f"cannot save sessions in {root}: ")
    assert any(os.strerror(code) in message for code in (1, 2, 13, 30)), message


def test_update_rewrites_atomically_and_keeps_other_keys(tmp_path):
    folder = SessionFolder.create(tmp_path, "demo", "heights", NOW, mode="auto")
    whole = folder.update(ended_utc="2026-11-27T08:50:00.000Z", end_reason="completed", ceilings={"hr_bpm": math.nan})
    on_disk = json.loads(folder.metadata.read_text())
    assert on_disk == whole
    assert on_disk["mode"] == "auto" and on_disk["end_reason"] == "completed"
    assert on_disk["ceilings"] == {"hr_bpm": None}
    assert sorted(p.name for p in folder.path.iterdir()) == ["session.json"]
    assert SessionFolder(folder.path).info == on_disk  # reopened from disk


def test_a_failed_update_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    folder = SessionFolder.create(tmp_path, "demo", "heights", NOW, mode="auto")
    before = folder.metadata.read_bytes()

    def crash(src, dst):
        raise OSError(28, os.strerror(28))  # ENOSPC at the rename

    monkeypatch.setattr(folder_module.os, "replace", crash)
    with pytest.raises(VrexError, match="session.json"):
        folder.update(end_reason="completed")
    assert folder.metadata.read_bytes() == before
    assert sorted(p.name for p in folder.path.iterdir()) == ["session.json"]
    assert folder.info["end_reason"] is None


def test_end_sets_the_end_time_and_reason(tmp_path):
    folder = SessionFolder.create(tmp_path, "demo", "heights", NOW)
    folder.end("stopped", NOW + timedelta(minutes=35))
    meta = SessionFolder(folder.path).info
    assert (meta["ended_utc"], meta["end_reason"]) == ("2026-11-27T08:50:00.123Z", "stopped")


def test_a_folder_without_session_json_is_not_a_session(tmp_path):
    with pytest.raises(VrexError, match="no session.json"):
        SessionFolder(tmp_path)


def test_software_versions_never_imports_panda3d():
    code = (
        "import sys; from engine.session.folder import software_versions as v; "
        "print(sorted(v())); print('panda3d' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[-1] == "False"
    assert {"vrex", "python", "numpy", "pylsl", "panda3d"} <= set(eval(out[0]))
    versions = software_versions()
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))


def test_file_sha256(tmp_path):
    data = b"scenario: heights\n" * 100_000
    (tmp_path / "s.yaml").write_bytes(data)
    assert file_sha256(tmp_path / "s.yaml") == hashlib.sha256(data).hexdigest()
