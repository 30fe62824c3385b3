"""One scenario entity as Panda3D nodes, and the setters that bindings call.

Every entity gets two nodes: ``outer`` carries its position, rotation and scale (what the
author wrote and bindings change) and ``inner`` carries procedural motion, so motion and
bindings compose instead of fighting. Arrays and scatters add one pair per copy. What only
some types carry (a swarm, a crowd, a clip, a label, a flicker) is a ``Part``
(``engine/scene/parts.py``), asked first for its own properties. ``engine/scene/build.py``
builds the nodes from a scenario's entities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from panda3d.core import CompassEffect, Fog, NodePath

from engine.motion import MotionState
from engine.scenario.spec import Entity
from engine.scene import geometry
from engine.scene.parts import Part


class EntityNode:
    def __init__(self, entity: Entity, parent: NodePath):
        self.entity = entity
        self.outer = parent.attachNewNode(entity.id or entity.type)
        self.inner = self.outer.attachNewNode("motion")
        self.position = list(entity.get("position", (0.0, 0.0, 0.0)))
        self.rotation = list(entity.get("rotation", (0.0, 0.0, 0.0)))
        self.scale = list(entity.get("scale", (1.0, 1.0, 1.0)))
        self.copies: list[NodePath] = []  # motion node of each copy
        self.count = 1
        self.motion: MotionState | None = None
        self.amplitude = self.speed = 0.0
        self.light: Any = None
        self.fog: Fog | None = None
        self.sky: NodePath | None = None
        self.sound: Any = None
        self.colour = entity.get("colour")
        self.strength = entity.get("strength", 1.0)
        self.volume = entity.get("volume", 1.0)
        self.density = entity.get("density", 0.0)
        self._towards: np.ndarray | None = None
        self._at_rest = True
        self.parts: list[Part] = []
        # the parts' own objects, by name, for tests and tools that read the scene back
        self.crowd: Any = None  # a people entity's Crowd (engine/scene/people.py)
        self.swarm: Any = None  # a 'spiders' entity's SpiderSwarm
        self.clip: Any = None  # a model's ClipPlayer
        self.label: NodePath | None = None  # a text entity's TextNode
        self.flicker: Any = None  # a light's FlickerState

    # -- setters used by bindings ----------------------------------------------------------

    def set(self, prop: str, value: Any) -> None:
        for part in self.parts:
            if prop in part.props:
                part.set(prop, value)
                return
        if prop.startswith(("position", "rotation", "scale")):
            target = {"p": self.position, "r": self.rotation, "s": self.scale}[prop[0]]
            if "." in prop:
                target["xyz".index(prop[-1]) if prop[0] != "r" else "hpr".index(prop[-1])] = float(value)
            else:
                target[:] = [float(v) for v in value]
            return
        setter = _SETTERS.get(prop)
        if setter is None:
            raise AssertionError(f"no setter for {prop}")  # validation lists the same names
        setter(self, value)

    def push(self) -> None:
        """Write position, rotation and scale to the node once all bindings have been set."""
        self.outer.setPosHprScale(*self.position, *self.rotation, *self.scale)
        for part in self.parts:
            part.settle()  # e.g. heads aim once every binding (the viewpoint's too) is set

    def show(self, visible: bool) -> None:
        if self.light is not None:
            root = self.outer.getTop()
            root.setLight(self.light) if visible else root.clearLight(self.light)
        self.outer.show() if visible else self.outer.hide()

    def show_copies(self, n: int) -> None:
        if n == self.count:
            return
        self.count = n
        for i, copy in enumerate(self.copies):
            copy.show() if i < n else copy.hide()

    def animate(self, dt: float, viewpoint: Any) -> None:
        for part in self.parts:
            part.animate(dt, viewpoint)
        if self.motion is None:
            return
        targets = self.copies or [self.inner]
        if self.amplitude == 0.0 and self.motion.kind != "spin":
            if not self._at_rest:  # back to the neutral pose, once (amplitude fell smoothly)
                for node in targets:
                    node.setPosHpr(0, 0, 0, 0, 0, 0)
                self._at_rest = True
            return
        self._at_rest = False
        self.motion.advance(dt, self.amplitude, self.speed)
        if self.motion.kind == "approach":
            self._towards = self._directions(viewpoint, targets)
        pos, hpr = self.motion.pose(self.amplitude, self._towards)
        for i, node in enumerate(targets):
            if i >= self.count and self.copies:
                break
            node.setPosHpr(*pos[i], *hpr[i])

    def attach_to_viewpoint(self, viewpoint: NodePath, root: NodePath) -> None:
        for part in self.parts:
            part.attach(viewpoint)
        if self.sky is not None:
            # The dome follows the eye, so the sky never comes nearer however high we go.
            self.sky.setEffect(CompassEffect.make(viewpoint, CompassEffect.PPos))

    def destroy(self) -> None:
        for part in self.parts:
            part.destroy()
        if self.sound is not None:
            self.sound.stop()
        if self.light is not None:
            self.outer.getTop().clearLight(self.light)
        if self.fog is not None:
            self.outer.getTop().clearFog()

    # -- the plain setters (``_SETTERS``) ------------------------------------------------------

    def _set_colour(self, value: Any) -> None:
        self.colour = value
        self._apply_colour()

    def _set_opacity(self, value: Any) -> None:
        self.outer.setAlphaScale(float(value))

    def _set_visible(self, value: Any) -> None:
        self.show(bool(value))

    def _set_count(self, value: Any) -> None:
        self.show_copies(int(round(value)))

    def _set_item_scale(self, value: Any) -> None:
        for copy in self.copies:  # each copy grows in place; the layout stays
            copy.setScale(*value)

    def _set_amplitude(self, value: Any) -> None:
        self.amplitude = float(value)

    def _set_speed(self, value: Any) -> None:
        self.speed = float(value)

    def _set_strength(self, value: Any) -> None:
        self.strength = float(value)
        self._apply_colour()

    def _set_density(self, value: Any) -> None:
        self.density = float(value)
        assert self.fog is not None  # only fog has a density (properties.py)
        self.fog.setExpDensity(self.density)

    def _set_volume(self, value: Any) -> None:
        self.volume = float(value)
        if self.sound is not None:
            self.sound.setVolume(self.volume)

    def _set_horizon(self, value: Any) -> None:
        self.entity.params["horizon_colour"] = value
        self._rebuild_sky()

    # -- internals ----------------------------------------------------------------------------

    def _directions(self, viewpoint: Any, targets: list[NodePath]) -> np.ndarray:
        out = np.zeros((len(targets), 2))
        for i, node in enumerate(targets):
            base = node.getParent().getPos(node.getTop())
            d = np.array([viewpoint.x - base.x, viewpoint.y - base.y])
            out[i] = d / max(float(np.hypot(*d)), 1e-6)
        return out

    def _apply_colour(self) -> None:
        if self.colour is None:
            return
        if self.light is not None:
            r, g, b, a = self.colour
            k = self.strength * (self.flicker.factor() if self.flicker is not None else 1.0)
            self.light.node().setColor((r * k, g * k, b * k, a))
        elif self.fog is not None:
            self.fog.setColor(*self.colour[:3])
        elif self.sky is not None:
            self.entity.params["colour"] = self.colour
            self._rebuild_sky()
        else:
            self.outer.setColor(*self.colour)

    def _rebuild_sky(self) -> None:
        old = self.sky
        self.sky = self.outer.attachNewNode(geometry.sky_dome(self.entity["colour"], self.entity["horizon_colour"]))
        _style_sky(self.sky)
        if old is not None:
            self.sky.setEffect(old.getEffect(CompassEffect.getClassType()))
            old.removeNode()


_SETTERS: dict[str, Callable[[EntityNode, Any], None]] = {
    "colour": EntityNode._set_colour,
    "opacity": EntityNode._set_opacity,
    "visible": EntityNode._set_visible,
    "count": EntityNode._set_count,
    "item_scale": EntityNode._set_item_scale,
    "motion.amplitude": EntityNode._set_amplitude,
    "motion.speed": EntityNode._set_speed,
    "strength": EntityNode._set_strength,
    "density": EntityNode._set_density,
    "volume": EntityNode._set_volume,
    "horizon_colour": EntityNode._set_horizon,
}


def _style_sky(sky: NodePath) -> None:
    sky.setBin("background", 0)
    sky.setDepthWrite(False)
    sky.setLightOff(1)
    sky.setFogOff(1)
