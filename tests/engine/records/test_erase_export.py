"""`vrex erase PATIENT` and `vrex export --patient PATIENT`: the rights to erasure and access."""

from __future__ import annotations

import io
import json
import stat
import sys
import tarfile
import zipfile

import pytest

from engine.records.seal import seal_folder
from tests.engine.records.conftest import make_session


@pytest.fixture
def two_patients(keys):
    """p01: a sealed session and one still in the clear (a crash); p02: one session."""
    a, a_files = make_session(keys.root, "p01", day=20)
    b, b_files = make_session(keys.root, "p01", day=27)
    seal_folder(a, [keys.recipient])
    other, _ = make_session(keys.root, "p02", day=21)
    return {a.name: a_files, b.name: b_files}, other


def test_erase_removes_every_session_and_logs_without_the_patient_id(keys, two_patients, vrex):
    _, other = two_patients
    code, stdout, err = vrex("erase", "p01", "--sessions", keys.root, "--yes")
    assert code == 0, err
    assert not (keys.root / "p01").exists()
    assert other.is_dir()  # another patient is untouched
    log = keys.root / "erasures.log"
    text = log.read_text()
    (record,) = [json.loads(line) for line in text.splitlines()]
    assert record["sessions"] == 2 and record["erasure_id"] in stdout
    assert "p01" not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    code, _, err = vrex("history", "p01", "--sessions", keys.root)
    assert code == 1 and "no sessions for patient 'p01'" in err


def test_erase_asks_for_the_patient_id(keys, two_patients, vrex, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("p02\n"))
    code, stdout, _ = vrex("erase", "p01", "--sessions", keys.root)
    assert code == 1 and "nothing erased" in stdout and (keys.root / "p01").is_dir()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = vrex("erase", "p01", "--sessions", keys.root)
    assert code == 1 and "--yes" in err and (keys.root / "p01").is_dir()
    assert not (keys.root / "erasures.log").exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("p01\n"))
    assert vrex("erase", "p01", "--sessions", keys.root)[0] == 0
    assert not (keys.root / "p01").exists()


def test_erase_refuses_a_patient_folder_that_is_a_link(keys, tmp_path, vrex):
    elsewhere, _ = make_session(tmp_path / "elsewhere", "p09")
    (keys.root / "p09").symlink_to(elsewhere.parent)
    code, _, err = vrex("erase", "p09", "--sessions", keys.root, "--yes")
    assert code == 1 and "symbolic link" in err
    assert elsewhere.is_dir()


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_export_patient_holds_every_session_decrypted(keys, two_patients, tmp_path, vrex, suffix):
    held, _ = two_patients
    out = tmp_path / f"p01{suffix}"
    code, stdout, err = vrex(
        "export", "--patient", "p01", "--sessions", keys.root, "--out", out, "--identity", keys.identity
    )
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    if suffix == ".zip":
        with zipfile.ZipFile(out) as z:
            inside = {n: z.read(n) for n in z.namelist()}
    else:
        with tarfile.open(out) as t:
            inside = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    index = json.loads(inside.pop("p01/export.json"))
    want = {f"p01/{session}/{name}": data for session, files in held.items() for name, data in files.items()}
    assert inside == want
    assert index["patient"] == "p01"
    assert sorted((s["session_id"], s["sealed"]) for s in index["sessions"]) == [
        ("20261120-090000-heights", True),
        ("20261127-090000-heights", False),
    ]


def test_export_patient_without_the_identity_says_how_and_writes_nothing(keys, two_patients, tmp_path, vrex):
    out = tmp_path / "p01.zip"
    code, _, err = vrex("export", "--patient", "p01", "--sessions", keys.root, "--out", out)
    assert code == 1 and "is sealed" in err and "--identity" in err
    assert not out.exists() and list(tmp_path.glob(".p01.zip*")) == []


def test_export_refuses_to_overwrite_and_unknown_archive_kinds(keys, two_patients, tmp_path, vrex):
    out = tmp_path / "p01.zip"
    out.write_text("keep")
    code, _, err = vrex(
        "export", "--patient", "p01", "--sessions", keys.root, "--out", out, "--identity", keys.identity
    )
    assert code == 1 and "already exists" in err and out.read_text() == "keep"
    code, _, err = vrex("export", "--patient", "p01", "--sessions", keys.root, "--out", tmp_path / "p01.rar")
    assert code == 1 and ".zip, .tar or .tar.gz" in err


def test_export_help_names_both_modes(vrex):
    code, stdout, _ = vrex("export", "--help")
    assert code == 0
    assert "Research" in stdout and "--format" in stdout and "--patient" in stdout and "right of access" in stdout


def test_export_needs_one_mode(keys, two_patients, tmp_path, vrex):
    folder = keys.root / "p01" / "20261127-090000-heights"
    code, _, err = vrex("export", folder, "--patient", "p01", "--out", tmp_path / "x.zip")
    assert code == 1 and "no SESSION_DIR or --format" in err
    code, _, err = vrex("export", "--out", tmp_path / "x")
    assert code == 1 and "--patient PATIENT" in err


def test_research_export_of_a_sealed_session_without_identity_says_sealed(keys, two_patients, tmp_path, vrex):
    folder = keys.root / "p01" / "20261120-090000-heights"
    code, _, err = vrex("export", folder, "--format", "edf", "--out", tmp_path / "edf")
    assert code == 1 and "is sealed" in err and "Traceback" not in err


def test_a_sealed_sessions_research_export_into_its_own_folder_is_refused(keys, plain_session, vrex):
    from engine.records.seal import plaintext_files, seal_folder

    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    code, _, err = vrex("export", folder, "--format", "fif", "--out", folder / "fif", "--identity", keys.identity)
    assert code == 1 and "inside the sealed session" in err
    assert plaintext_files(folder) == [] and not (folder / "fif").exists()


def test_export_patient_into_the_sessions_folder_is_refused(keys, two_patients, vrex):
    # inside a session folder the archive would be archived into itself; anywhere in the
    # sessions folder it would lie decrypted beside the sealed records
    held, _ = two_patients
    session = keys.root / "p01" / sorted(held)[1]  # the one in the clear
    for out in (session / "p01.zip", keys.root / "p01.zip"):
        code, _, err = vrex(
            "export", "--patient", "p01", "--sessions", keys.root, "--out", out, "--identity", keys.identity
        )
        assert code == 1 and "inside the sessions folder" in err, err
        assert not out.exists() and list(out.parent.glob(".p01.zip*")) == []
