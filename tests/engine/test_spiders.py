"""The articulated spiders in a scene: bindings change what is drawn, the furniture is walked
round, they face the patient, and spiders.yaml renders at every level."""

from __future__ import annotations

import numpy as np
import pytest

from engine.scenario import load_scenario
from engine.scenario.errors import ScenarioError
from engine.scene import Scene
from tests.conftest import SCENARIOS
from tests.engine.scenario_text import scenario, where, write


def _spiders(scene: Scene):
    return scene.nodes["spiders"].swarm


def _shown(scene: Scene) -> list:
    return [s.root for s in _spiders(scene).spiders if not s.root.isHidden()]


def _eye(scene: Scene) -> np.ndarray:
    p = scene.viewpoint.getPos(scene.root)
    return np.array([p.x, p.y])


def test_count_size_and_distance_bindings_change_what_is_drawn(scene_root):
    spec = load_scenario(SCENARIOS / "spiders.yaml")
    scene = Scene(spec, scene_root)
    seen = []
    for level in spec.levels:
        scene.apply(level.intensity)
        scene.update(0.0)
        roots = _shown(scene)
        spans = [r.getScale(scene.root).x for r in roots]
        dist = [float(np.hypot(*(np.array([r.getX(scene.root), r.getY(scene.root)]) - _eye(scene)))) for r in roots]
        seen.append((level.name, len(roots), max(spans, default=0.0), min(dist, default=np.inf)))
    counts = [n for _, n, _, _ in seen]
    assert counts == [0, 1, 1, 1, 2, 3, 5, 8, 12]  # the levels' descriptions
    assert seen[1][2] == pytest.approx(0.08) and seen[-1][2] == pytest.approx(0.15)  # 8 cm -> 15 cm across
    assert 2.6 < seen[1][3] < 3.6  # "about 3 m away"
    assert seen[-1][3] < 1.2  # "right up to the chair"
    # spiders are drawn where the swarm says, every leg included (8 legs × 3 segments)
    first = _shown(scene)[0]
    assert first.findAllMatches("**/femur").getNumPaths() == 8


def test_speed_binding_makes_them_walk_faster(scene_root):
    spec = load_scenario(SCENARIOS / "spiders.yaml")
    walked = {}
    for intensity in (0.3, 1.0):
        scene = Scene(spec, scene_root)
        scene.apply(intensity)
        scene.update(0.0)
        start = _spiders(scene).positions()
        gait = _spiders(scene).swarm.gait[: len(start)].copy()
        for _ in range(30):
            scene.update(1 / 30)
        moved = np.hypot(*(_spiders(scene).positions() - start).T)
        legs = (_spiders(scene).swarm.gait[: len(start)] - gait) % 1.0
        walked[intensity] = (float(moved.max()), float(legs.max()))
        scene.destroy()
    assert walked[1.0][0] > 3 * walked[0.3][0] > 0
    assert walked[1.0][1] > walked[0.3][1] > 0  # the legs keep step with the speed


def test_they_walk_round_furniture_named_in_avoid(tmp_path, scene_root):
    text = scenario(
        viewpoint="{position: [0, -2, 1.2]}",
        entities=(
            "  - {type: box, id: table, size: [1.0, 0.3, 0.5], position: [0, -0.6, 0.25]}\n"
            "  - {type: spiders, id: spiders, count: 8, seed: 4, size: 0.1, speed: 0.3, reach: 2.2,"
            " distance: 2.4, area: [1.2, 0.6], bounds: [4, 5], avoid: [table]}"
        ),
    )
    scene = Scene(load_scenario(write(tmp_path, text)), scene_root)
    lo, hi = scene.node("table").getTightBounds(scene.root)
    sw = _spiders(scene)
    nearest = np.inf
    for k in range(600):
        scene.update(1 / 30)
        pos = sw.positions()  # the swarm sits at the root's origin here: its frame is the root's
        r = sw.swarm.size / 2
        inside = (pos[:, 0] > lo.x - r) & (pos[:, 0] < hi.x + r) & (pos[:, 1] > lo.y - r) & (pos[:, 1] < hi.y + r)
        assert not inside.any(), f"frame {k}: a spider walked through the table"
        nearest = min(nearest, float(np.hypot(*(pos - _eye(scene)).T).min()))
        drawn = np.array([[s.root.getX(scene.root), s.root.getY(scene.root)] for s in sw.spiders[: len(pos)]])
        assert np.allclose(drawn, pos)
    assert nearest < 1.0  # and still got near the patient, past the table


