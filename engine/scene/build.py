"""Builds a scenario's entities as ``EntityNode``s under a parent node: one small builder per
entity type (``_BUILDERS``), then what every shape shares (colour, opacity, lighting,
visibility) and procedural motion."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import (
    AmbientLight,
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
from engine.scenario.spacing import place
from engine.scenario.spec import Entity
from engine.scene import geometry
from engine.scene.animated import ClipPlayer
from engine.scene.entities import EntityNode
from engine.scene.flicker import FlickerState
from engine.scene.materials import after_flatten, apply_material
from engine.scene.parts import ClipPart, CrowdPart, FlickerPart, SwarmPart, TextPart
from engine.scene.spiders import PROPS as SWARM_PROPS
from engine.scene.spiders import SpiderSwarm
from engine.scene.text import build_text

_SHAPES = ("box", "plane", "cylinder", "sphere", "model", "group", "array", "scatter", "spiders", "text")


@dataclass
class _Build:
    """What every builder may need besides the node and its entity."""

    parent: NodePath
    folder: Path
    audio: Any
    bound: dict[str, set[str]]
    registry: dict[str, EntityNode]
    built: list[EntityNode]


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
    builder = _BUILDERS.get(entity.type)
    if builder is not None:
        builder(node, entity, _Build(parent, folder, audio, bound, registry, built))
    if entity.type in _SHAPES:
        _style(node, entity, bound.get(entity.id or "", set()))
    motion = entity.get("motion")
    if motion is not None:
        node.amplitude, node.speed = motion.amplitude, motion.speed
        seed = zlib.crc32(f"{entity.id}:{entity.mark.line}:{entity.mark.col}".encode())
        node.motion = MotionState(motion.kind, motion.axis, max(1, len(node.copies)), np.random.default_rng(seed))
    node.push()
    return node


def _shape(node: EntityNode, entity: Entity, b: _Build) -> None:
    mesh = node.inner.attachNewNode(_mesh(entity))
    apply_material(mesh, entity.get("material"), b.folder, entity["colour"])


def _model(node: EntityNode, entity: Entity, b: _Build) -> None:
    model = _load_model(b.folder / entity["path"])
    anim = entity.get("animation")
    if anim is not None:
        node.clip = ClipPlayer(model, anim.clip, anim.loop, anim.speed, f"{b.folder / entity['path']}")
        node.parts.append(ClipPart(node.clip))
        model = node.clip.actor
    model.reparentTo(node.inner)


def _spiders(node: EntityNode, entity: Entity, b: _Build) -> None:
    node.swarm = SpiderSwarm(entity, node.inner, b.registry)
    node.parts.append(SwarmPart(node.swarm, SWARM_PROPS))


def _group(node: EntityNode, entity: Entity, b: _Build) -> None:
    for child in entity.children:
        build_entity(child, node.inner, b.folder, b.audio, b.bound, b.registry, b.built)


def _copies(node: EntityNode, entity: Entity, b: _Build) -> None:
    _build_copies(node, entity, b.folder, b.audio, b.bound, b.built)


def _text(node: EntityNode, entity: Entity, b: _Build) -> None:
    node.label = build_text(entity, node.inner)
    node.parts.append(TextPart(node.label))


def _light_entity(node: EntityNode, entity: Entity, b: _Build) -> None:
    if entity.get("flicker") is not None:
        node.flicker = FlickerState(entity["flicker"])
        node.parts.append(FlickerPart(node.flicker, node._apply_colour))
    node.light = node.outer.attachNewNode(_light(entity["kind"]))
    node._apply_colour()
    if entity["visible"]:
        b.parent.getTop().setLight(node.light)


def _fog(node: EntityNode, entity: Entity, b: _Build) -> None:
    node.fog = Fog("fog")
    node.fog.setExpDensity(entity["density"])
    node._apply_colour()
    b.parent.getTop().setFog(node.fog)


def _people(node: EntityNode, entity: Entity, b: _Build) -> None:
    from engine.scene.people import Crowd  # here: only scenes with people build the meshes

    node.crowd = Crowd(entity, node.inner)
    node.parts.append(CrowdPart(node.crowd))
    if not entity["visible"]:
        node.outer.hide()
    if not entity["lit"]:
        node.outer.setLightOff(1)


def _sky(node: EntityNode, entity: Entity, b: _Build) -> None:
    node._rebuild_sky()


def _sound(node: EntityNode, entity: Entity, b: _Build) -> None:
    if b.audio is None:
        return
    node.sound = b.audio.getSound(
        Filename.fromOsSpecific(str(b.folder / entity["path"])), bool(entity.get("positional", False))
    )  # 3-D: placed by SceneRunner
    node.sound.setLoop(entity["loop"])
    node.sound.setVolume(entity["volume"])
    node.sound.play()


_BUILDERS: dict[str, Callable[[EntityNode, Entity, _Build], None]] = {
    "box": _shape,
    "plane": _shape,
    "cylinder": _shape,
    "sphere": _shape,
    "model": _model,
    "spiders": _spiders,
    "group": _group,
    "array": _copies,
    "scatter": _copies,
    "text": _text,
    "light": _light_entity,
    "fog": _fog,
    "people": _people,
    "sky": _sky,
    "sound": _sound,
}


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
        if entity.get("min_spacing", 0.0) > 0:
            base = place(rng, n, entity["area"], entity["exclude_radius"], entity["min_spacing"])
        else:  # the version-1 layout, unchanged
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
        after_flatten(node.inner, entity["item"])  # textures in metres of each scaled copy
        node.copies = []


def _moves(entity: Entity) -> bool:
    # an animation clip moves its model's joints: flattening its copies would break them
    return (
        entity.get("motion") is not None
        or entity.get("animation") is not None
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
