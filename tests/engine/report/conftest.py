"""Session folders on disk for the report tests, and the ``vrex`` CLI run in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.report.synth import write_session

ROOT = Path(__file__).resolve().parents[3]
DROPOUT = (90.0, 20.0)  # session seconds: start, length


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


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """A 5-minute demo session, as a user's `vrex demo` leaves it (real LSL, LabRecorder,
    offscreen frames), with every physiological stream dropped for 20 s: (folder, its events,
    the XDF's streams by name). About 30 s; shared by the export and plain-words tests."""
    out = tmp_path_factory.mktemp("sessions")
    cmd = [sys.executable, "-m", "engine.cli", "demo", "--speed", "20", "--seed", "2", "--minutes", "5"]
    cmd += ["--baseline", "30", "--recovery", "10", "--sessions", str(out), "--display", "offscreen"]
    cmd += ["--renderer", "p3tinydisplay", "--no-report", "--quiet", "--no-console"]
    # the rule controller: these tests read what a session records, whatever decides the levels
    cmd += ["--controller", "threshold", "--inject", "dropout@{:g}:{:g}".format(*DROPOUT)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ})
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    (folder,) = [d for d in (out / "demo").iterdir() if d.is_dir()]
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    from sensors.recorder import load_xdf

    streams, _ = load_xdf(folder / "recording.xdf")
    return folder, events, {s["info"]["name"][0]: s for s in streams}
