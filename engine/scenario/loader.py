"""YAML file → validated ``ScenarioSpec``, or ``ScenarioError`` listing every problem.

Reading (``yamlsafe``) and the key-by-key schema (``format``) catch what a single value can
get wrong; the checks here catch what needs the whole file: levels in order, references to
entities and files that exist, bindings that fit their target.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.scenario import format as fmt
from engine.scenario import media, mediaload
from engine.scenario.errors import Mark, Problems, ScenarioError, did_you_mean
from engine.scenario.flashes import check_flicker
from engine.scenario.properties import PROPERTIES, Prop, check_value
from engine.scenario.salvage import Partial, salvage_top
from engine.scenario.schema import INVALID, Record
from engine.scenario.spacing import spacing_problem
from engine.scenario.spec import Binding, Entity, Meta, ScenarioSpec
from engine.scenario.yamlsafe import YMap, read_yaml

MODEL_SUFFIXES = (".gltf", ".glb", ".bam", ".egg")
SOUND_SUFFIXES = (".wav", ".ogg", ".flac", ".mp3")


def _defaults(record: Record) -> Any:
    return record.build({k: f.default for k, f in record.fields.items()}, {}, Mark(1, 1))


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read and validate one scenario file; raise ``ScenarioError`` with every problem found.

    Every stage runs: a schema problem does not stop the checks that need the whole file;
    they run on what is valid (``salvage``) and skip what depends on a part already reported."""
    path = Path(path)
    problems = Problems(path)
    tree = read_yaml(path, problems)
    if tree is None or not isinstance(tree, YMap) or any(not _benign(q.what) for q in problems.items):
        problems.raise_if_any()  # the tree is not what the author wrote: later checks would guess
    top = Record("scenario file", fmt.SCENARIO_FIELDS, lambda v, m, mark: (v, m))
    checked = top.check(tree, problems)
    partial = Partial()
    if checked is INVALID:
        if not isinstance(tree, YMap):
            raise ScenarioError(problems.items)
        checked = salvage_top(fmt.SCENARIO_FIELDS, tree, partial)
    values, marks = checked
    spec = ScenarioSpec(
        path=path,
        format=values["format"] or fmt.FORMAT_VERSION,
        meta=values["scenario"] or Meta("?", "?", "?", "?", "?"),
        levels=tuple(values["levels"] or ()),
        viewpoint=values["viewpoint"] or _defaults(fmt.VIEWPOINT),
        comfort=values["comfort"] or _defaults(fmt.COMFORT),
        calm=values["calm"] or _defaults(fmt.CALM),
        entities=tuple(values["entities"] or ()),
        bindings=tuple(values["bindings"] or ()),
        marks=marks,
    )
    spec = _check(spec, problems, partial)
    problems.raise_if_any()
    return spec


def _benign(what: str) -> bool:
    # a duplicate key keeps its first value, which is what the author reads first: the checks
    # after reading still see the file as written
    return what.startswith("duplicate key")


def _check(spec: ScenarioSpec, p: Problems, partial: Partial | None = None) -> ScenarioSpec:
    partial = partial or Partial()
    _check_levels(spec, p)
    ids = _check_entities(spec, p, partial)
    bindings = tuple(_check_binding(b, ids, spec, p, partial) for b in spec.bindings)
    check_flicker(spec.walk(), bindings, p)  # WCAG 2.3.1: needs the checked bindings
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
    return replace(spec, bindings=bindings)


def _check_levels(spec: ScenarioSpec, p: Problems) -> None:
    seen: dict[str, int] = {}
    for i, level in enumerate(spec.levels):
        if level.name in seen:
            p.add(
                level.marks["name"],
                f"level name '{level.name}' is used twice (also level {seen[level.name] + 1})",
                "a different name for each level",
            )
        seen.setdefault(level.name, i)
        if i and level.intensity <= spec.levels[i - 1].intensity:
            prev = spec.levels[i - 1]
            p.add(
                level.marks["intensity"],
                f"level '{level.name}' has intensity {level.intensity:g}, not above the level before it "
                f"('{prev.name}', {prev.intensity:g})",
                "levels listed from least to most intense, each intensity strictly higher",
            )


def _check_entities(spec: ScenarioSpec, p: Problems, partial: Partial) -> dict[str, Entity]:
    ids: dict[str, Entity] = {}
    singletons: dict[str, Entity] = {}
    for e in spec.walk():
        if e.id is not None:
            if e.id in ids or e.id == "viewpoint":
                first = ids.get(e.id)
                where = f" (first at line {first.mark.line})" if first else " (reserved for the viewpoint)"
                p.add(
                    e.marks.get("id", e.mark), f"entity id '{e.id}' is used twice{where}", "a unique id for each entity"
                )
            else:
                ids[e.id] = e
        if e.type in ("sky", "fog"):
            if e.type in singletons:
                p.add(
                    e.mark,
                    f"a second '{e.type}' entity (first at line {singletons[e.type].mark.line})",
                    f"one '{e.type}' per scenario",
                )
            singletons[e.type] = e
        for template in [e["item"]] if e.type in ("array", "scatter") else []:
            _check_template(template, p)
        _check_file(e, spec, p)
    up = _up_links(spec)
    for e in spec.walk():
        parent = e.get("parent")
        if parent is not None and partial.dropped(parent, ids):
            pass  # it names an entity that was reported and dropped
        elif parent is not None and parent not in ids:
            p.add(
                e.marks["parent"],
                f"parent '{parent}' is not an entity id{did_you_mean(parent, ids)}",
                "the id of an entity in this file",
            )
        elif parent is not None and e.id is not None and e.id in _chain(parent, up):
            p.add(
                e.marks["parent"],
                f"parent '{parent}' leads back to '{e.id}' (a cycle, counting groups)",
                "a parent chain that ends at the scene root",
            )
        if e.type == "scatter":
            _check_scatter_room(e, p)
    _check_copies(spec, p)
    vp_parent = spec.viewpoint.parent
    if vp_parent is not None and vp_parent not in ids and not partial.dropped(vp_parent, ids):
        p.add(
            spec.viewpoint.marks["parent"],
            f"viewpoint parent '{vp_parent}' is not an entity id{did_you_mean(vp_parent, ids)}",
            "the id of an entity in this file",
        )
    return ids


