"""Checks on a scenario's bindings that need the whole file: a target that names an entity
(or the viewpoint) and one of its properties, a part (motion, flicker, animation) the entity
has, points in increasing intensity, values that fit the property, a viewpoint that moves
continuously, and one binding per property.

Apart from ``loader.py`` and ``entitychecks`` because a binding is checked against the
property table (``properties``) as well as the entities: the rules and their wording about
values as the author wrote them live here together.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.scenario.entitychecks import chain, up_links
from engine.scenario.errors import Problems, did_you_mean
from engine.scenario.properties import PROPERTIES, Prop, check_value
from engine.scenario.salvage import Partial
from engine.scenario.spec import Binding, Entity, ScenarioSpec


def check_binding(
    b: Binding, ids: dict[str, Entity], spec: ScenarioSpec, p: Problems, partial: Partial | None = None
) -> Binding:
    """Report what is wrong with one binding; return it with its values normalised (colours to
    RGBA; true/false and text always 'step'), or as it was where a problem makes that unsafe."""
    if not b.points:
        p.add(
            b.mark,
            f"binding for '{b.target}' needs exactly one of 'range' or 'points'",
            "'range: [from, to]' for a straight line, or 'points: [[intensity, value], ...]'",
        )
        return b
    props = _bindable(b, ids, p, partial)
    if props is None:
        return b
    entity = ids.get(b.entity)
    _check_parts(b, entity, partial.bad_keys(entity) if partial is not None else set(), p)
    _check_order(b, p)
    prop = props[b.prop]
    points = _checked_points(b, prop, p)
    if points is None:
        return b  # reported; nothing below may assume a value's shape
    b = replace(b, points=points)
    key = "range" if "range" in b.marks else "points"
    for i, (_, value) in enumerate(b.points):
        if prop.shape == "count" and entity is not None and value > entity["count"]:
            mark = b.marks.get(f"points[{i}].value", b.marks.get(key, b.mark))
            p.add(
                mark,
                f"count {value:g} is more than the {entity['count']} copies built",
                f"at most {entity['count']}, or raise the entity's 'count'",
            )
    moves_camera = b.entity == "viewpoint" or (
        b.entity in chain(spec.viewpoint.parent, up_links(spec))
        and b.prop.startswith(("position", "rotation", "scale"))
    )
    if moves_camera and b.interpolation == "step":
        p.add(
            b.marks.get("interpolation", b.marks["target"]),
            f"'step' on '{b.target}' would make the patient's view jump",
            "'linear' or 'smooth': the viewpoint (and what carries it) must move continuously",
        )
    if prop.shape in ("bool", "text") and b.interpolation != "step":
        b = replace(b, interpolation="step")  # true/false and words cannot be blended
    return b


def _checked_points(b: Binding, prop: Prop, p: Problems) -> tuple[tuple[float, Any], ...] | None:
    """The binding's points with each value checked against its property and normalised
    (colours to RGBA), or None after reporting every value that does not fit.

    The one gate for binding values: everything after it (ordering, count, the scene, the
    comfort checks) may rely on the shape the property table promises."""
    key = "range" if "range" in b.marks else "points"
    out: list[tuple[float, Any]] = []
    ok = True
    for i, (at, value) in enumerate(b.points):
        normal, expected = check_value(prop, value)
        if expected:
            mark = b.marks.get(f"points[{i}].value", b.marks.get(key, b.mark))
            p.add(mark, f"value {_as_yaml(value)} does not fit '{b.target}'", expected)
            ok = False
        out.append((at, normal))
    return tuple(out) if ok else None


def _as_yaml(value: Any) -> str:
    """A value as the author wrote it: [0, 1, 2], true, 0.5 — not Python's (0.0, 1.0, 2.0)."""
    text = _yaml_text(value)
    return text if len(text) <= 60 else text[:59] + "…"  # a 10,000-item list is not news


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return "[" + ", ".join(_yaml_text(v) for v in value[:20]) + (", …" if len(value) > 20 else "") + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value[:60])
    return str(value)


# A property under one of these needs that part of the entity: (the key, what to add).
_PARTS = {
    "motion.": ("motion", "add 'motion:' to the entity"),
    "flicker.": ("flicker", "add 'flicker: {rate: 2, depth: 0.3}'"),
    "animation.": ("animation", "add 'animation: {clip: NAME}' (a clip the model file has)"),
}


def _bindable(b: Binding, ids: dict[str, Entity], p: Problems, partial: Partial | None) -> dict | None:
    """The properties the binding's target may drive, or None after reporting why it names
    no entity or no such property (silent for an entity already reported and dropped)."""
    if b.entity == "viewpoint":
        kind = "viewpoint"
    elif b.entity in ids:
        kind = ids[b.entity].type
    elif partial is not None and partial.dropped(b.entity, ids):
        return None  # the entity was reported and dropped: its type, so its properties, are unknown
    else:
        p.add(
            b.marks["target"],
            f"binding target '{b.target}' names no entity '{b.entity}'"
            f"{did_you_mean(b.entity, list(ids) + ['viewpoint'])}",
            "an entity id from this file, or 'viewpoint'",
        )
        return None
    props = PROPERTIES[kind]
    if not b.prop:
        p.add(
            b.marks["target"],
            f"binding target '{b.target}' names no property",
            f"'{b.entity}.PROPERTY' with PROPERTY one of: " + ", ".join(props),
        )
        return None
    if b.prop not in props:
        p.add(
            b.marks["target"],
            f"a {kind} has no property '{b.prop}' to bind{did_you_mean(b.prop, props)}",
            "one of: " + ", ".join(props),
        )
        return None
    return props


def _check_parts(b: Binding, entity: Entity | None, unknown: set[str], p: Problems) -> None:
    """A property of a part (motion, flicker, animation) needs the entity to have that part;
    a part already reported as wrong (``unknown``) is not reported again."""
    for prefix, (key, fix) in _PARTS.items():
        if b.prop.startswith(prefix) and entity is not None and entity.get(key) is None and key not in unknown:
            p.add(b.marks["target"], f"'{b.entity}' has no '{key}' to drive", fix)


def _check_order(b: Binding, p: Problems) -> None:
    """Points run from lower to higher intensity."""
    for i, (at, _) in enumerate(b.points):
        if not i or at > b.points[i - 1][0]:
            continue
        if "range" in b.marks:
            p.add(
                b.marks.get("over", b.mark),
                f"'over' [{b.points[0][0]:g}, {at:g}] does not run from lower to higher intensity",
                "'over: [from, to]' with from below to (swap the 'range' values instead)",
            )
        else:
            p.add(
                b.marks.get(f"points[{i}]", b.marks.get("over", b.mark)),
                f"intensity {at:g} is not above the previous point's {b.points[i - 1][0]:g}",
                "points in strictly increasing order of intensity",
            )


def check_overlaps(bindings: tuple[Binding, ...], p: Problems) -> None:
    """One binding per property: a target inside another's (or the same) is reported at the later one."""
    for i, b in enumerate(bindings):
        if not b.prop:
            continue  # already reported: the target names no property
        for other in bindings[:i]:
            if (
                b.target == other.target
                or b.target.startswith(other.target + ".")
                or other.target.startswith(b.target + ".")
            ):
                p.add(
                    b.marks["target"],
                    f"'{b.target}' is already driven by the binding of '{other.target}' at line {other.mark.line}",
                    "one binding per property; merge them into one 'points' curve",
                )
