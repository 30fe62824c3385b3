"""The ``spiders`` entity: a swarm of articulated spiders that walk toward the patient.

``Swarm`` (swarm.py) decides where each spider is, which way it faces and how far its legs
have stepped; ``Spider`` (spider.py) draws one. This module joins them to the scene: the
bindable numbers, the patient's position in the swarm's frame, and the floor footprints of
the entities named in ``avoid`` (read every frame, so furniture that a binding moves is
still avoided).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from panda3d.core import NodePath

from engine.errors import VrexError
from engine.scenario.spec import Entity
from engine.scene.spider import Spider
from engine.scene.swarm import Swarm

log = logging.getLogger(__name__)

PROPS = ("count", "size", "speed", "distance", "reach")


class SpiderSwarm:
    def __init__(self, entity: Entity, node: NodePath, registry: dict[str, Any]):
        self.node = node  # the swarm's frame: spiders walk on its z = 0 plane
        self.registry = registry  # every named entity, filled in by the time the scene runs
        self.avoid = tuple(entity["avoid"])
        self.swarm = Swarm(entity["count"], entity["seed"], entity["area"], entity["bounds"], entity["keep_away"])
        for prop in PROPS[1:]:
            setattr(self.swarm, prop, float(entity[prop]))
        self.spiders = [Spider(node, f"spider{i}") for i in range(entity["count"])]
        for spider in self.spiders:
            spider.root.hide()  # until placed: never a heap of spiders at the origin
        self.dirty = True
        # Until time first runs (previews only ever update(0); a session before its first
        # frame) a change shows the swarm as it is at the new values at once. Once time has
        # run, nobody is ever moved but by walking. The patient is not known before the first
        # update, so that update places everyone again from where the patient really is.
        self.live = False
        self.fresh = True

    def set(self, prop: str, value: Any) -> None:
        if prop == "count":
            self.swarm.show(int(round(value)))
        else:
            setattr(self.swarm, prop, float(value))
        self.dirty = True
        if not self.live:
            self._settle()

    def update(self, dt: float, viewpoint: Any) -> None:
        """Move the swarm on by ``dt`` s; ``viewpoint``: the eye in the scene root's frame."""
        if self.node.getNetTransform().isSingular():
            return  # scaled to nothing (a group or binding at scale 0): no frame to walk in, none seen
        eye = self.node.getRelativePoint(self.node.getTop(), viewpoint)
        self.swarm.patient = np.array([eye.x, eye.y])
        self.swarm.obstacles = self._footprints()
        if self.fresh or (not self.live and self.dirty):
            self.fresh = False
            self._settle()
        if dt > 0:
            self.live = True
            self.swarm.step(dt)  # spiders shown since the last step are placed, clear of the rest
            self._draw()

    def _settle(self) -> None:
        """Every spider shown placed where its crawl has got to, clear of the rest."""
        self.swarm.placed[:] = False
        self.swarm.step(0.0)
        self.dirty = False
        self._draw()

    def positions(self) -> np.ndarray:
        """Floor positions (m, swarm frame) of the spiders shown."""
        return self.swarm.pos[: self.swarm.active].copy()

    def _draw(self) -> None:
        s = self.swarm
        for i, spider in enumerate(self.spiders):
            if i >= s.active:
                spider.root.hide()
                continue
            spider.root.show()
            spider.root.setPosHprScale(s.pos[i, 0], s.pos[i, 1], 0.0, s.heading[i], 0.0, 0.0, s.size, s.size, s.size)
            spider.pose(float(s.gait[i]))

    def _footprints(self) -> np.ndarray:
        rects = []
        for name in self.avoid:
            other = self.registry.get(name)
            if other is None:  # validation checks the names; a stand-in scene may not
                raise VrexError(f"spiders avoid '{name}', which is not an entity id")
            bounds = other.outer.getTightBounds(self.node)
            if bounds is None:  # nothing drawn (a light, an empty group): nothing to avoid
                continue
            lo, hi = bounds
            rects.append((lo.x, lo.y, hi.x, hi.y))
        return np.array(rects, float).reshape(-1, 4)
