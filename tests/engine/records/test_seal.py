"""Sealing a session folder and opening it again: round trip through `vrex report` and
`vrex history`, unreadable without the identity, a wrong identity, `vrex seal --pending`,
and the link and permission rules for what sealing writes."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time

import pytest

from engine.errors import VrexError
from engine.records.keyfiles import write_identity
from engine.records.seal import MANIFEST, plaintext_files, seal_folder
from engine.records.unseal import opened
from engine.report.load import load_session


def test_sealed_files_hold_none_of_the_plaintext(keys, plain_session):
    folder, files = plain_session
    sealed = seal_folder(folder, [keys.recipient])
    assert sorted(sealed) == sorted(files)
    assert plaintext_files(folder) == []
    on_disk = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted([MANIFEST] + [f"{name}.age" for name in files])
    events = files["events.jsonl"]
    for name, data in on_disk.items():
        if name != MANIFEST:
            assert data.startswith(b"age-encryption.org/v1\n")
            assert events[:40] not in data and b'"kind"' not in data and b"heights" not in data
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    manifest = json.loads(on_disk[MANIFEST])
    # what history may show without the identity, and nothing more
    assert set(manifest) == {
        "format",
        "session_id",
        "started_utc",
        "ended_utc",
        "scenario",
        "sealed_utc",
        "recipients",
        "files",
        "how_to_open",
    }
    assert manifest["recipients"] == [keys.recipient] and manifest["scenario"] == "heights"
    assert "p01" not in on_disk[MANIFEST].decode()


def test_opened_gives_back_every_byte_in_a_private_folder_removed_after(keys, plain_session, tmp_path, monkeypatch):
    folder, files = plain_session
    seal_folder(folder, [keys.recipient])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with opened(folder, keys.identity) as plain:
        assert plain.name == folder.name and plain.parent.parent == tmp_path / "tmp"
        assert stat.S_IMODE(plain.parent.stat().st_mode) == 0o700
        back = {p.relative_to(plain).as_posix(): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
        assert back == files
        assert all(stat.S_IMODE((plain / n).stat().st_mode) == 0o600 for n in back)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_report_round_trip_with_the_identity(keys, plain_session, tmp_path, vrex):
    folder, _ = plain_session
    before = load_session(folder, read_recording=False)
    seal_folder(folder, [keys.recipient])
    out = tmp_path / "report"
    code, stdout, err = vrex("report", folder, "--identity", keys.identity, "--out", out)
    assert code == 0, err
    html = (out / "report.html").read_text()
    assert str(folder) in html  # the session's own folder, not the temporary copy
    after = load_session(folder, read_recording=False, identity=keys.identity)
    assert after.folder == folder
    assert after.events == before.events and after.meta == before.meta
    assert not list(folder.glob("report.html*"))  # nothing written in the clear beside it


def test_without_the_identity_the_report_says_sealed_and_how_to_open(keys, plain_session, tmp_path, vrex):
    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    code, _, err = vrex("report", folder, "--out", tmp_path / "report")
    assert code == 1 and "Traceback" not in err
    assert "is sealed" in err and "--identity FILE" in err and keys.recipient in err
    assert not (tmp_path / "report").exists()
    with pytest.raises(VrexError, match="is sealed"):
        load_session(folder)


def test_a_sealed_report_without_out_is_refused(keys, plain_session, vrex):
    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    code, _, err = vrex("report", folder, "--identity", keys.identity)
    assert code == 1 and "give --out" in err


@pytest.mark.parametrize("inside", [".", "report", "plots"])
def test_a_sealed_report_written_into_its_own_folder_is_refused(keys, plain_session, vrex, inside):
    # --out SESSION (or a folder in it) would leave the decrypted report beside the sealed files
    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    code, _, err = vrex("report", folder, "--identity", keys.identity, "--out", folder / inside)
    assert code == 1 and "outside" in err
    assert plaintext_files(folder) == []


def test_a_wrong_identity_names_both_keys(keys, plain_session, tmp_path, vrex):
    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    other = tmp_path / "other.key"
    theirs = write_identity(other)
    code, _, err = vrex("report", folder, "--identity", other, "--out", tmp_path / "r")
    assert code == 1 and "Traceback" not in err
    assert "does not open" in err and keys.recipient in err and theirs in err


def test_identity_from_the_environment(keys, plain_session, tmp_path, vrex, monkeypatch):
    folder, _ = plain_session
    seal_folder(folder, [keys.recipient])
    monkeypatch.setenv("VREX_IDENTITY", str(keys.identity))
    assert vrex("report", folder, "--out", tmp_path / "r")[0] == 0


def test_history_lists_sealed_sessions_with_and_without_the_identity(keys, vrex):
    from tests.engine.records.conftest import make_session

    make_session(keys.root, day=20)
    sealed, _ = make_session(keys.root, day=27)
    plain_out = vrex("history", "p01", "--sessions", keys.root)
    seal_folder(sealed, [keys.recipient])
    code, without, _ = vrex("history", "p01", "--sessions", keys.root)
    assert code == 0
    assert "sealed" in without and "2026-11-27" in without and "give --identity" in without
    code, opened_out, _ = vrex("history", "p01", "--sessions", keys.root, "--identity", keys.identity)
    assert code == 0 and opened_out == plain_out[1]


def test_seal_pending_skips_a_live_looking_folder_and_seals_an_old_one(keys, plain_session, vrex):
    folder, _ = plain_session
    code, stdout, _ = vrex("seal", "--pending", "--sessions", keys.root)
    assert code == 1 and "skipped" in stdout and "may be a running session" in stdout
    assert plaintext_files(folder)
    old = time.time() - 3600
    for p in folder.rglob("*"):
        os.utime(p, (old, old))
    code, stdout, _ = vrex("seal", "--pending", "--sessions", keys.root)
    assert code == 0 and "1 session(s) sealed" in stdout
    assert plaintext_files(folder) == [] and (folder / MANIFEST).is_file()
    code, stdout, _ = vrex("seal", "--pending", "--sessions", keys.root)  # nothing left
    assert code == 0 and "0 session(s) sealed" in stdout


def test_seal_of_the_current_folder_finds_its_sessions_root(keys, plain_session, vrex, monkeypatch):
    # `cd out/sessions/p01/SESSION && vrex seal . --force`: the root is two folders up from the
    # folder itself, not from the path as typed (".")
    folder, _ = plain_session
    monkeypatch.chdir(folder)
    code, stdout, err = vrex("seal", ".", "--force")
    assert code == 0 and "1 session(s) sealed" in stdout, err
    assert plaintext_files(folder) == [] and (folder / MANIFEST).is_file()


def test_seal_without_recipients_says_how_to_make_them(tmp_path, vrex):
    from tests.engine.records.conftest import make_session

    make_session(tmp_path / "s")
    code, _, err = vrex("seal", "--pending", "--sessions", tmp_path / "s")
    assert code == 1 and "vrex keys init --sessions" in err


def test_an_interrupted_seal_is_finished_by_sealing_again(keys, plain_session):
    folder, files = plain_session
    # as if sealing stopped after one file: a damaged .age beside its plaintext, no manifest
    (folder / "events.jsonl.age").write_bytes(b"age-encryption.org/v1\n half written")
    (folder / ".session.json.age.0123456789ab.tmp").write_bytes(b"ciphertext being written")
    seal_folder(folder, [keys.recipient])
    with opened(folder, keys.identity) as plain:
        back = {p.relative_to(plain).as_posix(): p.read_bytes() for p in plain.rglob("*") if p.is_file()}
    assert back == files  # rewritten from the plaintext, which only then was removed


def test_a_link_in_the_session_folder_is_refused_and_nothing_is_removed(keys, plain_session, tmp_path):
    folder, files = plain_session
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not vrex's")
    (folder / "notes.txt").symlink_to(secret)
    with pytest.raises(VrexError, match="notes.txt is a symbolic link"):
        seal_folder(folder, [keys.recipient])
    assert (folder / "events.jsonl").read_bytes() == files["events.jsonl"]
    assert not (folder / MANIFEST).exists()


def test_a_link_planted_at_the_sealed_name_is_refused_not_written_through(keys, plain_session, tmp_path):
    folder, files = plain_session
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (folder / "events.jsonl.age").symlink_to(victim)
    with pytest.raises(VrexError, match="events.jsonl.age is a symbolic link"):
        seal_folder(folder, [keys.recipient])
    assert victim.read_text() == "keep"
    assert (folder / "events.jsonl").read_bytes() == files["events.jsonl"]


def test_a_cut_sealed_file_is_read_up_to_the_cut(keys, plain_session):
    folder, files = plain_session
    seal_folder(folder, [keys.recipient])
    sealed = folder / "events.jsonl.age"
    data = sealed.read_bytes()
    sealed.write_bytes(data[: len(data) // 2])  # a copy cut short
    loaded = load_session(folder, read_recording=False, identity=keys.identity)
    whole = files["events.jsonl"].count(b"\n")
    assert 0 < len(loaded.events) < whole
    assert any(p.file == "events.jsonl" for p in loaded.problems)


def test_verify_opens_a_sealed_session_with_the_identity(keys, plain_session, vrex):
    folder, _ = plain_session
    code, plain_out, err = vrex("verify", folder)
    assert code == 0, err
    seal_folder(folder, [keys.recipient])
    code, _, err = vrex("verify", folder)
    assert code == 1 and "is sealed" in err and "Traceback" not in err
    code, sealed_out, err = vrex("verify", folder, "--identity", keys.identity)
    assert code == 0, err
    assert sealed_out == plain_out  # the same verdict on the decrypted copy as on the plaintext


def test_a_seal_that_fails_at_the_end_of_a_session_warns_and_keeps_the_recording(tmp_path, caplog):
    from engine.records.seal import seal_at_end

    folder = tmp_path / "sessions" / "P01" / "session-1"
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_text('{"t": 0}\n')
    with caplog.at_level("WARNING", logger="engine.records.seal"):
        seal_at_end(folder, ["not-an-age-key"])  # never raises: the session has ended
    assert (folder / "events.jsonl").read_text() == '{"t": 0}\n'  # kept in the clear
    (record,) = [r for r in caplog.records if "could not seal" in r.getMessage()]
    assert record.levelname == "WARNING" and "vrex seal --pending --sessions" in record.getMessage()
