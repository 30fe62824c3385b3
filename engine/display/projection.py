"""Per-eye projections and the axis change between OpenXR and Panda3D.

A headset's eye sees an asymmetric frustum (more to the outer side than the inner one),
given as four angles (OpenXR's ``XrFovf``). A Panda3D ``PerspectiveLens`` with focal
length 1, film size (tan R − tan L, tan U − tan D) and its film offset at the midpoint
of those tangents projects exactly as OpenXR's reference matrix
(``xr.utils.Matrix4x4f.create_projection``) does; ``tests/engine/display`` checks it to
1e-5 in normalised device coordinates.

Axes: OpenXR is Y-up with −Z forward; Panda3D is Z-up with +Y forward (both right-handed,
X to the right). A point (x, y, z) in OpenXR is (x, −z, y) in Panda3D.
"""

from __future__ import annotations

from panda3d.core import LQuaternionf, PerspectiveLens

from engine.display.profile import EyeFov


def eye_lens(fov: EyeFov, near: float, far: float) -> PerspectiveLens:
    """A lens for one eye whose frustum has exactly the angles of ``fov``."""
    lens = PerspectiveLens()
    set_eye_fov(lens, fov)
    lens.setNearFar(near, far)
    return lens


def set_eye_fov(lens: PerspectiveLens, fov: EyeFov) -> None:
    """Re-aim ``lens`` (an OpenXR runtime may change an eye's angles from frame to frame)."""
    tl, tr, tu, td = fov.tangents()
    lens.setFocalLength(1.0)
    lens.setFilmSize(tr - tl, tu - td)
    lens.setFilmOffset((tr + tl) / 2.0, (tu + td) / 2.0)


def panda_point(x: float, y: float, z: float) -> tuple[float, float, float]:
    """An OpenXR position (Y up, −Z forward) in Panda3D's axes (Z up, +Y forward)."""
    return (x, -z, y)


def panda_hpr(qx: float, qy: float, qz: float, qw: float) -> tuple[float, float, float]:
    """An OpenXR orientation (unit quaternion x, y, z, w) as Panda3D heading, pitch, roll
    in degrees. The axis change is a proper rotation, so the quaternion's vector part
    changes axes as a point does."""
    px, py, pz = panda_point(qx, qy, qz)
    hpr = LQuaternionf(qw, px, py, pz).getHpr()
    return (float(hpr[0]), float(hpr[1]), float(hpr[2]))
