"""One scenario entity as Panda3D nodes, and the setters that bindings call.

Every entity gets two nodes: ``outer`` carries its position, rotation and scale (what the
author wrote and bindings change) and ``inner`` carries procedural motion, so motion and
bindings compose instead of fighting. Arrays and scatters add one pair per copy.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import (
    AmbientLight,
    CompassEffect,
    DirectionalLight,
    Filename,
    Fog,
    Loader,
    NodePath,
    PointLight,
    TransparencyAttrib,
)

from engine.errors import VrexError
from engine.motion import MotionState
from engine.scene import geometry
from engine.scenario.spec import Entity

_SHAPES = ("box", "plane", "cylinder", "sphere", "model", "group", "array", "scatter")


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

    # -- setters used by bindings ----------------------------------------------------------

    def set(self, prop: str, value: Any) -> None:
        if prop.startswith(("position", "rotation", "scale")):
            target = {"p": self.position, "r": self.rotation, "s": self.scale}[prop[0]]
            if "." in prop:
                target["xyz".index(prop[-1]) if prop[0] != "r" else "hpr".index(prop[-1])] = float(value)
            else:
                target[:] = [float(v) for v in value]
        elif prop == "colour":
            self.colour = value
            self._apply_colour()
        elif prop == "opacity":
            self.outer.setAlphaScale(float(value))
        elif prop == "visible":
            self.show(bool(value))
        elif prop == "count":
            self.show_copies(int(round(value)))
        elif prop == "item_scale":
            for copy in self.copies:  # each copy grows in place; the layout stays
                copy.setScale(*value)
        elif prop == "motion.amplitude":
            self.amplitude = float(value)
        elif prop == "motion.speed":
            self.speed = float(value)
        elif prop == "strength":
            self.strength = float(value)
            self._apply_colour()
        elif prop == "density":
            self.density = float(value)
            self.fog.setExpDensity(self.density)
        elif prop == "volume":
            self.volume = float(value)
            if self.sound is not None:
                self.sound.setVolume(self.volume)
        elif prop == "horizon_colour":
            self.entity.params["horizon_colour"] = value
            self._rebuild_sky()
        else:
            raise AssertionError(f"no setter for {prop}")  # validation lists the same names

    def push(self) -> None:
        """Write position, rotation and scale to the node once all bindings have been set."""
        self.outer.setPosHprScale(*self.position, *self.rotation, *self.scale)

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
        if self.sky is not None:
            # The dome follows the eye, so the sky never comes nearer however high we go.
            self.sky.setEffect(CompassEffect.make(viewpoint, CompassEffect.PPos))

    def destroy(self) -> None:
        if self.sound is not None:
            self.sound.stop()
        if self.light is not None:
            self.outer.getTop().clearLight(self.light)
        if self.fog is not None:
            self.outer.getTop().clearFog()

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
            self.light.node().setColor((r * self.strength, g * self.strength, b * self.strength, a))
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


def _style_sky(sky: NodePath) -> None:
    sky.setBin("background", 0)
    sky.setDepthWrite(False)
    sky.setLightOff(1)
    sky.setFogOff(1)


def build_entity(
    entity: Entity,
    parent: NodePath,
    folder: Path,
    audio: Any,
    bound: dict[str, set[str]],
    registry: dict[str, EntityNode],
    built: list[EntityNode],
) -> EntityNode:
    """Build ``entity`` (and its children) under ``parent``. Every node goes into ``built``
    (so motion, lights and sounds of unnamed entities are driven and cleaned up too); named
    ones also into ``registry``. ``bound``: entity id -> the properties bindings drive."""
    node = EntityNode(entity, parent)
    built.append(node)
    if entity.id is not None:
        registry[entity.id] = node
    kind = entity.type
    if kind in ("box", "plane", "cylinder", "sphere"):
        node.inner.attachNewNode(_mesh(entity))
    elif kind == "model":
        _load_model(folder / entity["path"]).reparentTo(node.inner)
    elif kind == "group":
        for child in entity.children:
            build_entity(child, node.inner, folder, audio, bound, registry, built)
    elif kind in ("array", "scatter"):
        _build_copies(node, entity, folder, audio, bound, built)
    elif kind == "light":
        node.light = node.outer.attachNewNode(_light(entity["kind"]))
        node._apply_colour()
        if entity["visible"]:
            parent.getTop().setLight(node.light)
    elif kind == "fog":
        node.fog = Fog("fog")
        node.fog.setExpDensity(entity["density"])
        node._apply_colour()
        parent.getTop().setFog(node.fog)
    elif kind == "sky":
        node._rebuild_sky()
    elif kind == "sound":
        if audio is not None:
            node.sound = audio.getSound(
                Filename.fromOsSpecific(str(folder / entity["path"])), bool(entity.get("positional", False))
            )  # 3-D: placed by SceneRunner
            node.sound.setLoop(entity["loop"])
            node.sound.setVolume(entity["volume"])
            node.sound.play()
    if kind in _SHAPES:
        _style(node, entity, bound.get(entity.id or "", set()))
    motion = entity.get("motion")
    if motion is not None:
        node.amplitude, node.speed = motion.amplitude, motion.speed
        seed = zlib.crc32(f"{entity.id}:{entity.mark.line}:{entity.mark.col}".encode())
        node.motion = MotionState(motion.kind, motion.axis, max(1, len(node.copies)), np.random.default_rng(seed))
    node.push()
    return node


def _style(node: EntityNode, entity: Entity, bound_props: set[str]) -> None:
    if "colour" in entity.marks:
        node._apply_colour()
    # Blending costs sorting and depth-write care: only for what can be see-through.
    translucent = entity["opacity"] < 1.0 or entity["colour"][3] < 1.0 or bool({"opacity", "colour"} & bound_props)
    if translucent:
        node.outer.setTransparency(TransparencyAttrib.MAlpha)
        node.outer.setAlphaScale(entity["opacity"])
    if not entity["lit"]:
        node.outer.setLightOff(1)
    if not entity["visible"]:
        node.outer.hide()


def _build_copies(
    node: EntityNode, entity: Entity, folder: Path, audio: Any, bound: dict[str, set[str]], built: list[EntityNode]
) -> None:
    # The item is built once and instanced. Its own motion (if any) is shared, so all
    # copies move in step; motion on the array/scatter itself gives each copy its own phase.
    template = build_entity(entity["item"], NodePath("template"), folder, audio, {}, {}, built)
    n = entity["count"]
    if entity.type == "array":
        base = np.arange(n)[:, None] * np.array(entity["step"])
        hpr = np.arange(n)[:, None] * np.array(entity["step_rotation"])
        scales, shade = np.ones((n, 3)), np.ones(n)
    else:
        rng = np.random.default_rng(entity["seed"])
        base = _scatter_points(rng, n, entity["area"], entity["exclude_radius"])
        hpr = np.zeros((n, 3))
        if entity["random_heading"]:
            hpr[:, 0] = rng.uniform(0, 360, n)
        scales = rng.uniform(entity["scale_min"], entity["scale_max"], size=(n, 3))
        shade = 1.0 + rng.uniform(-1, 1, n) * entity["colour_jitter"]
    for i in range(n):
        copy = node.inner.attachNewNode(f"copy{i}")
        copy.setPosHprScale(*base[i], *hpr[i], *scales[i])
        if shade[i] != 1.0:
            copy.setColorScale(shade[i], shade[i], shade[i], 1.0)
        moving = copy.attachNewNode("motion")
        template.outer.instanceTo(moving)
        node.copies.append(moving)
    node.count = n
    if entity.id not in bound and entity.get("motion") is None and not _moves(entity["item"]):
        node.inner.flattenStrong()  # a static crowd of copies renders as one batch
        node.copies = []


def _moves(entity: Entity) -> bool:
    return (
        entity.get("motion") is not None
        or any(_moves(c) for c in entity.children)
        or (entity.type in ("array", "scatter") and _moves(entity["item"]))
    )


def _scatter_points(rng: np.random.Generator, n: int, area: tuple[float, float], exclude: float) -> np.ndarray:
    points = np.zeros((n, 3))
    filled = 0
    for _ in range(10_000):  # validation guarantees room; this is a backstop
        if filled >= n:
            break
        cand = rng.uniform(-0.5, 0.5, size=(2 * n, 2)) * np.array(area)
        keep = cand[np.hypot(cand[:, 0], cand[:, 1]) >= exclude][: n - filled]
        points[filled : filled + len(keep), :2] = keep
        filled += len(keep)
    else:
        raise VrexError(f"scatter could not place {n} copies outside exclude_radius {exclude:g} m")
    return points


def _mesh(entity: Entity) -> Any:
    if entity.type == "box":
        return geometry.box(entity["size"])
    if entity.type == "plane":
        return geometry.plane(entity["size"], entity["double_sided"])
    if entity.type == "cylinder":
        return geometry.cylinder(entity["radius"], entity["height"], entity["segments"])
    return geometry.sphere(entity["radius"], entity["segments"])


def _light(kind: str) -> Any:
    return {"ambient": AmbientLight, "directional": DirectionalLight, "point": PointLight}[kind](kind)


def _load_model(path: Path) -> NodePath:
    try:
        if path.suffix.lower() in (".gltf", ".glb"):
            import gltf  # panda3d-gltf: Panda3D has no glTF reader of its own

            return NodePath(gltf.load_model(str(path)))
        node = Loader.getGlobalPtr().loadSync(Filename.fromOsSpecific(str(path)))
    except Exception as exc:  # a broken file must say which file, not crash the runner
        raise VrexError(f"{path}: cannot load model ({exc}) — a valid glTF or BAM file") from exc
    if node is None:
        raise VrexError(f"{path}: cannot load model — a valid .bam or .egg file")
    return NodePath(node)
