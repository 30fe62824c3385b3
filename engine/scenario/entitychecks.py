"""Checks on a scenario's entities that need the whole file: unique ids, one sky and one fog,
parents that exist and lead to the scene root, what an array or scatter may copy, room for a
scatter's copies, and the total number of copies; the files a model or sound names are
checked by ``filechecks``.

Apart from ``loader.py`` so that reading a file and checking what it describes can be read
(and grown) separately; ``bindingchecks`` uses the parent chain built here (``up_links``,
``chain``) to tell whether a binding moves the viewpoint.
"""

from __future__ import annotations

import numpy as np

from engine.scenario.errors import Problems, did_you_mean
from engine.scenario.filechecks import check_file
from engine.scenario.salvage import Partial
from engine.scenario.spacing import spacing_problem
from engine.scenario.spec import Entity, ScenarioSpec

MAX_COPIES = 20_000  # every copy is a node: more would make frame times unpredictable


def check_entities(spec: ScenarioSpec, p: Problems, partial: Partial) -> dict[str, Entity]:
    """Report what is wrong with the entities taken together; return them by id (the first of each),
    which the binding checks resolve targets against."""
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
        check_file(e, spec, p)
    up = up_links(spec)
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
        elif parent is not None and e.id is not None and e.id in chain(parent, up):
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


def up_links(spec: ScenarioSpec) -> dict[str, str]:
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


def chain(start: str | None, up: dict[str, str]) -> list[str]:
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
