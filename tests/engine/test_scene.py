"""Scenes built offscreen: bound properties read back from the Panda3D nodes themselves."""

from __future__ import annotations

import base64
import json
import struct

import numpy as np
import pytest
from panda3d.core import NodePath

from engine.app import SceneRunner
from engine.curves import evaluate
from engine.easing import IntensityDriver
from engine.scenario import load_scenario
from engine.scene import Scene, geometry
from tests.conftest import SCENARIOS, TEST_SCENARIOS

ALL = [
    SCENARIOS / "heights.yaml",
    SCENARIOS / "spiders.yaml",
    SCENARIOS / "claustrophobia.yaml",
    SCENARIOS / "public_speaking.yaml",
    TEST_SCENARIOS / "minimal.yaml",
]


_NONE = object()


def read_back(scene: Scene, target: str):
    """The value a property has on the scene graph (not what the scene remembers setting)."""
    entity, prop = target.split(".", 1)
    if entity == "viewpoint":
        if prop == "fov":
            return scene.fov
        if prop.startswith("look"):  # read from the eye's direction, seen from the rig
            gaze = scene.gaze()
            return gaze if prop == "look" else gaze["hp".index(prop[-1])]
        return _transform(scene.viewpoint, prop)
    node = scene.nodes[entity]
    for read in (_read_part, _read_plain):
        value = read(node, prop)
        if value is not _NONE:
            return value
    return _transform(node.outer, prop)


def _read_part(node, prop):
    """A swarm's, a crowd's, a label's or a flicker's property, as drawn."""
    if node.swarm is not None and prop in ("count", "size", "speed", "distance", "reach"):
        shown = [s.root for s in node.swarm.spiders if not s.root.isHidden()]
        if prop == "count":
            return len(shown)
        if prop == "size":  # drawn: each spider's scale is its span (m)
            return shown[0].getScale().x if shown else node.swarm.swarm.size
        return getattr(node.swarm.swarm, prop)
    if node.crowd is not None and prop in ("count", "distance", "attention", "restlessness"):
        if prop == "count":  # people drawn
            return sum(not p.isHidden() for p in node.crowd.persons)
        return node.crowd.layer.getY() if prop == "distance" else getattr(node.crowd, prop)
    if prop == "text":
        return node.label.node().getText()
    if prop.startswith("flicker."):
        return getattr(node.flicker, prop.split(".")[1])
    return _NONE


def _read_plain(node, prop):
    np_ = node.outer
    readers = {
        "visible": lambda: not np_.isHidden(),
        "opacity": lambda: np_.getColorScale()[3],
        "colour": lambda: _colour(node),
        "strength": lambda: node.strength,
        "count": lambda: sum(not c.isHidden() for c in node.copies),
        "item_scale": lambda: tuple(node.copies[0].getScale()),
        "density": lambda: node.fog.getExpDensity(),
        "volume": lambda: node.volume,  # null audio in tests: the sound object ignores volume
    }
    if prop in readers:
        return readers[prop]()
    if prop.startswith("motion."):
        return getattr(node, prop.split(".")[1])
    return _NONE


def _colour(node):
    if node.light is not None:
        return tuple(node.light.node().getColor())
    if node.fog is not None:
        return tuple(node.fog.getColor())[:3]
    return tuple(node.outer.getColor())


def _transform(np_, prop):
    if prop.startswith("position"):
        v = tuple(np_.getPos())
    elif prop.startswith("rotation"):
        v = tuple(np_.getHpr())
    elif prop.startswith("scale"):
        v = tuple(np_.getScale())
    else:
        raise AssertionError(prop)
    if "." in prop:
        return v[("xyz" if not prop.startswith("rotation") else "hpr").index(prop[-1])]
    return v


def expected(binding, intensity):
    value = evaluate(binding.points, binding.interpolation, intensity)
    if binding.prop == "count":
        return int(round(value))
    if binding.prop == "colour" and binding.entity in ("fog",):
        return value[:3]
    return value


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_binding_takes_its_value_at_0_half_1_and_each_level(path, scene_root):
    spec = load_scenario(path)
    scene = Scene(spec, scene_root)
    intensities = sorted({0.0, 0.5, 1.0, *(lv.intensity for lv in spec.levels)})
    for intensity in intensities:
        scene.apply(intensity)
        for b in spec.bindings:
            got, want = read_back(scene, b.target), expected(b, intensity)
            if isinstance(want, bool):
                assert got is want, (b.target, intensity)
            else:
                # Panda3D keeps colour scales at reduced precision (0.95 reads back as 0.9502)
                tolerance = 2e-3 if b.prop in ("opacity", "colour") else 1e-4
                assert got == pytest.approx(want, abs=tolerance), (b.target, intensity)
    scene.destroy()


