"""PaceWatch: the session is told when the machine falls behind the session clock."""

from __future__ import annotations

import math

from engine.session.pace import LATE_FRAMES, ON_PACE_FRAMES, PaceWatch


def feed(watch: PaceWatch, gaps: list[float]) -> list[str]:
    return [s for s in (watch.frame(g) for g in gaps) if s]


def test_a_few_slow_frames_are_not_falling_behind():
    w = PaceWatch(speed=20.0)
    assert feed(w, [0.3] * 10 + [2.5] * (LATE_FRAMES - 1) + [0.3] * 10 + [math.nan, math.inf]) == []
    assert not w.behind


def test_falling_behind_is_said_once_with_advice_and_catching_up_once():
    w = PaceWatch(speed=20.0)
    said = feed(w, [0.3] * 5 + [2.0] * (LATE_FRAMES + 20))
    assert len(said) == 1 and w.behind
    assert "--speed 20" in said[0] and "100 ms apart" in said[0] and "lower --speed (e.g. 5)" in said[0]
    assert feed(w, [0.3] * (ON_PACE_FRAMES - 1)) == [] and w.behind
    assert feed(w, [0.3]) == ["frames are on time again"] and not w.behind
    assert len(feed(w, [2.0] * LATE_FRAMES)) == 1  # a new episode is said again


def test_the_advice_follows_the_typical_gap_not_one_outlier():
    w = PaceWatch(speed=60.0)
    (said,) = feed(w, [12.0] + [1.5] * (LATE_FRAMES - 1))  # e.g. a first frame after set-up
    assert "3.6 s of session time" in said and "(e.g. 8)" in said


def test_a_real_time_session_is_told_the_scene_stutters():
    w = PaceWatch(speed=1.0)
    (said,) = feed(w, [1.5] * LATE_FRAMES)
    assert "1.5 s apart" in said and "--speed" not in said
