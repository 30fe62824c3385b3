"""Quality tiers: ``low`` keeps frames cheap on software renderers, ``high`` looks real.

* ``low``: Panda3D's fixed-function path as before (per-vertex lighting and fog), plus the
  materials' textures with mipmaps, tiling and emission. On Mesa's llvmpipe it costs about
  what the flat-coloured scenes did.
* ``high``: panda3d-simplepbr (the Panda3D ecosystem's PBR pipeline): physically based
  shading of roughness and metalness, shadows from the main directional light, a filmic
  tone map, multisampling where the buffer allows, and fog in the shader. On a GPU it is
  cheap; on llvmpipe a frame costs 20× more, hence the tiers.
* ``auto`` (the default): ``low`` when the renderer is software (llvmpipe, softpipe, swrast,
  p3tinydisplay), ``high`` on a GPU.

The tier is chosen with ``--quality`` (engine/commands/display_args.py), which puts it in
the environment (``VREX_QUALITY``) so a session's render process inherits it too.

Scenario colours are written as they should look on screen (sRGB); the PBR shader works in
linear light, so its copy of simplepbr's fragment shader converts vertex and fog colours
(and textures) to linear before shading and lets unlit things (the sky, ``lit: false``)
through unshaded.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

QUALITIES = ("auto", "low", "high")
ENV = "VREX_QUALITY"
SOFTWARE = ("llvmpipe", "softpipe", "swrast", "software", "tinydisplay", "tiny")
SHADOW_MAP = 2048  # texels a side: ~10 cm over the 200 m around the eye
SHADOW_MAP_SOFTWARE = 1024  # llvmpipe spends ~1.3 s a frame drawing a 2048² shadow map of heights
SHADOW_FILM = 200.0  # m covered by the shadow map, centred on the eye


def requested() -> str:
    """The tier asked for: ``VREX_QUALITY`` (set by --quality), else auto."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in QUALITIES:
        log.warning("%s=%s is not a quality tier (%s): using auto", ENV, value, ", ".join(QUALITIES))
        return "auto"
    return value


def is_software(base: Any) -> bool:
    """Whether ``base`` renders on the CPU (its pipe or GL renderer string says so)."""
    pipe = base.pipe.getType().getName().lower()
    gsg = base.win.getGsg() if base.win is not None else None
    renderer = (gsg.getDriverRenderer() or "") if gsg is not None else ""
    text = f"{pipe} {renderer}".lower()
    return any(word in text for word in SOFTWARE) or not renderer


def resolve(quality: str | None, base: Any) -> str:
    """``low`` or ``high`` for ``quality`` (auto|low|high; None: what was requested)."""
    quality = quality or requested()
    if quality == "auto":
        return "low" if is_software(base) else "high"
    if quality == "high" and "tiny" in base.pipe.getType().getName().lower():
        log.warning("quality high needs shaders; p3tinydisplay has none: drawing at quality low")
        return "low"
    return quality


class HighQuality:
    """simplepbr pipelines for every view of a scene (the desktop camera or each eye)."""

    def __init__(self, base: Any, scene: Any, display: Any, msaa: int = 4):
        from engine.scene.pbr import make_pipeline

        self.pipelines: list[Any] = []
        self.caster = None
        fog = any(n.fog is not None for n in scene.built)
        lights = sum(1 for n in scene.built if n.light is not None and n.entity.get("kind") != "ambient")
        software = is_software(base)
        try:
            for window, camera in _views(base, display):
                self.pipelines.append(
                    make_pipeline(base, scene.root.getTop(), window, camera, msaa, fog, lights, software)
                )
        except Exception:
            self.close()  # one eye set up and the other not: undo it all, the caller draws low
            base.render.clearShader()
            raise
        # simplepbr updates from a task; previews, benchmarks and tests draw frames without the
        # task manager, so the runner's tick calls update() instead, for every frame alike
        base.taskMgr.remove("simplepbr update")
        _mark_unlit(scene)
        _anisotropic(scene)
        self.caster = _cast_shadows(scene, SHADOW_MAP_SOFTWARE if software else SHADOW_MAP)
        self.update()

    def update(self) -> None:
        """Per frame: shadow casters get the shadow shader, the eye position goes to IBL."""
        for pipeline in self.pipelines:
            pipeline._update(_Task)

    def close(self) -> None:
        for pipeline in self.pipelines:
            try:
                pipeline._filtermgr.cleanup()
            except Exception as exc:  # closing must go on: the window is going anyway
                log.debug("simplepbr cleanup: %s", exc)
        if self.pipelines:
            self.pipelines[0].render_node.clearShader()
        if self.caster is not None:
            self.caster.node().setShadowCaster(False)
        self.pipelines.clear()


