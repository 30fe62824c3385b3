import math

import pytest

from engine.easing import IntensityDriver
from engine.scenario.spec import Calm, Comfort

DT = 1 / 60
COMFORT = Comfort(max_intensity_rate=0.1, max_intensity_accel=0.2, max_camera_speed=2.0, max_camera_turn_rate=10.0)
CALM = Calm(intensity=0.0, fade_seconds=0.5, colour=(0.5, 0.6, 0.7, 1.0))


def run(driver, seconds, pose_at=None):
    frames = []
    for _ in range(int(round(seconds / DT))):
        frames.append(driver.step(DT, pose_at))
    return frames


def test_rate_and_acceleration_are_bounded_and_the_target_is_reached_without_overshoot():
    d = IntensityDriver(COMFORT, CALM)
    d.set_target(1.0)
    frames = run(d, 15)
    values = [0.0] + [f.intensity for f in frames]
    steps = [b - a for a, b in zip(values, values[1:])]
    assert max(abs(s) for s in steps) <= COMFORT.max_intensity_rate * DT + 1e-12
    accel = [abs(b - a) / DT for a, b in zip(steps, steps[1:])]
    assert max(accel) <= COMFORT.max_intensity_accel * DT * 1.001 + 1e-12
    assert max(values) <= 1.0
    assert values[-1] == 1.0
    # 0 → 1 at 0.1/s with soft start and stop takes 1/rate + rate/accel = 10.5 s
    reached = next(i for i, v in enumerate(values) if v == 1.0) * DT
    assert 10.0 < reached < 11.5


def test_reversing_the_target_slows_down_before_turning():
    d = IntensityDriver(COMFORT, CALM)
    d.set_target(1.0)
    run(d, 3)
    d.set_target(0.0)
    values = [d.intensity] + [f.intensity for f in run(d, 12)]
    steps = [b - a for a, b in zip(values, values[1:])]
    assert steps[0] > 0  # still moving up for a moment
    assert max(abs(b - a) for a, b in zip(steps, steps[1:])) <= COMFORT.max_intensity_accel * DT * DT * 1.001
    assert values[-1] == 0.0


def test_camera_speed_limit_slows_intensity_where_the_camera_would_move_fast():
    # 0 → 1 lifts the camera 100 m: at 0.1/s that is 10 m/s, over the 2 m/s limit.
    def pose_at(i):
        return ((0.0, 0.0, 100.0 * i), (0.0, 0.0, 0.0))

    d = IntensityDriver(COMFORT, CALM)
    d.set_target(1.0)
    frames = run(d, 10, pose_at)
    z = [0.0] + [100 * f.intensity for f in frames]
    speeds = [abs(b - a) / DT for a, b in zip(z, z[1:])]
    assert max(speeds) <= COMFORT.max_camera_speed * 1.001
    assert max(speeds) > COMFORT.max_camera_speed * 0.9  # it still moves as fast as allowed
    assert frames[-1].intensity == pytest.approx(0.2, abs=0.02)


def test_camera_turn_limit_handles_wrap_around():
    def pose_at(i):
        return ((0.0, 0.0, 0.0), ((170.0 + 40.0 * i + 180) % 360 - 180, 0.0, 0.0))

    d = IntensityDriver(COMFORT, CALM)
    d.set_target(1.0)
    frames = run(d, 6, pose_at)
    h = [pose_at(0.0)[1][0]] + [pose_at(f.intensity)[1][0] for f in frames]
    turns = [abs((b - a + 180) % 360 - 180) / DT for a, b in zip(h, h[1:])]
    assert max(turns) <= COMFORT.max_camera_turn_rate * 1.001
    assert frames[-1].intensity > 0.5


def test_calm_now_veils_at_once_jumps_only_when_hidden_and_unveils():
    d = IntensityDriver(COMFORT, CALM, start=0.8)
    d.calm_now()
    frames = run(d, 1.0)
    assert frames[0].veil > 0 and frames[0].calming  # the very next frame
    hidden = [i for i, f in enumerate(frames) if f.veil >= 1.0]
    assert hidden, "the veil must close completely"
    first_hidden = hidden[0]
    assert first_hidden * DT <= CALM.fade_seconds / 2 + DT
    # While anything is visible, intensity changes only by comfortable steps.
    shown = [0.8] + [f.intensity for f in frames]
    for i, f in enumerate(frames):
        if f.veil < 1.0 and (i == 0 or frames[i - 1].veil < 1.0):
            assert abs(shown[i + 1] - shown[i]) <= COMFORT.max_intensity_rate * DT + 1e-12
    assert frames[first_hidden].intensity == CALM.intensity
    end = frames[-1]
    assert end.veil == 0.0 and not end.calming and end.intensity == CALM.intensity


def test_targets_are_refused_during_the_calm_blink_and_accepted_after():
    d = IntensityDriver(COMFORT, CALM, start=0.6)
    d.calm_now()
    d.step(DT)
    assert d.set_target(0.9) is False
    run(d, 1.0)
    assert d.set_target(0.9) is True and d.target == 0.9


def test_calm_now_when_already_calm_does_not_blink():
    d = IntensityDriver(COMFORT, CALM, start=0.0)
    d.calm_now()
    assert d.step(DT).veil == 0.0


def test_targets_are_clamped_and_a_zero_step_changes_nothing():
    d = IntensityDriver(COMFORT, CALM)
    d.set_target(7.0)
    assert d.target == 1.0
    d.set_target(-1.0)
    assert d.target == 0.0
    assert d.step(0.0).intensity == 0.0
    assert not math.isnan(d.step(DT).intensity)
