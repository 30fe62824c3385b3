"""Reading back what was drawn: a window's or an eye buffer's frame as numpy."""

from __future__ import annotations

from typing import Any

import numpy as np
from panda3d.core import GraphicsOutput, Texture

from engine.errors import VrexError


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
        return pixels[::-1, :, 2::-1]  # Panda3D keeps rows bottom-up and channels as BGR(A)