class _Task:
    DS_cont = 1  # what simplepbr's update returns to the task manager


def _views(base: Any, display: Any) -> list[tuple[Any, Any]]:
    eyes = getattr(display, "eyes", None)
    if getattr(display, "stereo", False):
        if not isinstance(eyes, dict) or not eyes:
            raise ValueError("this headset's eye buffers are not reachable")
        return [(eye.buffer, eye.camera) for eye in eyes.values()]
    return [(base.win, base.cam)]


def _mark_unlit(scene: Any) -> None:
    """The sky and ``lit: false`` entities keep their colour under the PBR shader."""
    for node in scene.built:
        if node.sky is not None:
            node.outer.setShaderInput("vrex_unlit", 1.0)
        elif node.entity.get("lit") is False:
            node.outer.setShaderInput("vrex_unlit", 1.0)


def _cast_shadows(scene: Any, size: int) -> Any:
    """The first visible directional light casts shadows over the area around the eye."""
    from panda3d.core import CompassEffect

    for node in scene.built:
        if node.light is None or node.entity.get("kind") != "directional":
            continue
        light = node.light.node()
        light.setShadowCaster(True, size, size)
        light.setPriority(100)  # first in the shader's light list (on llvmpipe the only one shaded)
        film = _shadow_film(scene)
        lens = light.getLens()
        lens.setFilmSize(film, film)
        lens.setNearFar(-film * 2, film * 2)
        # the shadow camera rides with the eye (position only): shadows where the patient looks
        node.light.setEffect(CompassEffect.make(scene.viewpoint, CompassEffect.P_pos))
        return node.light
    return None


def _plain_planes(scene: Any) -> None:
    """Low: planes (the ground, streets, floors) draw their texture's average colour instead.
    They fill most of the view, and a textured pixel costs llvmpipe 2-3× a plain one: with
    textured ground the heights top level took 2.5× today's frame time, without it about
    1.3× (benchmarks/render_fps.py). From a few metres up mipmaps average them anyway."""
    from panda3d.core import TextureAttrib

    from engine.scene.textures import mean_colour

    for node in scene.built:
        kind = node.entity.type
        item = node.entity.get("item") if kind in ("array", "scatter") else None
        if kind != "plane" and (item is None or item.type != "plane"):
            continue
        for mesh in node.inner.findAllMatches("**/+GeomNode"):
            attrib = mesh.getNetState().getAttrib(TextureAttrib)
            texture = attrib.getTexture() if attrib is not None else None
            if texture is not None:
                mesh.setColorScale(*mean_colour(texture), 1.0)
                mesh.setTextureOff(10)


def _anisotropic(scene: Any) -> None:
    """High: textures seen at a slant (the street ahead, a facade along it) stay sharp."""
    for texture in scene.root.findAllTextures():
        texture.setAnisotropicDegree(4)


def _shadow_film(scene: Any) -> float:
    """Metres the shadow map covers: the scene's width (a room gets centimetre shadows), at
    most ``SHADOW_FILM`` (a city's shadows near the eye; fog hides the rest)."""
    widest = 0.0
    for node in scene.built:
        if node.sky is not None or node.light is not None or node.fog is not None:
            continue
        bounds = node.outer.getTightBounds(scene.root)
        if bounds:
            low, high = bounds
            widest = max(widest, high[0] - low[0], high[1] - low[1], high[2] - low[2])
    return float(min(SHADOW_FILM, max(4.0, widest * 1.2)))


def apply_quality(quality: str | None, base: Any, scene: Any, display: Any, msaa: int = 4) -> tuple[str, Any]:
    """Resolve ``quality`` and set it up; (the tier in use, its handle to close or None).
    ``high`` that cannot be set up (no shaders, a headset without reachable eye buffers)
    falls back to ``low`` with a warning: a frame drawn simply beats no frame."""
    tier = resolve(quality, base)
    if tier == "low":
        _plain_planes(scene)
        return "low", None
    try:
        return "high", HighQuality(base, scene, display, msaa)
    except Exception as exc:  # simplepbr raises plain RuntimeErrors for missing buffer features
        log.warning("quality high could not be set up (%s): drawing at quality low", exc)
        return "low", None
