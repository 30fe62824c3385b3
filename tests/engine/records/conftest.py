"""Keys, a sessions root that seals to them, and session folders to seal.

``plain_session`` is the report tests' 10-minute heights session (tests/engine/report/synth.py:
session.json and events.jsonl as a session writes them), plus a ``plots/`` file; the real
session end to end, with its XDF, is in test_sealed_session.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.records.keyfiles import add_recipient, write_identity
from tests.engine.report.synth import write_session


@dataclass
class Keys:
    identity: Path
    recipient: str
    root: Path  # a sessions root whose recipients.txt names the key


@pytest.fixture(autouse=True)
def no_identity_from_outside(monkeypatch, tmp_path):
    """No identity from the environment or a home folder reaches a test by accident."""
    monkeypatch.delenv("VREX_IDENTITY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def keys(tmp_path) -> Keys:
    identity = tmp_path / "keys" / "identity.txt"
    recipient = write_identity(identity)
    root = tmp_path / "sessions"
    add_recipient(root, recipient)
    return Keys(identity, recipient, root)


def make_session(root: Path, patient: str = "p01", day: int = 20) -> tuple[Path, dict]:
    """A plaintext session folder started on 2026-11-``day``; returns it and its files'
    bytes by relative path."""
    folder = write_session(
        root / patient / f"202611{day:02d}-090000-heights", patient=patient, started=f"2026-11-{day:02d}T09:00:00.000Z"
    )
    (folder / "plots").mkdir()
    (folder / "plots" / "timeline.png").write_bytes(b"\x89PNG not really, but bytes to seal")
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return folder, files


@pytest.fixture
def plain_session(keys) -> tuple[Path, dict]:
    return make_session(keys.root)


@pytest.fixture
def vrex(capsys):
    """``vrex ARGS…`` in-process → (exit code, stdout, stderr)."""
    from engine import cli

    def run(*args):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
