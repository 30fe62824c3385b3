"""Panda3D wiring: a window or an offscreen buffer, the per-frame task, frame capture.

``SceneRunner`` takes its collaborators (scene, driver, ShowBase) instead of subclassing
ShowBase, so the same runner serves ``vrex view``, previews, benchmarks and tests.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from panda3d.core import (
    CardMaker,
    ClockObject,
    PerspectiveLens,
    TransparencyAttrib,
    loadPrcFileData,
)

from engine.display.grab import FrameGrabber  # noqa: F401 — previews, view and tests import it from here
from engine.easing import Frame, IntensityDriver
from engine.errors import VrexError
from engine.scene import Scene

OFFSCREEN_DISPLAYS = ("p3headlessgl", "p3tinydisplay")
MAX_DT = 0.1  # after a stall, advance as if 100 ms passed: no sudden catch-up jump


def display_available() -> bool:
    """Whether a window can be opened (a desktop session on Linux; always elsewhere)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def open_base(
    offscreen: bool,
    size: tuple[int, int] = (1280, 720),
    display: str | None = None,
    audio: bool = True,
    title: str = "vrex",
    vsync: bool = True,
) -> Any:
    """Start ShowBase. Offscreen uses ``display`` (default p3headlessgl, falling back to
    p3tinydisplay, the software renderer that needs no GPU or EGL). ``vsync=False`` for a
    window that only mirrors a headset: the headset's runtime paces frames, not the monitor."""
    if display is not None and display not in OFFSCREEN_DISPLAYS + ("pandagl",):
        raise VrexError(f"unknown display '{display}' — one of: " + ", ".join(OFFSCREEN_DISPLAYS + ("pandagl",)))
    if offscreen:
        chosen = display or OFFSCREEN_DISPLAYS[0]
        fallback = [d for d in OFFSCREEN_DISPLAYS if d != chosen] if display is None else []
        lines = [
            f"load-display {chosen}",
            *(f"aux-display {d}" for d in fallback),
            "window-type offscreen",
            "audio-library-name null",
            "notify-level-x11display fatal",
        ]  # tinydisplay looks for X first; none is fine
    else:
        lines = ["load-display pandagl", "window-type onscreen", f"window-title {title}"]
        if not audio:
            lines.append("audio-library-name null")
    lines += [
        f"win-size {size[0]} {size[1]}",
        "sync-video 1" if vsync and not offscreen else "sync-video 0",
        "notify-level-device fatal",  # no joystick folder is not an error here
        "notify-level-display error",
        "print-pipe-types 0",
        "framebuffer-multisample 0",
        "show-frame-rate-meter 0",
    ]
    loadPrcFileData("vrex", "\n".join(lines))
    from direct.showbase.ShowBase import ShowBase

    try:
        base = ShowBase()
    except Exception as exc:
        raise VrexError(
            f"cannot open a {'buffer' if offscreen else 'window'} ({exc}) — "
            "for offscreen rendering without a GPU use --display p3tinydisplay"
        ) from exc
    if base.win is None:
        base.destroy()
        raise VrexError("Panda3D opened no window — try --offscreen, or --display p3tinydisplay")
    return base


def renderer_name(base: Any) -> str:
    """What draws the frames, as session records keep it: the pipe, the GL renderer and the
    quality tier that --quality (or auto) gives on it (engine/scene/quality.py)."""
    from engine.scene.quality import resolve

    gsg = base.win.getGsg()
    return f"{base.pipe.getType().getName()} ({gsg.getDriverRenderer() or 'software'}), quality {resolve(None, base)}"


