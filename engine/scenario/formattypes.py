"""The scenario format's own field types, shared by its records: positions, rotations, the
unit interval, names, ``scale`` (a number or [x, y, z]), the viewpoint's gaze target (``Look``)
and a binding's [intensity, value] pair (``Point``), and ``plain_builder``, which turns a
record's checked values into its dataclass.

They are apart from ``format.py`` and ``entityformat.py`` because both use them: kept here,
neither of those imports the other's building blocks.
"""

from __future__ import annotations

from typing import Any

from engine.scenario.errors import Problems
from engine.scenario.properties import LOOK_BOUNDS
from engine.scenario.schema import INVALID, Type
from engine.scenario.valuetypes import Any_, Num, Vec
from engine.scenario.yamlsafe import YNode, YSeq

NAME = r"[a-z][a-z0-9_]*"
METRES = Num(unit="m")
POSITION = Vec(3, Num(unit="m"))
ROTATION = Vec(3, Num(unit="deg"), names="heading, pitch, roll")
UNIT = Num(0, 1)
WHITE = (1.0, 1.0, 1.0, 1.0)


def plain_builder(cls: Any) -> Any:
    """A ``Record`` builder that passes the checked values (and their marks, where the dataclass
    keeps them) to ``cls``."""
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
