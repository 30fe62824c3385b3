"""``Scene.rig_pose()`` and ``Scene.gaze()``: what a headset takes from a scene, read from real
Panda3D nodes; and the look, which on a screen turns the eye exactly as a rotation did."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.curves import evaluate
from engine.scenario import load_scenario
from engine.scenario.rigspeed import rig_positions
from engine.scene import Scene
from tests.conftest import SCENARIOS, TEST_SCENARIOS
from tests.engine.scenario_text import scenario, write

INTENSITIES = (0.0, 0.1, 0.25, 0.4, 0.5, 0.65, 0.8, 0.95, 1.0)


def build(tmp_path, scene_root, text, name="fixture.yaml"):
    spec = load_scenario(write(tmp_path, text, name))
    return spec, Scene(spec, scene_root)


def forward(heading, pitch):
    h, p = math.radians(heading), math.radians(pitch)
    return np.array([-math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), math.sin(p)])


# --- the rig ------------------------------------------------------------------------------------


def test_the_rig_follows_position_and_heading_and_stays_level(tmp_path, scene_root):
    """A lift that rises, turns and rolls; a viewpoint on it that walks, pitches and looks
    around. The rig takes the eye's place and the heading only: the lift's roll, the
    viewpoint's pitch and the look never reach it."""
    text = scenario(
        viewpoint="{parent: lift, position: [0.5, 1, 1.7], rotation: [30, 0, 0]}",
        bindings="  - {target: lift.position.z, range: [0, 20]}\n"
        "  - {target: lift.rotation, range: [[0, 0, 0], [90, 0, 25]]}\n"
        "  - {target: viewpoint.position.y, range: [1, 3]}\n"
        "  - {target: viewpoint.rotation.p, range: [0, -50]}\n"
        "  - {target: viewpoint.look, range: [[0, 0], [40, -20]]}",
    )
    spec, scene = build(tmp_path, scene_root, text)
    for x in INTENSITIES:
        scene.apply(x)
        (pos, heading), eye = scene.rig_pose(), scene.viewpoint.getPos(scene.root)
        assert pos == pytest.approx(tuple(eye), abs=1e-4)  # where the eye is
        assert pos == pytest.approx(tuple(rig_positions(spec, [x])[0]), abs=1e-3)  # what validation computes
        roll = math.radians(25 * x)  # the lift's roll swings the eye sideways and down
        assert pos[2] == pytest.approx(20 * x - 0.5 * math.sin(roll) + 1.7 * math.cos(roll), abs=1e-3)
        assert heading == pytest.approx(30 + 90 * x, abs=1e-3)  # no look, no pitch, no roll
    scene.destroy()


