"""The same scene checks on a desktop view and on the simulated headset; then what only a
headset has: two eyes that disagree by the right disparity, a head that is the patient's,
a veil and a question in both eyes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from panda3d.core import CardMaker

from engine.display.head import HeadPose
from engine.display.panel import DISTANCE_M, WorldPanel
from engine.display.profile import QUEST3_LIKE
from engine.easing import IntensityDriver
from engine.scenario import load_scenario
from engine.scene import Scene
from tests.conftest import SCENARIOS, TEST_SCENARIOS
from tests.engine.display.conftest import SCALE

EMPTY = """format: 1
scenario: {id: empty, title: Empty, phobia: none, author: vrex tests, version: "1.0"}
levels:
  - {name: l0, intensity: 0.000, description: "L0."}
  - {name: l1, intensity: 0.143, description: "L1."}
  - {name: l2, intensity: 0.286, description: "L2."}
  - {name: l3, intensity: 0.429, description: "L3."}
  - {name: l4, intensity: 0.571, description: "L4."}
  - {name: l5, intensity: 0.714, description: "L5."}
  - {name: l6, intensity: 0.857, description: "L6."}
  - {name: l7, intensity: 1.000, description: "L7."}
entities:
  - {type: sky, colour: [0.1, 0.1, 0.1], horizon_colour: [0.1, 0.1, 0.1]}
