"""Animated glTF models: a named clip plays through Panda3D's Actor at a bindable rate, and a
missing clip or a broken model file is a FILE:LINE:COL error, never a crash."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from panda3d.core import LMatrix4f, TransformState

from engine.errors import VrexError
from engine.scenario import load_scenario
from engine.scenario.errors import ScenarioError
from engine.scene import Scene
from tests.conftest import ROOT
from tests.data.make_two_bone_gltf import FPS, angle_deg, build
from tests.engine.scenario_text import scenario, where, write

ASSET = ROOT / "tests" / "data" / "two_bone.gltf"


def _scene_file(tmp_path: Path, animation: str, bindings: str = "", model: str = "two_bone.gltf") -> tuple[Path, str]:
    shutil.copy(ASSET, tmp_path / "two_bone.gltf")
    text = scenario(entities=f"  - {{type: model, id: arm, path: {model}, animation: {animation}}}", bindings=bindings)
    return write(tmp_path, text), text


def _bend(scene: Scene) -> float:
    """How far the 'tip' joint is bent now (deg about x), as the Actor poses it."""
    actor = scene.nodes["arm"].clip.actor
    actor.update(force=True)
    tip = next(j for j in actor.getJoints() if j.getName() == "tip")
    m = LMatrix4f()
    tip.getTransform(m)
    return TransformState.makeMat(m).getHpr()[1]


def test_the_committed_asset_is_what_its_script_writes():
    import json

    assert json.loads(ASSET.read_text()) == json.loads(json.dumps(build()))


def test_the_clip_plays_with_dt_and_its_rate_follows_the_binding(tmp_path, scene_root):
    path, _ = _scene_file(tmp_path, "{clip: wave}", "  - {target: arm.animation.speed, range: [1, 2]}")
    scene = Scene(load_scenario(path), scene_root)
    scene.apply(0.0)  # rate 1
    for _ in range(2):
        scene.update(0.1)
    assert scene.nodes["arm"].clip.frame == pytest.approx(0.2 * FPS)
    assert _bend(scene) == pytest.approx(angle_deg(0.2), abs=1.0)
    scene.apply(1.0)  # rate 2: 0.1 s more of the scene is 0.2 s more of the clip
    assert scene.nodes["arm"].clip.speed == 2.0
    scene.update(0.1)
    assert _bend(scene) == pytest.approx(angle_deg(0.4), abs=1.0)
    for _ in range(5):  # loops: 0.4 + 1.0 s of clip is 0.4 s into it again
        scene.update(0.1)
    assert scene.nodes["arm"].clip.frame == pytest.approx(0.4 * FPS)


def test_a_clip_that_does_not_loop_holds_its_last_frame(tmp_path, scene_root):
    path, _ = _scene_file(tmp_path, "{clip: wave, loop: false, speed: 1}")
    scene = Scene(load_scenario(path), scene_root)
    scene.apply(0.5)
    for _ in range(30):
        scene.update(0.1)
    assert scene.nodes["arm"].clip.frame == FPS - 1


def test_a_missing_clip_names_the_clips_the_file_has(tmp_path):
    path, text = _scene_file(tmp_path, "{clip: wavy}")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    line, col = where(text, "wavy")
    message = str(err.value)
    assert f"fixture.yaml:{line}:{col}: model 'two_bone.gltf' has no animation clip 'wavy'" in message
    assert "one of the clips it has: 'wave'" in message and len(err.value.problems) == 1


def test_a_model_without_clips_says_so(tmp_path):
    doc = build()
    del doc["animations"]
    (tmp_path / "still.gltf").write_text(__import__("json").dumps(doc))
    path, _ = _scene_file(tmp_path, "{clip: wave}", model="still.gltf")
    with pytest.raises(ScenarioError, match="none: the file has no animations"):
        load_scenario(path)


@pytest.mark.parametrize(
    "name,content,said",
    [
        ("cut.gltf", '{"asset": {"version": "2.0"}, "nodes": [', "not valid JSON"),
        ("photo.glb", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "it looks like a PNG image"),
        ("gone.gltf", None, "does not exist"),
    ],
)
def test_a_bad_or_missing_model_is_one_error_at_its_path(tmp_path, name, content, said):
    if content is not None:
        target = tmp_path / name
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    path, text = _scene_file(tmp_path, "{clip: wave}", model=name)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    line, col = where(text, name)
    assert len(err.value.problems) == 1  # the file's problem, not a second one about its clip
    assert f"fixture.yaml:{line}:{col}: model file '{name}' " in str(err.value) and said in str(err.value)


def test_animation_needs_a_gltf_model(tmp_path):
    (tmp_path / "thing.bam").write_bytes(b"pbj\x00\n\r" + b"\x00" * 32)
    path, text = _scene_file(tmp_path, "{clip: wave}", model="thing.bam")
    with pytest.raises(ScenarioError, match="'animation' plays clips of glTF models only"):
        load_scenario(path)


def test_a_clip_gone_after_validation_is_a_vrex_error_not_a_crash(tmp_path, scene_root):
    path, _ = _scene_file(tmp_path, "{clip: wave}")
    spec = load_scenario(path)
    doc = build()
    doc["animations"][0]["name"] = "other"
    (tmp_path / "two_bone.gltf").write_text(__import__("json").dumps(doc))
    with pytest.raises(VrexError, match="no animation clip 'wave' — one of the clips it has: 'other'"):
        Scene(spec, scene_root)


def test_vrex_validate_reports_the_missing_clip_in_one_line(tmp_path):
    path, _ = _scene_file(tmp_path, "{clip: wavy}")
    r = subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out
    assert "has no animation clip 'wavy'" in out


def test_copies_of_an_animated_model_are_not_flattened_and_all_play_the_clip(tmp_path, scene_root):
    # flattening an array of animated models baked their joints away (Panda3D: "could not
    # find joint root"): every copy must stay an instance of the one Actor the clip poses
    shutil.copy(ASSET, tmp_path / "two_bone.gltf")
    item = "{type: model, path: two_bone.gltf, animation: {clip: wave}}"
    scene = Scene(
        load_scenario(write(tmp_path, scenario(entities=f"  - {{type: array, id: row, count: 3, item: {item}}}"))),
        scene_root,
    )
    (player,) = [n.clip for n in scene.built if n.clip is not None]
    character = player.actor.find("**/+Character").node()
    drawn = scene.nodes["row"].inner.findAllMatches("**/+Character")
    assert drawn.getNumPaths() == 3 and all(path.node() == character for path in drawn)
    scene.update(0.2)
    assert player.frame == pytest.approx(0.2 * FPS)
    scene.destroy()
