"""The ``vrex`` command line run for real, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.commands.view import KeyControls
from engine.easing import IntensityDriver
from engine.scenario import load_scenario
from engine.scenario.docs import json_schema, markdown_tables
from tests.conftest import ROOT, SCENARIOS


def vrex(*args, timeout=240):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.slow
def test_preview_writes_a_png_per_level_and_a_contact_sheet(tmp_path):
    out = tmp_path / "preview"
    result = vrex("preview", "spiders", "--out", str(out), "--size", "320x180")
    assert result.returncode == 0, result.stderr
    pngs = sorted(p.name for p in out.glob("level_*.png"))
    assert len(pngs) == len(load_scenario(SCENARIOS / "spiders.yaml").levels)
    assert (out / "contact_sheet.png").stat().st_size > 10_000
    assert "contact sheet:" in result.stdout


def test_preview_refuses_an_unwritable_folder_before_rendering(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = vrex("preview", "heights", "--out", str(blocker / "sub"))
    assert result.returncode == 1
    assert "cannot write there" in result.stderr and "--out" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_view_runs_offscreen_without_a_display():
    result = vrex("view", "heights", "--seconds", "1.5", "--level", "3")
    assert result.returncode == 0, result.stderr
    assert "no display found: rendering offscreen" in result.stdout
    assert "frames in" in result.stdout
    assert "final intensity 0.20" in result.stdout  # level 3 is at 0.2 and nothing changed it


@pytest.mark.parametrize(
    "args, message",
    [
        (("view", "heights", "--level", "99"), "--level 99 does not exist"),
        (("view", "heights", "--size", "big"), "is not a size"),
        (("preview", "no/such/file.yaml"), "cannot read the file"),
    ],
)
def test_bad_arguments_are_explained_without_a_traceback(args, message):
    result = vrex(*args)
    assert result.returncode in (1, 2)
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_keys_move_the_target_jump_to_levels_and_calm():
    spec = load_scenario(SCENARIOS / "heights.yaml")
    driver = IntensityDriver(spec.comfort, spec.calm, start=0.3)
    quit_calls = []
    keys = KeyControls(driver, [lv.intensity for lv in spec.levels], lambda: quit_calls.append(1)).bindings()
    keys["arrow_up"]()
    assert driver.target == pytest.approx(0.35)
    keys["arrow_down"]()
    keys["arrow_down"]()
    assert driver.target == pytest.approx(0.25)
    keys["page_up"]()
    assert driver.target == pytest.approx(0.3)
    keys["9"]()
    assert driver.target == pytest.approx(spec.levels[8].intensity)
    keys["0"]()
    assert driver.target == pytest.approx(spec.levels[9].intensity)
    keys["1"]()
    assert driver.target == 0.0
    driver.set_target(0.8)
    driver.intensity = 0.8
    keys["space"]()
    assert driver.calming and driver.target == spec.calm.intensity
    keys["escape"]()
    assert quit_calls == [1]


def test_keys_reach_the_driver_through_panda3d_events(base):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    driver = IntensityDriver(spec.comfort, spec.calm)
    keys = KeyControls(driver, [lv.intensity for lv in spec.levels], lambda: None).bindings()
    for key, action in keys.items():
        base.accept(key, action)
    try:
        base.messenger.send("arrow_up")
        base.messenger.send("arrow_up")
        assert driver.target == pytest.approx(0.1)
    finally:
        base.ignoreAll()


def test_committed_json_schema_and_readme_tables_are_current():
    committed = json.loads((SCENARIOS / "scenario.schema.json").read_text())
    assert committed == json_schema(), "run: vrex schema --out scenarios/scenario.schema.json"
    readme = (SCENARIOS / "README.md").read_text()
    assert markdown_tables() in readme, "paste `vrex schema --format markdown` into scenarios/README.md"


def test_json_schema_accepts_the_shipped_scenarios_and_rejects_an_unknown_key():
    import jsonschema
    import yaml

    schema = json_schema()
    for path in SCENARIOS.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    broken = yaml.safe_load((SCENARIOS / "heights.yaml").read_text())
    broken["levels"][0]["colur"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_schema_command_prints_json():
    result = vrex("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "vrex scenario"


def test_the_readme_example_is_a_valid_scenario_that_builds(tmp_path, scene_root):
    from engine.scene import Scene

    text = (SCENARIOS / "README.md").read_text()
    example = text.split("```yaml\n")[2].split("```")[0]  # the block after the schema hint
    path = tmp_path / "balcony.yaml"
    path.write_text(example)
    spec = load_scenario(path)
    scene = Scene(spec, scene_root)
    scene.apply(1.0)
    assert scene.node("balcony").getZ() == 40.0 and scene.node("rail").isHidden()
    scene.destroy()


def test_sigusr1_prints_where_every_thread_is():
    """A session that will not stop can be asked where it is stuck: kill -USR1 PID."""
    code = (
        "import os, signal, time\n"
        "from engine import cli\n"
        "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
        "os.kill(os.getpid(), signal.SIGUSR1)\n"
        "time.sleep(0.2)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]  # without the handler SIGUSR1 ends the process
    assert "Current thread" in r.stderr and 'File "<string>"' in r.stderr


HEAVY = ("numpy", "scipy", "panda3d", "pylsl", "fastapi", "matplotlib", "torch")


def imported_after(*calls: list[str]) -> tuple[list[str], str]:
    """Modules of HEAVY (and vrex's command modules) in sys.modules after ``cli.main(argv)`` for
    each argv, in a fresh interpreter; and what it printed."""
    code = (
        "import json, sys\n"
        "from engine import cli\n"
        f"for argv in {list(calls)!r}:\n"
        "    try:\n        cli.main(argv)\n    except SystemExit:\n        pass\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
        "or m.startswith('engine.commands.'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stdout


def test_help_and_version_import_nothing_heavy():
    """`vrex --help` and `--version` must start at once (issue 12: 1.4 s with every command's
    imports); how fast is measured in benchmarks/cli_startup.py, this checks the cause."""
    modules, out = imported_after(["--version"], ["--help"], [])
    assert modules == [], f"imported for --help/--version: {modules}"
    assert "vrex 0.1.0" in out and "replay" in out and "play a recording back as live LSL streams" in out


def test_a_command_imports_its_own_module_only_and_shows_all_its_options():
    modules, out = imported_after(["replay", "--help"])
    assert "--loop" in out and "--speed" in out  # the full options, from the module
    commands = [m for m in modules if m.startswith("engine.commands.")]
    assert commands == ["engine.commands.replay", "engine.commands.simulate"]  # replay takes --speed's check from it


def test_the_command_list_says_what_each_module_says():
    """cli.COMMANDS repeats each command's help line so `vrex --help` need not import it."""
    from engine import cli

    lazy, full = cli.build_parser(load=()), cli.build_parser()
    assert lazy.format_help() == full.format_help()
    for name, entry in cli.commands().items():
        assert entry.module.rpartition(".")[2] == name


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["demo", "--help"], "--baseline"),
        (["nosuch"], "invalid choice: 'nosuch'"),
        (["schema", "--format", "markdown"], "generated by `vrex schema --format markdown`"),
    ],
)
def test_the_chosen_command_is_found_as_argparse_finds_it(capsys, argv, expected):
    from engine import cli

    try:
        cli.main(argv)
    except SystemExit:
        pass
    out = capsys.readouterr()
    assert expected in out.out + out.err
