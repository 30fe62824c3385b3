"""Materials in the format (issue 14): validation of textures, procedural textures, and the
state a material puts on a scene's nodes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from engine.scenario import ScenarioError, load_scenario, media
from tests.engine.scenario_text import scenario, where


def _png(width: int, height: int, rgb: tuple[int, int, int] = (200, 100, 50)) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")
    )


def _write(tmp_path: Path, material: str) -> tuple[Path, str]:
    text = scenario(entities=f"  - {{type: box, id: crate, material: {material}}}")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path, text


def _problem(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.problems) == 1, str(info.value)
    return str(info.value.problems[0])


def test_a_material_validates_with_every_key(tmp_path):
    (tmp_path / "wall.png").write_bytes(_png(8, 4))
    path, _ = _write(tmp_path, "{texture: wall.png, roughness: 0.2, metalness: 1, emission: 0.5, tiling: [2, 3]}")
    crate = next(e for e in load_scenario(path).entities if e.id == "crate")
    m = crate["material"]
    assert (m.texture, m.roughness, m.metalness, m.emission, m.tiling) == ("wall.png", 0.2, 1, 0.5, (2, 3))


def test_old_files_have_no_material(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(scenario(entities="  - {type: box, id: crate}"))
    assert next(e for e in load_scenario(path).entities if e.id == "crate")["material"] is None


@pytest.mark.parametrize(
    "texture, content, says",
    [
        ("gone.png", None, "does not exist"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged PNG"),
        ("cut.png", _png(16, 16)[:-20], "cut-off PNG"),
        ("huge.png", _png(media.MAX_TEXTURE_PIXELS + 1, 1), f"over the limit of {media.MAX_TEXTURE_PIXELS}"),
        ("text.png", b"hello, not an image", "not a PNG or JPEG image: it looks like text"),
        (
            "cut.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01",
            "cut-off JPEG",
        ),
        ("picture.gif", b"GIF89a", "not an image this engine reads"),
    ],
)
def test_bad_textures_are_one_line_at_the_value(tmp_path, texture, content, says):
    if content is not None:
        (tmp_path / texture).write_bytes(content)
    path, text = _write(tmp_path, f"{{texture: {texture}}}")
    line, col = where(text, texture)
    problem = _problem(path)
    assert problem.startswith(f"{path}:{line}:{col}: "), problem
    assert says in problem and "\n" not in problem


def test_a_jpeg_header_gives_its_size(tmp_path):
    jpeg = tmp_path / "ok.jpg"
    jpeg.write_bytes(
        b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
        + b"\x00" * 8
        + b"\xff\xd9"
    )
    assert media.texture_problem(jpeg) == ""
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg.read_bytes().replace(b"\x00\x10\x00\x20", b"\x00\x10\x20\x00"))  # 8192 wide
    assert "8192×16 pixels, over the limit" in media.texture_problem(big)


def test_an_unknown_procedural_name_suggests_the_near_one(tmp_path):
    path, _ = _write(tmp_path, "{texture: facde}")
    assert "unknown texture 'facde' (did you mean 'facade'?)" in _problem(path)


def test_out_of_range_material_values_are_refused(tmp_path):
    path, _ = _write(tmp_path, "{roughness: 2}")
    assert "2 is out of range — a number from 0 to 1" in _problem(path)
    path, _ = _write(tmp_path, "{tiling: 0}")
    assert "0 is out of range — a number from 0.01" in _problem(path)


def test_procedural_textures_are_deterministic_cached_and_tile(monkeypatch):
    from engine.scene import textures

    for name in textures.NATURAL_METRES:
        rgb, rough = textures.procedural_pixels(name, 64)
        assert rgb.shape[:2] == (64, 64) and rgb.shape[2] in (3, 4) and rgb.dtype == np.uint8
        assert rgb.std() > 1.0, f"{name} is flat"
        assert textures.procedural_pixels(name, 64)[0] is rgb  # cached, not made again
        textures.procedural_pixels.cache_clear()
        again, _ = textures.procedural_pixels(name, 64)
        assert again is not rgb and np.array_equal(again, rgb)  # made again: the same pixels
    # seamless: the jump across the wrap is like a step inside the texture
    grass, _ = textures.procedural_pixels("grass", 128)
    g = grass.astype(float).mean(axis=2)
    inside = np.abs(np.diff(g, axis=1)).mean()
    assert np.abs(g[:, 0] - g[:, -1]).mean() < 3 * inside


def test_a_facade_has_dark_windows_on_a_light_wall():
    from engine.scene import textures

    rgb, rough = textures.procedural_pixels("facade", 256)
    lum = rgb.astype(float).mean(axis=2)
    assert lum[0, 0] > 150  # the corner is wall: roofs take it
    assert (lum < 110).mean() > 0.15  # windows: a good part of the wall
    assert rough is not None and rough.min() < 40 and rough.max() > 200  # glass smooth, wall rough


def test_a_material_puts_texture_tiling_and_surface_on_the_mesh(tmp_path, scene_root):
    from panda3d.core import MaterialAttrib, TexMatrixAttrib, TextureAttrib

    from engine.scene import Scene

    path, _ = _write(tmp_path, "{texture: tiles, roughness: 0.3, metalness: 0.6, emission: 1, tiling: 0.5}")
    scene = Scene(load_scenario(path), scene_root)
    mesh = scene.nodes["crate"].inner.getChild(0)
    state = mesh.getState()
    assert state.getAttrib(TextureAttrib).getTexture().getName() == "vrex-tiles"
    material = state.getAttrib(MaterialAttrib).getMaterial()
    assert material.getRoughness() == pytest.approx(0.3) and material.getMetallic() == pytest.approx(0.6)
    assert material.getEmission()[0] > 0.5  # glows in the white box's colour
    scale = state.getAttrib(TexMatrixAttrib).getTransform(mesh.findAllTextureStages()[0]).getScale()
    assert scale[0] == pytest.approx(2.0)  # 0.5 m per repeat: 2 repeats a metre
    assert mesh.node().getGeom(0).getVertexData().getFormat().getColumn("texcoord") is not None


def test_a_texture_that_breaks_after_validation_draws_the_colour(tmp_path, scene_root, caplog):
    from panda3d.core import TextureAttrib

    from engine.scene import Scene

    (tmp_path / "wall.png").write_bytes(_png(4, 4))
    path, _ = _write(tmp_path, "{texture: wall.png}")
    spec = load_scenario(path)
    (tmp_path / "wall.png").write_bytes(b"not any more")
    scene = Scene(spec, scene_root)
    mesh = scene.nodes["crate"].inner.getChild(0)
    assert not mesh.getState().hasAttrib(TextureAttrib)
    assert "cannot read the texture" in caplog.text


def test_scattered_facades_get_metre_coordinates_and_plain_roofs(scene_root, tmp_path):
    from panda3d.core import GeomVertexReader

    from engine.scene import Scene

    text = scenario(
        entities="  - {type: scatter, id: city, count: 3, area: [200, 200], seed: 1, scale_min: [10, 10, 20],"
        " scale_max: [10, 10, 20], item: {type: box, position: [0, 0, 0.5], material: {texture: facade}}}"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scene = Scene(load_scenario(path), scene_root)
    geom_np = scene.nodes["city"].inner.find("**/+GeomNode")
    data = geom_np.node().getGeom(0).getVertexData()
    uv, nrm = GeomVertexReader(data, "texcoord"), GeomVertexReader(data, "normal")
    side, top = [], []
    for _ in range(data.getNumRows()):
        u, v = uv.getData2()
        (top if abs(nrm.getData3()[2]) > 0.5 else side).append((u, v))
    assert max(v for _, v in side) == pytest.approx(20.0)  # a 20 m wall: 20 m of facade
    assert max(u for u, _ in side) == pytest.approx(10.0)
    assert all(u == 0 and v == 0 for u, v in top)  # roofs: the wall's colour, no windows
