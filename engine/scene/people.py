"""A ``people`` entity in the scene: stylised people who appear, come nearer, look and fidget.

Each person is a small tree: ``person`` (place and heading) → ``body`` (turns a standing person
toward the patient, shifts their weight) → ``upper`` (leans and twists at the hips) → two arms
(at the shoulders) and the head (at the neck). ``engine/scene/figure.py`` makes the meshes.

Attention: of the people shown, the first ``round(attention × shown)`` in a seeded order turn
their heads (then shoulders, then, standing, their bodies) toward the viewpoint; the others
look where they looked before (a phone, a neighbour, the floor). Raising attention only ever
adds watchers. Heads ease toward their targets as time passes (``animate``); while no time
passes (a preview renders each level with dt = 0) they are placed where they would settle,
so a still image shows the level as it is. Restlessness: weight shifts, leaning, head movements
and a hand lifted now and then, each person at their own seeded rhythm; the phases advance only
by ``dt``, so runs are repeatable, and at 0 nobody moves. Nothing here touches the viewpoint.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from panda3d.core import LODNode, NodePath

from engine.scenario.people import layout
from engine.scenario.spec import Entity
from engine.scene import figure

log = logging.getLogger(__name__)

EASE_S = 0.35  # s: time constant of a head turning to a new target
MAX_TURN = 160.0  # deg/s: the fastest a head turns
HEAD_YAW, TWIST = 70.0, 30.0  # deg: what the neck, then the shoulders, take of a turn
HEAD_PITCH = 40.0
NEAR = 3.0  # m: nearer than this a person has a face (nose, ears, brows) and rounder limbs
FAR_SEG = 6  # facets round a limb further away: a hall of 72 is then a third of the triangles
SETTLED = 1e-3  # deg: nearer than this to the target, a head stops (so a still crowd is still)


class Crowd:
    """The people of one entity under ``parent`` (its motion node), and their state."""

    def __init__(self, entity: Entity, parent: NodePath):
        params = entity.params
        lay = layout(params)
        assert not isinstance(lay, str), lay  # validation places the same layout first
        self.order = lay.order
        self.seated = params["pose"] == "seated"
        self.distance = float(params["distance"])
        self.attention = float(params["attention"])
        self.restlessness = float(params["restlessness"])
        self.viewpoint: NodePath | None = None
        self.running = False  # becomes true at the first animate() with time passing
        n = len(lay.points)
        rng = np.random.default_rng([int(params["seed"]), 1])
        self.layer = parent.attachNewNode("layout")
        self.layer.setY(self.distance)
        self.persons, self.bodies, self.uppers, self.heads, self.arms = [], [], [], [], []
        for i, look in enumerate(figure.looks(rng, n)):
            parts, piv = _detailed(look, self.seated)
            person = self.layer.attachNewNode(f"person{i}")
            person.setPos(*lay.points[i])
            person.setH(float(lay.headings[i]))
            body = person.attachNewNode("body")
            body.attachNewNode(parts["legs"])
            upper = body.attachNewNode("upper")
            upper.setPos(*piv.hips)
            upper.attachNewNode(parts["torso"]).setPos(*(-np.array(piv.hips)))
            arms = []
            for name, at in (("arm_l", piv.shoulder_l), ("arm_r", piv.shoulder_r)):
                arm = upper.attachNewNode(name)
                arm.setPos(*(np.array(at) - piv.hips))
                arm.attachNewNode(parts[name])
                arms.append(arm)
            head = upper.attachNewNode("head")
            head.setPos(*(np.array(piv.neck) - piv.hips))
            head.attachNewNode(parts["head"])
            self.persons.append(person)
            self.bodies.append(body)
            self.uppers.append(upper)
            self.heads.append(head)
            self.arms.append(arms)
        # Where each looks when not watching the patient: a phone, a neighbour, the floor ahead.
        kind = rng.integers(0, 3, n)
        side = rng.choice([-1.0, 1.0], n)
        self.idle = np.stack(
            [
                np.where(kind == 1, side * rng.uniform(30, 60, n), rng.uniform(-12, 12, n)),
                np.where(kind == 0, rng.uniform(-42, -30, n), rng.uniform(-14, 2, n)),
            ],
            1,
        )
        self.rank = rng.permutation(n)  # who watches first as attention rises
        self.freq = rng.uniform(0.5, 1.4, (n, 6))  # relative rhythm of each fidget
        self.phase0 = rng.uniform(0, 2 * math.pi, (n, 6))
        self.clock = 0.0  # integrated fidget time: advances faster when more restless
        self.turn = np.zeros((n, 2))  # current (yaw, pitch) toward the target, deg
        self.target = np.zeros((n, 2))
        self.shown = n
        self.visible = np.ones(n, bool)
        self.base_pos = np.asarray(lay.points, float)
        self.base_h = np.asarray(lay.headings, float)
        self.neck = np.array([[*(h.getPos() + u.getPos())] for h, u in zip(self.heads, self.uppers)])
        self._posed: np.ndarray | None = None
        self._targets()
        self.turn[:] = self.target
        self._pose()
        log.debug("%s: %d people (%s, %s)", entity.id, n, params["layout"], params["pose"])

    # -- what bindings set --------------------------------------------------------------------

    def set(self, prop: str, value: Any) -> None:
        if prop == "count":
            self.show(int(round(value)))
        elif prop == "distance":
            self.distance = float(value)
            self.layer.setY(self.distance)
        elif prop == "attention":
            self.attention = float(value)
        elif prop == "restlessness":
            self.restlessness = float(value)
        else:
            raise AssertionError(f"no setter for people.{prop}")

    def show(self, n: int) -> None:
        self.shown = max(0, min(n, len(self.persons)))
        self.visible[:] = False
        self.visible[self.order[: self.shown]] = True
        for person, on in zip(self.persons, self.visible.tolist()):
            person.show() if on else person.hide()
        self._posed = None  # those who appear take their pose

    def settle(self) -> None:
        """After bindings changed: new head targets; placed at once while no time passes."""
        self._posed = None
        self._targets()
        if not self.running:
            self.turn[:] = self.target
        self._pose()

    def watching(self) -> np.ndarray:
        """Whether each person (index of the layout) is among those who watch the patient."""
        shown = self.order[: self.shown]
        k = int(round(self.attention * len(shown)))
        out = np.zeros(len(self.persons), bool)
        out[shown[np.argsort(self.rank[shown], kind="stable")[:k]]] = True
        return out

    # -- time ---------------------------------------------------------------------------------

    def animate(self, dt: float) -> None:
        if dt <= 0.0:
            return
        self.running = True
        self.clock += dt * (0.4 + 0.8 * self.restlessness)
        self._targets()
        diff = self.target - self.turn
        step = np.clip(diff * (1.0 - math.exp(-dt / EASE_S)), -MAX_TURN * dt, MAX_TURN * dt)
        self.turn = np.where(np.abs(diff) < SETTLED, self.target, self.turn + step)
        self._pose()

    # -- internals ----------------------------------------------------------------------------

    def _targets(self) -> None:
        watching = self.watching()
        self.target[:] = self.idle
        if self.viewpoint is None or not watching.any() or self.layer.getNetTransform().isSingular():
            return  # (singular: scaled to nothing by a group or binding, so no eye in their frame)
        eye = self.viewpoint.getPos(self.layer)
        d = np.array([eye.x, eye.y, eye.z]) - self.base_pos
        h = np.radians(self.base_h)
        # the eye in each person's own frame (undo their heading), seen from their neck
        local = np.stack(
            [d[:, 0] * np.cos(h) + d[:, 1] * np.sin(h), -d[:, 0] * np.sin(h) + d[:, 1] * np.cos(h), d[:, 2]], 1
        )
        local -= self.neck
        yaw = np.degrees(np.arctan2(-local[:, 0], local[:, 1]))
        pitch = np.degrees(np.arctan2(local[:, 2], np.hypot(local[:, 0], local[:, 1])))
        self.target[watching] = np.stack([yaw, pitch], 1)[watching]

    def _pose(self) -> None:
        r = self.restlessness
        if r == 0.0 and self._posed is not None and np.array_equal(self._posed, self.turn):
            return  # nobody fidgets and every head is where it was: nothing to write
        self._posed = self.turn.copy() if r == 0.0 else None
        yaw, pitch = self.turn[:, 0], self.turn[:, 1]
        head_yaw = np.clip(yaw, -HEAD_YAW, HEAD_YAW)
        twist = np.clip(yaw - head_yaw, -TWIST, TWIST)
        body_yaw = np.zeros_like(yaw) if self.seated else yaw - head_yaw - twist
        s = r * np.sin(self.clock * 2 * math.pi * self.freq * _RHYTHM + self.phase0)
        lift = (
            55
            * r
            * np.maximum(0.0, np.sin(self.clock * 2 * math.pi * 0.07 * self.freq[:, 4:] + self.phase0[:, :2])) ** 6
        )
        shift = np.zeros_like(yaw) if self.seated else 0.035 * s[:, 0]
        lean = (5.0 if self.seated else 2.5) * s[:, 1]
        upper = np.stack([twist + 6 * s[:, 2], lean, -4.0 * s[:, 0]], 1)
        head = np.stack([head_yaw + 18 * s[:, 3], np.clip(pitch, -HEAD_PITCH, HEAD_PITCH) + 8 * s[:, 4]], 1)
        splay = 0.0 if self.seated else 4.0
        for i in np.flatnonzero(self.visible).tolist():
            self.bodies[i].setPosHpr(float(shift[i]), 0, 0, float(body_yaw[i]), 0, 0)
            self.uppers[i].setHpr(*upper[i].tolist())
            self.heads[i].setHpr(float(head[i, 0]), float(head[i, 1]), 0)
            self.arms[i][0].setHpr(0, float(lift[i, 0]), -splay)
            self.arms[i][1].setHpr(0, float(lift[i, 1]), splay)


_RHYTHM = np.array([0.25, 0.31, 0.2, 0.17, 0.11, 0.13])  # Hz at a relative rhythm of 1: slow human fidgets


def _detailed(look: figure.Look, seated: bool) -> tuple[dict[str, LODNode], figure.Pivots]:
    """Each part as a LODNode: the full mesh near the eye, a coarser one beyond ``NEAR``."""
    near, pivots = figure.build(look, seated)
    far, _ = figure.build(look, seated, FAR_SEG)
    out = {}
    for name, mesh in near.items():
        lod = LODNode(name)
        lod.addSwitch(NEAR, 0.0)
        lod.addChild(mesh)
        lod.addSwitch(1e5, NEAR)
        lod.addChild(far[name])
        out[name] = lod
    return out, pivots
