"""YAML file → validated ``ScenarioSpec``, or ``ScenarioError`` listing every problem.

Reading (``yamlsafe``) and the key-by-key schema (``format``) catch what a single value can
get wrong; the checks that need the whole file run from here in a fixed order, which is the
order problems are reported in: levels in order (here), entities (``entitychecks``: ids,
parents, copies, and the files they name through ``filechecks``), bindings that fit their
target (``bindingchecks``), flashes (``flashes``), then bindings that drive the same property.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.scenario import format as fmt
from engine.scenario.bindingchecks import check_binding, check_overlaps
from engine.scenario.entitychecks import check_entities
from engine.scenario.errors import Mark, Problems, ScenarioError
from engine.scenario.flashes import check_flicker
from engine.scenario.salvage import Partial, salvage_top
from engine.scenario.schema import INVALID, Record
from engine.scenario.spec import Meta, ScenarioSpec
from engine.scenario.yamlsafe import YMap, read_yaml


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
    ids = check_entities(spec, p, partial)
    bindings = tuple(check_binding(b, ids, spec, p, partial) for b in spec.bindings)
    check_flicker(spec.walk(), bindings, p)  # WCAG 2.3.1: needs the checked bindings
    check_overlaps(bindings, p)
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
