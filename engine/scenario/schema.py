"""A small declarative schema: one description gives validation, docs and JSON Schema.

Each type checks a ``YNode`` and returns a plain value (or ``INVALID`` after adding a
problem), says in words what it expects (the part after the dash in an error), and exports
itself as JSON Schema for editors. Records build a frozen dataclass from their fields, so
the rest of the engine never sees raw YAML. Written by hand rather than with jsonschema or
pydantic because neither knows the line and column of a value, nor units.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.scenario.errors import Mark, Problems, did_you_mean
from engine.scenario.yamlsafe import YMap, YNode, YScalar, YSeq, _clip

# C0 and C1 control characters and DEL; a line break and a tab are text (block scalars)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
INVALID = object()
REQUIRED = object()


def _kind(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    v = node.value
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"'{str(v).lower()}'"
    return f"'{_clip(v)}'" if isinstance(v, str) else _clip(repr(v))


def _plural(name: str) -> str:
    """'entity' → 'entities', 'level' → 'levels', 'points' stays."""
    if name.endswith("s"):
        return name
    return name[:-1] + "ies" if name.endswith("y") else name + "s"


class Type:
    doc_name = "value"

    def check(self, node: YNode, p: Problems) -> Any:
        raise NotImplementedError

    def expected(self) -> str:
        raise NotImplementedError

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def wrong(self, node: YNode, p: Problems, what: str | None = None) -> Any:
        p.add(node.mark, what or f"got {_kind(node)}", self.expected())
        return INVALID


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
            got = f"a list of {len(node.items)}" if isinstance(node, YSeq) else _kind(node)
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


@dataclass
class ListOf(Type):
    item: Type
    min_len: int = 0
    max_len: int = 10_000

    @property
    def doc_name(self) -> str:
        return f"list of {self.item.doc_name}"

    def expected(self) -> str:
        size = f"{self.min_len} to {self.max_len} " if self.max_len < 10_000 else ""
        return f"a list of {size}{getattr(self.item, 'plural', self.item.doc_name)}"

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YSeq):
            return self.wrong(node, p)
        if not self.min_len <= len(node.items) <= self.max_len:
            return self.wrong(node, p, f"got {len(node.items)} {getattr(self.item, 'plural', 'items')}")
        values = [self.item.check(i, p) for i in node.items]
        return INVALID if INVALID in values else values

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.json()}
        if self.min_len:
            out["minItems"] = self.min_len
        if self.max_len < 10_000:
            out["maxItems"] = self.max_len
        return out


@dataclass
class Field:
    type: Type
    default: Any = REQUIRED
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass
class Record(Type):
    """A mapping with known keys; ``build(values, marks, mark)`` makes the result."""

    name: str
    fields: dict[str, Field]
    build: Callable[[dict[str, Any], dict[str, Mark], Mark], Any]
    doc: str = ""

    @property
    def doc_name(self) -> str:
        return self.name

    @property
    def plural(self) -> str:
        return _plural(self.name)

    def expected(self) -> str:
        return f"a mapping ({self.name}) with keys: " + ", ".join(self.fields)

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YMap):
            return self.wrong(node, p)
        ok = True
        for key, (key_mark, _) in node.entries.items():
            if key not in self.fields:
                p.add(
                    key_mark,
                    f"unknown key '{_clip(key)}' in {self.name}{did_you_mean(key, self.fields)}",
                    "one of: " + ", ".join(self.fields),
                )
                ok = False
        values: dict[str, Any] = {}
        marks: dict[str, Mark] = {}
        for key, fld in self.fields.items():
            if key in node.entries:
                key_mark, value_node = node.entries[key]
                marks[key] = value_node.mark
                value = fld.type.check(value_node, p)
                ok = ok and value is not INVALID
                values[key] = value
            elif fld.required:
                p.add(node.mark, f"{self.name} is missing the key '{key}'", f"'{key}:' with {fld.type.expected()}")
                ok = False
            else:
                values[key] = fld.default
        return self.build(values, marks, node.mark) if ok else INVALID

    def json(self) -> dict[str, Any]:
        props = {}
        for key, fld in self.fields.items():
            schema = dict(fld.type.json())
            if fld.doc:
                schema["description"] = fld.doc
            if not fld.required and fld.default is not None and not callable(fld.default):
                schema["default"] = list(fld.default) if isinstance(fld.default, tuple) else fld.default
            props[key] = schema
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            out["required"] = required
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class Tagged(Type):
    """A mapping whose ``type`` key chooses which Record checks the rest."""

    name: str
    variants: dict[str, Record]
    key: str = "type"

    @property
    def doc_name(self) -> str:
        return self.name

    @property
    def plural(self) -> str:
        return _plural(self.name)

    def expected(self) -> str:
        return f"a mapping ({self.name}) with '{self.key}:' one of " + ", ".join(self.variants)

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YMap):
            return self.wrong(node, p)
        if self.key not in node.entries:
            return self.wrong(node, p, f"{self.name} has no '{self.key}' key")
        tag_node = node.entries[self.key][1]
        if not isinstance(tag_node, YScalar) or tag_node.value is None or not isinstance(tag_node.value, str):
            key_mark = node.entries[self.key][0]  # an empty value has no column of its own
            p.add(key_mark, f"{self.name} '{self.key}' is empty or not a name", "one of: " + ", ".join(self.variants))
            return INVALID
        if tag_node.value not in self.variants:
            shown = tag_node.value if isinstance(tag_node, YScalar) else "?"
            hint = did_you_mean(str(shown), self.variants)
            p.add(
                tag_node.mark,
                f"unknown {self.name} type '{_clip(str(shown))}'{hint}",
                "one of: " + ", ".join(self.variants),
            )
            return INVALID
        return self.variants[tag_node.value].check(node, p)

    def json(self) -> dict[str, Any]:
        # Entities nest (groups hold entities), so the schema refers to one definition.
        return {"$ref": f"#/$defs/{self.name}"}

    def definition(self) -> dict[str, Any]:
        """The body for ``$defs``: one alternative per type, told apart by ``type``."""
        variants = []
        for k, v in self.variants.items():
            body = v.json()
            body["properties"] = {**body["properties"], self.key: {"const": k}}
            variants.append(body)
        return {"oneOf": variants}
