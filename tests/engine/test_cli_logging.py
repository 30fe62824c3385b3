"""What vrex's parts log reaches the terminal through the CLI as ``vrex: warning: LOGGER: MESSAGE``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from engine import cli
from tests.conftest import ROOT


def _broken_session(folder):
    """A session folder whose events.jsonl reads but whose session.json does not: ``vrex
    verify`` warns that the end of the log is not checked, and goes on."""
    folder.mkdir()
    (folder / "events.jsonl").write_text("", encoding="utf-8")
    (folder / "session.json").write_text("{broken", encoding="utf-8")
    return folder


def test_a_library_warning_reaches_stderr_in_the_cli_format(tmp_path):
    folder = _broken_session(tmp_path / "s")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "verify", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("vrex: warning: ")]
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith(f"vrex: warning: engine.commands.verify: cannot read {folder / 'session.json'}")
    assert "the end of the log is not checked" in warnings[0]
    assert "Traceback" not in result.stderr
    assert "not chained" in result.stdout  # the command's own output is untouched


def test_main_leaves_the_callers_logging_as_it_found_it(tmp_path, capsys):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    assert cli.main(["verify", str(_broken_session(tmp_path / "s"))]) == 0
    assert "vrex: warning: engine.commands.verify: cannot read" in capsys.readouterr().err
    assert root.handlers == handlers and root.level == level


def test_verbose_shows_info_and_the_default_does_not(capsys):
    root = logging.getLogger()
    level = root.level
    say = logging.getLogger("engine.records.erase")  # a real module's logger
    try:
        cli.configure_logging(verbose=False)
        say.info("hidden by default")
        say.error("shown always")
        handler = cli.configure_logging(verbose=True)  # replaces the first, not a second handler
        say.info("shown with -v")
        assert sum(isinstance(h, type(handler)) for h in root.handlers) == 1
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    err = capsys.readouterr().err.splitlines()
    assert err == ["vrex: error: engine.records.erase: shown always", "vrex: info: engine.records.erase: shown with -v"]


def test_verbose_is_a_top_level_option_that_leaves_the_command_alone():
    args = cli.build_parser(load=("verify",)).parse_args(["-v", "verify", "somewhere"])
    assert args.verbose and args.command == "verify" and str(args.session) == "somewhere"
    assert cli.chosen_command(["-v", "verify", "somewhere"]) == "verify"
    assert not cli.build_parser(load=("verify",)).parse_args(["verify", "x"]).verbose


def test_the_renderer_process_writes_its_warnings_in_the_same_format(tmp_path):
    """A session's renderer is a process of its own: a warning said there (a bad quality tier,
    read where the scene is built) reads as one said in the session's process."""
    from tests.conftest import SCENARIOS

    script = tmp_path / "start_renderer.py"
    script.write_text(
        f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from engine.session.process_frames import ProcessFrames, RenderConfig
frames = ProcessFrames(RenderConfig(scenario=Path({str(SCENARIOS / "heights.yaml")!r}), offscreen=True,
                       size=(64, 36), renderer="p3tinydisplay", title="t", start=0.0, levels=11, fps=30.0))
frames.close()
"""
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["VREX_QUALITY"] = "shiny"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    said = [line for line in out.stderr.splitlines() if "is not a quality tier" in line]
    assert said and all(
        line.startswith("vrex: warning: engine.scene.quality: VREX_QUALITY=shiny is not a quality tier")
        for line in said
    ), out.stderr[-2000:]
