"""Panda3D wiring: a window or an offscreen buffer, the per-frame task, frame capture.

``SceneRunner`` takes its collaborators (scene, driver, ShowBase) instead of subclassing
ShowBase, so the same runner serves ``vrex view``, previews, benchmarks and tests.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
from panda3d.core import (CardMaker, ClockObject, GraphicsOutput, PerspectiveLens, Texture,
                          TransparencyAttrib, loadPrcFileData)

from engine.easing import Frame, IntensityDriver
from engine.errors import VrexError
from engine.scene import Scene

OFFSCREEN_DISPLAYS = ("p3headlessgl", "p3tinydisplay")
MAX_DT = 0.1   # after a stall, advance as if 100 ms passed: no sudden catch-up jump


def display_available() -> bool:
    """Whether a window can be opened (a desktop session on Linux; always elsewhere)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def open_base(offscreen: bool, size: tuple[int, int] = (1280, 720), display: str | None = None,
              audio: bool = True, title: str = "vrex") -> Any:
    """Start ShowBase. Offscreen uses ``display`` (default p3headlessgl, falling back to
    p3tinydisplay, the software renderer that needs no GPU or EGL)."""
    if display is not None and display not in OFFSCREEN_DISPLAYS + ("pandagl",):
        raise VrexError(f"unknown display '{display}' — one of: " + ", ".join(OFFSCREEN_DISPLAYS + ("pandagl",)))
    if offscreen:
        chosen = display or OFFSCREEN_DISPLAYS[0]
        fallback = [d for d in OFFSCREEN_DISPLAYS if d != chosen] if display is None else []
        lines = [f"load-display {chosen}", *(f"aux-display {d}" for d in fallback),
                 "window-type offscreen", "audio-library-name null",
                 "notify-level-x11display fatal"]   # tinydisplay looks for X first; none is fine
    else:
        lines = ["load-display pandagl", "window-type onscreen", f"window-title {title}"]
        if not audio:
            lines.append("audio-library-name null")
    lines += [f"win-size {size[0]} {size[1]}", "sync-video 0" if offscreen else "sync-video 1",
              "notify-level-device fatal",          # no joystick folder is not an error here
              "notify-level-display error", "print-pipe-types 0", "framebuffer-multisample 0", "show-frame-rate-meter 0"]
    loadPrcFileData("vrex", "\n".join(lines))
    from direct.showbase.ShowBase import ShowBase
    try:
        base = ShowBase()
    except Exception as exc:
        raise VrexError(f"cannot open a {'buffer' if offscreen else 'window'} ({exc}) — "
                        "for offscreen rendering without a GPU use --display p3tinydisplay") from exc
    if base.win is None:
        base.destroy()
        raise VrexError("Panda3D opened no window — try --offscreen, or --display p3tinydisplay")
    return base


def renderer_name(base: Any) -> str:
    gsg = base.win.getGsg()
    return f"{base.pipe.getType().getName()} ({gsg.getDriverRenderer() or 'software'})"


class FrameGrabber:
    """Copies each rendered frame to RAM; ``grab()`` gives it as numpy (height, width, 3)
    uint8 RGB, top row first, without further copies (valid until the next frame)."""

    def __init__(self, base: Any):
        self.base = base
        self.texture = Texture("frame")
        base.win.addRenderTexture(self.texture, GraphicsOutput.RTMCopyRam)

    def grab(self) -> np.ndarray:
        tex = self.texture
        if not tex.hasRamImage():
            raise VrexError("no frame has been rendered yet")
        pixels = np.frombuffer(memoryview(tex.getRamImage()), np.uint8)
        pixels = pixels.reshape(tex.getYSize(), tex.getXSize(), tex.getNumComponents())
        return pixels[::-1, :, 2::-1]    # Panda3D keeps rows bottom-up and channels as BGR(A)


class CalmVeil:
    """A full-screen card in the calm colour, drawn over everything the camera shows.

    It lives in the 2-D overlay, not in the 3-D scene, so nothing the scenario does (a
    hidden parent, a near plane, a wide field of view) can leave part of the view
    uncovered. Headsets will need it per eye (an XR display is not built yet).
    """

    def __init__(self, base: Any, colour: tuple[float, ...]):
        card = CardMaker("calm-veil")
        card.setFrameFullscreenQuad()
        self.node = base.render2d.attachNewNode(card.generate())
        self.node.setColor(colour[0], colour[1], colour[2], 1.0)
        self.node.setTransparency(TransparencyAttrib.MAlpha)
        self.node.setBin("fixed", 1000)
        self.node.setDepthTest(False)
        self.node.setDepthWrite(False)
        self.alpha = -1.0
        self.set(0.0)

    def set(self, alpha: float) -> None:
        alpha = min(1.0, max(0.0, alpha))
        if alpha == self.alpha:
            return
        self.alpha = alpha
        if alpha <= 0.0:
            self.node.hide()
        else:
            self.node.show()
            self.node.setAlphaScale(alpha)

    def remove(self) -> None:
        self.node.removeNode()


class SceneRunner:
    """Drives a scene every frame: eased intensity, calm blink, motion, lens."""

    def __init__(self, scene: Scene, driver: IntensityDriver, base: Any, clock: Any = None):
        self.scene = scene
        self.driver = driver
        self.base = base
        self.clock = clock or ClockObject.getGlobalClock()
        self.frame = Frame(driver.intensity, 0.0, False)
        base.camera.reparentTo(scene.viewpoint)
        base.camera.setPosHpr(0, 0, 0, 0, 0, 0)
        lens = PerspectiveLens()
        lens.setNearFar(scene.spec.viewpoint.near, scene.spec.viewpoint.far)
        base.cam.node().setLens(lens)
        self.lens = lens
        self._fov = None
        base.setBackgroundColor(*scene.background)
        self.veil = CalmVeil(base, scene.spec.calm.colour)
        scene.apply(driver.intensity)
        self._apply_lens()
        self.task = base.taskMgr.add(self._update, "vrex-scene", sort=-10)

    def tick(self, dt: float, max_dt: float = MAX_DT) -> Frame:
        """One frame's work for a step of ``dt`` seconds (also callable without the task).
        A session running ``speed`` times faster than real time passes ``MAX_DT * speed``."""
        dt = min(max(dt, 0.0), max_dt)
        self.frame = self.driver.step(dt, self.scene.pose_at)
        self.scene.update(dt)
        self.scene.apply(self.frame.intensity)
        self.veil.set(self.frame.veil)
        self._apply_lens()
        return self.frame

    def _update(self, task: Any) -> int:
        self.tick(self.clock.getDt())
        return task.cont

    def _apply_lens(self) -> None:
        if self.scene.fov != self._fov:
            self._fov = self.scene.fov
            aspect = self.base.getAspectRatio()
            self.lens.setFov(self._fov, self._fov / aspect if aspect else self._fov)

    def stop(self) -> None:
        """Stop the per-frame task (frames can still be driven with ``tick``)."""
        self.base.taskMgr.remove(self.task)

    def close(self) -> None:
        """Stop, remove the veil and give the camera back, before the scene is destroyed."""
        self.stop()
        self.veil.remove()
        self.base.camera.reparentTo(self.base.render)