"""


class Scripted:
    """A head that goes where the test says."""

    def __init__(self):
        self.now = HeadPose()

    def pose(self, t):
        return self.now


SCALED = QUEST3_LIKE.scaled(SCALE)


def on_headset(base, scene, driver, head, profile=SCALED, **kw):
    """A scene runner on the simulated headset, its frames driven by hand: (runner, display)."""
    from engine.app import SceneRunner
    from engine.display import make_display

    display = make_display("hmd-sim", profile=profile, head=head, **kw)
    runner = SceneRunner(scene, driver, base, display=display)
    runner.stop()
    return runner, display


@pytest.fixture
def empty_spec(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text(EMPTY)
    return load_scenario(path)


def test_veil_covers_every_eye_with_the_calm_colour(on_display, scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm, start=0.9)
    shown = on_display(scene, driver)
    shown.runner.tick(1 / 60)
    calm = np.array(spec.calm.colour[:3]) * 255
    before = shown.images()
    assert all(np.abs(img - calm).mean() > 10 for img in before.values())  # the scene, not the veil
    driver.calm_now()
    while shown.runner.tick(0.05).veil < 1.0:
        pass
    for eye, img in shown.images().items():
        assert np.abs(img - calm).max() <= 1.0, f"{eye}: the veil must cover every pixel in the calm colour"


def test_intensity_changes_what_every_eye_sees(on_display, scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm)
    shown = on_display(scene, driver)
    driver.jump_to(0.0)
    shown.runner.tick(0.0)
    low = shown.images()
    driver.jump_to(1.0)
    shown.runner.tick(0.0)
    high = shown.images()
    for eye in shown.eyes:
        assert np.abs(high[eye] - low[eye]).mean() > 10, f"{eye}: the top level looks like the bottom one"


def test_closing_gives_the_desktop_camera_back(on_display, scene_root, base):
    spec = load_scenario(TEST_SCENARIOS / "minimal.yaml")
    scene = Scene(spec, scene_root)
    shown = on_display(scene, IntensityDriver(spec.comfort, spec.calm))
    shown.runner.close()
    shown.runner.close = lambda: None  # the fixture closes it again otherwise
    assert base.camera.getParent() == base.render and base.camNode.isActive()
    assert base.graphicsEngine.getNumWindows() == 1, "an eye buffer was left open"


def _centroid_x(img: np.ndarray, colour: tuple[int, int, int]) -> float:
    mask = np.abs(img - np.array(colour)).sum(axis=2) < 60
    assert mask.sum() > 4, "the marker is not in view"
    return float(np.nonzero(mask)[1].mean())


def test_a_marker_at_a_known_depth_shows_the_expected_disparity(base, scene_root, empty_spec):
    profile = QUEST3_LIKE.scaled(SCALE)
    scene = Scene(empty_spec, scene_root)
    runner, display = on_headset(base, scene, IntensityDriver(empty_spec.comfort, empty_spec.calm), Scripted(), profile)
    try:
        depth, half = 0.6, 0.012
        card = CardMaker("marker")
        card.setFrame(-half, half, -half, half)
        marker = runner.rig.attachNewNode(card.generate())
        marker.setPos(0.0, depth, 0.0)  # straight ahead of the head, level with the eyes
        marker.setColor(1, 0, 1, 1)
        marker.setLightOff()
        runner.tick(0.0)
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()
        width = profile.render_size[0]
        for eye, fov, eye_x in (
            ("left", profile.left_fov, -profile.ipd_m / 2),
            ("right", profile.right_fov, profile.ipd_m / 2),
        ):
            tl, tr, _, _ = fov.tangents()
            tan = (0.0 - eye_x) / depth  # the marker as this eye sees it
            expected = (tan - tl) / (tr - tl) * width - 0.5  # pixel centres
            got = _centroid_x(display.eye_image(eye).astype(int), (255, 0, 255))
            assert got == pytest.approx(expected, abs=1.0), eye
        left = _centroid_x(display.eye_image("left").astype(int), (255, 0, 255))
        right = _centroid_x(display.eye_image("right").astype(int), (255, 0, 255))
        assert left - right > 20  # near things: crossed disparity, tens of pixels
    finally:
        runner.close()


def test_the_head_turns_the_eyes_and_nothing_else(base, scene_root, empty_spec):
    """The head pose goes under the rig; the rig stays level whatever the head does."""
    head = Scripted()
    scene = Scene(empty_spec, scene_root)
    runner, display = on_headset(
        base, scene, IntensityDriver(empty_spec.comfort, empty_spec.calm), head, QUEST3_LIKE.scaled(SCALE)
    )
    try:
        head.now = HeadPose(0.1, -0.05, 0.02, 35.0, -20.0, 5.0)
        runner.tick(1 / 90)
        node = display.rig.node
        assert tuple(node.getPos(runner.rig)) == pytest.approx((0.1, -0.05, 0.02), abs=1e-6)
        assert tuple(node.getHpr(runner.rig)) == pytest.approx((35.0, -20.0, 5.0), abs=1e-4)
        assert tuple(runner.rig.getHpr(scene.root))[1:] == pytest.approx((0.0, 0.0), abs=1e-6)
        assert tuple(display.head_pose()) == pytest.approx((0.1, -0.05, 0.02, 35.0, -20.0, 5.0), abs=1e-6)
        assert runner.gaze_offset_deg() == pytest.approx(
            math.degrees(math.acos(math.cos(math.radians(35.0)) * math.cos(math.radians(20.0)))), abs=1e-6
        )
    finally:
        runner.close()


def test_the_suds_panel_is_in_the_world_in_both_eyes_at_its_depth(base, scene_root, empty_spec):
    profile = QUEST3_LIKE.scaled(0.25)  # text needs a few more pixels
    head = Scripted()
    head.now = HeadPose(heading=20.0)  # the patient looks a little to the left
    scene = Scene(empty_spec, scene_root)
    runner, display = on_headset(base, scene, IntensityDriver(empty_spec.comfort, empty_spec.calm), head, profile)
    panel = WorldPanel(runner.rig, display.rig.node, "How anxious are you right now?")
    try:
        runner.tick(0.0)
        panel.show()
        head.now = HeadPose(heading=25.0)  # the head moves on; the panel stays put
        runner.tick(0.0)
        where = panel.node.getPos(runner.rig)
        assert math.hypot(where[0], where[1]) == pytest.approx(DISTANCE_M, abs=1e-3)
        assert math.degrees(math.atan2(-where[0], where[1])) == pytest.approx(20.0, abs=1e-3)
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()
        seen = {}
        for eye in ("left", "right"):
            img = display.eye_image(eye).astype(int)
            assert (img.min(axis=2) > 200).sum() > 50, f"{eye}: the question's letters are not visible"
            card = img.max(axis=2) < 18  # its dark card, darker than the dark sky
            columns = np.nonzero(card)[1]
            assert card.sum() > 500, f"{eye}: the question's card is not visible"
            seen[eye] = (columns.min() + columns.max()) / 2
        # the same depth in both eyes: where each eye should see the panel's centre, 1.75 m away
        width = profile.render_size[0]
        centre, turn = panel.node.getPos(runner.rig), math.radians(25.0)
        expected = {}
        for eye, fov, eye_x in (
            ("left", profile.left_fov, -profile.ipd_m / 2),
            ("right", profile.right_fov, profile.ipd_m / 2),
        ):
            x = centre[0] * math.cos(turn) + centre[1] * math.sin(turn) - eye_x  # into the head's frame
            y = -centre[0] * math.sin(turn) + centre[1] * math.cos(turn)
            tl, tr, _, _ = fov.tangents()
            expected[eye] = (x / y - tl) / (tr - tl) * width - 0.5
        assert seen["left"] - seen["right"] == pytest.approx(expected["left"] - expected["right"], abs=1.0)
        assert seen["left"] == pytest.approx(expected["left"], abs=3.0)
        panel.hide()
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()
        assert (display.eye_image("left").min(axis=2) > 200).sum() == 0
    finally:
        panel.remove()
        runner.close()


def test_recentring_makes_where_the_head_looks_forward_and_never_tilts(base, scene_root, empty_spec):
    head = Scripted()
    scene = Scene(empty_spec, scene_root)
    runner, display = on_headset(
        base, scene, IntensityDriver(empty_spec.comfort, empty_spec.calm), head, QUEST3_LIKE.scaled(SCALE)
    )
    try:
        head.now = HeadPose(0.3, 0.1, 0.05, 70.0, 15.0, 4.0)  # sat down turned 70° left, leaning
        runner.tick(0.0)
        assert runner.head_pose().heading == pytest.approx(70.0, abs=1e-4)
        runner.recentre()
        runner.tick(0.0)
        pose = runner.head_pose()
        assert (pose.x, pose.y, pose.heading) == pytest.approx((0.0, 0.0, 0.0), abs=1e-4)
        assert (pose.z, pose.pitch, pose.roll) == pytest.approx((0.05, 15.0, 4.0), abs=1e-4)  # never tilted
        head.now = HeadPose(0.3, 0.1, 0.05, 100.0, 15.0, 4.0)  # turns 30° more: 30° in the scene
        runner.tick(0.0)
        assert runner.head_pose().heading == pytest.approx(30.0, abs=1e-4)
        assert runner.gaze_offset_deg() == pytest.approx(
            math.degrees(math.acos(math.cos(math.radians(30.0)) * math.cos(math.radians(15.0)))), abs=1e-4
        )
    finally:
        runner.close()


def test_in_stage_space_the_real_eye_height_stands_on_the_scenarios_floor(base, scene_root, empty_spec):
    """A headset that knows the real floor: the rig goes down to the scenario's floor (the
    viewpoint less its eye_height), and the eyes are at the patient's own height over it."""
    scene = Scene(empty_spec, scene_root)
    runner, display = on_headset(
        base, scene, IntensityDriver(empty_spec.comfort, empty_spec.calm), Scripted(), space="stage", eye_height=1.52
    )
    try:
        runner.tick(0.0)
        vp = empty_spec.viewpoint
        floor = vp.position[2] - vp.eye_height
        assert runner.rig.getZ(scene.root) == pytest.approx(floor, abs=1e-6)
        assert display.rig.node.getZ(scene.root) == pytest.approx(floor + 1.52, abs=1e-6)
        assert runner.head_pose().z == pytest.approx(1.52, abs=1e-6)  # the stream says: 1.52 m over the floor
        runner.recentre()  # recentring keeps the height
        runner.tick(0.0)
        assert display.rig.node.getZ(scene.root) == pytest.approx(floor + 1.52, abs=1e-6)
    finally:
        runner.close()


