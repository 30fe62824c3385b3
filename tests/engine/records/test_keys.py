"""``vrex keys init`` and the recipients a sessions root seals to."""

from __future__ import annotations

import os
import stat

import pytest
from pyrage import x25519

from engine.errors import VrexError
from engine.records.keyfiles import load_identities, load_recipients


def test_keys_init_writes_a_private_identity_and_prints_its_recipient(tmp_path, vrex):
    out = tmp_path / "usb" / "clinic.key"
    code, stdout, err = vrex("keys", "init", "--out", out, "--sessions", tmp_path / "sessions")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    (identity,) = load_identities(out)
    recipient = str(identity.to_public())
    assert f"public key (recipient): {recipient}" in stdout
    assert "offline" in stdout  # says to back it up
    assert load_recipients(tmp_path / "sessions") == [recipient]
    assert stat.S_IMODE((tmp_path / "sessions" / "recipients.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "sessions").stat().st_mode) == 0o700


def test_keys_init_never_overwrites_an_identity(tmp_path, vrex):
    out = tmp_path / "clinic.key"
    assert vrex("keys", "init", "--out", out)[0] == 0
    before = out.read_bytes()
    code, _, err = vrex("keys", "init", "--out", out)
    assert code == 1 and "already exists" in err and "Traceback" not in err
    assert out.read_bytes() == before


def test_keys_init_does_not_write_through_a_planted_link(tmp_path, vrex):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "clinic.key").symlink_to(victim)
    code, _, err = vrex("keys", "init", "--out", tmp_path / "clinic.key")
    assert code == 1 and "already exists" in err
    assert victim.read_text() == "keep"


def test_keys_init_defaults_to_the_config_folder(tmp_path, vrex):
    code, stdout, _ = vrex("keys", "init")
    path = tmp_path / "config" / "vrex" / "identity.txt"  # XDG_CONFIG_HOME from conftest
    assert code == 0 and str(path) in stdout and path.is_file()


def test_a_bad_recipients_line_is_named_with_its_file_and_line(tmp_path):
    (tmp_path / "recipients.txt").write_text("# clinic\nage1notakey\n")
    with pytest.raises(VrexError, match=r"recipients.txt:2: 'age1notakey' is not an age public key"):
        load_recipients(tmp_path)


def test_no_recipients_file_means_not_sealed_and_an_empty_one_is_refused(tmp_path):
    assert load_recipients(tmp_path) == []
    (tmp_path / "recipients.txt").write_text("# nobody yet\n")
    with pytest.raises(VrexError, match="names no recipient"):
        load_recipients(tmp_path)


def test_a_public_key_given_as_identity_is_refused_clearly(tmp_path):
    path = tmp_path / "wrong.txt"
    path.write_text(str(x25519.Identity.generate().to_public()) + "\n")
    os.chmod(path, 0o600)
    with pytest.raises(VrexError, match=r"wrong.txt:1: not an age secret key"):
        load_identities(path)
