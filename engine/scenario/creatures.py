"""Format of what moves like a creature: the ``spiders`` entity and a model's ``animation``.

Kept beside ``format`` and ``entityformat`` (which register these) so the single source of
truth stays one import, while this part can grow without growing them. Two checks here need
more than one value: a clip name must be one the model file has (the file is read, cheaply,
as glTF JSON), and ``avoid`` must name entities of the same file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.scenario import media
from engine.scenario.errors import Mark, Problems, did_you_mean
from engine.scenario.schema import INVALID, Field, ListOf, Record
from engine.scenario.spec import Entity, walk_entities
from engine.scenario.valuetypes import Bool, Num, Str, Vec
from engine.scenario.yamlsafe import YNode

NAME = r"[a-z][a-z0-9_]*"


@dataclass(frozen=True)
class Animation:
    clip: str
    loop: bool = True
    speed: float = 1.0
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)


ANIMATION = Record(
    "animation",
    {
        "clip": Field(Str(hint="the name of an animation clip in the model file"), doc="Which clip to play."),
        "loop": Field(Bool(), True, "Play it over and over; false: once, then hold the last frame."),
        "speed": Field(Num(0, 20), 1.0, "Play rate: 1 as authored, 2 twice as fast, 0 frozen. Bindable."),
    },
    lambda values, marks, mark: Animation(**values, marks=marks),
    "A model's animation clip (glTF models).",
)

SPIDER_FIELDS = {
    "count": Field(Num(1, 64, integer=True), 1, "How many spiders are built; bind 'count' to show fewer."),
    "size": Field(Num(0.01, 1, unit="m"), 0.08, "Span across the legs (m). Bindable."),
    "speed": Field(Num(0, 2, unit="m/s"), 0.0, "Walking speed (m/s); 0: they stay where they are. Bindable."),
    "distance": Field(
        Num(0, 100, unit="m"),
        2.0,
        "How far from the patient the start area's centre is (m), toward the entity's position. Bindable.",
    ),
    "reach": Field(
        Num(0, 100, unit="m"), 0.0, "How far (m) each crawls toward the patient before it turns back. Bindable."
    ),
    "area": Field(
        Vec(2, Num(0, min_exclusive=True, unit="m"), "x, y"), (1.6, 0.8), "Width and depth of the start area (m)."
    ),
    "bounds": Field(
        Vec(2, Num(0, min_exclusive=True, unit="m"), "x, y"),
        (6.0, 6.0),
        "The floor they stay on: width and depth (m) centred on the entity's position (the room).",
    ),
    "avoid": Field(
        ListOf(Str(pattern=NAME, hint="the id of another entity")),
        [],
        "Ids of entities (furniture) whose floor footprint the spiders walk around, never through.",
    ),
    "keep_away": Field(Num(0.05, 10, unit="m"), 0.3, "Closest a spider comes to the patient's feet (m)."),
    "seed": Field(Num(0, integer=True), 0, "Random seed of the layout and gait: the same seed, the same walk."),
}


def spiders_variant(common: dict[str, Field], build: Any) -> Record:
    keys = ("id", "parent", "position", "rotation", "colour", "opacity", "visible", "lit")
    fields = {"type": Field(Str(("spiders",)), doc="'spiders'")}
    fields.update({k: common[k] for k in keys})
    fields["colour"] = Field(common["colour"].type, (0.16, 0.12, 0.1, 1.0), "Body and leg colour.")
    fields.update(SPIDER_FIELDS)
    doc = (
        "Articulated spiders (body, abdomen, eight jointed legs) that walk toward the patient and back, "
        "stepping in time with their speed and never through each other or the furniture in 'avoid'."
    )
    return Record("spiders", fields, build, doc)


class ModelRecord(Record):
    """A model whose ``animation`` names a clip the file does not have is reported here,
    with the clips it does have: the file sits next to the scenario (``Problems.path``)."""

    def check(self, node: YNode, p: Problems) -> Any:
        entity = super().check(node, p)
        if entity is INVALID or entity.get("animation") is None:
            return entity
        anim: Animation = entity["animation"]
        full = Path(p.path).parent / entity["path"]
        if full.suffix.lower() not in (".gltf", ".glb"):
            p.add(entity.marks["animation"], "'animation' plays clips of glTF models only", "a .gltf or .glb model")
            return entity
        try:
            if not full.is_file() or media.size_problem(full, "model") or media.model_problem(full):
                return entity  # the file checks (filechecks.py) say what is wrong with it
            clips = media.gltf_clips(full)
        except OSError:
            return entity
        if anim.clip not in clips:
            has = ", ".join(f"'{c}'" for c in clips) if clips else "none: the file has no animations"
            p.add(
                anim.marks.get("clip", entity.marks["animation"]),
                f"model '{entity['path']}' has no animation clip '{anim.clip}'{did_you_mean(anim.clip, clips)}",
                f"one of the clips it has: {has}",
            )
        return entity


def model_variant(base: Record) -> ModelRecord:
    fields = dict(base.fields)
    fields["animation"] = Field(
        ANIMATION,
        None,
        "Optional clip to play (glTF), e.g. {clip: walk, loop: true, speed: 1}; bind 'animation.speed' "
        "to change its play rate with intensity.",
    )
    return ModelRecord(base.name, fields, base.build, base.doc)


class EntityList(ListOf):
    """The top-level entity list; checks that ``avoid`` names entities of this file and that
    no swarm is copied by an array or scatter."""

    def check(self, node: YNode, p: Problems) -> Any:
        entities = super().check(node, p)
        if entities is INVALID:
            return entities
        ids = {e.id for e in _walk(entities) if e.id is not None}
        for copier in (e for e in _walk(entities) if e.type in ("array", "scatter")):
            for e in _walk([copier["item"]]):
                if e.type == "spiders":  # each swarm walks round its own patient and furniture
                    p.add(
                        e.mark, "'spiders' cannot be copied by an array or scatter", "set the swarm's 'count' instead"
                    )
                elif e.type == "people":  # copies would freeze (flattened) and slip past MAX_PEOPLE
                    p.add(
                        e.mark,
                        "'people' cannot be copied by an array or scatter: copies would not turn their heads "
                        "and would get round the limit of people a scene can animate",
                        "one 'people' entity with 'count' (rows: 'per_row' and 'spacing'; scatter: 'area')",
                    )
        for e in _walk(entities):
            for name in e.get("avoid", ()) if e.type == "spiders" else ():
                if name == e.id:
                    p.add(
                        e.marks["avoid"],
                        f"avoid names '{name}', the swarm itself: spiders already keep clear of each other",
                        "ids of other entities in this file (the furniture), or remove it",
                    )
                elif name not in ids:
                    others = [i for i in ids if i != e.id]  # never suggest the swarm itself
                    p.add(
                        e.marks["avoid"],
                        f"avoid names '{name}', which is not the id of another entity{did_you_mean(name, others)}",
                        "ids of entities in this file (give the furniture an 'id:')",
                    )
        return entities


def _walk(entities: list[Entity]) -> list[Entity]:
    return list(walk_entities(entities, templates=True))