def test_a_positional_sound_is_heard_from_its_entity_by_the_head(on_display, scene_root, tmp_path, base):
    """The listener is the head (tracked or simulated), not the screen's camera or the rig."""
    (tmp_path / "wind.wav").write_bytes((TEST_SCENARIOS / "wind.wav").read_bytes())
    source = EMPTY + (
        "  - {type: box, id: crate, position: [2, 3, 0]}\n"
        "  - {type: sound, id: buzz, path: wind.wav, positional: true, parent: crate, position: [0, 0, 0.5]}\n"
        "  - {type: sound, id: hum, path: wind.wav}\n"
    )
    path = tmp_path / "sounds.yaml"
    path.write_text(source)
    spec = load_scenario(path)
    scene = Scene(spec, scene_root, audio=base.sfxManagerList[0])
    shown = on_display(scene, IntensityDriver(spec.comfort, spec.calm))
    audio3d = shown.runner.audio3d
    assert audio3d is not None and audio3d.listener_target == shown.runner.display.rig.node
    (placed,) = audio3d.sound_dict
    assert placed.getNodePath() == scene.nodes["buzz"].outer  # heard from the crate, 0.5 m up
    assert tuple(placed.getNodePath().getPos(scene.root)) == pytest.approx((2.0, 3.0, 0.5))
    shown.runner.close()
    shown.runner.close = lambda: None
    assert not any(t.name.startswith("Audio3DManager") for t in base.taskMgr.getTasks())


