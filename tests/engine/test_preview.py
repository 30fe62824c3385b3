"""Previews rendered offscreen: one distinct, non-blank image per level and a contact sheet."""

from __future__ import annotations

import numpy as np
import pytest
from panda3d.core import PNMImage

from engine.preview import render_previews
from engine.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("name", ["heights", "spiders", "claustrophobia", "public_speaking"])
def test_previews_differ_between_levels_and_are_not_blank(name, base, tmp_path):
    spec = load_scenario(SCENARIOS / f"{name}.yaml")
    result = render_previews(spec, tmp_path, base=base)
    assert len(result.levels) == len(spec.levels)
    for path, image in zip(result.levels, result.images):
        assert path.is_file() and path.stat().st_size > 1000
        assert image.shape == (180, 320, 3)
        assert image.std() > 10, f"{path.name} is nearly uniform"
        png = PNMImage()
        assert png.read(str(path)) and (png.getXSize(), png.getYSize()) == (320, 180)
    for a, b, (la, lb) in zip(result.images, result.images[1:], zip(spec.levels, spec.levels[1:])):
        # a far 8 cm spider is a small patch at 320×180: count clearly changed pixels
        changed = int((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 40).sum())
        assert changed >= 12, f"levels '{la.name}' and '{lb.name}' look the same ({changed} pixels differ)"
    sheet = PNMImage()
    assert sheet.read(str(result.contact_sheet))
    assert sheet.getXSize() > 3 * 400 and sheet.getYSize() > 2 * 200


def test_heights_preview_shows_more_ground_and_less_sky_as_it_rises(base, tmp_path):
    """A person sees 'higher and more exposed': the sky shrinks as the eye climbs and tilts down."""
    spec = load_scenario(SCENARIOS / "heights.yaml")
    images = render_previews(spec, tmp_path, base=base).images

    def sky_fraction(img):  # clearly blue pixels: only the sky is blue in this scene
        img = img.astype(int)
        return ((img[..., 2] - img[..., 0]) > 40).mean()

    first, last = sky_fraction(images[0]), sky_fraction(images[-1])
    assert first > 0.15 and last < 0.02
