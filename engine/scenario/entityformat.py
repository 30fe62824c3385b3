"""Scenario format version 1, entities: the keys every entity shares (``COMMON``), its
optional ``motion``, and each entity type's own keys (``ENTITY``, told apart by ``type``).

The entity types are most of the format and the part that grows (people, spiders and
materials already live in modules of their own); ``format.py`` keeps the top level of a file
and the other records, and takes ``ENTITY`` from here.
"""

from __future__ import annotations

from typing import Any

from engine.scenario.creatures import model_variant, spiders_variant
from engine.scenario.errors import Mark
from engine.scenario.flashes import FLICKER
from engine.scenario.formattypes import NAME, POSITION, ROTATION, UNIT, WHITE, Scale, plain_builder
from engine.scenario.material import MATERIAL
from engine.scenario.people import people_variant
from engine.scenario.schema import Field, ListOf, Record, Tagged
from engine.scenario.spec import Entity, Motion
from engine.scenario.text import ALIGN, MAX_CHARS, Label
from engine.scenario.valuetypes import Bool, Colour, Num, Str, Vec

MOTION = Record(
    "motion",
    {
        "kind": Field(
            Str(("sway", "bob", "wander", "approach", "spin")),
            doc="sway: rock about an axis; bob: up and down; wander: drift around the "
            "base position; approach: move toward the viewpoint and back; spin: turn.",
        ),
        "amplitude": Field(Num(0), 0.0, "deg for sway; m for bob, wander and approach; unused by spin."),
        "speed": Field(Num(0), 0.0, "Hz for sway and bob; m/s for wander and approach; deg/s for spin."),
        "axis": Field(Str(("h", "p", "r")), "r", "Sway axis: heading, pitch or roll."),
    },
    plain_builder(Motion),
    "Procedural movement; amplitude and speed can be bound to intensity.",
)

COMMON = {
    "id": Field(
        Str(pattern=NAME, hint="a name of lower-case letters, digits and '_'"),
        None,
        "Name used by bindings and 'parent'.",
    ),
    "parent": Field(
        Str(pattern=NAME, hint="the id of another entity"), None, "Attach to another entity, so it moves with it."
    ),
    "position": Field(POSITION, (0.0, 0.0, 0.0), "Offset from the parent (m). x right, y forward, z up."),
    "rotation": Field(ROTATION, (0.0, 0.0, 0.0), "Heading, pitch, roll (deg)."),
    "scale": Field(Scale(), (1.0, 1.0, 1.0), "Uniform number or per axis."),
    "colour": Field(Colour(), WHITE, "Base colour."),
    "opacity": Field(UNIT, 1.0, "1 opaque, 0 invisible; below 1 the entity is drawn blended."),
    "visible": Field(Bool(), True, "Whether it is drawn."),
    "lit": Field(Bool(), True, "Whether lights shade it (false: flat colour)."),
    "motion": Field(MOTION, None, "Optional procedural movement."),
}


def _entity_builder(kind: str) -> Any:
    def build(values: dict[str, Any], marks: dict[str, Mark], mark: Mark) -> Entity:
        values = dict(values)
        values.pop("type", None)
        return Entity(kind, values.pop("id", None), values, mark, marks)

    return build


def _variant(kind: str, doc: str, own: dict[str, Field], common: tuple[str, ...] | None = None) -> Record:
    fields = {"type": Field(Str((kind,)), doc=f"'{kind}'")}
    fields.update({k: f for k, f in COMMON.items() if common is None or k in common})
    fields.update(own)
    return Record(kind, fields, _entity_builder(kind), doc)


