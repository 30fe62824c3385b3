"""Light flicker: the WCAG 2.3.1 check over the whole intensity scale, and the flicker itself
advanced by dt alone (engine/scenario/flashes.py, engine/scene/flicker.py)."""

from __future__ import annotations

import math

import pytest

from engine.scenario import ScenarioError, load_scenario
from engine.scenario.flashes import FLASH_DEPTH, MAX_FLASHES, first_flash
from engine.scene import Scene
from tests.engine.scenario_text import scenario, where, write


def lamp(flicker: str, *bindings: str) -> str:
    return scenario(
        entities=f"  - {{type: light, kind: point, id: lamp, position: [0, 0, 2], flicker: {flicker}}}",
        bindings="\n".join(f"  - {b}" for b in bindings),
    )


def problems(tmp_path, text: str) -> list[str]:
    try:
        load_scenario(write(tmp_path, text))
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_a_steady_flicker_over_three_flashes_a_second_is_refused_at_its_rate(tmp_path):
    text = lamp("{rate: 4, depth: 0.3}")
    (line,) = problems(tmp_path, text)
    row, col = where(text, "4, depth")
    assert f":{row}:{col}: light 'lamp' flickers at 4 flashes per second" in line
    assert "intensity 0" in line and "at most 3 flashes per second" in line and "WCAG 2.3.1" in line


@pytest.mark.parametrize(
    "flicker, bindings",
    [
        ("{rate: 3, depth: 1}", []),  # exactly at the limit
        ("{rate: 60, depth: 0.09}", []),  # fast but below the flash threshold
        ("{rate: 1, depth: 0.5}", ["{target: lamp.flicker.rate, points: [[0, 0], [0.5, 3], [1, 2]]}"]),
        # 8 Hz from 0.7 on, but the depth is below the threshold from 0.6 on
        (
            "{rate: 1, depth: 0.5}",
            [
                "{target: lamp.flicker.rate, points: [[0, 1], [0.7, 8]], interpolation: step}",
                "{target: lamp.flicker.depth, points: [[0, 0.5], [0.6, 0.05]], interpolation: step}",
            ],
        ),
    ],
)
def test_at_or_below_the_limit_is_accepted(tmp_path, flicker, bindings):
    assert problems(tmp_path, lamp(flicker, *bindings)) == []


@pytest.mark.parametrize(
    "points, interpolation, at, rate",
    [
        ("[[0, 1], [0.6, 2], [0.7, 5], [1, 2]]", "step", 0.7, 5),  # a step up and back down
        ("[[0, 1], [0.5, 6], [1, 1]]", "linear", 0.5, 6),  # a peak between the ends
        ("[[0, 1], [0.5, 3.5], [1, 1]]", "smooth", 0.5, 3.5),  # just over, eased
        ("[[0, 2], [1, 4]]", "linear", 1, 4),  # only at the very top
    ],
)
def test_a_bound_rate_is_refused_where_it_peaks_over_the_limit(tmp_path, points, interpolation, at, rate):
    text = lamp(
        "{rate: 1, depth: 0.4}", f"{{target: lamp.flicker.rate, points: {points}, interpolation: {interpolation}}}"
    )
    (line,) = problems(tmp_path, text)
    row, col = where(text, "lamp.flicker.rate")
    assert f":{row}:{col}: binding 'lamp.flicker.rate' flickers at {rate:g} flashes per second" in line
    assert f"at intensity {at:g}," in line


def test_the_depth_crossing_the_threshold_between_points_is_found():
    # rate climbs 0 -> 10 while depth falls 0.5 -> 0: depth is 0.1 at 0.8, where rate is 8
    found = first_flash((((0.0, 0.0), (1.0, 10.0)), "linear"), (((0.0, 0.5), (1.0, 0.0)), "linear"))
    assert found is not None
    x, rate, depth = found
    assert x == pytest.approx(0.8) and rate == pytest.approx(8.0) and depth >= FLASH_DEPTH
    # the same with the depth falling faster: below the threshold before the rate passes 3
    assert first_flash((((0.0, 0.0), (1.0, 10.0)), "linear"), (((0.0, 0.5), (0.3, 0.0)), "linear")) is None


def test_a_flicker_binding_on_a_light_without_flicker_is_refused(tmp_path):
    text = scenario(
        entities="  - {type: light, kind: point, id: lamp}",
        bindings="  - {target: lamp.flicker.rate, range: [0, 2]}",
    )
    (line,) = problems(tmp_path, text)
    assert "'lamp' has no 'flicker' to drive" in line


def light_levels(spec, steps: list[float]) -> list[float]:
    from panda3d.core import NodePath

    root = NodePath("flicker-test")
    scene = Scene(spec, root)
    scene.apply(0.0)
    out = []
    for dt in steps:
        scene.update(dt)
        out.append(scene.nodes["lamp"].light.node().getColor()[0])
    scene.destroy()
    return out


def test_flicker_follows_dt_only_and_is_the_same_every_run(tmp_path):
    spec = load_scenario(write(tmp_path, lamp(f"{{rate: {MAX_FLASHES:g}, depth: 0.5}}")))
    steps = [1 / 60] * 30 + [0.0, 0.25, 1 / 90]
    a, b = light_levels(spec, steps), light_levels(spec, steps)
    assert a == b  # no wall clock, no hidden randomness
    # 3 Hz: after 1/6 s (10 frames of 1/60 s) the dip is at its deepest, 1 - depth
    assert a[9] == pytest.approx(0.5, abs=1e-6)
    assert a[19] == pytest.approx(1.0, abs=1e-6)  # 1/3 s: one whole cycle, full strength again
    assert a[29] == pytest.approx(0.5, abs=1e-6)  # 1/2 s: one and a half
    assert a[30] == a[29]  # dt 0: nothing moves
    assert min(a) >= 0.5 - 1e-6 and max(a) <= 1.0 + 1e-6


def test_a_long_step_lands_where_many_short_ones_do(tmp_path):
    spec = load_scenario(write(tmp_path, lamp("{rate: 2.5, depth: 0.8}")))
    one = light_levels(spec, [0.37])[-1]
    many = light_levels(spec, [0.37 / 37] * 37)[-1]
    expected = 1.0 - 0.8 * (1.0 - math.cos(2 * math.pi * 2.5 * 0.37)) / 2.0
    assert one == pytest.approx(expected, abs=1e-6) and many == pytest.approx(expected, abs=1e-6)
