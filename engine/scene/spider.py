"""One articulated spider as Panda3D nodes, 1 m across its legs (scale it to size), facing +y.

Cephalothorax and abdomen are squashed spheres; each of the eight legs is a chain of three
segments (femur, tibia, tarsus) hung from joint nodes, so the gait only turns joints. The
gait is the alternating tetrapod real spiders use: L1, R2, L3, R4 swing while the other four
stand, then the other way round. ``pose(phase)`` sets every joint for a gait phase in [0, 1);
the caller advances the phase by the distance walked, so the legs match the speed.
"""

from __future__ import annotations

import math

from panda3d.core import NodePath

from engine.scene import geometry

# Per leg pair, front to back: where the hip sits along the body (y, m), the leg's rest
# heading away from straight sideways (deg, + forward) and how long its segments are.
_HIP_Y = (0.085, 0.06, 0.035, 0.01)
_SPLAY = (48.0, 16.0, -18.0, -48.0)
_FEMUR = (0.25, 0.22, 0.2, 0.25)
_TIBIA = (0.26, 0.22, 0.2, 0.25)
_TARSUS = (0.09, 0.08, 0.08, 0.09)
_RAISE, _KNEE, _ANKLE = 38.0, -98.0, -38.0  # femur up from level; tibia and tarsus bend down
_HIP_Z = 0.145
_UNIT = 1.45  # the legs above span about 0.69 m: this makes the spider 1 m across
SWING = 14.0  # deg each way a leg sweeps (heading) as it steps
LIFT = 14.0  # deg a swinging leg's femur rises
TETRAPOD_A = {("L", 0), ("R", 1), ("L", 2), ("R", 3)}  # these swing together; the rest half a cycle later


class Spider:
    def __init__(self, parent: NodePath, name: str = "spider"):
        self.root = parent.attachNewNode(name)
        shape = self.root.attachNewNode("shape")
        shape.setScale(_UNIT)
        body = shape.attachNewNode("body")
        body.setZ(_HIP_Z)
        cephalo = body.attachNewNode(geometry.sphere(1.0, 12))
        cephalo.setPosHprScale(0, 0.05, 0.0, 0, 0, 0, 0.068, 0.085, 0.045)
        abdomen = body.attachNewNode(geometry.sphere(1.0, 14))
        abdomen.setPosHprScale(0, -0.11, 0.025, 0, 12, 0, 0.1, 0.13, 0.08)
        abdomen.setColorScale(1.25, 1.15, 1.05, 1)  # a paler abdomen, as house spiders have
        for side in (-1, 1):  # palps and fangs: short stubs at the front
            palp = body.attachNewNode(geometry.cylinder(0.008, 0.06, 5))
            palp.setPosHpr(0.02 * side, 0.115, 0.0, -25 * side, -60, 0)
        self.body = body
        self.legs: list[tuple[str, int, NodePath, NodePath]] = []  # side, pair, hip, femur joint
        for side, sign in (("L", -1), ("R", 1)):
            for pair in range(4):
                hip = body.attachNewNode(f"hip{side}{pair}")
                hip.setPos(0.045 * sign, _HIP_Y[pair], 0.0)
                hip.setH(-90 * sign + _SPLAY[pair] * sign)
                femur = hip.attachNewNode("femur")
                femur.setP(_RAISE)
                knee = _segment(femur, _FEMUR[pair], 0.012)
                knee.setP(_KNEE)
                ankle = _segment(knee, _TIBIA[pair], 0.009)
                ankle.setP(_ANKLE)
                _segment(ankle, _TARSUS[pair], 0.006)
                self.legs.append((side, pair, hip, femur))
        self.phase = -1.0

    def pose(self, phase: float) -> None:
        """Set the legs for gait phase ``phase`` (cycles; only the fraction matters)."""
        if phase == self.phase:
            return
        self.phase = phase
        for side, pair, hip, femur in self.legs:
            u = (phase + (0.0 if (side, pair) in TETRAPOD_A else 0.5)) % 1.0
            # back (-) at lift-off, forward (+) at touch-down: swing for u < 0.5, stance after
            sweep = -SWING * math.cos(2 * math.pi * u)
            sign = -1 if side == "L" else 1  # a left leg swings forward by turning clockwise
            hip.setH(-90 * sign + (_SPLAY[pair] + sweep) * sign)
            femur.setP(_RAISE + LIFT * max(0.0, math.sin(2 * math.pi * u)))
        # the body rocks a little with each step
        self.body.setR(1.5 * math.sin(4 * math.pi * phase))


def _segment(joint: NodePath, length: float, radius: float) -> NodePath:
    """A leg segment along the joint's +y; returns the joint node at its far end."""
    seg = joint.attachNewNode(geometry.cylinder(radius, length, 5))
    seg.setP(-90)  # the cylinder stands along +z; this lays it along +y
    knob = joint.attachNewNode(geometry.sphere(radius * 1.15, 5))
    knob.setY(length)
    end = joint.attachNewNode("joint")
    end.setY(length)
    return end
