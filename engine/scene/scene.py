"""``Scene``: a validated scenario built under a root ``NodePath``, driven by intensity.

The scene never owns a window or an app (the simplepbr habit): give it a root node, and
optionally an audio manager, and it can be built, driven and inspected in a test.

    scene = Scene(spec, render)
    scene.apply(0.5)      # every binding evaluated at intensity 0.5
    scene.update(dt)      # procedural motion advances by dt seconds

On a screen the camera is the viewpoint node itself: position, rotation and look combined,
as the author wrote them. In a headset the head belongs to the patient: ``rig_pose()`` gives
a level rig (position and heading only) to hang the head under, and ``gaze()`` says where
the patient is asked to look relative to that rig.
"""

from __future__ import annotations

import math
from typing import Any

from panda3d.core import NodePath, TransformState

from engine.curves import evaluate
from engine.scenario.spec import ScenarioSpec
from engine.scene.build import build_entity
from engine.scene.entities import EntityNode

Pose = tuple[tuple[float, float, float], tuple[float, ...]]
RigPose = tuple[tuple[float, float, float], float]


class Scene:
    def __init__(self, spec: ScenarioSpec, root: NodePath, audio: Any = None):
        self.spec = spec
        self.root = root.attachNewNode(f"scenario:{spec.meta.id}")
        self.intensity: float | None = None
        self.values: dict[str, Any] = {}  # last value applied per binding target
        self.fov = spec.viewpoint.fov
        self.background = spec.calm.colour
        self.nodes: dict[str, EntityNode] = {}  # entities with an id
        self.built: list[EntityNode] = []  # every entity, named or not
        bound: dict[str, set[str]] = {}
        for b in spec.bindings:
            bound.setdefault(b.entity, set()).add(b.prop)
        for e in spec.entities:
            build_entity(e, self.root, spec.path.parent, audio, bound, self.nodes, self.built)
        for node in self.built:
            parent = node.entity.get("parent")
            if parent is not None:
                node.outer.reparentTo(self.nodes[parent].inner)
        vp = spec.viewpoint
        anchor = self.nodes[vp.parent].inner if vp.parent else self.root
        self.viewpoint = anchor.attachNewNode("viewpoint")
        self._viewpoint_base = [list(vp.position), list(vp.rotation)]
        self._look = list(vp.look)
        self._place_viewpoint()
        for node in self.built:
            node.attach_to_viewpoint(self.viewpoint, self.root)
        sky = [n for n in self.built if n.entity.type == "sky"]
        if sky:
            self.background = sky[0].entity["horizon_colour"]

    # -- intensity ---------------------------------------------------------------------

    def apply(self, intensity: float) -> None:
        """Set every bound property to its value at ``intensity`` (clamped to [0, 1])."""
        intensity = min(1.0, max(0.0, float(intensity)))
        if intensity == self.intensity:
            return  # bindings depend on intensity alone: nothing would change
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
        for node in self.built:
            node.animate(dt, here)

    # -- what the app and tests read -----------------------------------------------------

    def node(self, entity_id: str) -> NodePath:
        return self.nodes[entity_id].outer

    def viewpoint_pose(self) -> Pose:
        """Eye position (m) and angles (deg): heading, pitch, roll and field of view, since a
        zoom is felt like a turn."""
        pos, hpr = self.viewpoint.getPos(self.root), self.viewpoint.getHpr(self.root)
        return (pos.x, pos.y, pos.z), (hpr.x, hpr.y, hpr.z, self.fov)

    def rig_pose(self) -> RigPose:
        """Where a headset's level rig goes: the viewpoint's position in the scene root's
        coordinates and its heading (deg, -180 to 180), without the look and without any
        pitch or roll of the viewpoint or of what carries it (turning a patient's head makes
        them sick). The heading is the sum of the headings down the chain, so a rolling
        carrier cannot make the rig yaw either."""
        pos = self.viewpoint.getPos(self.root)
        return (pos.x, pos.y, pos.z), self._rig_heading()

    def gaze(self) -> tuple[float, float]:
        """Where the patient is asked to look: heading and pitch (deg) relative to the rig.

        It is the direction the screen's eye looks, seen from the rig: the scenario's
        'look' when the viewpoint is level (every shipped scenario), and also any pitch a
        desktop-only scenario gives the viewpoint or what carries it, so that such a pitch
        becomes a gaze target in a headset instead of a turn of the patient's head.
        (0, 0): straight ahead."""
        heading = math.radians(self._rig_heading())
        f = self.viewpoint.getQuat(self.root).getForward()
        # the eye's forward direction in the rig's frame: undo the rig's heading
        x = f.x * math.cos(heading) + f.y * math.sin(heading)
        y = -f.x * math.sin(heading) + f.y * math.cos(heading)
        return math.degrees(math.atan2(-x, y)) + 0.0, math.degrees(math.atan2(f.z, math.hypot(x, y))) + 0.0

    def pose_at(self, intensity: float) -> Pose:
        """The viewpoint's pose if intensity were ``intensity`` (applies it)."""
        self.apply(intensity)
        return self.viewpoint_pose()

    def destroy(self) -> None:
        for node in self.built:
            node.destroy()
        self.root.removeNode()

    # -- internals -----------------------------------------------------------------------

    def _set_viewpoint(self, prop: str, value: Any) -> None:
        pos, hpr = self._viewpoint_base
        if prop == "fov":
            self.fov = float(value)
            return
        target = pos if prop.startswith("position") else self._look if prop.startswith("look") else hpr
        if "." in prop:
            target[("xyz" if target is pos else "hpr").index(prop[-1])] = float(value)
        else:
            target[:] = [float(v) for v in value]
        self._place_viewpoint()

    def _place_viewpoint(self) -> None:
        """The screen's eye: the look turns it from the viewpoint's own rotation."""
        pos, hpr = self._viewpoint_base
        (look_h, look_p), (h, p, r) = self._look, hpr
        if p == 0.0 and r == 0.0:
            # the usual case, exactly as a rotation binding would set it (same images)
            eye = (h + look_h, look_p, 0.0)
        else:
            eye = tuple(
                TransformState.makeHpr(tuple(hpr)).compose(TransformState.makeHpr((look_h, look_p, 0.0))).getHpr()
            )
        self.viewpoint.setPosHpr(*pos, *eye)

    def _rig_heading(self) -> float:
        heading = self._viewpoint_base[1][0]  # the viewpoint's own, without the look
        node = self.viewpoint.getParent()
        while not node.isEmpty() and node != self.root:
            heading += node.getH()  # entities' transforms and their motion
            node = node.getParent()
        return (heading + 180.0) % 360.0 - 180.0 + 0.0  # + 0.0: never -0.0