def _up_links(spec: ScenarioSpec) -> dict[str, str]:
    """For each entity id: the id it hangs from — its 'parent', else the group it is in."""
    up: dict[str, str] = {}
    stack: list[tuple[Entity, str | None]] = [(e, None) for e in spec.entities]
    while stack:
        e, enclosing = stack.pop()
        holder = e.get("parent") or enclosing
        if e.id is not None and holder is not None:
            up[e.id] = holder
        # an unnamed group passes on the name of what encloses it
        stack.extend((c, e.id if e.id is not None else holder) for c in e.children)
    return up


def _chain(start: str | None, up: dict[str, str]) -> list[str]:
    """``start`` and everything it hangs from, stopping at the root or at a repeat."""
    chain: list[str] = []
    while start is not None and start not in chain:
        chain.append(start)
        start = up.get(start)
    return chain


def _check_scatter_room(e: Entity, p: Problems) -> None:
    # Copies are placed by rejection sampling: the kept-clear circle must leave room.
    w, d = e["area"]
    r = e["exclude_radius"]
    xs, ys = np.meshgrid(np.linspace(-w / 2, w / 2, 101), np.linspace(-d / 2, d / 2, 101))
    free = float((np.hypot(xs, ys) >= r).mean())
    if free < 0.05:
        p.add(
            e.marks.get("exclude_radius", e.mark),
            f"exclude_radius {r:g} m leaves {free:.0%} of the {w:g} × {d:g} m area for copies",
            "a smaller exclude_radius or a larger area (at least 5 % must stay free)",
        )
    elif e["min_spacing"] > 0:
        wrong = spacing_problem(e["count"], (w, d), r, e["min_spacing"], free)
        if wrong:
            p.add(e.marks.get("min_spacing", e.mark), *wrong)


MAX_COPIES = 20_000  # every copy is a node: more would make frame times unpredictable


def _check_copies(spec: ScenarioSpec, p: Problems) -> None:
    def copies(e: Entity) -> int:
        n = e["count"] * copies(e["item"]) if e.type in ("array", "scatter") else 1
        return n + sum(copies(c) for c in e.children)

    total = sum(copies(e) for e in spec.entities)
    if total > MAX_COPIES:
        biggest = max(spec.entities, key=copies)
        p.add(
            biggest.mark,
            f"the scene would hold {total:,} copies (this entity alone {copies(biggest):,})",
            f"at most {MAX_COPIES:,} in all; use fewer or larger copies",
        )


def _check_template(template: Entity, p: Problems) -> None:
    stack = [template]
    while stack:
        e = stack.pop()
        if e.id is not None or e.get("parent") is not None:
            key = "id" if e.id is not None else "parent"
            p.add(
                e.marks[key],
                f"'{key}' inside an array or scatter item, which is copied many times",
                "bind or attach the array/scatter itself",
            )
        if e.type in ("sky", "fog", "sound", "light"):
            p.add(e.mark, f"a '{e.type}' cannot be copied by an array or scatter", "a shape, model or group")
        stack.extend(e.children)


def _check_file(e: Entity, spec: ScenarioSpec, p: Problems) -> None:
    if e.type not in ("model", "sound"):
        return
    suffixes = MODEL_SUFFIXES if e.type == "model" else SOUND_SUFFIXES
    rel = Path(e["path"])
    full = spec.path.parent / rel
    if rel.suffix.lower() not in suffixes:
        p.add(
            e.marks["path"],
            f"'{rel}' is not a {e.type} file this engine reads",
            "a file ending in " + ", ".join(suffixes),
        )
    elif not full.is_file():
        p.add(
            e.marks["path"],
            f"{e.type} file '{rel}' does not exist (looked for {full})",
            "a path relative to the scenario file's folder",
        )
    else:
        _check_file_content(e, rel, full, p)


def _check_file_content(e: Entity, rel: Path, full: Path, p: Problems) -> None:
    """A file that exists but is not what its name says fails at session start otherwise."""
    try:
        wrong = media.size_problem(full, e.type) or (
            media.model_problem(full) if e.type == "model" else media.sound_problem(full)
        )
        channels = 0
        if not wrong:  # it looks right: now load it as the session will
            wrong, channels = mediaload.load_problem(full, e.type)
    except OSError as exc:
        wrong = f"cannot be read ({exc.strerror or exc})"
    if not wrong and e.type == "sound" and e.get("positional") and channels > 1:
        p.add(
            e.marks.get("positional", e.marks["path"]),
            f"sound file '{rel}' has {channels} channels; a positional sound is heard from one place",
            "a mono file, or 'positional: false'",
        )
    if wrong:
        fix = (
            "a glTF (.gltf/.glb) or Panda3D (.bam/.egg) model exported again from the modelling tool"
            if e.type == "model"
            else "a WAV, Ogg, FLAC or MP3 sound file"
        )
        p.add(e.marks["path"], f"{e.type} file '{rel}' {wrong}", fix)


def _check_binding(
    b: Binding, ids: dict[str, Entity], spec: ScenarioSpec, p: Problems, partial: Partial | None = None
) -> Binding:
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
        b.entity in _chain(spec.viewpoint.parent, _up_links(spec))
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