ENTITY = Tagged("entity", {})
SEGMENTS = Num(3, 128, integer=True)
ENTITY.variants.update(
    {
        "box": _variant(
            "box",
            "A box centred on its position.",
            {"size": Field(Vec(3, Num(0, min_exclusive=True, unit="m")), (1.0, 1.0, 1.0), "Width, depth, height (m).")},
        ),
        "plane": _variant(
            "plane",
            "A flat horizontal rectangle facing up, centred on its position.",
            {
                "size": Field(
                    Vec(2, Num(0, min_exclusive=True, unit="m"), "x, y"), (10.0, 10.0), "Width and depth (m)."
                ),
                "double_sided": Field(Bool(), False, "Also visible from below."),
            },
        ),
        "cylinder": _variant(
            "cylinder",
            "An upright cylinder standing on its position.",
            {
                "radius": Field(Num(0, min_exclusive=True, unit="m"), 0.5, "Radius (m)."),
                "height": Field(Num(0, min_exclusive=True, unit="m"), 1.0, "Height (m)."),
                "segments": Field(SEGMENTS, 16, "Facets around."),
            },
        ),
        "sphere": _variant(
            "sphere",
            "A sphere centred on its position.",
            {
                "radius": Field(Num(0, min_exclusive=True, unit="m"), 0.5, "Radius (m)."),
                "segments": Field(SEGMENTS, 16, "Facets around."),
            },
        ),
        "model": _variant(
            "model",
            "A glTF (.gltf, .glb) or Panda3D (.bam, .egg) model file.",
            {
                "path": Field(
                    Str(hint="a path relative to the scenario file"), doc="Model file, relative to the scenario file."
                )
            },
        ),
        "group": _variant(
            "group",
            "Entities that move, scale and colour together.",
            {"children": Field(ListOf(ENTITY), [], "The group's entities.")},
        ),
        "array": _variant(
            "array",
            "Copies of one entity in a row: item i is moved by i × step.",
            {
                "item": Field(ENTITY, doc="The entity to copy (any type)."),
                "count": Field(
                    Num(1, 2000, integer=True), doc="How many copies are built; bind 'count' to show fewer."
                ),
                "step": Field(POSITION, (1.0, 0.0, 0.0), "Offset between neighbours (m)."),
                "step_rotation": Field(ROTATION, (0.0, 0.0, 0.0), "Rotation added per copy (deg)."),
            },
        ),
        "scatter": _variant(
            "scatter",
            "Copies of one entity at seeded random places in a rectangle.",
            {
                "item": Field(ENTITY, doc="The entity to copy (any type)."),
                "count": Field(
                    Num(1, 5000, integer=True), doc="How many copies are built; bind 'count' to show fewer."
                ),
                "area": Field(
                    Vec(2, Num(0, min_exclusive=True, unit="m"), "x, y"), doc="Width and depth of the rectangle (m)."
                ),
                "seed": Field(Num(0, integer=True), 0, "Random seed: the same seed gives the same layout."),
                "exclude_radius": Field(
                    Num(0, unit="m"), 0.0, "Keep a circle of this radius around the centre empty (m)."
                ),
                "scale_min": Field(Vec(3, Num(0)), (1.0, 1.0, 1.0), "Smallest random scale per axis."),
                "scale_max": Field(Vec(3, Num(0)), (1.0, 1.0, 1.0), "Largest random scale per axis."),
                "random_heading": Field(Bool(), False, "Turn each copy to a random heading."),
                "colour_jitter": Field(UNIT, 0.0, "Random brightness change per copy (fraction)."),
                "min_spacing": Field(
                    Num(0, 1000, unit="m"),
                    0.0,
                    "Keep copies at least this far apart (m, between their positions); 0: anywhere.",
                ),
            },
        ),
        "text": _variant(
            "text",
            "Words in the scene (a sign, a floor indicator), upright and facing along its rotation.",
            {
                "text": Field(Label(), doc=f"What it says: 1 to {MAX_CHARS} characters; '\\n' starts a new line."),
                "size": Field(Num(0, 100, min_exclusive=True, unit="m"), 0.3, "Letter height: one line (m)."),
                "align": Field(Str(ALIGN), "centre", "Which end of each line sits on the position."),
                "billboard": Field(Bool(), False, "Always turn to face the viewer (rotation ignored)."),
                "lit": Field(Bool(), False, "Whether lights shade it; off: it glows in its colour, like a display."),
            },
        ),
        "light": _variant(
            "light",
            "A light. Directional lights shine along their heading and pitch.",
            {
                "kind": Field(Str(("ambient", "directional", "point")), doc="Which light."),
                "strength": Field(Num(0, 10), 1.0, "Multiplies the colour."),
                "flicker": Field(FLICKER, None, "Optional flicker: dips 'rate' times a second (at most 3 flashes/s)."),
            },
            common=("id", "parent", "position", "rotation", "colour", "visible"),
        ),
        "fog": _variant(
            "fog",
            "Exponential distance fog over the whole scene.",
            {"density": Field(Num(0, 1, unit="1/m"), 0.002, "Exponential density (1/m).")},
            common=("id",),
        ),
        "sky": _variant(
            "sky",
            "Sky dome around the viewpoint.",
            {
                "colour": Field(Colour(), (0.45, 0.65, 0.9, 1.0), "Colour overhead."),
                "horizon_colour": Field(Colour(), (0.8, 0.87, 0.95, 1.0), "Colour at the horizon."),
            },
            common=("id",),
        ),
        "sound": _variant(
            "sound",
            "A looping or one-shot sound (.wav, .ogg, .flac, .mp3).",
            {
                "path": Field(
                    Str(hint="a path relative to the scenario file"), doc="Sound file, relative to the scenario file."
                ),
                "volume": Field(UNIT, 1.0, "Volume from 0 (silent) to 1."),
                "loop": Field(Bool(), True, "Repeat forever."),
                "positional": Field(
                    Bool(),
                    False,
                    "Heard from where it is ('position', 'parent'): louder near, and from the side the head "
                    "turns from. Off: the same everywhere (wind, the hum of a city). Mono files only.",
                ),
            },
            common=("id", "position", "parent"),
        ),
    }
)
ENTITY.variants["fog"].fields["colour"] = Field(Colour(), (0.8, 0.85, 0.9, 1.0), "Fog colour.")
ENTITY.variants["people"] = people_variant(COMMON, _entity_builder("people"))  # keys: engine/scenario/people.py
ENTITY.variants["spiders"] = spiders_variant(COMMON, _entity_builder("spiders"))  # engine/scenario/creatures.py
ENTITY.variants["model"] = model_variant(ENTITY.variants["model"])  # adds 'animation' (a clip of the file)
for _shape in ("box", "plane", "cylinder", "sphere"):  # optional: old files mean what they did
    ENTITY.variants[_shape].fields["material"] = Field(
        MATERIAL, None, "Surface: texture, roughness, metalness, emission, tiling (see 'material')."
    )
