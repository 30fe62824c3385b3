"""Offscreen previews: one PNG per level and a contact sheet of all of them.

A therapist or author reads the contact sheet to check the hierarchy at a glance, so each
tile is captioned with the level's number, name and intensity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from panda3d.core import PNMImage, TextNode, Texture

from engine.app import FrameGrabber, SceneRunner, open_base
from engine.display.head import HeadPose
from engine.easing import IntensityDriver
from engine.errors import VrexError
from engine.scenario.spec import ScenarioSpec
from engine.scene import Scene


@dataclass(frozen=True)
class PreviewResult:
    levels: list[Path]
    contact_sheet: Path
    images: list[np.ndarray]


def writable_folder(out: Path) -> Path:
    """Create ``out`` or say plainly why it cannot be written, before any rendering."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".vrex-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise VrexError(f"{out}: cannot write there ({exc.strerror}) — choose another folder with --out") from exc
    return out


def render_previews(
    spec: ScenarioSpec,
    out: Path,
    size: tuple[int, int] = (1280, 720),
    display: str | None = None,
    base: Any = None,
    columns: int = 3,
    headset: Any = None,
    quality: str | None = None,
) -> PreviewResult:
    """Render every level of ``spec`` offscreen into ``out``; return the files written.
    ``display`` is the offscreen renderer. With ``headset`` (a ``DisplayConfig`` for
    hmd-sim) each level gets a left and a right eye image (``..._left.png``,
    ``..._right.png``), the head looking where the scenario asks the patient to look (its
    gaze target); the contact sheet shows the left eyes. ``images`` are the left eyes then.
    ``quality``: auto, low or high (engine/scene/quality.py); None: what --quality asked."""
    writable_folder(out)
    own_base = base is None
    base = base or open_base(offscreen=True, size=(64, 64) if headset else size, display=display)
    scene = Scene(spec, base.render)
    driver = IntensityDriver(spec.comfort, spec.calm)
    gazing = LookingWhereAsked()
    backend = headset.backend(head=gazing) if headset is not None else None
    runner = SceneRunner(scene, driver, base, display=backend, quality=quality)  # None: --quality's
    runner.stop()  # frames are rendered one by one below
    gazing.gaze = runner.gaze
    grabber = FrameGrabber(base) if backend is None else None
    caption = _caption(base) if backend is None else None  # a headset's eyes get no 2-D caption
    paths, images = [], []
    try:
        for index, level in enumerate(spec.levels):
            driver.jump_to(level.intensity)  # a preview shows each level as it is
            runner.tick(0.0)
            stem = f"level_{index + 1:02d}_{_slug(level.name)}"
            if caption is not None:
                caption.node().setText(
                    f"{index + 1}/{len(spec.levels)}  {level.name}  -  intensity {level.intensity:.2f}"
                )
            base.graphicsEngine.renderFrame()
            base.graphicsEngine.renderFrame()  # the copy to RAM lags one frame on some pipes
            if backend is None:
                images.append(grabber.grab().copy())
                path = out / f"{stem}.png"
                grabber.texture.write(str(path))
            else:
                for eye in ("left", "right"):
                    pixels = backend.eye_image(eye)
                    _write_png(pixels, out / f"{stem}_{eye}.png")
                    if eye == "left":
                        images.append(pixels)
                path = out / f"{stem}_left.png"
            paths.append(path)
        sheet = out / "contact_sheet.png"
        _contact_sheet(paths, sheet, columns)
    finally:
        if caption is not None:
            caption.removeNode()
        base.win.clearRenderTextures()
        runner.close()
        scene.destroy()
        if own_base:
            base.destroy()
    return PreviewResult(paths, sheet, images)


class LookingWhereAsked:
    """A headset's head that looks at the scenario's gaze target (``gaze``: set once the
    scene runner exists), as a patient who does what is asked would."""

    def __init__(self):
        self.gaze = lambda: (0.0, 0.0)

    def pose(self, t: float) -> HeadPose:
        heading, pitch = self.gaze()
        return HeadPose(heading=heading, pitch=pitch)


def _write_png(pixels: np.ndarray, path: Path) -> None:
    """An RGB image (top row first) to a PNG file."""
    height, width = pixels.shape[:2]
    texture = Texture("eye")
    texture.setup2dTexture(width, height, Texture.T_unsigned_byte, Texture.F_rgb)
    texture.setRamImage(np.ascontiguousarray(pixels[::-1, :, 2::-1]).tobytes())  # Panda3D: rows bottom-up, BGR
    if not texture.write(str(path)):
        raise VrexError(f"{path}: could not write the image — check free space and permissions")


def _caption(base: Any) -> Any:
    text = TextNode("caption")
    text.setTextColor(1, 1, 1, 1)
    text.setShadow(0.06, 0.06)
    text.setShadowColor(0, 0, 0, 0.8)
    text.setCardColor(0, 0, 0, 0.45)
    text.setCardAsMargin(0.4, 0.4, 0.2, 0.2)
    node = base.a2dTopLeft.attachNewNode(text)
    node.setScale(0.07)
    node.setPos(0.08, 0, -0.12)
    return node


def _contact_sheet(paths: list[Path], out: Path, columns: int, tile_width: int = 480) -> None:
    first = PNMImage()
    first.read(str(paths[0]))
    tile_height = round(tile_width * first.getYSize() / first.getXSize())
    rows = math.ceil(len(paths) / columns)
    gap = 6
    sheet = PNMImage(columns * (tile_width + gap) + gap, rows * (tile_height + gap) + gap)
    sheet.fill(0.12, 0.12, 0.14)
    for i, path in enumerate(paths):
        full = PNMImage()
        full.read(str(path))
        tile = PNMImage(tile_width, tile_height)
        tile.gaussianFilterFrom(1.0, full)
        x = gap + (i % columns) * (tile_width + gap)
        y = gap + (i // columns) * (tile_height + gap)
        sheet.copySubImage(tile, x, y)
    if not sheet.write(str(out)):
        raise VrexError(f"{out}: could not write the contact sheet — check free space and permissions")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")
