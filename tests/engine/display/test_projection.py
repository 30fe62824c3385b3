"""Each eye's projection equals OpenXR's reference matrix (pyopenxr's own math)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from panda3d.core import LVecBase4f

from engine.display.profile import QUEST3_LIKE, EyeFov
from engine.display.projection import eye_lens, panda_hpr, panda_point

xr_utils = pytest.importorskip("xr.utils", reason="pyopenxr is part of the test set-up (the 'test' extra)")

FOVS = [QUEST3_LIKE.left_fov, QUEST3_LIKE.right_fov, EyeFov(-40.0, 40.0, 35.0, -35.0), EyeFov(-61.0, 20.0, 10.0, -70.0)]


@pytest.mark.parametrize("fov", FOVS, ids=["quest3-left", "quest3-right", "symmetric", "lopsided"])
@pytest.mark.parametrize("near,far", [(0.05, 200.0), (0.1, 1000.0)])
def test_eye_lens_projects_as_openxr_reference(fov, near, far):
    lens = eye_lens(fov, near, far)
    ours = lens.getProjectionMat()
    tl, tr, tu, td = fov.tangents()
    ref = np.array(
        xr_utils.Matrix4x4f.create_projection(xr_utils.GraphicsAPI.OPENGL, tl, tr, tu, td, near, far).m,
        dtype=np.float64,
    )
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(500):  # points inside and a little outside the frustum
        depth = rng.uniform(near * 1.2, far * 0.9)
        x, y = rng.uniform(tl * 1.2, tr * 1.2) * depth, rng.uniform(td * 1.2, tu * 1.2) * depth
        clip = ref @ np.array([x, y, -depth, 1.0])  # OpenXR: -Z forward, Y up
        expected = clip[:3] / clip[3]
        c = ours.xform(LVecBase4f(*panda_point(x, y, -depth), 1.0))
        got = np.array([c[0], c[1], c[2]]) / c[3]
        worst = max(worst, float(np.abs(got - expected).max()))
    assert worst <= 1e-5


def test_openxr_orientations_become_panda_headings_and_pitches():
    def about(axis, deg):  # a unit quaternion (x, y, z, w)
        s = math.sin(math.radians(deg) / 2)
        return (*(s * a for a in axis), math.cos(math.radians(deg) / 2))

    assert panda_hpr(*about((0, 1, 0), 30)) == pytest.approx((30.0, 0.0, 0.0), abs=1e-4)  # turn left
    assert panda_hpr(*about((1, 0, 0), 20)) == pytest.approx((0.0, 20.0, 0.0), abs=1e-4)  # look up
    assert panda_hpr(*about((0, 0, 1), -15)) == pytest.approx((0.0, 0.0, 15.0), abs=1e-4)  # roll: -Z fwd = +Y
    assert panda_point(1.0, 2.0, -3.0) == (1.0, 3.0, 2.0)
