"""The validated scenario: frozen dataclasses that the scene builder reads.

Nothing here touches YAML or Panda3D. ``marks`` remember where each value was written so
that checks made after parsing (references, ordering) can still point at a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.scenario.errors import Mark

Vec3 = tuple[float, float, float]
RGBA = tuple[float, float, float, float]


def _marks() -> Any:
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Meta:
    id: str
    title: str
    phobia: str
    author: str
    version: str
    description: str = ""


@dataclass(frozen=True)
class Level:
    name: str
    intensity: float
    description: str
    mark: Mark = field(default=Mark(1, 1), compare=False)
    marks: dict[str, Mark] = _marks()


@dataclass(frozen=True)
class Motion:
    kind: str  # sway, bob, wander, approach, spin
    amplitude: float  # deg for sway; m for bob, wander, approach; unused by spin
    speed: float  # Hz for sway and bob; m/s for wander and approach; deg/s for spin
    axis: str = "r"  # sway only: h, p or r
    marks: dict[str, Mark] = _marks()


@dataclass(frozen=True)
class Entity:
    type: str
    id: str | None
    params: dict[str, Any]  # the type's own keys, defaults filled in
    mark: Mark = field(default=Mark(1, 1), compare=False)
    marks: dict[str, Mark] = _marks()

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def children(self) -> list[Entity]:
        return list(self.params.get("children") or [])


@dataclass(frozen=True)
class Binding:
    target: str  # "entity.property[.component]"
    points: tuple[tuple[float, Any], ...]  # (intensity, value), intensities increasing
    interpolation: str  # linear, smooth or step
    mark: Mark = field(default=Mark(1, 1), compare=False)
    marks: dict[str, Mark] = _marks()

    @property
    def entity(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def prop(self) -> str:
        return self.target.split(".", 1)[1] if "." in self.target else ""


@dataclass(frozen=True)
class Viewpoint:
    parent: str | None
    position: Vec3
    rotation: Vec3
    look: tuple[float, float]  # gaze target: heading, pitch (deg) from the viewpoint's heading
    eye_height: float  # the eye above the floor under it (m): where a headset's real floor goes
    fov: float
    near: float
    far: float
    marks: dict[str, Mark] = _marks()


@dataclass(frozen=True)
class Comfort:
    max_intensity_rate: float  # 1/s
    max_intensity_accel: float  # 1/s²
    max_camera_speed: float  # m/s
    max_camera_turn_rate: float  # deg/s


@dataclass(frozen=True)
class Calm:
    intensity: float
    fade_seconds: float
    colour: RGBA


@dataclass(frozen=True)
class ScenarioSpec:
    path: Path
    format: int
    meta: Meta
    levels: tuple[Level, ...]
    viewpoint: Viewpoint
    comfort: Comfort
    calm: Calm
    entities: tuple[Entity, ...]
    bindings: tuple[Binding, ...]
    marks: dict[str, Mark] = _marks()

    def walk(self, templates: bool = False) -> Iterator[Entity]:
        """Every entity, groups' children included, in file order; with ``templates`` also
        the item an array or scatter copies (and what that item holds)."""
        return walk_entities(self.entities, templates)

    def entity(self, entity_id: str) -> Entity:
        for e in self.walk():
            if e.id == entity_id:
                return e
        raise KeyError(entity_id)

    def level(self, name_or_index: str | int) -> Level:
        if isinstance(name_or_index, int):
            return self.levels[name_or_index]
        for level in self.levels:
            if level.name == name_or_index:
                return level
        raise KeyError(name_or_index)


def walk_entities(entities: Iterable[Entity], templates: bool = False) -> Iterator[Entity]:
    """``entities`` and everything inside them, in file order (see ``ScenarioSpec.walk``)."""
    stack = list(reversed(list(entities)))
    while stack:
        entity = stack.pop()
        yield entity
        inside = list(entity.children)
        if templates and entity.type in ("array", "scatter") and entity.get("item") is not None:
            inside.append(entity["item"])
        stack.extend(reversed(inside))