def test_heights_rises_from_the_street_to_over_100_m_and_loses_its_railing(scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    scene.apply(0.0)
    assert scene.node("lift").getZ() == 0.0
    assert scene.viewpoint_pose()[0][2] == pytest.approx(1.65)
    assert not scene.node("railing").isHidden() and not scene.node("parapet").isHidden()
    assert not scene.node("floor_solid").isHidden() and scene.node("glass").isHidden()
    scene.apply(0.5)
    assert scene.node("lift").getZ() == pytest.approx(50.0)
    assert scene.node("railing").getSz() == pytest.approx(0.875)  # lowered
    scene.apply(1.0)
    assert scene.viewpoint_pose()[0][2] >= 100.0
    assert scene.node("railing").isHidden() and scene.node("floor_solid").isHidden()
    assert not scene.node("glass").isHidden()
    assert scene.viewpoint_pose()[1][1] < -45  # looking down
    assert scene.nodes["wind"].volume == 1.0
    # higher at every level
    heights = []
    for level in spec.levels:
        scene.apply(level.intensity)
        heights.append(scene.viewpoint_pose()[0][2])
    assert heights == sorted(heights) and len(set(heights)) == len(heights)
    scene.destroy()


def test_spiders_grow_in_number_size_nearness_and_speed(scene_root):
    spec = load_scenario(SCENARIOS / "spiders.yaml")
    scene = Scene(spec, scene_root)
    spiders = scene.nodes["spiders"]
    scene.apply(0.0)
    assert read_back(scene, "spiders.count") == 0
    low = [read_back(scene, f"spiders.{p}") for p in ("distance", "speed", "size")]
    scene.apply(1.0)
    assert read_back(scene, "spiders.count") == 12
    high = [read_back(scene, f"spiders.{p}") for p in ("distance", "speed", "size")]
    assert high[0] < low[0] and high[1] > low[1] and high[2] > low[2]
    # and they really move toward the viewer
    copy = spiders.swarm.spiders[0].root
    scene.update(0.0)
    start = copy.getPos(scene.root)
    eye = scene.viewpoint.getPos(scene.root)
    for _ in range(60):
        scene.update(1 / 30)
    moved = copy.getPos(scene.root)
    assert (moved - eye).length() < (start - eye).length()
    scene.destroy()


def test_scene_runner_eases_the_real_heights_scene_within_comfort_limits(base, scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm)
    runner = SceneRunner(scene, driver, base)
    runner.stop()
    assert runner.lens.getHfov() == pytest.approx(spec.viewpoint.fov)
    driver.set_target(1.0)
    dt = 1 / 30
    pose = scene.viewpoint_pose()
    # The wind sways the lift's deck, not the eye: whatever moves the eye is intensity.
    # 125 m up at walking pace (1.4 m/s, a headset's comfort limit) takes about 100 s
    for _ in range(int(150 / dt)):
        if driver.intensity == 1.0:
            break
        runner.tick(dt)
        new = scene.viewpoint_pose()
        speed = sum((a - b) ** 2 for a, b in zip(new[0], pose[0])) ** 0.5 / dt
        turn = max(abs((b - a + 180) % 360 - 180) for a, b in zip(pose[1], new[1])) / dt
        assert speed <= spec.comfort.max_camera_speed * 1.001
        assert turn <= spec.comfort.max_camera_turn_rate * 1.001
        pose = new
    assert driver.intensity == 1.0
    runner.close()
    scene.destroy()


def test_calm_veil_covers_the_whole_view_then_lifts_on_the_calm_scene(base, scene_root):
    from engine.app import FrameGrabber

    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm, start=0.9)
    runner = SceneRunner(scene, driver, base)
    runner.stop()
    grabber = FrameGrabber(base)
    calm = np.array(spec.calm.colour[:3]) * 255

    def frame():
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()
        return grabber.grab().astype(float)

    runner.tick(1 / 60)
    before = frame()
    driver.calm_now()
    runner.tick(1 / 60)  # the very next frame is already veiled a little
    veiled_a_little = frame()
    assert np.abs(veiled_a_little - calm).mean() < np.abs(before - calm).mean() - 1
    while runner.tick(0.05).veil < 1.0:
        pass
    covered = frame()
    assert np.abs(covered - calm).max() <= 3, "the veil must cover every pixel"
    assert scene.node("lift").getZ() == 0.0  # the jump happened behind the veil
    for _ in range(40):
        runner.tick(0.05)
    assert runner.veil.alpha == 0.0 and np.abs(frame() - covered).mean() > 10
    base.win.clearRenderTextures()
    runner.close()
    scene.destroy()


