"""``vrex new`` writes a starting scenario that validates (screen and headset) and previews;
the tutorial in scenarios/README.md ("Your first scene") ends in a file that does too."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.commands.validate import check_file
from engine.preview import render_previews
from engine.scenario import ScenarioError, load_scenario
from engine.scene import Scene
from tests.conftest import ROOT, SCENARIOS

MARK = "<!-- tutorial: the whole file -->\n```yaml\n"


def vrex(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_new_writes_a_scenario_that_validates_for_screen_and_headset_and_previews(tmp_path, base):
    out = tmp_path / "dog_park.yaml"
    result = vrex("new", "dog_park", "--phobia", "cynophobia", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"wrote {out}" in result.stdout
    text = out.read_text()
    assert "# Comfort:" in text and "# Calm:" in text and "# The fear hierarchy" in text  # explained
    assert check_file(out) == [] and check_file(out, "hmd") == []
    spec = load_scenario(out)
    assert spec.meta.id == "dog_park" and spec.meta.phobia == "cynophobia" and len(spec.levels) == 8
    assert spec.bindings and any(e.type == "light" for e in spec.entities)
    first = render_previews(spec, tmp_path / "preview", base=base).images
    assert first[0].std() > 10  # a room, not a blank frame
    changed = np.abs(first[0].astype(int) - first[-1].astype(int)).max(axis=2) > 40
    assert changed.sum() > 50  # the bound sphere came closer


def test_new_never_overwrites(tmp_path):
    out = tmp_path / "lift.yaml"
    out.write_text("my own work\n")
    result = vrex("new", "lift", "--phobia", "claustrophobia", "--out", str(out))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{out} exists already" in result.stderr and out.read_text() == "my own work\n"


@pytest.mark.parametrize("name", ["Lift", "my lift", "1lift", "lift!", "x" * 65, ""])
def test_new_refuses_a_name_that_is_not_an_id(tmp_path, name):
    result = vrex("new", name, "--phobia", "claustrophobia", "--out", str(tmp_path / "x.yaml"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is not a scenario name — lower-case letters, digits" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_new_quotes_an_odd_phobia_safely(tmp_path):
    out = tmp_path / "odd.yaml"
    assert vrex("new", "odd", "--phobia", 'fear of "quotes": #1 & more', "--out", str(out)).returncode == 0
    assert load_scenario(out).meta.phobia == 'fear of "quotes": #1 & more'


def tutorial_file() -> str:
    text = (SCENARIOS / "README.md").read_text()
    assert text.count(MARK) == 1, "the tutorial's final block lost its marker"
    return text.split(MARK)[1].split("```")[0]


def test_the_tutorial_ends_in_a_valid_scene_that_builds(tmp_path, scene_root):
    path = tmp_path / "lift.yaml"
    path.write_text(tutorial_file())
    assert check_file(path) == [] and check_file(path, "hmd") == []
    scene = Scene(load_scenario(path), scene_root)
    scene.apply(0.0)
    assert scene.nodes["floor_number"].label.node().getText() == "0"
    scene.apply(0.6)
    assert scene.nodes["floor_number"].label.node().getText() == "5"
    scene.apply(1.0)
    assert scene.node("left_wall").getX() == pytest.approx(-0.6) and scene.nodes["ceiling_light"].flicker.depth == 0.5
    scene.destroy()


def test_the_tutorials_flicker_mistake_is_refused_as_it_says(tmp_path):
    path = tmp_path / "lift.yaml"
    path.write_text(tutorial_file().replace("flicker: {rate: 2,", "flicker: {rate: 5,"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert "5 flashes per second" in problem.what and "at intensity 0.717" in problem.what
