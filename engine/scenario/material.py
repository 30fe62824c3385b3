"""The ``material:`` mapping of shape entities (box, plane, cylinder, sphere): how a surface
looks beyond its colour. Every key is optional, so format version 1 files mean what they did.

``texture`` is a procedural name (made with numpy at load, nothing to download) or a PNG or
JPEG file relative to the scenario. A file is checked here, at validation, so a missing,
huge or broken image is a FILE:LINE:COL line for the author rather than a surprise in front
of the patient (``media.texture_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.scenario import media
from engine.scenario.errors import Mark, Problems, did_you_mean
from engine.scenario.schema import INVALID, Field, Record, Type
from engine.scenario.valuetypes import Num, Str, Vec
from engine.scenario.yamlsafe import YNode, YScalar, YSeq

PROCEDURAL = ("facade", "asphalt", "grass", "wood", "carpet", "metal", "tiles", "glass")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class MaterialSpec:
    texture: str | None = None  # a procedural name, or a path relative to the scenario
    roughness: float = 0.8
    metalness: float = 0.0
    emission: float = 0.0
    tiling: tuple[float, float] | None = None  # metres per repeat (u, v); None: the texture's own
    mark: Mark = Mark(1, 1)

    @property
    def procedural(self) -> bool:
        return self.texture in PROCEDURAL

    def path(self, folder: Path) -> Path | None:
        return None if self.texture is None or self.procedural else folder / self.texture


class Texture(Type):
    """A procedural texture's name, or a PNG/JPEG path (checked on disk, relative to the file)."""

    doc_name = "text"

    def expected(self) -> str:
        return "one of " + ", ".join(f"'{n}'" for n in PROCEDURAL) + ", or a .png/.jpg file relative to the scenario"

    def check(self, node: YNode, p: Problems) -> Any:
        value = Str().check(node, p)
        if value is INVALID:
            return INVALID
        if value in PROCEDURAL:
            return value
        suffix = Path(value).suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            if not suffix:  # a name, not a file: a procedural texture misspelt
                return self.wrong(node, p, f"unknown texture '{value}'{did_you_mean(value, PROCEDURAL)}")
            return self.wrong(node, p, f"'{value}' is not an image this engine reads (PNG or JPEG)")
        full = p.path.parent / value
        if not full.is_file():
            return self.wrong(node, p, f"texture file '{value}' does not exist (looked for {full})")
        try:
            wrong = media.texture_problem(full)
        except OSError as exc:
            wrong = f"cannot be read ({exc.strerror or exc})"
        if wrong:
            p.add(node.mark, f"texture file '{value}' {wrong}", media.TEXTURE_FIX)
            return INVALID
        return value

    def json(self) -> dict[str, Any]:
        return {"type": "string"}


class Tiling(Type):
    """Metres per repeat: a number (both directions) or [u, v]."""

    doc_name = "number or [u, v]"
    unit = "m"

    def expected(self) -> str:
        return "metres per repeat of the texture: a number above 0, or [u, v]"

    def check(self, node: YNode, p: Problems) -> Any:
        each = Num(0.01, 10_000, unit="m")
        if isinstance(node, YSeq):
            return Vec(2, each, "u, v").check(node, p)
        if not isinstance(node, YScalar):
            return self.wrong(node, p)
        value = each.check(node, p)
        return INVALID if value is INVALID else (value, value)

    def json(self) -> dict[str, Any]:
        one = {"type": "number", "minimum": 0.01, "maximum": 10_000}
        return {"oneOf": [one, {"type": "array", "items": one, "minItems": 2, "maxItems": 2}]}


MATERIAL = Record(
    "material",
    {
        "texture": Field(
            Texture(),
            None,
            "A procedural texture (" + ", ".join(PROCEDURAL) + ") or a PNG/JPEG file relative to the scenario "
            f"(at most {media.MAX_TEXTURE_PIXELS} pixels a side, {media.MAX_TEXTURE_BYTES // 2**20} MiB). "
            "It is tinted by the entity's colour.",
        ),
        "roughness": Field(Num(0, 1), 0.8, "0 mirror-smooth (glass, polished metal) to 1 matte (concrete)."),
        "metalness": Field(Num(0, 1), 0.0, "0 for most things; 1 for bare metal."),
        "emission": Field(Num(0, 10), 0.0, "Glows with its own colour at this strength (lamps, screens); 0 none."),
        "tiling": Field(
            Tiling(),
            None,
            "Metres per repeat of the texture, one number or [u, v] (default: a procedural texture's own "
            "size, e.g. facade 14 m = 4 floors; 1 m for files).",
        ),
    },
    lambda v, m, mark: MaterialSpec(**v, mark=mark),
    "How a surface looks beyond its colour; every key optional. The 'high' quality tier shades "
    "roughness and metalness physically; 'low' keeps the texture, tiling and emission.",
)
