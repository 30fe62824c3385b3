"""One stylised person as five vertex-coloured meshes: legs, torso, two arms and the head.

Proportions follow the segment lengths of real adults as fractions of stature H (Drillis &
Contini's, as drawn in Winter's *Biomechanics and Motor Control of Human Movement*: chin at
0.870 H, shoulders at 0.818 H, knees at 0.285 H, upper arm 0.186 H, forearm 0.146 H); the
crotch at 0.47 H and shoulders about 0.23 H across are our rounder figures for a stylised,
clothed body. Every part is a loft of ellipses (limbs taper, the torso has hips, a waist and a
chest), so a person reads as a person, not as a cylinder with a ball above it. Colours are baked
into the vertices, so each part is one Geom however many colours it has (a crowd of 60 is 300
Geoms). Each part is built in its own pivot's frame so that ``engine/scene/people.py`` can turn a
head at the neck or lift an arm at the shoulder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from panda3d.core import GeomNode

from engine.scene.loft import RGBA, SEG, Mesh, ellipsoid, limb, loft

SEAT = 0.45  # m: chair seat height


@dataclass(frozen=True)
class Look:
    """What varies between people (all drawn from the entity's seed)."""

    height: float  # stature, m
    build: float  # width factor, 0.85 slim to 1.25 broad
    skin: RGBA
    hair: RGBA
    top: RGBA
    legs: RGBA  # trousers or skirt
    shoes: RGBA
    long_hair: bool
    long_sleeves: bool
    skirt: bool


@dataclass(frozen=True)
class Pivots:
    """Where each moving part turns, in the person's own frame (m)."""

    hips: tuple[float, float, float]
    shoulder_l: tuple[float, float, float]
    shoulder_r: tuple[float, float, float]
    neck: tuple[float, float, float]
    eye: tuple[float, float, float]  # relative to the neck pivot


def _shade(c: RGBA, f: float) -> RGBA:
    return (min(1.0, c[0] * f), min(1.0, c[1] * f), min(1.0, c[2] * f), c[3])


def build(look: Look, seated: bool, seg: int = SEG) -> tuple[dict[str, GeomNode], Pivots]:
    """The five parts of one person and their pivots; feet on z = 0, facing +y. ``seg``: facets
    round each limb; below ``SEG`` (seen from afar) the face keeps only its eyes."""
    h, b = look.height, look.build
    hip_z = SEAT + 0.06 if seated else 0.47 * h  # seated: the pelvis sits on the chair
    lift = hip_z - 0.47 * h  # how far the upper body moves down when seated
    hx = 0.052 * h * b  # half the distance between the hip joints
    parts: dict[str, GeomNode] = {}

    legs = Mesh("legs", seg)
    thigh, calf, ankle = 0.056 * h * b**0.5, 0.036 * h * b**0.5, 0.022 * h
    for side in (-1, 1):
        hip = (side * hx, 0.0, hip_z)
        if seated:
            knee = (side * hx * 1.1, 0.245 * h, hip_z - 0.02)
            foot = (side * hx * 1.15, 0.27 * h, 0.075)
        else:
            knee = (side * hx * 0.9, 0.01, 0.285 * h)
            foot = (side * hx * 0.8, 0.0, 0.075)
        limb(legs, [hip, knee, foot], [thigh, calf, ankle], look.legs)
        ellipsoid(legs, (foot[0], foot[1] + 0.05, 0.045), (0.045, 0.13, 0.05), look.shoes)
    if look.skirt:
        z_top = hip_z + 0.08
        skirt = [((0, 0, z_top), 0.10 * h * b, 0.07 * h), ((0, 0.02, hip_z - 0.12), 0.13 * h * b, 0.10 * h)]
        if not seated:
            skirt.append(((0, 0.02, 0.31 * h), 0.14 * h * b, 0.10 * h))
        loft(legs, [(np.array(c), rx, ry) for c, rx, ry in skirt], look.legs)
    parts["legs"] = legs.node()

    torso = Mesh("torso", seg)
    w, z = 0.5 * 0.23 * h * b, lambda f: f * h + lift
    rings = [
        (z(0.44), 0.085 * h * b, 0.06 * h),
        (z(0.50), 0.100 * h * b, 0.068 * h),  # hips
        (z(0.60), 0.088 * h * b, 0.062 * h * b**0.5),  # waist
        (z(0.70), 0.098 * h * b, 0.070 * h * b**0.5),  # chest
        (z(0.78), w * 0.98, 0.062 * h),
        (z(0.815), w * 0.86, 0.052 * h),  # shoulders
        (z(0.835), w * 0.45, 0.040 * h),
    ]
    loft(torso, [(np.array((0.0, 0.0, zz)), rx, ry) for zz, rx, ry in rings[:2]], look.legs)  # the belt line down
    loft(torso, [(np.array((0.0, 0.0, zz)), rx, ry) for zz, rx, ry in rings[1:]], look.top)
    limb(torso, [(0, 0, z(0.82)), (0, 0.004, z(0.875))], [0.028 * h, 0.026 * h], look.skin)  # neck
    parts["torso"] = torso.node()

    shoulder_z = z(0.80)
    for name, side in (("arm_l", -1), ("arm_r", 1)):
        arm = Mesh(name, seg)
        upper, fore = 0.186 * h, 0.146 * h
        if seated:  # forearms forward, hands resting on the thighs
            elbow = (side * 0.012 * h, 0.02 * h, -upper)
            wrist = (side * -0.015 * h, elbow[1] + fore * 0.85, -upper + fore * 0.1)
        else:
            elbow = (side * 0.025 * h, -0.01 * h, -upper)
            wrist = (side * 0.028 * h, 0.02 * h, -upper - fore)
        sleeve = look.top
        if look.long_sleeves:
            limb(arm, [(0, 0, 0), elbow, wrist], [0.030 * h * b, 0.024 * h, 0.019 * h], sleeve)
        else:
            mid = tuple(0.4 * np.array(elbow))
            limb(arm, [(0, 0, 0.01), mid], [0.031 * h * b, 0.028 * h * b], sleeve)
            limb(arm, [mid, elbow, wrist], [0.025 * h, 0.022 * h, 0.017 * h], look.skin)
        d = np.array(wrist) - np.array(elbow)
        hand = np.array(wrist) + d / np.linalg.norm(d) * 0.045 * h
        ellipsoid(arm, tuple(hand), (0.018 * h, 0.022 * h, 0.04 * h if not seated else 0.02 * h), look.skin)
        parts[name] = arm.node()

    head = Mesh("head", seg)
    fine = seg >= SEG
    cz, rx, ry, rz = 0.058 * h, 0.046 * h, 0.056 * h, 0.066 * h  # skull centre above the neck pivot
    ellipsoid(head, (0, 0.006 * h, cz), (rx, ry, rz), look.skin)
    ellipsoid(head, (0, 0.018 * h, cz - 0.03 * h), (rx * 0.66, ry * 0.6, rz * 0.42), look.skin)  # jaw and chin
    if fine:
        ellipsoid(
            head, (0, ry + 0.004 * h, cz - 0.006 * h), (0.0065 * h, 0.008 * h, 0.012 * h), _shade(look.skin, 0.92)
        )
    for side in (-1, 1):
        ellipsoid(head, (side * 0.016 * h, ry + 0.0008 * h, cz + 0.008 * h), (0.003 * h,) * 3, (0.1, 0.07, 0.05, 1))
        if not fine:
            continue
        ellipsoid(
            head,
            (side * 0.016 * h, ry - 0.002 * h, cz + 0.008 * h),
            (0.0055 * h, 0.004 * h, 0.0035 * h),
            (0.85, 0.84, 0.8, 1),
        )
        ellipsoid(
            head,
            (side * 0.016 * h, ry - 0.001 * h, cz + 0.018 * h),
            (0.008 * h, 0.003 * h, 0.0015 * h),
            _shade(look.hair, 0.9),
        )
        ellipsoid(head, (side * rx * 0.98, 0.0, cz), (0.008 * h, 0.014 * h, 0.02 * h), _shade(look.skin, 0.95))
    _hair(head, (0, 0.002 * h, cz + 0.002 * h), (rx * 1.1, ry * 1.1, rz * 1.08), look)
    parts["head"] = head.node()
    pivots = Pivots(
        hips=(0.0, 0.0, hip_z),
        shoulder_l=(-w * 0.88, 0.0, shoulder_z),
        shoulder_r=(w * 0.88, 0.0, shoulder_z),
        neck=(0.0, 0.004 * h, z(0.87)),
        eye=(0.0, ry, cz + 0.01 * h),
    )
    return parts, pivots


def _hair(m: Mesh, centre: tuple[float, ...], radii: tuple[float, float, float], look: Look) -> None:
    """A cap over the skull: high over the forehead, down to the nape (or the shoulders) behind."""
    rx, ry, rz = radii
    phi = np.linspace(0, 2 * math.pi, 2 * m.seg + 1)
    front = np.cos(phi - math.pi / 2)  # 1 at the face (+y), -1 at the back
    reach = np.where(front > 0, 75 - 15 * front, 75 + (50 if look.long_hair else 30) * -front)
    rows = 7
    pts, nrm = [], []
    for k in range(rows + 1):
        theta = np.radians(reach * k / rows)
        below = np.maximum(theta - math.pi / 2, 0.0)  # past the equator long hair hangs straight down
        t = np.minimum(theta, math.pi / 2)
        x, y = rx * np.sin(t) * np.cos(phi), ry * np.sin(t) * np.sin(phi)
        zz = rz * np.cos(t) - below * rz * 1.2
        pts.append(np.stack([x, y, zz], 1) + centre)
        n = np.stack([np.sin(t) * np.cos(phi) / rx, np.sin(t) * np.sin(phi) / ry, np.cos(t) / rz], 1)
        nrm.append(n / np.linalg.norm(n, axis=1, keepdims=True))
    m.grid(np.array(pts[::-1]), np.array(nrm[::-1]), look.hair)  # rows run upward, as in loft


_SKIN = [
    (0.96, 0.80, 0.69),
    (0.91, 0.72, 0.58),
    (0.80, 0.59, 0.45),
    (0.66, 0.46, 0.33),
    (0.48, 0.33, 0.23),
    (0.36, 0.24, 0.17),
]
_HAIR = [
    (0.08, 0.06, 0.05),
    (0.22, 0.14, 0.08),
    (0.40, 0.26, 0.14),
    (0.72, 0.58, 0.36),
    (0.55, 0.53, 0.52),
    (0.45, 0.18, 0.08),
]
_TOPS = [
    (0.18, 0.25, 0.42), (0.55, 0.12, 0.14), (0.85, 0.85, 0.82), (0.22, 0.40, 0.30), (0.35, 0.35, 0.38),
    (0.72, 0.55, 0.25), (0.45, 0.30, 0.50), (0.12, 0.12, 0.13), (0.40, 0.55, 0.70), (0.80, 0.45, 0.35),
]  # fmt: skip
_LEGS = [(0.12, 0.15, 0.25), (0.20, 0.20, 0.22), (0.45, 0.40, 0.30), (0.08, 0.08, 0.09), (0.30, 0.35, 0.45)]


def looks(rng: np.random.Generator, n: int) -> list[Look]:
    """``n`` seeded people: statures of adult women and men (means 1.64 and 1.77 m)."""
    out = []
    for _ in range(n):
        woman = rng.random() < 0.5
        height = float(np.clip(rng.normal(1.64 if woman else 1.77, 0.065), 1.50, 1.96))

        def pick(table: list, jitter: float = 0.06) -> RGBA:
            c = np.array(table[rng.integers(len(table))]) * (1 + rng.uniform(-jitter, jitter))
            return (*np.clip(c, 0, 1), 1.0)

        out.append(
            Look(
                height=height,
                build=float(rng.uniform(0.85, 1.0) if woman else rng.uniform(0.95, 1.22)),
                skin=pick(_SKIN, 0.04),
                hair=pick(_HAIR),
                top=pick(_TOPS, 0.12),
                legs=pick(_LEGS),
                shoes=pick([(0.1, 0.08, 0.07), (0.3, 0.2, 0.12), (0.8, 0.8, 0.8)]),
                long_hair=bool(woman and rng.random() < 0.7),
                long_sleeves=bool(rng.random() < 0.6),
                skirt=bool(woman and rng.random() < 0.3),
            )
        )
    return out
