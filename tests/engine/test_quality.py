"""Quality tiers (issue 14): auto picks low on software renderers; both tiers draw a frame
offscreen; high goes away cleanly; --quality reaches the runner through the environment."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pytest

from engine.scenario import load_scenario
from tests.engine.scenario_text import scenario

LOOK = """
  - {type: sky, colour: [0.3, 0.5, 0.9], horizon_colour: [0.8, 0.85, 0.9]}
  - {type: fog, density: 0.01}
  - {type: light, kind: directional, rotation: [30, -50, 0]}
  - {type: plane, size: [40, 40], position: [0, 10, 0], colour: [0.5, 0.6, 0.4], material: {texture: grass}}
  - {type: box, size: [3, 3, 6], position: [0, 12, 3], material: {texture: facade, tiling: 3, roughness: 0.3}}
"""


def _frame(base, tmp_path, quality):
    from engine.app import FrameGrabber, SceneRunner
    from engine.easing import IntensityDriver
    from engine.scene import Scene

    path = tmp_path / "s.yaml"
    path.write_text(scenario(viewpoint="{position: [0, 0, 2.5], rotation: [0, -10, 0]}", entities=LOOK))
    spec = load_scenario(path)
    scene = Scene(spec, base.render)
    runner = SceneRunner(scene, IntensityDriver(spec.comfort, spec.calm), base, quality=quality)
    runner.stop()
    grabber = FrameGrabber(base)
    try:
        runner.tick(1 / 60)
        base.graphicsEngine.renderFrame()
        base.graphicsEngine.renderFrame()  # the second frame: shadow map drawn before the scene
        return runner.quality, grabber.grab().astype(float)
    finally:
        base.win.clearRenderTextures()
        runner.close()
        scene.destroy()
        base.render.clearLight()
        base.render.clearFog()


def test_auto_is_low_on_this_software_renderer(base):
    from engine.scene.quality import is_software, resolve

    if not is_software(base):  # CI and these machines render on the CPU; a lent GPU machine does not
        assert resolve("auto", base) == "high"
        return
    assert resolve("auto", base) == "low"
    assert resolve("low", base) == "low"


def test_the_session_record_names_the_tier(base, monkeypatch):
    from engine.app import renderer_name
    from engine.scene.quality import ENV, is_software

    monkeypatch.delenv(ENV, raising=False)
    auto = "low" if is_software(base) else "high"  # 'high' on a lent GPU machine
    assert renderer_name(base).endswith(f", quality {auto}")  # session.json keeps this string
    if "tiny" not in base.pipe.getType().getName().lower():
        monkeypatch.setenv(ENV, "high")
        assert renderer_name(base).endswith(", quality high")


def test_the_renderer_string_decides(monkeypatch):
    from engine.scene import quality

    class Gsg:
        def __init__(self, name):
            self.name = name

        def getDriverRenderer(self):
            return self.name

    class Base:
        def __init__(self, pipe, renderer):
            self.pipe = type("P", (), {"getType": lambda s: type("T", (), {"getName": lambda t: pipe})()})()
            self.win = type("W", (), {"getGsg": lambda s: Gsg(renderer)})()

    assert quality.resolve("auto", Base("eglGraphicsPipe", "NVIDIA H100/PCIe/SSE2")) == "high"
    for soft in ("llvmpipe (LLVM 15.0.6, 256 bits)", "softpipe", "Mesa swrast"):
        assert quality.resolve("auto", Base("eglGraphicsPipe", soft)) == "low"
    assert quality.resolve("high", Base("TinyXGraphicsPipe", "")) == "low"  # no shaders at all


def test_quality_comes_from_the_environment(monkeypatch, caplog):
    from engine.scene import quality

    monkeypatch.delenv(quality.ENV, raising=False)
    assert quality.requested() == "auto"
    monkeypatch.setenv(quality.ENV, "high")
    assert quality.requested() == "high"
    monkeypatch.setenv(quality.ENV, "ultra")
    with caplog.at_level(logging.WARNING):
        assert quality.requested() == "auto"
    assert "ultra is not a quality tier" in caplog.text


def test_quality_option_is_shared_and_checked(monkeypatch, capsys):
    from engine.commands.display_args import QUALITY_ENV, add_display_arguments, display_from

    monkeypatch.delenv(QUALITY_ENV, raising=False)
    parser = argparse.ArgumentParser()
    add_display_arguments(parser)
    args = parser.parse_args(["--display", "offscreen", "--quality", "low"])
    display_from(args)
    import os

    assert os.environ[QUALITY_ENV] == "low"
    with pytest.raises(SystemExit):
        parser.parse_args(["--quality", "ultra"])
    assert "invalid choice: 'ultra'" in capsys.readouterr().err


def test_low_draws_textures(base, tmp_path):
    tier, image = _frame(base, tmp_path, "low")
    assert tier == "low"
    assert image.std() > 10  # sky, grass, a facade: not one flat colour


@pytest.mark.slow
def test_high_draws_and_goes_away_cleanly(base, tmp_path):
    if "tiny" in base.pipe.getType().getName().lower():
        pytest.skip("p3tinydisplay has no shaders: high falls back to low (tested above)")
    _, low = _frame(base, tmp_path, "low")
    tier, high = _frame(base, tmp_path, "high")
    assert tier == "high"
    assert high.std() > 10 and high.mean() > 20  # drawn, not black
    assert np.abs(high - low).mean() > 2  # shaded differently from the fixed-function path
    assert base.render.getShader() is None  # closing removed the PBR shader from the scene graph
    _, again = _frame(base, tmp_path, "low")
    assert np.abs(again - low).mean() < 1  # and the next low frame is as before


def test_low_draws_planes_in_their_textures_average_colour(base, tmp_path):
    """Planes fill the view; textured pixels cost llvmpipe 2-3× plain ones (render_fps.py)."""
    from panda3d.core import ColorScaleAttrib, TextureAttrib

    from engine.app import SceneRunner
    from engine.easing import IntensityDriver
    from engine.scene import Scene
    from engine.scene.textures import procedural_pixels

    path = tmp_path / "s.yaml"
    path.write_text(scenario(entities=LOOK.replace("position: [0, 10, 0]", "id: ground, position: [0, 10, 0]")))
    spec = load_scenario(path)
    scene = Scene(spec, base.render)
    runner = SceneRunner(scene, IntensityDriver(spec.comfort, spec.calm), base, quality="low")
    try:
        ground = scene.nodes["ground"].inner.find("**/+GeomNode")
        state = ground.getNetState()
        assert state.getAttrib(TextureAttrib).isOff()
        scale = state.getAttrib(ColorScaleAttrib).getScale()
        expected = procedural_pixels("grass")[0].reshape(-1, 3).mean(axis=0) / 255
        assert np.allclose(tuple(scale)[:3], expected, atol=0.03)
        box = next(n for n in scene.built if n.entity.type == "box" and n.entity.get("material"))
        assert box.inner.find("**/+GeomNode").getNetState().getAttrib(TextureAttrib).getTexture() is not None
    finally:
        runner.close()
        scene.destroy()
        base.render.clearLight()
        base.render.clearFog()
