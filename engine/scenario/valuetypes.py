"""The schema's leaf types: numbers (``Num``), text (``Str``), true/false (``Bool``), fixed-length
lists of numbers (``Vec``), colours (``Colour``) and a binding's value as written (``Any_``).

Each checks one YAML value and says in words what it expects. They are apart from
``schema.py`` because they hold no other types: that module keeps the contract and the
containers (lists, records, tagged records), this one the values at the leaves, where most
of the wording of an error is decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.scenario.errors import Problems, did_you_mean
from engine.scenario.schema import INVALID, Type, node_kind
from engine.scenario.yamlsafe import YNode, YScalar, YSeq

# C0 and C1 control characters and DEL; a line break and a tab are text (block scalars)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class Num(Type):
    min: float | None = None
    max: float | None = None
    unit: str = ""
    integer: bool = False
    min_exclusive: bool = False

    @property
    def doc_name(self) -> str:
        return "integer" if self.integer else "number"

    def expected(self) -> str:
        text = "a whole number" if self.integer else "a number"
        if self.min is not None and self.max is not None:
            text += f" from {self.min:g} to {self.max:g}"
        elif self.min is not None:
            text += f" above {self.min:g}" if self.min_exclusive else f" of at least {self.min:g}"
        elif self.max is not None:
            text += f" of at most {self.max:g}"
        return text + (f" ({self.unit})" if self.unit else "")

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YScalar) or isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return self.wrong(node, p)
        v = node.value
        if self.integer and not isinstance(v, int):
            return self.wrong(node, p)
        if isinstance(v, int) and abs(v) > 1e15:
            return self.wrong(node, p, f"{str(v)[:20]}{'…' if len(str(v)) > 20 else ''} is far too large")
        if v != v or v in (float("inf"), float("-inf")):
            return self.wrong(node, p, f"{v} is not a finite number")
        low_bad = self.min is not None and (v <= self.min if self.min_exclusive else v < self.min)
        if low_bad or (self.max is not None and v > self.max):
            return self.wrong(node, p, f"{v!r} is out of range")
        return v if self.integer else float(v)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.min is not None:
            out["exclusiveMinimum" if self.min_exclusive else "minimum"] = self.min
        if self.max is not None:
            out["maximum"] = self.max
        return out


@dataclass
class Str(Type):
    choices: tuple[str, ...] = ()
    pattern: str = ""
    hint: str = ""
    doc_name = "text"

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(f"'{c}'" for c in self.choices)
        return self.hint or "text"

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            # numbers are fine as free text, as written (version: 1.10 stays '1.10');
            # names, choices, lists and mappings are not
            plain_number = (
                isinstance(node, YScalar) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
            )
            if plain_number and not self.choices and not self.pattern:
                return node.text
            return self.wrong(node, p)
        v = node.value
        if self.choices and v not in self.choices:
            return self.wrong(node, p, f"'{v}' is not allowed here{did_you_mean(v, self.choices)}")
        if self.pattern and not re.fullmatch(self.pattern, v):
            return self.wrong(node, p, f"'{v}' is not a valid name")
        if not self.choices and not v.strip():
            return self.wrong(node, p, "text is empty")
        bad = CONTROL.search(v)  # an escape code in a name would rewrite the therapist's terminal
        if bad:
            return self.wrong(node, p, f"text holds the control character U+{ord(bad.group()):04X}; remove it")
        limit = 64 if self.pattern else 2000
        if len(v) > limit:
            return self.wrong(node, p, f"text of {len(v):,} characters is longer than {limit}")
        return v

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        if self.pattern:
            out["pattern"] = f"^{self.pattern}$"
        return out


class Bool(Type):
    doc_name = "true/false"

    def expected(self) -> str:
        return "true or false"

    def check(self, node: YNode, p: Problems) -> Any:
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        return self.wrong(node, p)

    def json(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Vec(Type):
    n: int
    item: Num = field(default_factory=Num)
    names: str = "x, y, z"

    @property
    def doc_name(self) -> str:
        return f"[{self.names}]"

    def expected(self) -> str:
        return f"a list of {self.n} numbers [{self.names}]" + (f" in {self.item.unit}" if self.item.unit else "")

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YSeq) or len(node.items) != self.n:
            got = f"a list of {len(node.items)}" if isinstance(node, YSeq) else node_kind(node)
            return self.wrong(node, p, f"got {got}")
        values = [self.item.check(i, p) for i in node.items]
        return INVALID if INVALID in values else tuple(values)

    def json(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json(), "minItems": self.n, "maxItems": self.n}


class Colour(Type):
    """[r, g, b], [r, g, b, a] (each 0–1) or '#rrggbb' / '#rrggbbaa'; always returns RGBA."""

    doc_name = "colour"

    def expected(self) -> str:
        return "a colour: [r, g, b] or [r, g, b, a] with each from 0 to 1, or '#rrggbb' / '#rrggbbaa' in quotes"

    def check(self, node: YNode, p: Problems) -> Any:
        if isinstance(node, YScalar) and isinstance(node.value, str):
            m = re.fullmatch(r"#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?", node.value.strip())
            if not m:
                return self.wrong(node, p)
            hexa = m.group(1) + (m.group(2) or "ff")
            return tuple(int(hexa[i : i + 2], 16) / 255.0 for i in range(0, 8, 2))
        if isinstance(node, YSeq) and len(node.items) in (3, 4):
            unit = Num(0, 1)
            values = [unit.check(i, p) for i in node.items]
            if INVALID in values:
                return INVALID
            return tuple(values) + ((1.0,) if len(values) == 3 else ())
        if isinstance(node, YScalar) and node.value is None:
            # colour: #ff0000 unquoted is a YAML comment, so the value is empty
            return self.wrong(node, p, "got nothing (null); in YAML '#' starts a comment, so quote hex colours")
        return self.wrong(node, p)

    def json(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {
                    "type": "array",
                    "items": {"type": "number", "minimum": 0, "maximum": 1},
                    "minItems": 3,
                    "maxItems": 4,
                },
                {"type": "string", "pattern": "^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$"},
            ]
        }


class Any_(Type):
    """A binding value as written: checked later against its target's property
    (``properties.check_value``), which alone knows whether a number, [x, y, z] or a colour
    is needed and can say so. Here only what no property takes is refused with its exact
    place: mappings, and numbers that are not finite or absurdly large."""

    doc_name = "value"

    def expected(self) -> str:
        return "a number, true/false, or a list of numbers"

    def check(self, node: YNode, p: Problems) -> Any:
        if isinstance(node, YScalar) and isinstance(node.value, bool):
            return node.value
        if isinstance(node, YScalar) and isinstance(node.value, (int, float)):
            return Num().check(node, p)  # finite and of sane size
        if isinstance(node, YScalar) and isinstance(node.value, str) and node.value.startswith("#"):
            return Colour().check(node, p)
        if isinstance(node, YScalar):
            return node.value  # text, null, dates: the property says what it needs
        if isinstance(node, YSeq):
            values = [self.check(i, p) for i in node.items]  # nesting is bounded by the reader
            return (
                INVALID
                if any(v is INVALID for v in values)
                else tuple(float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values)
            )
        return self.wrong(node, p)

    def json(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "number"},
                {"type": "boolean"},
                {"type": "string"},
                {"type": "array", "items": {"type": "number"}},
            ]
        }
