"""Scenes on a desktop view and on the simulated headset, from the same tests."""

from __future__ import annotations

import numpy as np
import pytest

from engine.app import FrameGrabber, SceneRunner
from engine.display import QUEST3_LIKE, make_display
from engine.display.head import StillHead

SCALE = 0.125  # 258×276 per eye: enough pixels to measure, cheap on a CPU


class Rendered:
    """A scene runner on one display, and the images each eye saw."""

    def __init__(self, base, runner: SceneRunner, kind: str):
        self.base, self.runner, self.kind = base, runner, kind
        self.grabber = FrameGrabber(base) if kind == "offscreen" else None
        self.eyes = ("mono",) if kind == "offscreen" else ("left", "right")

    def images(self) -> dict[str, np.ndarray]:
        self.base.graphicsEngine.renderFrame()
        self.base.graphicsEngine.renderFrame()  # a copy to RAM lags one frame on some pipes
        if self.grabber is not None:
            return {"mono": self.grabber.grab().astype(float)}
        return {eye: self.runner.display.eye_image(eye).astype(float) for eye in self.eyes}

    def close(self) -> None:
        if self.grabber is not None:
            self.base.win.clearRenderTextures()
        self.runner.close()


@pytest.fixture(params=["offscreen", "hmd-sim"])
def on_display(request, base):
    """``on_display(scene, driver, head=None)``: a SceneRunner on this test's display."""
    made: list[Rendered] = []

    def make(scene, driver, head=None) -> Rendered:
        kind = request.param
        display = make_display(kind, profile=QUEST3_LIKE.scaled(SCALE), head=head or StillHead())
        runner = SceneRunner(scene, driver, base, display=display)
        runner.stop()
        made.append(Rendered(base, runner, kind))
        return made[-1]

    yield make
    for r in made:
        r.close()