class CalmVeil:
    """A full-screen card in the calm colour, drawn over everything the camera shows.

    It lives in the display's head-locked overlay (the 2-D layer on a desktop, a layer of
    each eye in a headset), not in the 3-D scene, so nothing the scenario does (a hidden
    parent, a near plane, a wide field of view) can leave part of the view uncovered.
    """

    def __init__(self, overlay: Any, colour: tuple[float, ...]):
        card = CardMaker("calm-veil")
        card.setFrameFullscreenQuad()
        self.node = overlay.attachNewNode(card.generate())
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
    """Drives a scene every frame: eased intensity, calm blink, motion, lens, head.

    ``display`` (default: the desktop's own camera) decides what the eyes are. On a desktop
    the camera hangs under the scenario's viewpoint, which may turn and zoom as the author
    wrote. In a headset (``display.stereo``) the eyes hang under a level **rig** that takes
    only the viewpoint's position and heading: the head is the patient's own.
    """

    def __init__(
        self,
        scene: Scene,
        driver: IntensityDriver,
        base: Any,
        clock: Any = None,
        display: Any = None,
        quality: str | None = None,
    ):
        """``quality``: auto, low or high (engine/scene/quality.py); None: what --quality
        asked for (``VREX_QUALITY``), else auto. ``self.quality`` is the tier in use."""
        from engine.display import DesktopDisplay
        from engine.scene.quality import apply_quality

        self.scene = scene
        self.driver = driver
        self.base = base
        self.clock = clock or ClockObject.getGlobalClock()
        self.display = display or DesktopDisplay()
        self.frame = Frame(driver.intensity, 0.0, False)
        self.time = 0.0  # session seconds, for the head's trajectory
        self.lens = None
        self._fov = None
        vp = scene.spec.viewpoint
        if self.display.stereo:
            self.rig = scene.root.attachNewNode("rig")
            self._follow_rig()
            # the seat: where "forward" is for the headset, turned by recentre(); the head
            # hangs under it, and is reported and judged relative to the rig
            self.seat = anchor = self.rig.attachNewNode("seat")
        else:
            self.rig = self.seat = None
            anchor = scene.viewpoint
            lens = PerspectiveLens()
            lens.setNearFar(vp.near, vp.far)
            base.cam.node().setLens(lens)
            self.lens = lens
        base.setBackgroundColor(*scene.background)
        self.eyes = self.display.open(base, anchor, vp.near, vp.far, scene.background)
        msaa = getattr(self.display, "msaa", 0) if self.display.stereo else 4
        self.quality, self._high = apply_quality(quality, base, scene, self.display, msaa)
        self.veil = CalmVeil(self.display.overlay, scene.spec.calm.colour)
        self.audio3d = self._place_sounds(base)
        scene.apply(driver.intensity)
        self._apply_lens()
        self.display.begin_frame(0.0)
        self.task = base.taskMgr.add(self._update, "vrex-scene", sort=-10)

    def tick(self, dt: float, max_dt: float = MAX_DT, t: float | None = None) -> Frame:
        """One frame's work for a step of ``dt`` seconds (also callable without the task).
        A session running ``speed`` times faster than real time passes ``MAX_DT * speed``.
        ``t`` is the session time of the frame (default: the sum of the steps), at which
        the head is placed; it is not clamped, so a recorded head stays on its clock."""
        self.time = self.time + max(dt, 0.0) if t is None else t
        dt = min(max(dt, 0.0), max_dt)
        self.frame = self.driver.step(dt, self.scene.pose_at)
        self.scene.update(dt)
        self.scene.apply(self.frame.intensity)
        self.veil.set(self.frame.veil)
        if self.rig is not None:
            self._follow_rig()
        self._apply_lens()
        self.display.begin_frame(self.time)
        if self._high is not None:
            self._high.update()
        return self.frame

    def _update(self, task: Any) -> int:
        self.tick(self.clock.getDt())
        return task.cont

    def _follow_rig(self) -> None:
        """The rig takes the viewpoint's place and heading, never its pitch or roll."""
        pos, heading = self.scene.rig_pose()
        if getattr(self.display, "floor_origin", False):  # the head comes over the real floor:
            pos = (pos[0], pos[1], pos[2] - self.scene.spec.viewpoint.eye_height)  # the rig on the virtual one
        self.rig.setPos(*pos)
        self.rig.setHpr(heading, 0.0, 0.0)

    def gaze(self) -> tuple[float, float]:
        """Where the patient is asked to look, (heading, pitch) in degrees relative to what
        carries the head: the scenario's gaze target in a headset; straight ahead on a
        desktop, whose camera the scenario already turns that way."""
        return self.scene.gaze() if self.rig is not None else (0.0, 0.0)

    def head_pose(self) -> Any:
        """The head as drawn: relative to the rig in a headset (after any recentring),
        relative to the viewpoint on a desktop."""
        from engine.display.head import HeadPose

        head = getattr(self.display, "rig", None)
        if self.rig is None or head is None:
            return self.display.head_pose()
        node = head.node
        pos, hpr = node.getPos(self.rig), node.getHpr(self.rig)
        return HeadPose(pos[0], pos[1], pos[2], hpr[0], hpr[1], hpr[2])

    def recentre(self) -> None:
        """Make where the head looks now (its heading, never its pitch or roll) the rig's
        forward, and where it is now the rig's place: the seat turns and slides under it."""
        head = getattr(self.display, "rig", None)
        if self.seat is None or head is None:
            return
        facing = head.node.getH(self.seat)  # where the body faces, as the tracker sees it
        self.seat.setPosHpr(0.0, 0.0, 0.0, -facing, 0.0, 0.0)  # that is forward now ...
        pos = head.node.getPos(self.rig)
        self.seat.setPos(-pos[0], -pos[1], 0.0)  # ... and here is the rig's place (height kept)

    def gaze_offset_deg(self, pose: Any = None) -> float:
        """The 3-D angle between where the head looks (``pose``, default the head drawn now)
        and the gaze target (avoidance)."""
        from engine.display.head import angle_deg

        pose = pose if pose is not None else self.head_pose()
        return angle_deg(pose.heading, pose.pitch, *self.gaze())

    def _apply_lens(self) -> None:
        if self.lens is not None and self.scene.fov != self._fov:
            self._fov = self.scene.fov
            aspect = self.base.getAspectRatio()
            self.lens.setFov(self._fov, self._fov / aspect if aspect else self._fov)

    def _place_sounds(self, base: Any) -> Any:
        """Positional sounds are heard from their entity, by the head (the listener follows
        the head pose, tracked or simulated, every frame); None when there are none."""
        placed = [n for n in self.scene.built if n.sound is not None and n.entity.get("positional")]
        head = getattr(self.display, "rig", None)
        if not placed or head is None or not base.sfxManagerList:
            return None
        from direct.showbase.Audio3DManager import Audio3DManager

        audio3d = Audio3DManager(base.sfxManagerList[0], listener_target=head.node, root=base.render)
        for node in placed:
            audio3d.attachSoundToObject(node.sound, node.outer)
        return audio3d

    def stop(self) -> None:
        """Stop the per-frame task (frames can still be driven with ``tick``)."""
        self.base.taskMgr.remove(self.task)

    def close(self) -> None:
        """Stop, remove the veil and close the display, before the scene is destroyed."""
        self.stop()
        if self._high is not None:  # its buffers draw into the display's: they go first
            self._high.close()
            self._high = None
        self.veil.remove()
        if self.audio3d is not None:
            self.audio3d.disable()  # its listener task, before the head goes
            self.audio3d = None
        self.display.close()
        if self.rig is not None:
            self.rig.removeNode()
