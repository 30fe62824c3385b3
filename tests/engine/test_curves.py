import pytest

from engine.curves import evaluate


def test_linear_between_and_held_outside():
    pts = ((0.2, 0.0), (0.6, 10.0))
    assert evaluate(pts, "linear", 0.0) == 0.0
    assert evaluate(pts, "linear", 0.4) == pytest.approx(5.0)
    assert evaluate(pts, "linear", 0.5) == pytest.approx(7.5)
    assert evaluate(pts, "linear", 1.0) == 10.0


def test_piecewise_uses_the_right_segment():
    pts = ((0.0, 0.0), (0.5, 10.0), (1.0, 110.0))
    assert evaluate(pts, "linear", 0.25) == pytest.approx(5.0)
    assert evaluate(pts, "linear", 0.75) == pytest.approx(60.0)


def test_smooth_has_flat_ends_and_the_same_midpoint():
    pts = ((0.0, 0.0), (1.0, 1.0))
    assert evaluate(pts, "smooth", 0.5) == pytest.approx(0.5)
    assert evaluate(pts, "smooth", 0.1) == pytest.approx(0.028)  # 3t² − 2t³
    assert evaluate(pts, "smooth", 0.9) == pytest.approx(0.972)


def test_step_holds_until_the_next_point():
    pts = ((0.0, 1.0), (0.5, 3.0), (0.8, 7.0))
    assert evaluate(pts, "step", 0.49) == 1.0
    assert evaluate(pts, "step", 0.5) == 3.0
    assert evaluate(pts, "step", 0.79) == 3.0
    assert evaluate(pts, "step", 0.9) == 7.0


def test_booleans_never_blend_and_vectors_blend_per_component():
    assert evaluate(((0.0, True), (0.8, False)), "linear", 0.79) is True
    assert evaluate(((0.0, True), (0.8, False)), "linear", 0.8) is False
    assert evaluate(((0.0, (0.0, 2.0, 4.0)), (1.0, (1.0, 4.0, 0.0))), "linear", 0.25) == pytest.approx((0.25, 2.5, 3.0))
