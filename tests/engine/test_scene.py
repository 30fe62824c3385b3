"""Scenes built offscreen: bound properties read back from the Panda3D nodes themselves."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from panda3d.core import NodePath

from engine.app import SceneRunner
from engine.curves import evaluate
from engine.easing import IntensityDriver
from engine.scene import Scene
from engine.scene import geometry
from engine.scenario import load_scenario
from tests.conftest import SCENARIOS, TEST_SCENARIOS

ALL = [SCENARIOS / "heights.yaml", SCENARIOS / "spiders.yaml", TEST_SCENARIOS / "minimal.yaml"]


def read_back(scene: Scene, target: str):
    """The value a property has on the scene graph (not what the scene remembers setting)."""
    entity, prop = target.split(".", 1)
    if entity == "viewpoint":
        np_ = scene.viewpoint
        if prop == "fov":
            return scene.fov
    else:
        node = scene.nodes[entity]
        np_ = node.outer
        if prop == "visible":
            return not np_.isHidden()
        if prop == "opacity":
            return np_.getColorScale()[3]
        if prop == "colour":
            if node.light is not None:
                return tuple(node.light.node().getColor())
            if node.fog is not None:
                return tuple(node.fog.getColor())[:3]
            return tuple(np_.getColor())
        if prop == "count":
            return sum(not c.isHidden() for c in node.copies)
        if prop == "item_scale":
            return tuple(node.copies[0].getScale())
        if prop == "density":
            return node.fog.getExpDensity()
        if prop == "volume":
            return node.volume          # null audio in tests: the sound object ignores volume
        if prop.startswith("motion."):
            return getattr(node, prop.split(".")[1])
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
    assert scene.node("railing").getSz() == pytest.approx(0.875)        # lowered
    scene.apply(1.0)
    assert scene.viewpoint_pose()[0][2] >= 100.0
    assert scene.node("railing").isHidden() and scene.node("floor_solid").isHidden()
    assert not scene.node("glass").isHidden()
    assert scene.viewpoint_pose()[1][1] < -45        # looking down
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
    low = (read_back(scene, "spiders.position.y"), spiders.speed, read_back(scene, "spiders.item_scale")[0])
    scene.apply(1.0)
    assert read_back(scene, "spiders.count") == 12
    high = (read_back(scene, "spiders.position.y"), spiders.speed, read_back(scene, "spiders.item_scale")[0])
    assert high[0] < low[0] and high[1] > low[1] and high[2] > low[2]
    # and they really move toward the viewer
    copy = spiders.copies[0]
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
    driver.set_target(1.0)
    dt = 1 / 30
    pose = scene.viewpoint_pose()
    for _ in range(int(60 / dt)):
        runner.tick(dt)
        new = scene.viewpoint_pose()
        speed = sum((a - b) ** 2 for a, b in zip(new[0], pose[0])) ** 0.5 / dt
        assert speed <= spec.comfort.max_camera_speed * 1.05 + 0.2     # + sway, which is tiny
        pose = new
    assert driver.intensity == 1.0
    scene.destroy()


def test_calm_veil_covers_the_view_on_the_next_frame(base, scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm, start=0.9)
    runner = SceneRunner(scene, driver, base)
    runner.stop()
    runner.tick(1 / 60)
    assert scene.veil.isHidden()
    driver.calm_now()
    runner.tick(1 / 60)
    assert not scene.veil.isHidden() and scene.veil_alpha > 0
    for _ in range(60):
        runner.tick(1 / 60)
    assert scene.node("lift").getZ() == 0.0 and scene.veil.isHidden()
    scene.destroy()


def _write_gltf(path):
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 0, 1)
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "triangle"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"byteLength": 36, "uri": "data:application/octet-stream;base64,"
                     + base64.b64encode(positions).decode()}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 0, 1]}],
    }
    path.write_text(json.dumps(doc))


def test_models_load_from_bam_and_gltf(tmp_path, scene_root):
    NodePath(geometry.box((1, 2, 3))).writeBamFile(str(tmp_path / "crate.bam"))
    _write_gltf(tmp_path / "tri.gltf")
    source = (TEST_SCENARIOS / "minimal.yaml").read_text()
    source = source.replace("entities:\n", "entities:\n"
                            "  - {type: model, id: crate_model, path: crate.bam}\n"
                            "  - {type: model, id: tri, path: tri.gltf, position: [0, 5, 0]}\n", 1)
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
