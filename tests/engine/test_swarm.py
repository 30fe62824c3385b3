"""The spider swarm's walk (engine/scene/swarm.py): gait, heading, and never passing through."""

from __future__ import annotations

import numpy as np
import pytest

from engine.scene.swarm import STRIDE, Swarm, heading_to

TABLE = (-0.6, -0.4, -0.1, 0.1)  # a floor footprint right across the spiders' path


def _swarm(seed: int = 0, n: int = 6, size: float = 0.12, speed: float = 0.2, reach: float = 1.2) -> Swarm:
    s = Swarm(n, seed, area=(1.6, 0.8), bounds=(4.0, 5.0), keep_away=0.3)
    s.patient = np.array([0.0, -1.8])
    s.size, s.speed, s.distance, s.reach = size, speed, 2.4, reach
    s.obstacles = np.array([TABLE])
    return s


def _inside(pos: np.ndarray, rect: tuple[float, float, float, float], margin: float) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return (pos[:, 0] > x0 - margin) & (pos[:, 0] < x1 + margin) & (pos[:, 1] > y0 - margin) & (pos[:, 1] < y1 + margin)


def test_gait_advances_with_distance_walked_and_stops_when_still():
    s = _swarm(n=1, reach=1.0, speed=0.2)
    s.obstacles = np.zeros((0, 4))
    s.step(0.0)
    before_pos, before_gait = s.pos[0].copy(), s.gait[0]
    s.step(0.05)
    walked = float(np.hypot(*(s.pos[0] - before_pos)))
    assert walked > 0.005
    cycles = (s.gait[0] - before_gait) % 1.0
    # the legs step once per STRIDE spans walked (turning adds a little; it faced its way already)
    assert cycles == pytest.approx(walked / (STRIDE * s.size), rel=0.1)
    # stopped: no speed, no crawl, at home -> nothing moves, the legs included
    s.speed = s.reach = 0.0
    for _ in range(200):
        s.step(1 / 30)
    still_pos, still_gait = s.pos[0].copy(), s.gait[0]
    for _ in range(30):
        s.step(1 / 30)
    assert np.array_equal(s.pos[0], still_pos) and s.gait[0] == still_gait


def test_faster_crawl_steps_faster():
    steps = []
    for speed in (0.05, 0.2):
        s = _swarm(n=1, speed=speed, reach=2.0)
        s.obstacles = np.zeros((0, 4))
        s.step(0.0)
        total = 0.0
        for _ in range(15):
            g = s.gait[0]
            s.step(1 / 30)
            total += (s.gait[0] - g) % 1.0
        steps.append(total)
    assert steps[1] > 3 * steps[0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_never_closer_than_separation_nor_inside_a_footprint(seed):
    rng = np.random.default_rng(100 + seed)
    s = _swarm(
        seed=seed, n=int(rng.integers(4, 13)), size=float(rng.uniform(0.06, 0.16)), speed=float(rng.uniform(0.1, 0.4))
    )
    s.step(0.0)
    for k in range(1500):
        s.step(float(rng.uniform(0.01, 0.05)))
        pos = s.pos[: s.active]
        d = np.hypot(*(pos[:, None] - pos[None]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        assert d.min() >= s.separation - 1e-9, f"step {k}: two spiders {d.min():.4f} m apart"
        assert not _inside(pos, TABLE, s.size / 2 - 1e-9).any(), f"step {k}: a spider on the table's footprint"
        assert (np.abs(pos) <= s.half - s.size / 2 + 1e-9).all(), f"step {k}: a spider out of the room"
        assert (np.hypot(*(pos - s.patient).T) >= s.keep_away - 1e-9).all()


def test_spiders_really_walk_round_the_table():
    """The constraint is not met by standing still: they get past the table to the patient."""
    s = _swarm(seed=3, n=6)
    s.step(0.0)
    start = s.pos[: s.active].copy()
    nearest = np.inf
    for _ in range(900):
        s.step(1 / 30)
        nearest = min(nearest, float(np.hypot(*(s.pos[: s.active] - s.patient).T).min()))
    assert np.hypot(*(s.pos[: s.active] - start).T).max() > 0.3
    assert nearest < 2.4 - 1.0  # came a metre closer than the start area at least once


def test_same_seed_same_walk_and_another_seed_another():
    runs = []
    for seed in (7, 7, 8):
        s = _swarm(seed=seed)
        for _ in range(120):
            s.step(1 / 30)
        runs.append(s.pos.copy())
    assert np.array_equal(runs[0], runs[1]) and not np.allclose(runs[0], runs[2])


def test_heading_turns_toward_the_patient_eased():
    s = _swarm(n=1, speed=0.0, reach=0.0)
    s.obstacles = np.zeros((0, 4))
    s.step(0.0)
    facing = float(heading_to(s.patient - s.pos[0]))
    assert s.heading[0] == pytest.approx(facing, abs=1e-6)
    s.heading[0] = facing + 150.0  # turned away
    turns = []
    for _ in range(60):
        h = s.heading[0]
        s.step(1 / 30)
        turns.append(abs(s.heading[0] - h))
    assert max(turns) <= 240.0 / 30 + 1e-9  # eased: never snapped round
    assert abs((s.heading[0] - facing + 180) % 360 - 180) < 2.0  # and it got there
    assert turns[0] > 0 and s.gait[0] != 0  # turning on the spot moves the legs too


def test_moving_the_start_area_walks_them_there():
    s = _swarm(n=3, speed=0.0, reach=0.0)
    s.obstacles = np.zeros((0, 4))
    s.step(0.0)
    far = np.hypot(*(s.pos[:3] - s.patient).T).mean()
    s.distance = 1.2
    for _ in range(300):
        s.step(1 / 30)
    near = np.hypot(*(s.pos[:3] - s.patient).T).mean()
    assert near < far - 0.9


def test_count_shows_and_places_spiders_clear_of_the_rest():
    s = _swarm(n=10, speed=0.3, reach=1.0)
    s.show(2)
    for _ in range(90):
        s.step(1 / 30)
    s.show(10)
    s.step(1 / 30)
    assert s.active == 10 and s.violation(s.pos[:10]).max() == 0.0
