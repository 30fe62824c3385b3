"""Scenario format version 1: every key, its type, unit, default and meaning.

This module is the single source of truth: validation, ``scenarios/README.md``'s key tables
(``vrex schema --markdown``) and the JSON Schema for editors (``vrex schema --json``) are all
generated from it, and a test keeps the committed copies in step.
"""

from __future__ import annotations

from typing import Any

from engine.scenario.creatures import EntityList, model_variant, spiders_variant
from engine.scenario.errors import Mark, Problems
from engine.scenario.flashes import FLICKER
from engine.scenario.material import MATERIAL
from engine.scenario.people import people_variant
from engine.scenario.properties import LOOK_BOUNDS
from engine.scenario.schema import INVALID, Any_, Bool, Colour, Field, ListOf, Num, Record, Str, Tagged, Type, Vec
from engine.scenario.spec import Binding, Calm, Comfort, Entity, Level, Meta, Motion, Viewpoint
from engine.scenario.text import ALIGN, MAX_CHARS, Label
from engine.scenario.yamlsafe import YNode, YSeq

FORMAT_VERSION = 1
NAME = r"[a-z][a-z0-9_]*"
METRES = Num(unit="m")
POSITION = Vec(3, Num(unit="m"))
ROTATION = Vec(3, Num(unit="deg"), names="heading, pitch, roll")
UNIT = Num(0, 1)
WHITE = (1.0, 1.0, 1.0, 1.0)


def _plain(cls: Any) -> Any:
    return lambda values, marks, mark: (
        cls(**values, marks=marks) if "marks" in cls.__dataclass_fields__ else cls(**values)
    )


class Scale(Type):
    """A number (uniform) or [x, y, z]; always returns a 3-tuple."""

    doc_name = "number or [x, y, z]"

    def expected(self) -> str:
        return "a positive number, or [x, y, z] of numbers"

    def check(self, node: YNode, p: Problems) -> Any:
        if isinstance(node, YSeq):
            return Vec(3, Num(0)).check(node, p)
        value = Num(0).check(node, p)
        return INVALID if value is INVALID else (value, value, value)

    def json(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "number", "minimum": 0}, Vec(3, Num(0)).json()]}


class FormatVersion(Num):
    """``format:``: any other whole number is a version this engine does not read, said so."""

    def check(self, node: YNode, p: Problems) -> Any:
        value = Num(integer=True).check(node, Problems(p.path))  # its own problems are said below
        if value is INVALID or value == FORMAT_VERSION:
            return super().check(node, p)
        p.add(
            node.mark,
            f"format {value} is not a version this engine reads (it reads format {FORMAT_VERSION})",
            f"'format: {FORMAT_VERSION}' for a file written for this vrex; a file written for a newer "
            "format needs a newer vrex",
        )
        return INVALID


class Look(Type):
    """[heading, pitch] of a gaze target, each with its own range (``LOOK_BOUNDS``)."""

    doc_name = "[heading, pitch]"
    unit = "deg"

    def expected(self) -> str:
        return "a list of 2 numbers [heading, pitch] in deg, heading from -180 to 180 and pitch from -89 to 89"

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YSeq) or len(node.items) != 2:
            return self.wrong(node, p)
        values = [Num(low, high, unit="deg").check(item, p) for item, (low, high) in zip(node.items, LOOK_BOUNDS)]
        return INVALID if INVALID in values else tuple(values)

    def json(self) -> dict[str, Any]:
        return {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "prefixItems": [Num(low, high).json() for low, high in LOOK_BOUNDS],
        }


class Point(Type):
    """[intensity, value]."""

    doc_name = "[intensity, value]"

    def expected(self) -> str:
        return "a pair [intensity, value] with intensity from 0 to 1"

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YSeq) or len(node.items) != 2:
            return self.wrong(node, p)
        at = UNIT.check(node.items[0], p)
        value = Any_().check(node.items[1], p)
        return INVALID if INVALID in (at, value) else (at, value, node.items[0].mark, node.items[1].mark)

    def json(self) -> dict[str, Any]:
        return {"type": "array", "minItems": 2, "maxItems": 2}


META = Record(
    "scenario",
    {
        "id": Field(
            Str(pattern=r"[a-z][a-z0-9_-]*", hint="a short lower-case name, e.g. 'heights'"),
            doc="Short name used in file names and session records.",
        ),
        "title": Field(Str(), doc="Title the therapist sees."),
        "phobia": Field(Str(), doc="What is feared, e.g. 'acrophobia'."),
        "author": Field(Str(), doc="Who wrote the scenario."),
        "version": Field(Str(), doc="The scenario's own version, e.g. '1.0'. Recorded with every session."),
        "description": Field(Str(), "", "Free text for therapists."),
    },
    _plain(Meta),
    "Metadata about the scenario.",
)

LEVEL = Record(
    "level",
    {
        "name": Field(Str(), doc="Short name of the hierarchy step."),
        "intensity": Field(UNIT, doc="Where the step sits on the continuous intensity scale."),
        "description": Field(Str(), doc="What the patient faces at this step, as a therapist reads it."),
    },
    lambda v, m, mark: Level(**v, mark=mark, marks=m),
    "One named point on the intensity scale.",
)

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
    _plain(Motion),
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


