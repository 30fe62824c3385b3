"""The ``text`` entity: validated words, drawn offscreen with the built-in font, and a bound
text (a floor indicator) that changes what is shown as intensity rises."""

from __future__ import annotations

import numpy as np
import pytest
from panda3d.core import BillboardEffect

from engine.preview import render_previews
from engine.scenario import ScenarioError, load_scenario
from engine.scene import Scene
from tests.engine.scenario_text import scenario, where, write

INDICATOR = scenario(
    viewpoint="{position: [0, -3, 1.5]}",
    entities="  - {type: text, id: floor_no, text: '1', size: 1.2, position: [0, 2, 1.1], colour: [1, 0.1, 0.1]}",
    bindings="  - {target: floor_no.text, points: [[0, 1], [0.2, 2], [0.4, 3], [0.8, 'TOP']]}",
)


def test_a_bound_text_steps_through_its_values(tmp_path, scene_root):
    spec = load_scenario(write(tmp_path, INDICATOR))
    (binding,) = spec.bindings
    assert binding.interpolation == "step"  # words are never blended
    scene = Scene(spec, scene_root)
    shown = []
    for x in (0.0, 0.19, 0.2, 0.39, 0.6, 0.8, 1.0):
        scene.apply(x)
        shown.append(scene.nodes["floor_no"].label.node().getText())
    scene.destroy()
    assert shown == ["1", "1", "2", "2", "3", "TOP", "TOP"]  # numbers shown as written, 1 not 1.0


def red_pixels(image: np.ndarray) -> np.ndarray:
    img = image.astype(int)
    return (img[..., 0] > 150) & (img[..., 1] < 90) & (img[..., 2] < 90)


def test_text_renders_offscreen_and_the_binding_changes_the_picture(tmp_path, base):
    spec = load_scenario(write(tmp_path, INDICATOR))
    images = render_previews(spec, tmp_path / "out", base=base).images
    levels = [lv.intensity for lv in spec.levels]  # 0, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0
    red = [red_pixels(im) for im in images]
    assert all(r.sum() > 30 for r in red), [int(r.sum()) for r in red]  # the red letters are drawn
    same, changed = (levels.index(0.0), levels.index(0.1)), (levels.index(0.1), levels.index(0.2))
    assert (red[same[0]] != red[same[1]]).sum() == 0  # '1' both times
    assert (red[changed[0]] != red[changed[1]]).sum() > 20  # '1' became '2'
    assert red[levels.index(1.0)].sum() > 2 * red[levels.index(0.0)].sum()  # 'TOP' is wider than '1'


@pytest.mark.parametrize(
    "entity, needle, message",
    [
        ('{type: text, text: "Floor\\x1b[2J"}', '"Floor', "character 6 of the text is a control character (U+001B)"),
        ("{type: text, text: ''}", "''", "text is empty"),
        ("{type: text, text: " + "x" * 201 + "}", "x" * 201, "text of 201 characters is longer than 200"),
        ("{type: text, text: [1, 2]}", "[1, 2]", "got a list"),
        ("{type: text, text: hi, align: middle}", "middle", "'middle' is not allowed here"),
    ],
)
def test_bad_text_is_refused_where_it_is_written(tmp_path, entity, needle, message):
    text = scenario(entities=f"  - {entity}")
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    (problem,) = info.value.problems
    assert (problem.mark.line, problem.mark.col) == where(text, needle) and message in problem.what


@pytest.mark.parametrize(
    "value, expected",
    [("true", "text in quotes"), ("null", "text in quotes"), ('"a\\tb"', "control character (U+0009)")],
)
def test_a_bound_text_value_that_cannot_be_shown_is_refused(tmp_path, value, expected):
    text = scenario(
        entities="  - {type: text, id: sign, text: 'EXIT'}",
        bindings=f"  - {{target: sign.text, points: [[0, 'EXIT'], [1, {value}]]}}",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    (problem,) = info.value.problems
    assert (problem.mark.line, problem.mark.col) == where(text, value) and expected in str(problem)


def test_billboard_text_builds_and_turns_to_the_eye(tmp_path, scene_root):
    text = scenario(entities="  - {type: text, id: sign, text: 'EXIT', billboard: true, rotation: [90, 0, 0]}")
    scene = Scene(load_scenario(write(tmp_path, text)), scene_root)
    label = scene.nodes["sign"].label
    assert label.hasEffect(BillboardEffect.getClassType())
    scene.destroy()
