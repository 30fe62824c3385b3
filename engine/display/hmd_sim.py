"""``hmd-sim``: a simulated headset — what a headset would show, without one.

Two eye buffers at the profile's per-eye size (times ``scale``), each with its own
asymmetric projection (``projection.eye_lens``) and its camera half the eye distance to
the side of the head; the head follows a ``HeadSource`` under the level rig. Each buffer
has a second layer (``overlay``) for the one head-locked thing allowed, the calm veil, so
it closes in both eyes alike. The desktop window, if any, mirrors the left eye.

The buffers are what an OpenXR swapchain image would be, so CI checks projection,
disparity, veil and panel on the CPU (p3tinydisplay or Mesa's llvmpipe) at a small scale;
frame rate at full size is a GPU figure (``benchmarks/render_fps.py --display hmd-sim``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from panda3d.core import (
    ATS_none,
    Camera,
    CardMaker,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    GraphicsWindow,
    NodePath,
    OrthographicLens,
    Texture,
    WindowProperties,
)

from engine.display.backend import EyeSpec, FollowsHeadSource, HeadRig
from engine.display.head import HeadSource, StillHead
from engine.display.profile import QUEST3_LIKE, HmdProfile
from engine.display.projection import eye_lens
from engine.errors import VrexError


class _Eye:
    def __init__(self, name: str, buffer: Any, texture: Texture, camera: NodePath, copy_ram: bool):
        self.name, self.buffer, self.texture, self.camera, self.copy_ram = name, buffer, texture, camera, copy_ram


class HmdSim(FollowsHeadSource):
    name = "hmd-sim"
    stereo = True

    def __init__(
        self,
        profile: HmdProfile = QUEST3_LIKE,
        head: HeadSource | None = None,
        msaa: int = 0,
        mirror: bool = True,
        space: str = "local",
        eye_height: float = 1.65,
    ):
        self.profile = profile
        self.source = head or StillHead()
        # stage space: the head is tracked over the real floor, as a runtime's STAGE space
        # reports it (the simulated patient's eyes ``eye_height`` above it); the scene then
        # puts its rig on the virtual floor (SceneRunner)
        self.floor_origin = space == "stage"
        self.eye_height = eye_height
        self.msaa = msaa
        self.mirror = mirror
        self.base: Any = None
        self.rig: HeadRig | None = None
        self.overlay = NodePath("eye-overlay")
        self.eyes: dict[str, _Eye] = {}
        self._mirror_card: NodePath | None = None

    def open(self, base: Any, anchor: Any, near: float, far: float, background: tuple[float, ...]) -> list[EyeSpec]:
        self.base = base
        self.rig = HeadRig(anchor, self.source, lift=self.eye_height if self.floor_origin else 0.0)
        base.camNode.setActive(False)  # the desktop's own 3-D view is not drawn: it mirrors an eye
        software = "Tiny" in base.pipe.getType().getName()  # p3tinydisplay
        if not software:
            Texture.setTexturesPower2(ATS_none)  # GL: an eye image is its own size, not padded to 2^n
        size = self.profile.render_size
        specs = []
        for name, fov, offset in (
            ("left", self.profile.left_fov, -self.profile.ipd_m / 2),
            ("right", self.profile.right_fov, self.profile.ipd_m / 2),
        ):
            eye = self._make_eye(name, size, software, background)
            lens = eye_lens(fov, near, far)
            cam = self.rig.node.attachNewNode(Camera(f"{name}-eye", lens))
            cam.setPos(offset, 0.0, 0.0)
            eye.camera = cam
            region = eye.buffer.makeDisplayRegion()
            region.setCamera(cam)
            over = eye.buffer.makeDisplayRegion()
            over.setSort(10)
            over.setClearDepthActive(True)
            flat = OrthographicLens()
            flat.setFilmSize(2, 2)
            flat.setNearFar(-10, 10)
            over.setCamera(self.overlay.attachNewNode(Camera(f"{name}-overlay", flat)))
            self.eyes[name] = eye
            specs.append(EyeSpec(name, size, fov, offset))
        if self.mirror and not software and isinstance(base.win, GraphicsWindow):
            card = CardMaker("mirror")
            card.setFrameFullscreenQuad()
            self._mirror_card = base.render2d.attachNewNode(card.generate())
            self._mirror_card.setTexture(self.eyes["left"].texture)
            self._mirror_card.setBin("background", 0)
        return specs

    def _make_eye(self, name: str, size: tuple[int, int], software: bool, background: tuple[float, ...]) -> _Eye:
        base = self.base
        props = FrameBufferProperties()
        props.setRgbColor(True)
        props.setRgbaBits(8, 8, 8, 0)
        props.setDepthBits(24)
        if self.msaa:
            props.setMultisamples(self.msaa)
        buffer = base.graphicsEngine.makeOutput(
            base.pipe,
            f"{name}-eye",
            -2,
            props,
            WindowProperties.size(*size),
            GraphicsPipe.BFRefuseWindow,
            base.win.getGsg(),
            base.win,
        )
        if buffer is None:
            raise VrexError(
                f"the renderer could not make a {size[0]}×{size[1]} {name}-eye buffer — "
                "try a smaller --hmd-scale, or --renderer p3headlessgl"
            )
        texture = Texture(f"{name}-eye")
        # The software renderer cannot sample textures of any size, so it copies to RAM;
        # GL pipes keep the image on the GPU and copy it out only when asked (eye_image).
        buffer.addRenderTexture(texture, GraphicsOutput.RTMCopyRam if software else GraphicsOutput.RTMBindOrCopy)
        buffer.setClearColor((*background[:3], 1.0))
        return _Eye(name, buffer, texture, NodePath(), software)

    @property
    def eye_size(self) -> tuple[int, int]:
        """Each eye's image in pixels (width, height)."""
        return self.profile.render_size

    def eye_image(self, eye: str = "left", step: int = 1) -> np.ndarray:
        """The eye's last image as (height, width, 3) uint8 RGB, top row first (a copy);
        every ``step``-th row and column only (a small picture costs a small copy)."""
        e = self.eyes[eye]
        if not e.copy_ram and not self.base.graphicsEngine.extractTextureData(e.texture, self.base.win.getGsg()):
            raise VrexError(f"could not read the {eye} eye's image back from the renderer")
        tex = e.texture
        if not tex.hasRamImage():
            raise VrexError("no frame has been rendered yet")
        pixels = np.frombuffer(memoryview(tex.getRamImage()), np.uint8)
        pixels = pixels.reshape(tex.getYSize(), tex.getXSize(), tex.getNumComponents())
        return pixels[::-1][::step, ::step, 2::-1].copy()  # rows bottom-up and BGR(A) in Panda3D

    def close(self) -> None:
        if self.base is None:
            return
        for eye in self.eyes.values():
            eye.buffer.clearRenderTextures()
            self.base.graphicsEngine.removeWindow(eye.buffer)
            eye.camera.removeNode()
        self.eyes.clear()
        if self._mirror_card is not None:
            self._mirror_card.removeNode()
        self.overlay.removeNode()
        if self.rig is not None:
            self.rig.remove()
        self.base.camNode.setActive(True)
        self.base = None
