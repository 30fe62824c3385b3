"""Textures for materials: procedural ones made with numpy at load, and image files.

Procedural textures need no downloads and no licences: each is a seeded function of its
name and size, so the same scenario looks the same on every machine. Made once per process
and kept (``functools.lru_cache``, keyed by every parameter), so 420 buildings share one
facade. Every texture tiles seamlessly (noise is made on a periodic grid) and is a base
colour image near white, so the entity's ``colour`` tints it; some come with a roughness
image (glTF's convention, roughness in green), which the ``high`` tier uses.

Each procedural texture has a natural size in metres (``NATURAL_METRES``): the default
``tiling`` of a material, so a window is a window's size and a floor tile a tile's.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
from panda3d.core import Filename, PNMImage, SamplerState, Texture

from engine.scenario.material import PROCEDURAL

log = logging.getLogger(__name__)

# metres per repeat when the author gives no 'tiling'
NATURAL_METRES = {
    "facade": 14.0,  # 4 bays of 3.5 m, 4 floors of 3.5 m
    "asphalt": 6.0,
    "grass": 4.0,
    "wood": 1.2,
    "carpet": 1.0,
    "metal": 1.0,
    "tiles": 1.2,  # 4 tiles of 30 cm
    "glass": 3.0,  # one pane
}
SIZE = 256  # texels a side: sharp enough at arm's length on a headset, 192 KiB each
assert set(NATURAL_METRES) == set(PROCEDURAL)


def _noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Smooth periodic value noise in [0, 1]: a random ``cells``² grid, bilinearly wrapped."""
    grid = rng.random((cells, cells))
    t = np.arange(size) * cells / size
    i0 = t.astype(int) % cells
    i1 = (i0 + 1) % cells
    f = t - np.floor(t)
    f = f * f * (3 - 2 * f)
    rows = grid[i0] * (1 - f)[:, None] + grid[i1] * f[:, None]
    return rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]


def _fractal(rng: np.random.Generator, size: int, octaves: tuple[int, ...] = (4, 8, 16, 32, 64)) -> np.ndarray:
    out = sum(_noise(rng, size, c) / (k + 1) for k, c in enumerate(octaves))
    out = out - out.min()
    return out / max(float(out.max()), 1e-9)