def test_the_heights_rig_rises_to_the_edge_and_never_turns(scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    walk = next(b for b in spec.bindings if b.target == "viewpoint.position.y")
    lift = next(b for b in spec.bindings if b.target == "lift.position.z")
    for level in spec.levels:
        scene.apply(level.intensity)
        (x, y, z), heading = scene.rig_pose()
        assert (x, y) == pytest.approx((0, evaluate(walk.points, walk.interpolation, level.intensity)), abs=1e-5)
        assert z == pytest.approx(evaluate(lift.points, lift.interpolation, level.intensity) + 1.65, abs=1e-4)
        assert heading == 0.0
    scene.destroy()


# --- the gaze ------------------------------------------------------------------------------------


def test_gaze_follows_the_look_bindings_over_intensity(tmp_path, scene_root):
    text = scenario(
        viewpoint="{parent: lift, rotation: [-60, 0, 0]}",
        bindings="  - {target: viewpoint.look.h, points: [[0, 0], [0.5, 70], [1, -120]]}\n"
        "  - {target: viewpoint.look.p, range: [10, -80], interpolation: smooth}\n"
        "  - {target: lift.rotation.h, range: [0, 45]}",
    )
    spec, scene = build(tmp_path, scene_root, text)
    look_h, look_p = spec.bindings[0], spec.bindings[1]
    for x in INTENSITIES:
        scene.apply(x)
        want = (evaluate(look_h.points, "linear", x), evaluate(look_p.points, "smooth", x))
        assert scene.gaze() == pytest.approx(want, abs=1e-3), x  # relative to the rig, whatever its heading
    scene.destroy()


def test_gaze_is_straight_ahead_unless_the_scenario_asks(tmp_path, scene_root):
    scene = Scene(load_scenario(TEST_SCENARIOS / "minimal.yaml"), scene_root)
    scene.apply(0.7)
    assert scene.gaze() == (0.0, 0.0)
    scene.destroy()
    _, scene = build(tmp_path, scene_root, scenario(viewpoint="{look: [25, -40]}"))
    assert scene.gaze() == pytest.approx((25, -40), abs=1e-4)
    scene.destroy()


def test_heights_asks_the_patient_to_look_down_at_the_edge(scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    look = next(b for b in spec.bindings if b.target == "viewpoint.look.p")
    for level in spec.levels:
        scene.apply(level.intensity)
        want = evaluate(look.points, look.interpolation, level.intensity)
        assert scene.gaze() == pytest.approx((0.0, want), abs=1e-3)
    assert scene.gaze()[1] < -45
    scene.destroy()


def test_a_desktop_pitch_becomes_the_gaze_target_not_a_tilt_of_the_rig(tmp_path, scene_root):
    """An unconverted desktop scenario still gives a headset something sensible."""
    _, scene = build(
        tmp_path,
        scene_root,
        scenario(viewpoint="{rotation: [20, 0, 0]}", bindings="  - {target: viewpoint.rotation.p, range: [0, -30]}"),
    )
    scene.apply(1.0)
    assert scene.rig_pose()[1] == pytest.approx(20, abs=1e-4)
    assert scene.gaze() == pytest.approx((0, -30), abs=1e-3)
    scene.destroy()


# --- on a screen the look turns the eye as a rotation did -------------------------------------------


def test_on_a_screen_heights_looks_down_exactly_as_with_rotation_p(tmp_path, scene_root):
    source = (SCENARIOS / "heights.yaml").read_text()
    assert "target: viewpoint.look.p" in source
    spec = load_scenario(SCENARIOS / "heights.yaml")
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "wind.wav").write_bytes((SCENARIOS / "sounds" / "wind.wav").read_bytes())
    old = load_scenario(
        write(
            tmp_path,
            source.replace("target: viewpoint.look.p", "target: viewpoint.rotation.p"),
            "heights_rotation.yaml",
        )
    )
    new, before = Scene(spec, scene_root), Scene(old, scene_root)
    for x in sorted({*INTENSITIES, *(lv.intensity for lv in spec.levels)}):
        assert new.pose_at(x) == before.pose_at(x), x  # the very same numbers: the same images
    new.destroy()
    before.destroy()


@pytest.mark.parametrize(
    "look_view, rotation_view, rig_heading",
    [
        ("{rotation: [40, 0, 0], look: [10, -20]}", "{rotation: [50, -20, 0]}", 40.0),
        ("{look: [0, -28]}", "{rotation: [0, -28, 0]}", 0.0),  # spiders.yaml, after and before
    ],
)
def test_on_a_screen_a_static_look_is_the_same_rotation(tmp_path, scene_root, look_view, rotation_view, rig_heading):
    _, a = build(tmp_path, scene_root, scenario(viewpoint=look_view), "a.yaml")
    _, b = build(tmp_path, scene_root, scenario(viewpoint=rotation_view), "b.yaml")
    assert a.viewpoint_pose() == b.viewpoint_pose()
    assert a.rig_pose()[1] == rig_heading  # the look is the patient's to follow, not the rig's
    a.destroy()
    b.destroy()


def test_a_look_under_a_pitched_viewpoint_turns_from_that_pitch(tmp_path, scene_root):
    """Desktop-only files may still pitch the viewpoint: the look turns the eye from there."""
    _, scene = build(tmp_path, scene_root, scenario(viewpoint="{rotation: [0, -30, 0], look: [90, 0]}"))
    eye = scene.viewpoint.getQuat(scene.root).getForward()
    # pitched down 30°, then turned 90° left about the pitched eye's own up axis
    want = np.array([-1.0, 0.0, 0.0])
    assert np.array(tuple(eye)) == pytest.approx(want, abs=1e-5)
    assert scene.gaze() == pytest.approx((90, 0), abs=1e-3)
    scene.destroy()