def _build_binding(values: dict[str, Any], marks: dict[str, Mark], mark: Mark) -> Any:
    has_range, has_points = values["range"] is not None, values["points"] is not None
    if has_range == has_points:
        # reported by check_scenario with the binding's mark; keep a placeholder
        points: tuple[Any, ...] = ()
    elif has_range:
        (a, b), (v0, v1) = values["over"], values["range"]
        points = ((a, v0), (b, v1))
    else:
        points = tuple((at, v) for at, v, _, _ in values["points"])
        marks = {
            **marks,
            **{f"points[{i}]": m for i, (_, _, m, _) in enumerate(values["points"])},
            **{f"points[{i}].value": m for i, (_, _, _, m) in enumerate(values["points"])},
        }
    return Binding(values["target"], points, values["interpolation"], mark, marks)


BINDING = Record(
    "binding",
    {
        "target": Field(
            Str(pattern=r"[a-z][a-z0-9_]*(\.[a-z_]+)*", hint="'entity.property', e.g. 'lift.position.z'"),
            doc="What the intensity drives: 'entity_id.property[.component]'.",
        ),
        "range": Field(
            ListOf(Any_(), 2, 2), None, "[value at over[0], value at over[1]]; linear between, held outside."
        ),
        "over": Field(Vec(2, UNIT, "from, to"), (0.0, 1.0), "Intensity interval over which 'range' changes."),
        "points": Field(ListOf(Point(), 2, 64), None, "[[intensity, value], ...] for a piecewise curve."),
        "interpolation": Field(
            Str(("linear", "smooth", "step")),
            "linear",
            "Between points: straight, eased (smoothstep), or jump at each point.",
        ),
    },
    _build_binding,
    "Maps intensity to one property. Give either 'range' or 'points'.",
)

VIEWPOINT = Record(
    "viewpoint",
    {
        "parent": COMMON["parent"],
        "position": Field(POSITION, (0.0, 0.0, 1.7), "Eye position (m) relative to the parent."),
        "rotation": Field(
            ROTATION,
            (0.0, 0.0, 0.0),
            "The eye's heading, pitch, roll (deg). A headset keeps only the heading: use 'look' to aim the gaze.",
        ),
        "look": Field(
            Look(),
            (0.0, 0.0),
            "Where the patient is asked to look, from the viewpoint's heading: heading, pitch (deg). "
            "Screens turn the eye there; in a headset it is a gaze target and the patient turns their own head.",
        ),
        "eye_height": Field(
            Num(0.3, 2.5, unit="m"),
            1.6,
            "How far the eye is above the floor the patient stands or sits on (m). A headset that "
            "knows the real floor (--space stage) puts the virtual floor this far below the viewpoint, "
            "so the patient's own eyes are at their real height over it.",
        ),
        "fov": Field(
            Num(20, 140, unit="deg"), 75.0, "Horizontal field of view on screens (deg); headsets use their own."
        ),
        "near": Field(Num(0.01, 10, unit="m"), 0.05, "Near clipping distance (m)."),
        "far": Field(Num(10, 100_000, unit="m"), 5000.0, "Far clipping distance (m)."),
    },
    _plain(Viewpoint),
    "The patient's eye. Bind 'viewpoint.position' etc. like an entity.",
)

COMFORT = Record(
    "comfort",
    {
        "max_intensity_rate": Field(
            Num(0, 1, unit="1/s", min_exclusive=True), 0.05, "Fastest change of intensity (per second)."
        ),
        "max_intensity_accel": Field(
            Num(0, 10, unit="1/s²", min_exclusive=True),
            0.05,
            "Fastest change of that rate, so motion starts and stops softly.",
        ),
        "max_camera_speed": Field(
            Num(0, 50, unit="m/s", min_exclusive=True),
            5.0,
            "Fastest the viewpoint may move because of intensity (m/s).",
        ),
        "max_camera_turn_rate": Field(
            Num(0, 180, unit="deg/s", min_exclusive=True),
            15.0,
            "Fastest the viewpoint may turn because of intensity (deg/s).",
        ),
    },
    _plain(Comfort),
    "Limits that keep motion comfortable (abrupt vection causes sickness).",
)

CALM = Record(
    "calm",
    {
        "intensity": Field(UNIT, 0.0, "Intensity of the calm state."),
        "fade_seconds": Field(Num(0.05, 3, unit="s"), 0.5, "Time to fade out to the calm colour and back in (s)."),
        "colour": Field(Colour(), (0.55, 0.7, 0.8, 1.0), "Colour of the veil the calm fade passes through."),
    },
    _plain(Calm),
    "What 'calm now' (space, stop) does: veil the view, move to this intensity, unveil.",
)

SCENARIO_FIELDS = {
    "format": Field(FormatVersion(1, 1, integer=True), doc="Format version; this engine reads 1."),
    "scenario": Field(META, doc="Metadata."),
    "levels": Field(ListOf(LEVEL, 8, 12), doc="The fear hierarchy: 8 to 12 levels in increasing intensity."),
    "viewpoint": Field(VIEWPOINT, None, "The patient's eye."),
    "comfort": Field(COMFORT, None, "Comfort limits."),
    "calm": Field(CALM, None, "The calm state."),
    "entities": Field(EntityList(ENTITY, 1), doc="What the scene is made of."),  # EntityList: checks 'avoid' ids
    "bindings": Field(ListOf(BINDING), [], "How intensity changes the scene."),
}
