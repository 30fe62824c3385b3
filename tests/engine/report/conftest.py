"""Session folders on disk for the report tests, and the ``vrex`` CLI run in-process."""

from __future__ import annotations

import pytest

from tests.engine.report.synth import write_session


@pytest.fixture
def session(tmp_path):
    """The standard 10-minute session in out/sessions/p01/<date>-heights under a tmp dir."""
    return write_session(tmp_path / "sessions" / "p01" / "20261120-090000-heights")


@pytest.fixture
def vrex(monkeypatch, capsys):
    """``vrex ARGS…`` through ``engine.cli.main`` → (exit code, stdout, stderr). The two report
    commands are added to the CLI's list here if cli.py does not register them yet."""
    from engine import cli
    from engine.commands import history, report

    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + tuple(c for c in (report, history) if c not in cli.COMMANDS))

    def run(*args):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
