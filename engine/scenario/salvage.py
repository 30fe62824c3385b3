"""What is still usable in a scenario file that failed the schema, for the checks after it.

``vrex validate`` reports every root problem in one pass: a wrong key in one entity must not
hide a missing model file in another, nor a binding to an unknown entity. The schema has
already reported each wrong value; this module re-reads the tree with a scratch
``Problems`` (so nothing is reported twice) and keeps what is valid:

* a record with a wrong optional value keeps its other keys, the wrong one at its default
  (remembered in ``Partial.bad``, so a check that depends on it is skipped);
* a record with a wrong or missing required value, and an entity of unknown type, is dropped;
  the ids written in the file are remembered (``Partial.declared``) so references to a dropped
  entity are not reported as "no such entity" (that would only repeat the root problem);
* a list of records keeps its valid items (its length bounds are the schema's business);
* a binding whose 'range', 'points' or 'over' is wrong is dropped: its curve is unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.scenario.errors import Problems
from engine.scenario.schema import INVALID, ListOf, Record, Tagged, Type
from engine.scenario.yamlsafe import YMap, YNode, YScalar, YSeq

log = logging.getLogger(__name__)

# A record dropped when one of these keys is wrong: what it means hangs on them.
CRITICAL = {"binding": {"range", "points", "over"}}


@dataclass
class Partial:
    """What the salvage had to leave out, so later checks can skip what depends on it."""

    bad: dict[int, tuple[Any, set[str]]] = field(default_factory=dict)  # id(obj) -> (obj, wrong keys)
    declared: set[str] = field(default_factory=set)  # every entity id written, valid or not
    lost: set[str] = field(default_factory=set)  # top-level keys whose value was unusable or missing

    def bad_keys(self, obj: Any) -> set[str]:
        entry = self.bad.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else set()

    def dropped(self, entity_id: str, valid: Any) -> bool:
        """Whether a reference to ``entity_id`` (not among ``valid`` ids) may name an entity
        that was written but dropped: then 'no such entity' would only repeat its problem."""
        return entity_id not in valid and (entity_id in self.declared or "entities" in self.lost)


def salvage(t: Type, node: YNode, partial: Partial) -> Any:
    """What ``t.check(node)`` gives where it passes; else the valid part as described above,
    or INVALID. Each node is visited once (records and lists are walked here, not re-checked
    per level), so a deeply nested file costs what one schema pass costs."""
    if isinstance(t, Tagged):
        if not isinstance(node, YMap) or t.key not in node.entries:
            return INVALID
        tag = node.entries[t.key][1]
        if not isinstance(tag, YScalar) or not isinstance(tag.value, str) or tag.value not in t.variants:
            return INVALID
        return salvage(t.variants[tag.value], node, partial)
    if isinstance(t, ListOf) and isinstance(t.item, (Record, Tagged)):
        if not isinstance(node, YSeq):
            return INVALID
        items = [salvage(t.item, item, partial) for item in node.items]
        return [i for i in items if i is not INVALID]
    if isinstance(t, Record):
        return _salvage_record(t, node, partial) if isinstance(node, YMap) else INVALID
    return t.check(node, Problems(Path("-")))  # a leaf (or a list of leaves): already reported


def _salvage_record(t: Record, node: YMap, partial: Partial) -> Any:
    values: dict[str, Any] = {}
    marks = {}
    wrong: set[str] = set()
    for key, fld in t.fields.items():
        if key not in node.entries:
            if fld.required:
                return INVALID
            values[key] = fld.default
            continue
        value_node = node.entries[key][1]
        marks[key] = value_node.mark
        value = salvage(fld.type, value_node, partial)
        if value is INVALID:
            if fld.required or key in CRITICAL.get(t.name, ()):
                return INVALID
            value = fld.default
            wrong.add(key)
        values[key] = value
    try:
        out = t.build(values, marks, node.mark)
    except Exception:  # a builder may assume what the schema guarantees; then drop it
        log.debug("dropped a %s the builder refused", t.name, exc_info=True)
        return INVALID
    if wrong:
        partial.bad[id(out)] = (out, wrong)
    return out


def salvage_top(fields: dict[str, Any], tree: YNode, partial: Partial) -> tuple[dict[str, Any], dict[str, Any]]:
    """The top-level keys' usable values (None where unusable or missing) and their marks."""
    values: dict[str, Any] = {}
    marks = {}
    entries = tree.entries if isinstance(tree, YMap) else {}
    for key, fld in fields.items():
        if key not in entries:
            values[key] = None if fld.required else fld.default
            if fld.required:
                partial.lost.add(key)
            continue
        value_node = entries[key][1]
        marks[key] = value_node.mark
        value = salvage(fld.type, value_node, partial)
        if value is INVALID:
            partial.lost.add(key)
            value = None
        values[key] = value
    if isinstance(tree, YMap) and "entities" in entries:
        partial.declared = _declared_ids(entries["entities"][1])
    return values, marks


def _declared_ids(node: YNode) -> set[str]:
    """Every entity id written under ``entities``, groups' children and copied items included."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, YSeq):
            stack.extend(n.items)
        elif isinstance(n, YMap):
            if "id" in n.entries:
                v = n.entries["id"][1]
                if isinstance(v, YScalar) and v.value is not None:
                    out.add(str(v.value))
            for key in ("children", "item"):
                if key in n.entries:
                    stack.append(n.entries[key][1])
    return out