def test_unnamed_entities_move_and_destroy_leaves_nothing_behind(base, scene_root, tmp_path):
    source = (
        (TEST_SCENARIOS / "minimal.yaml")
        .read_text()
        .replace(
            "entities:\n",
            "entities:\n  - {type: box, motion: {kind: spin, speed: 90}}\n  - {type: fog, density: 0.01}\n",
            1,
        )
    )
    (tmp_path / "wind.wav").write_bytes((TEST_SCENARIOS / "wind.wav").read_bytes())
    path = tmp_path / "spin.yaml"
    path.write_text(source)
    spec = load_scenario(path)
    scene = Scene(spec, scene_root)
    runner = SceneRunner(scene, IntensityDriver(spec.comfort, spec.calm), base)
    runner.stop()
    spinner = next(n for n in scene.built if n.entity.type == "box" and n.entity.id is None)
    for _ in range(10):
        runner.tick(0.1)
    assert spinner.inner.getH() % 360 == pytest.approx(90.0, abs=0.01)
    assert base.render.hasFog() and lights_on(base.render) == 1  # minimal.yaml has one light
    runner.close()
    scene.destroy()
    assert not base.render.hasFog() and lights_on(base.render) == 0, "lights or fog left on render"
    assert base.camera.getParent() == base.render


def test_heights_background_is_the_sky_horizon(scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    assert scene.background == pytest.approx((0.80, 0.86, 0.93, 1.0))
    scene.destroy()


def test_motion_returns_to_rest_when_its_amplitude_falls_to_zero(scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    deck = scene.nodes["deck"]  # the lift's deck sways; the lift itself only rises
    scene.apply(1.0)
    for _ in range(30):
        scene.update(1 / 30)
    assert abs(deck.inner.getR()) > 0.01  # swaying in the wind at the top
    assert scene.nodes["lift"].inner.getHpr() == (0, 0, 0)  # and the patient's head is not rocked
    scene.apply(0.0)  # the calm state: no wind
    scene.update(1 / 30)
    assert deck.inner.getHpr() == (0, 0, 0) and deck.inner.getPos() == (0, 0, 0)
    scene.destroy()


def lights_on(node):
    from panda3d.core import LightAttrib

    attrib = node.getAttrib(LightAttrib)
    return 0 if attrib is None else attrib.getNumOnLights()


def _write_gltf(path):
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 0, 1)
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "triangle"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [
            {"byteLength": 36, "uri": "data:application/octet-stream;base64," + base64.b64encode(positions).decode()}
        ],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 0, 1]}
        ],
    }
    path.write_text(json.dumps(doc))


def test_models_load_from_bam_and_gltf(tmp_path, scene_root):
    NodePath(geometry.box((1, 2, 3))).writeBamFile(str(tmp_path / "crate.bam"))
    _write_gltf(tmp_path / "tri.gltf")
    source = (TEST_SCENARIOS / "minimal.yaml").read_text()
    source = source.replace(
        "entities:\n",
        "entities:\n"
        "  - {type: model, id: crate_model, path: crate.bam}\n"
        "  - {type: model, id: tri, path: tri.gltf, position: [0, 5, 0]}\n",
        1,
    )
    (tmp_path / "wind.wav").write_bytes((TEST_SCENARIOS / "wind.wav").read_bytes())
    path = tmp_path / "with_models.yaml"
    path.write_text(source)
    scene = Scene(load_scenario(path), scene_root)
    crate, tri = scene.node("crate_model"), scene.node("tri")
    assert crate.findAllMatches("**/+GeomNode").getNumPaths() >= 1
    assert tri.findAllMatches("**/+GeomNode").getNumPaths() >= 1
    bounds = crate.getTightBounds()
    assert tuple(bounds[1] - bounds[0]) == pytest.approx((1, 2, 3))
    scene.destroy()