def test_spiders_face_the_patient(scene_root):
    spec = load_scenario(SCENARIOS / "spiders.yaml")
    scene = Scene(spec, scene_root)
    scene.apply(0.5)
    for _ in range(10):
        scene.update(1 / 30)
    for root in _shown(scene):
        forward = scene.root.getRelativeVector(root, (0, 1, 0))
        to_eye = _eye(scene) - np.array([root.getX(scene.root), root.getY(scene.root)])
        cos = (forward.x * to_eye[0] + forward.y * to_eye[1]) / np.hypot(*to_eye) / np.hypot(forward.x, forward.y)
        assert cos > 0.9  # within about 25°


def test_avoid_must_name_an_entity(tmp_path):
    text = scenario(entities="  - {type: spiders, id: spiders, avoid: [tabel]}")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    line, col = where(text, "[tabel]")
    assert f"fixture.yaml:{line}:{col}: avoid names 'tabel'" in str(err.value)


def test_avoid_naming_the_swarm_itself_says_so_and_never_suggests_it(tmp_path):
    text = scenario(entities="  - {type: spiders, id: spiders, avoid: [spiders, spider]}")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    line, col = where(text, "[spiders, spider]")
    first, second = (str(p) for p in err.value.problems)
    assert first.startswith(f"{tmp_path / 'fixture.yaml'}:{line}:{col}: avoid names 'spiders', the swarm itself")
    assert "avoid names 'spider', which is not the id of another entity" in second
    assert "did you mean" not in first + second  # the only near name is the swarm's own


def test_count_binding_above_the_spiders_built_is_an_error(tmp_path):
    text = scenario(
        entities="  - {type: spiders, id: spiders, count: 3}",
        bindings="  - {target: spiders.count, range: [0, 5], interpolation: step}",
    )
    with pytest.raises(ScenarioError, match="count 5 is more than the 3 copies built"):
        load_scenario(write(tmp_path, text))


def test_a_swarm_cannot_be_copied(tmp_path):
    text = scenario(entities="  - {type: array, count: 2, item: {type: spiders}}")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    line, col = where(text, "{type: spiders}")
    assert f"fixture.yaml:{line}:{col}: 'spiders' cannot be copied by an array or scatter" in str(err.value)


def test_spiders_yaml_renders_spiders_at_every_level_offscreen(base, tmp_path):
    from engine.preview import render_previews

    spec = load_scenario(SCENARIOS / "spiders.yaml")
    images = render_previews(spec, tmp_path, base=base).images
    top = images[0].shape[0] // 10  # below the caption, which names each level
    empty = images[0][top:].astype(int)
    # only the spiders differ from the empty room (the camera and the room stay put)
    drawn = [int((np.abs(img[top:].astype(int) - empty).max(axis=2) > 40).sum()) for img in images]
    assert all(n >= 3 for n in drawn[1:]), drawn  # a far 8 cm spider is about 6 pixels at 320×180
    assert drawn[7] > 4 * drawn[1], drawn  # eight large near spiders against one small far one


def test_once_time_runs_a_change_of_intensity_never_moves_a_spider_but_by_walking(scene_root):
    spec = load_scenario(SCENARIOS / "spiders.yaml")
    scene = Scene(spec, scene_root)
    scene.apply(0.5)
    for _ in range(5):
        scene.update(1 / 30)
    before = _spiders(scene).positions()
    scene.apply(1.0)  # 2.3 m -> 1.1 m away, 2 -> 12 spiders, 3x the speed
    scene.update(1 / 30)
    after = _spiders(scene).positions()
    assert len(after) == 12
    step = np.hypot(*(after[: len(before)] - before).T)
    assert step.max() < 0.25 * 1.2 * 1.3 / 30 + 1e-3  # at most the fastest walk's one frame


def test_a_swarm_in_a_group_scaled_to_nothing_runs_and_walks_once_grown(tmp_path, scene_root):
    # a binding may grow a group from scale 0: there the swarm's frame has no inverse, and
    # finding the patient in it raised a Panda3D assertion in view, preview and a session
    text = scenario(
        entities="  - {type: group, id: g, children: [{type: spiders, id: spiders, count: 3, speed: 0.5, reach: 3}]}",
        bindings="  - {target: g.scale, range: [[0, 0, 0], [1, 1, 1]]}",
    )
    scene = Scene(load_scenario(write(tmp_path, text)), scene_root)
    scene.apply(0.0)
    for _ in range(5):
        scene.update(0.05)
    scene.apply(1.0)
    scene.update(0.05)
    before = _spiders(scene).positions()
    for _ in range(20):
        scene.update(0.05)
    assert len(before) == 3 and np.abs(_spiders(scene).positions() - before).max() > 0.1  # grown, they walk
    scene.destroy()