def test_looking_up_from_the_edge_in_heights_is_looking_away(base, scene_root):
    """At the top of heights the patient is asked to look down at the street: a head that
    looks at the horizon instead is far from the gaze target, though it never turned aside."""
    spec = load_scenario(SCENARIOS / "heights.yaml")
    head = Scripted()
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm)
    runner, display = on_headset(base, scene, driver, head)
    try:
        driver.jump_to(1.0)
        runner.tick(0.0)
        gaze_heading, gaze_pitch = runner.gaze()
        assert gaze_pitch < -45  # asked to look down over the edge
        head.now = HeadPose(heading=gaze_heading, pitch=gaze_pitch)
        runner.tick(0.0)
        assert runner.gaze_offset_deg() == pytest.approx(0.0, abs=1e-3)
        head.now = HeadPose(heading=gaze_heading, pitch=0.0)  # up, at the horizon
        runner.tick(0.0)
        assert runner.gaze_offset_deg() == pytest.approx(-gaze_pitch, abs=1e-3)
        assert runner.gaze_offset_deg() > 30  # what Avoidance logs as looked_away
    finally:
        runner.close()


def test_bad_profiles_and_head_files_are_refused_with_a_line(tmp_path):
    from engine.display.head import RecordedHead
    from engine.display.profile import load_profile
    from engine.errors import VrexError
    from engine.scenario.errors import ScenarioError

    flat = tmp_path / "flat.yaml"
    flat.write_text(
        "name: x\neye_size: [1000, 1000]\nfov_deg: {left: 0, right: 0, up: 40, down: -40}\nipd_mm: 63\nrefresh_hz: 90\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_profile(flat)  # a zero-width eye would crash the lens
    assert f"{flat}:3:" in str(err.value) and "fov_deg.left" in str(err.value)
    with pytest.raises(VrexError, match="no such headset profile file"):
        load_profile(tmp_path)  # a folder
    binary = tmp_path / "head.csv"
    binary.write_bytes(b"\xd0\xcf\x11\xe0 not text")
    with pytest.raises(VrexError, match="not a head trajectory"):
        RecordedHead(binary)