def _facade(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    wall = 0.78 + 0.12 * _fractal(rng, n)[..., None] * np.array([1.0, 0.98, 0.95])
    rough = np.full((n, n), 0.85)
    bay = n // 4  # 4 × 4 windows, one per 3.5 m bay and floor
    yy, xx = np.mgrid[0:n, 0:n]
    lx, ly = xx % bay, yy % bay
    # window: 60 % of the bay wide, from sill (30 %) to lintel (85 %), with a frame
    inside = (lx > 0.2 * bay) & (lx < 0.8 * bay) & (ly > 0.3 * bay) & (ly < 0.85 * bay)
    frame = (lx > 0.17 * bay) & (lx < 0.83 * bay) & (ly > 0.27 * bay) & (ly < 0.88 * bay) & ~inside
    mullion = inside & (np.abs(lx - 0.5 * bay) < 0.015 * bay)
    colour = wall.copy()
    colour[frame] = (0.32, 0.33, 0.35)
    # glass: dark blue-grey, lighter toward the top (the sky it reflects), each pane its own shade
    pane = rng.random((4, 4))
    shade = pane[yy // bay % 4, xx // bay % 4]
    sky = 0.18 + 0.25 * (ly / bay - 0.3) + 0.12 * shade
    glass = np.stack([sky * 0.75, sky * 0.88, sky * 1.05 + 0.04], axis=-1)
    lit = (shade > 0.85)[..., None] * np.array([0.45, 0.38, 0.2])  # a few windows with the lights on
    colour[inside] = np.clip(glass + lit, 0, 1)[inside]
    colour[mullion] = (0.3, 0.3, 0.32)
    sill = (lx > 0.15 * bay) & (lx < 0.85 * bay) & (ly >= 0.24 * bay) & (ly <= 0.27 * bay)
    colour[sill] = wall[sill] * 1.08
    rough[inside] = 0.08
    rough[frame | mullion] = 0.5
    return colour, rough


def _asphalt(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    grain = rng.random((n, n))
    base = 0.36 + 0.1 * _fractal(rng, n) + 0.12 * (grain - 0.5)
    speck = grain > 0.985
    base[speck] += 0.25
    colour = base[..., None] * np.array([1.0, 1.0, 1.03])
    return colour, 0.9 - 0.1 * grain


def _grass(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    patches = _fractal(rng, n)
    blades = rng.random((n, n))
    g = 0.6 + 0.2 * patches + 0.15 * (blades - 0.5)
    colour = np.stack([g * 0.55 + 0.1 * (1 - patches), g * 0.85, g * 0.35], axis=-1)
    return colour, None


def _wood(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:n, 0:n] / n
    warp = _fractal(rng, n, (2, 4, 8))
    rings = 0.5 + 0.5 * np.sin(2 * np.pi * (8 * xx + 1.5 * warp))  # 8 grain lines per tile, warped
    planks = (np.floor(xx * 6) * 0.37 % 1.0) * 0.15  # 6 planks, each its own shade
    seam = (xx * 6 % 1.0) < 0.03
    v = 0.55 + 0.2 * rings + planks
    v[seam] *= 0.5
    colour = np.stack([v, v * 0.72, v * 0.48], axis=-1)
    return colour, 0.55 + 0.2 * rings


def _carpet(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    fibre = rng.random((n, n))
    v = 0.7 + 0.15 * _fractal(rng, n, (8, 16, 32)) + 0.15 * (fibre - 0.5)
    return np.repeat(v[..., None], 3, axis=-1), None


def _metal(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    brushed = np.repeat(rng.random((n, 1)), n, axis=1)  # streaks along one direction
    v = 0.78 + 0.08 * brushed + 0.05 * _fractal(rng, n)
    return np.repeat(v[..., None], 3, axis=-1), 0.3 + 0.15 * brushed


def _tiles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    cell = n // 4
    yy, xx = np.mgrid[0:n, 0:n]
    grout = ((xx % cell) < 3) | ((yy % cell) < 3)
    shade = rng.random((4, 4))[yy // cell, xx // cell]
    v = 0.85 + 0.08 * shade + 0.04 * _fractal(rng, n, (8, 16))
    v[grout] = 0.55
    rough = np.where(grout, 0.9, 0.2)
    return np.repeat(v[..., None], 3, axis=-1), rough


def _glass(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """RGBA: clear glass (alpha 0.55 of the colour's) crossed by brighter, more opaque diagonal
    sheens, the reflections that tell an eye a pane is there, at either tier."""
    yy, xx = np.mgrid[0:n, 0:n] / n
    diagonal = (xx + yy) % 1.0
    sheen = np.exp(-(((diagonal - 0.3) / 0.05) ** 2)) + 0.6 * np.exp(-(((diagonal - 0.42) / 0.02) ** 2))
    sheen = np.clip(sheen + 0.06 * _fractal(rng, n, (4, 8)), 0, 1)
    rgb = np.stack([0.86 + 0.14 * sheen, 0.93 + 0.07 * sheen, np.ones_like(sheen)], axis=-1)
    alpha = 0.55 + 0.45 * sheen
    return np.concatenate([rgb, alpha[..., None]], axis=-1), np.full((n, n), 0.05)


_MAKERS = {
    "facade": _facade,
    "asphalt": _asphalt,
    "grass": _grass,
    "wood": _wood,
    "carpet": _carpet,
    "metal": _metal,
    "tiles": _tiles,
    "glass": _glass,
}


@functools.lru_cache(maxsize=64)
def procedural_pixels(name: str, size: int = SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """(base colour RGB(A) uint8 (size, size, 3 or 4), roughness uint8 (size, size) or None). Cached:
    the arrays are shared, so they are read-only."""
    colour, rough = _MAKERS[name](np.random.default_rng([seed, sum(map(ord, name))]), size)
    rgb = np.clip(np.asarray(colour) * 255 + 0.5, 0, 255).astype(np.uint8)
    rgb.setflags(write=False)
    r8 = None
    if rough is not None:
        r8 = np.clip(np.asarray(rough) * 255 + 0.5, 0, 255).astype(np.uint8)
        r8.setflags(write=False)
    return rgb, r8


def _to_texture(name: str, rgb: np.ndarray, srgb: bool) -> Texture:
    tex = Texture(name)
    h, w = rgb.shape[:2]
    alpha = rgb.shape[2] == 4
    fmt = (Texture.F_srgb_alpha if alpha else Texture.F_srgb) if srgb else (Texture.F_rgba if alpha else Texture.F_rgb)
    tex.setup2dTexture(w, h, Texture.T_unsigned_byte, fmt)
    # Panda3D wants rows bottom-up and BGR(A)
    pixels = rgb[::-1, :, [2, 1, 0, 3] if alpha else [2, 1, 0]]
    tex.setRamImage(np.ascontiguousarray(pixels).tobytes())
    _sampler(tex)
    return tex


def _sampler(tex: Texture) -> None:
    # mipmaps: a distant facade averages to its colour instead of shimmering; cheap on any renderer
    tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
    tex.setMagfilter(SamplerState.FT_linear)
    tex.setWrapU(SamplerState.WM_repeat)
    tex.setWrapV(SamplerState.WM_repeat)
    # no anisotropic filtering here: on llvmpipe it makes a textured frame 3× dearer; the
    # high tier turns it on (quality.py)


def mean_colour(texture: Texture) -> tuple[float, float, float]:
    """The average colour of a texture (what it looks like from afar), 0–1 RGB."""
    image = PNMImage()
    if not texture.store(image):
        return (1.0, 1.0, 1.0)
    image.makeRgb()
    pixels = np.array(
        [[image.getXel(x, y) for x in range(0, image.getXSize(), 4)] for y in range(0, image.getYSize(), 4)]
    )
    r, g, b = pixels.reshape(-1, 3).mean(axis=0)
    return float(r), float(g), float(b)


@functools.lru_cache(maxsize=64)
def procedural_texture(name: str, srgb: bool = False, size: int = SIZE) -> tuple[Texture, Texture | None]:
    """Panda3D textures (base colour, roughness in glTF's metal-roughness layout or None).
    ``srgb``: the colour image is sRGB-encoded (the ``high`` tier shades in linear light;
    the fixed-function ``low`` tier uses the values as they are)."""
    rgb, rough = procedural_pixels(name, size)
    colour = _to_texture(f"vrex-{name}", rgb, srgb)
    if rough is None:
        return colour, None
    mr = np.zeros((*rough.shape, 3), np.uint8)
    mr[..., 1] = rough  # glTF: roughness in green, metalness in blue (scaled by the material's)
    mr[..., 2] = 255
    return colour, _to_texture(f"vrex-{name}-mr", mr, srgb=False)  # data, never sRGB


@functools.lru_cache(maxsize=64)
def image_texture(path: Path, srgb: bool = False) -> Texture | None:
    """A PNG or JPEG file as a texture; None (and a warning) when it cannot be read, so a file
    that broke after validation shows the plain colour instead of stopping the scene."""
    image = PNMImage()
    if not image.read(Filename.fromOsSpecific(str(path))):
        log.warning("%s: cannot read the texture image; drawing the plain colour instead", path)
        return None
    tex = Texture(path.stem)
    tex.load(image)
    if srgb and tex.getNumComponents() >= 3:
        tex.setFormat(Texture.F_srgb_alpha if tex.getNumComponents() == 4 else Texture.F_srgb)
    _sampler(tex)
    return tex
