"""A glTF model playing one of its animation clips, through Panda3D's ``Actor``.

The Actor's own ``loop()`` follows the wall clock; here the clip's time is integrated from
``dt`` at the bound play rate and posed frame by frame, so previews and tests are
deterministic and a change of rate never makes the pose jump.
"""

from __future__ import annotations

import logging

from panda3d.core import NodePath

from engine.errors import VrexError

log = logging.getLogger(__name__)


class ClipPlayer:
    def __init__(self, model: NodePath, clip: str, loop: bool, speed: float, where: str):
        from direct.actor.Actor import Actor  # only scenes with an animated model need it

        self.actor = Actor(model)
        names = self.actor.getAnimNames()
        if clip not in names:  # validation says so first; a stand-in or edited file may not
            has = ", ".join(f"'{n}'" for n in names) or "none"
            raise VrexError(f"{where}: the model has no animation clip '{clip}' — one of the clips it has: {has}")
        self.control = self.actor.getAnimControl(clip)
        self.frames = max(1, self.control.getNumFrames())
        self.fps = self.control.getFrameRate() or 30.0
        self.loop = loop
        self.speed = float(speed)
        self.time = 0.0  # seconds into the clip at play rate 1
        self.control.pose(0)

    @property
    def frame(self) -> float:
        """The clip's frame now (fractional; Panda3D blends between frames)."""
        f = self.time * self.fps
        return f % self.frames if self.loop else min(f, self.frames - 1.0)

    def advance(self, dt: float) -> None:
        if self.speed == 0.0 or dt <= 0.0:
            return
        self.time += dt * self.speed
        self.control.pose(self.frame)

    def cleanup(self) -> None:
        self.actor.cleanup()
