"""A small declarative schema: one description gives validation, docs and JSON Schema.

Each type checks a ``YNode`` and returns a plain value (or ``INVALID`` after adding a
problem), says in words what it expects (the part after the dash in an error), and exports
itself as JSON Schema for editors. Records build a frozen dataclass from their fields, so
the rest of the engine never sees raw YAML. Written by hand rather than with jsonschema or
pydantic because neither knows the line and column of a value, nor units.

This module holds the contract (``Type``, ``INVALID``, ``REQUIRED``) and the types that hold
other types: lists (``ListOf``), mappings with known keys (``Record``, ``Field``) and mappings
told apart by their ``type`` key (``Tagged``). The leaf types (numbers, text, true/false,
vectors, colours) are in ``valuetypes.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.scenario.errors import Mark, Problems, did_you_mean
from engine.scenario.yamlsafe import YMap, YNode, YScalar, YSeq, _clip

INVALID = object()
REQUIRED = object()


def node_kind(node: YNode) -> str:
    """What a wrong value is, as an error says it: 'a list', 'nothing (null)', or the value itself (clipped)."""
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
        p.add(node.mark, what or f"got {node_kind(node)}", self.expected())
        return INVALID


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
