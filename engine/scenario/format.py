"""Scenario format version 1: every key, its type, unit, default and meaning.

This module and ``entityformat.py`` (the entity types, which are most of the format) are the
single source of truth: validation, ``scenarios/README.md``'s key tables
(``vrex schema --markdown``) and the JSON Schema for editors (``vrex schema --json``) are all
generated from them, and a test keeps the committed copies in step. Here: the top level of a
file (``SCENARIO_FIELDS``) and its records other than entities — metadata, levels,
bindings, viewpoint, comfort and calm.
"""

from __future__ import annotations

from typing import Any

from engine.scenario.creatures import EntityList
from engine.scenario.entityformat import COMMON, ENTITY
from engine.scenario.errors import Mark, Problems
from engine.scenario.formattypes import POSITION, ROTATION, UNIT, Look, Point, plain_builder
from engine.scenario.schema import INVALID, Field, ListOf, Record
from engine.scenario.spec import Binding, Calm, Comfort, Level, Meta, Viewpoint
from engine.scenario.valuetypes import Any_, Colour, Num, Str, Vec
from engine.scenario.yamlsafe import YNode

FORMAT_VERSION = 1


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
    plain_builder(Meta),
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
    plain_builder(Viewpoint),
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
    plain_builder(Comfort),
    "Limits that keep motion comfortable (abrupt vection causes sickness).",
)

CALM = Record(
    "calm",
    {
        "intensity": Field(UNIT, 0.0, "Intensity of the calm state."),
        "fade_seconds": Field(Num(0.05, 3, unit="s"), 0.5, "Time to fade out to the calm colour and back in (s)."),
        "colour": Field(Colour(), (0.55, 0.7, 0.8, 1.0), "Colour of the veil the calm fade passes through."),
    },
    plain_builder(Calm),
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
