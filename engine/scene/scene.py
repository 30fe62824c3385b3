"""``Scene``: a validated scenario built under a root ``NodePath``, driven by intensity.

The scene never owns a window or an app (the simplepbr habit): give it a root node, and
optionally an audio manager, and it can be built, driven and inspected in a test.

    scene = Scene(spec, render)
    scene.apply(0.5)      # every binding evaluated at intensity 0.5
    scene.update(dt)      # procedural motion advances by dt seconds
"""

from __future__ import annotations

from typing import Any

from panda3d.core import CardMaker, NodePath, TransparencyAttrib

from engine.curves import evaluate
from engine.scene.entities import EntityNode, build_entity
from engine.scenario.spec import ScenarioSpec

Pose = tuple[tuple[float, float, float], tuple[float, float, float]]


class Scene:
    def __init__(self, spec: ScenarioSpec, root: NodePath, audio: Any = None):
        self.spec = spec
        self.root = root.attachNewNode(f"scenario:{spec.meta.id}")
        self.intensity: float | None = None
        self.values: dict[str, Any] = {}          # last value applied per binding target
        self.fov = spec.viewpoint.fov
        self.background = spec.calm.colour
        self.nodes: dict[str, EntityNode] = {}
        bound = {b.entity for b in spec.bindings}
        built = [build_entity(e, self.root, spec.path.parent, audio, bound, self.nodes)
                 for e in spec.entities]
        for node in built + [n for n in self.nodes.values() if n not in built]:
            parent = node.entity.get("parent")
            if parent is not None:
                node.outer.reparentTo(self.nodes[parent].inner)
        vp = spec.viewpoint
        anchor = self.nodes[vp.parent].inner if vp.parent else self.root
        self.viewpoint = anchor.attachNewNode("viewpoint")
        self.viewpoint.setPosHpr(*vp.position, *vp.rotation)
        self._viewpoint_base = [list(vp.position), list(vp.rotation)]
        for node in self.nodes.values():
            node.attach_to_viewpoint(self.viewpoint, self.root)
        if "sky" in {n.entity.type for n in self.nodes.values()}:
            self.background = next(n for n in self.nodes.values() if n.entity.type == "sky").entity["horizon_colour"]
        self.veil = self._make_veil()
        self.set_veil(0.0)

    # -- intensity ---------------------------------------------------------------------

    def apply(self, intensity: float) -> None:
        """Set every bound property to its value at ``intensity`` (clamped to [0, 1])."""
        intensity = min(1.0, max(0.0, float(intensity)))
        if intensity == self.intensity:
            return          # bindings depend on intensity alone: nothing would change
        touched: set[str] = set()
        for b in self.spec.bindings:
            value = evaluate(b.points, b.interpolation, intensity)
            self.values[b.target] = value
            if b.entity == "viewpoint":
                self._set_viewpoint(b.prop, value)
            else:
                self.nodes[b.entity].set(b.prop, value)
                touched.add(b.entity)
        for entity_id in touched:
            self.nodes[entity_id].push()
        self.intensity = intensity

    def update(self, dt: float) -> None:
        """Advance procedural motion by ``dt`` seconds (never by wall-clock time)."""
        here = self.viewpoint.getPos(self.root)
        for node in self.nodes.values():
            node.animate(dt, here)

    # -- what the app and tests read -----------------------------------------------------

    def node(self, entity_id: str) -> NodePath:
        return self.nodes[entity_id].outer

    def viewpoint_pose(self) -> Pose:
        pos, hpr = self.viewpoint.getPos(self.root), self.viewpoint.getHpr(self.root)
        return (pos.x, pos.y, pos.z), (hpr.x, hpr.y, hpr.z)

    def pose_at(self, intensity: float) -> Pose:
        """The viewpoint's pose if intensity were ``intensity`` (applies it)."""
        self.apply(intensity)
        return self.viewpoint_pose()

    def set_veil(self, alpha: float) -> None:
        """Cover the view with the calm colour: 0 clear, 1 opaque (used by the calm fade)."""
        alpha = min(1.0, max(0.0, alpha))
        self.veil_alpha = alpha
        if alpha <= 0.0:
            self.veil.hide()
        else:
            self.veil.show()
            self.veil.setAlphaScale(alpha)

    def destroy(self) -> None:
        for node in self.nodes.values():
            node.destroy()
        self.root.removeNode()

    # -- internals -----------------------------------------------------------------------

    def _set_viewpoint(self, prop: str, value: Any) -> None:
        pos, hpr = self._viewpoint_base
        if prop == "fov":
            self.fov = float(value)
            return
        target = pos if prop.startswith("position") else hpr
        if "." in prop:
            target["xyz".index(prop[-1]) if prop.startswith("position") else "hpr".index(prop[-1])] = float(value)
        else:
            target[:] = [float(v) for v in value]
        self.viewpoint.setPosHpr(*pos, *hpr)

    def _make_veil(self) -> NodePath:
        card = CardMaker("calm-veil")
        card.setFrame(-4, 4, -4, 4)            # at 0.3 m this covers any field of view
        veil = self.viewpoint.attachNewNode(card.generate())
        veil.setY(max(0.3, self.spec.viewpoint.near * 3))
        veil.setColor(*self.spec.calm.colour[:3], 1.0)
        veil.setTransparency(TransparencyAttrib.MAlpha)
        veil.setBin("fixed", 100)
        veil.setDepthTest(False)
        veil.setDepthWrite(False)
        veil.setLightOff(1)
        veil.setFogOff(1)
        veil.setTwoSided(True)
        return veil
