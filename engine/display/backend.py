"""The display backend protocol, and the desktop display (a window or an offscreen buffer).

A backend owns what reaches the patient's eyes and where their head is::

    eyes = display.open(base, anchor, near, far, background)   # eye buffers, cameras, overlay
    pose = display.begin_frame(t)       # the head at session time t, applied under the anchor
    ...                                 # the scene advances; Panda3D renders every buffer
    display.end_frame()                 # hand the images to the headset (OpenXR), if any
    display.close()

``anchor`` is where the scenario puts the patient: on a desktop the scenario's viewpoint
itself (a screen may turn and zoom as the author wrote), in a headset a level **rig** that
carries only the viewpoint's position and heading, because turning a head that the patient
did not turn makes people sick (headset.md, Meta's locomotion guidelines). The head pose
is applied under the anchor and is what the ``vrex-headpose`` stream reports.

``overlay`` is where head-locked content goes (only the calm veil): the 2-D layer on a
desktop, a layer of each eye buffer in a headset (a uniform fade has no depth cue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engine.display.head import HeadPose, HeadSource, StillHead
from engine.display.profile import EyeFov

DISPLAYS = ("window", "offscreen", "hmd-sim", "openxr")
STEREO = ("hmd-sim", "openxr")


@dataclass(frozen=True)
class EyeSpec:
    name: str  # "left", "right" or "mono"
    size: tuple[int, int]  # pixels rendered
    fov: EyeFov | None  # None: the scenario's own field of view (desktop)
    offset_m: float  # from the middle of the head, + to the right


class DisplayBackend(Protocol):
    name: str
    stereo: bool
    overlay: Any  # NodePath for head-locked content (the veil)

    def open(self, base: Any, anchor: Any, near: float, far: float, background: tuple[float, ...]) -> list[EyeSpec]: ...

    def begin_frame(self, t: float) -> HeadPose: ...

    def head_pose(self) -> HeadPose: ...

    def end_frame(self) -> None: ...

    def eye_image(self, eye: str = "left", step: int = 1) -> np.ndarray: ...

    def close(self) -> None: ...


class HeadRig:
    """The head node under an anchor, moved to each frame's pose."""

    def __init__(self, anchor: Any, source: HeadSource, lift: float = 0.0):
        self.node = anchor.attachNewNode("head")
        self.source = source
        self.lift = lift  # added to z: a source relative to the eyes, shown over a floor
        self.pose = HeadPose()

    def move(self, t: float) -> HeadPose:
        pose = self.source.pose(t)
        self.pose = pose = pose._replace(z=pose.z + self.lift) if self.lift else pose
        self.node.setPosHpr(pose.x, pose.y, pose.z, pose.heading, pose.pitch, pose.roll)
        return pose

    def remove(self) -> None:
        self.node.removeNode()


class FollowsHeadSource:
    """Frames for a display whose head comes from a ``HeadSource`` (not from a headset's
    tracking): each frame places ``self.rig`` (a ``HeadRig``) at the source's pose."""

    rig: HeadRig | None

    def begin_frame(self, t: float) -> HeadPose:
        return self.rig.move(t)

    def head_pose(self) -> HeadPose:
        return self.rig.pose

    def end_frame(self) -> None:
        pass


class DesktopDisplay(FollowsHeadSource):
    """A window or an offscreen buffer: Panda3D's own camera, under the head, under the
    scenario's viewpoint. Its lens follows the scenario's field of view (``SceneRunner``)."""

    stereo = False

    def __init__(self, head: HeadSource | None = None, name: str = "offscreen"):
        self.name = name
        self.source = head or StillHead()
        self.base: Any = None
        self.rig: HeadRig | None = None
        self.overlay: Any = None
        self._grabber: Any = None

    def open(self, base: Any, anchor: Any, near: float, far: float, background: tuple[float, ...]) -> list[EyeSpec]:
        self.base = base
        self.rig = HeadRig(anchor, self.source)
        base.camera.reparentTo(self.rig.node)
        base.camera.setPosHpr(0, 0, 0, 0, 0, 0)
        self.overlay = base.render2d
        size = (base.win.getXSize(), base.win.getYSize())
        return [EyeSpec("mono", size, None, 0.0)]

    def eye_image(self, eye: str = "left", step: int = 1) -> np.ndarray:
        """The window's last image (the first call adds a copy to RAM on every frame from
        then on, and renders one frame)."""
        if self._grabber is None:
            from engine.display.grab import FrameGrabber

            self._grabber = FrameGrabber(self.base)
            self.base.graphicsEngine.renderFrame()
        return self._grabber.grab()[::step, ::step].copy()

    def close(self) -> None:
        if self.base is not None:
            self.base.camera.reparentTo(self.base.render)
            if self._grabber is not None:  # Panda3D removes render textures only all at once
                self.base.win.clearRenderTextures()
        if self.rig is not None:
            self.rig.remove()
        self.rig = None
