"""Scatter ``min_spacing``: copies at least that far apart for every seed, the validator's
room estimate (engine/scenario/spacing.py) always buildable, and a clear error when not."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from engine.errors import VrexError
from engine.scenario import ScenarioError, load_scenario
from engine.scenario.spacing import capacity, place
from engine.scene import Scene
from tests.engine.scenario_text import scenario, where, write


def scatter(count: int, area: str = "[10, 10]", spacing: float = 1.0, extra: str = "") -> str:
    return scenario(
        entities=f"  - {{type: scatter, id: rocks, count: {count}, area: {area}, min_spacing: {spacing}, "
        f"seed: 7, item: {{type: box, size: [0.2, 0.2, 0.2]}}{extra}}}",
        bindings=f"  - {{target: rocks.count, range: [1, {count}]}}",
    )


@pytest.mark.parametrize("seed", range(0, 200, 7))
def test_copies_keep_their_distance_for_every_seed(seed):
    rng = np.random.default_rng(seed)
    pts = place(rng, 25, (8.0, 6.0), 1.5, 0.9)  # the validator allows 31 here
    assert pdist(pts[:, :2]).min() >= 0.9
    assert (np.abs(pts[:, 0]) <= 4).all() and (np.abs(pts[:, 1]) <= 3).all()
    assert (np.hypot(pts[:, 0], pts[:, 1]) >= 1.5).all()
    assert np.array_equal(pts, place(np.random.default_rng(seed), 25, (8.0, 6.0), 1.5, 0.9))  # same seed, same


@pytest.mark.parametrize(
    "area, spacing", [((10.0, 10.0), 1.0), ((3.0, 1.0), 1.0), ((40.0, 1.5), 1.0), ((5.0, 2.0), 0.7)]
)
def test_what_the_validator_allows_is_always_placed(area, spacing):
    reliable, packed = capacity(area, 1.0, spacing)
    assert 1 <= reliable < packed
    for seed in range(100):
        pts = place(np.random.default_rng(seed), reliable, area, 0.0, spacing)
        assert pdist(pts[:, :2]).min() >= spacing


def test_a_built_scatter_keeps_its_copies_apart(tmp_path, scene_root):
    scene = Scene(load_scenario(write(tmp_path, scatter(50))), scene_root)
    copies = scene.nodes["rocks"].copies
    xy = np.array([[c.getParent().getX(), c.getParent().getY()] for c in copies])
    assert len(xy) == 50 and pdist(xy).min() >= 1.0
    scene.destroy()


def test_too_many_copies_for_the_spacing_are_refused_where_the_spacing_is(tmp_path):
    text = scatter(200)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    (problem,) = info.value.problems
    assert (problem.mark.line, problem.mark.col) == where(text, "1.0, seed")
    assert "200 copies at least 1 m apart do not fit the 10 × 10 m area" in problem.what
    assert "at most 60 copies" in problem.expected
    # the spacing it suggests does validate
    smaller = float(problem.expected.split("min_spacing of at most ")[1].split(" m")[0])
    load_scenario(write(tmp_path, scatter(200, spacing=smaller), "smaller.yaml"))


def test_the_build_fails_cleanly_when_the_tries_run_out():
    with pytest.raises(VrexError, match=r"placed only \d+ of 500 copies at least 1 m apart in 10 × 10 m — fewer"):
        place(np.random.default_rng(0), 500, (10.0, 10.0), 0.0, 1.0)


def test_no_spacing_keeps_the_version_1_layout(tmp_path, scene_root):
    """min_spacing 0 (the default) must place copies exactly where format 1 always did."""
    from engine.scene.build import _scatter_points

    text = scatter(30, spacing=0)
    scene = Scene(load_scenario(write(tmp_path, text)), scene_root)
    xy = np.array([[c.getParent().getX(), c.getParent().getY()] for c in scene.nodes["rocks"].copies])
    old = _scatter_points(np.random.default_rng(7), 30, (10.0, 10.0), 0.0)[:, :2]
    assert np.allclose(xy, old, atol=1e-5)
    scene.destroy()
