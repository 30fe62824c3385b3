"""A shape entity's ``material:`` as Panda3D state: texture, tiling, roughness, metalness, emission.

The same state serves both quality tiers. The ``low`` tier (fixed-function) draws the
texture (with mipmaps), its tiling and the emission; the ``high`` tier's PBR shader
(engine/scene/quality.py) also reads the roughness and metalness, and the roughness image
some procedural textures carry (glTF's layout: roughness in green, metalness in blue).
Textures that cannot be read after validation passed (a file changed under a running
scene) draw the plain colour with a warning: nothing an author writes stops a session.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from panda3d.core import Material, NodePath, TextureStage

from engine.scenario.material import MaterialSpec
from engine.scene import geometry, textures

log = logging.getLogger(__name__)

# simplepbr reads the base colour from the first stage and metal-roughness from the second
METAL_ROUGHNESS = TextureStage("metal-roughness")
METAL_ROUGHNESS.setSort(1)
METAL_ROUGHNESS.setMode(TextureStage.MSelector)  # shaders read it; fixed-function ignores it


def tiling_of(spec: MaterialSpec) -> tuple[float, float]:
    if spec.tiling is not None:
        return spec.tiling
    metres = textures.NATURAL_METRES.get(spec.texture or "", 1.0)
    return metres, metres


def apply_material(node: NodePath, spec: MaterialSpec | None, folder: Path, colour: tuple[float, ...]) -> None:
    """Put ``spec`` on ``node`` (a shape's mesh). ``colour``: the entity's, for emission."""
    if spec is None:
        return
    material = Material("vrex")
    material.setRoughness(spec.roughness)
    material.setMetallic(spec.metalness)
    # The fixed-function tier needs a specular colour for smooth things to shine at all.
    shine = (1.0 - spec.roughness) ** 2 * (1.0 - 0.5 * spec.metalness)
    material.setSpecular((shine, shine, shine, 1.0))
    if spec.emission > 0:
        e = spec.emission
        material.setEmission((colour[0] * e, colour[1] * e, colour[2] * e, 1.0))
    node.setMaterial(material, 1)
    if spec.texture is None:
        return
    if spec.procedural:
        colour_tex, rough_tex = textures.procedural_texture(spec.texture)
    else:
        colour_tex, rough_tex = textures.image_texture(spec.path(folder)), None
        if colour_tex is None:
            return
    node.setTexture(colour_tex, 1)
    if rough_tex is not None:
        node.setTexture(METAL_ROUGHNESS, rough_tex, 1)
    set_tiling(node, spec)


def set_tiling(node: NodePath, spec: MaterialSpec) -> None:
    """Texture coordinates are metres; the texture repeats every ``tiling`` metres."""
    tu, tv = tiling_of(spec)
    for stage in (TextureStage.getDefault(), METAL_ROUGHNESS):
        node.setTexScale(stage, 1.0 / tu, 1.0 / tv)


def after_flatten(inner: NodePath, item: Any) -> None:
    """Copies of a textured shape, flattened into one mesh: their texture coordinates are
    made again in metres of each copy's faces as scaled, so every building shows its own
    number of floors and windows."""
    spec = item.get("material") if item.type in ("box", "plane", "cylinder", "sphere") else None
    if spec is None or spec.texture is None:
        return
    geometry.metre_uvs(inner, flat_tops=spec.texture == "facade")
    set_tiling(inner, spec)
