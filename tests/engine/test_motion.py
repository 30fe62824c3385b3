import numpy as np
import pytest

from engine.motion import MotionState


def _state(kind, copies=1, axis="r"):
    return MotionState(kind, axis, copies, np.random.default_rng(0))


@pytest.mark.parametrize("kind", ["sway", "bob", "wander", "approach"])
def test_offsets_stay_within_the_amplitude(kind):
    m = _state(kind, copies=5)
    worst = 0.0
    for _ in range(2000):
        m.advance(1 / 60, amplitude=0.5, speed=0.7)
        pos, hpr = m.pose(0.5)
        worst = max(worst, np.abs(pos).max(), np.abs(hpr[:, 2]).max() if kind == "sway" else 0.0)
    assert 0.1 < worst <= 0.5 + 1e-9


def test_changing_speed_never_makes_a_jump():
    """Phase is integrated: a sudden speed change late in a session moves nothing at once."""
    m = _state("bob")
    for _ in range(60 * 600):  # ten minutes at 60 fps
        m.advance(1 / 60, 1.0, 0.2)
    before = m.pose(1.0)[0][0, 2]
    m.advance(1 / 60, 1.0, 2.0)  # speed × 10
    after = m.pose(1.0)[0][0, 2]
    # at most amplitude × 2π × speed × dt
    assert abs(after - before) <= 1.0 * 2 * np.pi * 2.0 / 60 + 1e-9


def test_approach_moves_toward_the_given_direction():
    m = _state("approach", copies=2)
    towards = np.array([[1.0, 0.0], [0.0, -1.0]])
    m.advance(0.5, amplitude=1.0, speed=0.5)
    pos, _ = m.pose(1.0, towards)
    assert pos[0, 0] >= 0 and pos[0, 1] == 0
    assert pos[1, 1] <= 0 and pos[1, 0] == 0
    assert np.hypot(pos[:, 0], pos[:, 1]).max() <= 1.0


def test_zero_amplitude_is_still():
    m = _state("sway", copies=3)
    m.advance(1.0, 0.0, 1.0)
    pos, hpr = m.pose(0.0)
    assert not pos.any() and not hpr.any()
