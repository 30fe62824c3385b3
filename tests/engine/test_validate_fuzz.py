"""Fuzzing ``vrex validate``: random bindings, entity trees and viewpoints never crash it.

Hypothesis writes scenario files whose bindings target real and unknown properties with values
of every shape (numbers, huge integers, nan/inf, text, null, booleans, lists of lists), whose
entities nest, name missing parents and form cycles, and whose viewpoint is anything. Whatever
comes in, the validator (and the headset comfort check on what loads) must either accept the
file or raise ``ScenarioError`` whose every problem is ``FILE:LINE:COL: …`` inside the file.
Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.commands.validate import check_file
from engine.scenario import ScenarioError, load_scenario
from engine.scenario.comfort import check_hmd
from engine.scenario.properties import PROPERTIES
from tests.engine.scenario_text import LEVELS

FUZZ = settings(
    max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
WIND = Path(__file__).resolve().parent / "scenarios" / "wind.wav"
PROBLEM = re.compile(r"^(.+):(\d+):(\d+): .+")

IDS = ["a", "b", "c", "lift", "viewpoint", "ghost"]  # 'ghost' is never defined
TYPES = ["box", "group", "array", "scatter", "light", "sphere", "sound", "fog", "sky", "plane"]
PROPS = sorted({name for props in PROPERTIES.values() for name in props} | {"colur", "position.w", ""})

scalars = st.one_of(
    st.integers(-3, 3).map(str),
    st.floats(-2, 12, allow_nan=False).map(repr),
    st.sampled_from(
        [
            "0.5",
            "1e400",
            "-1e400",
            ".nan",
            ".inf",
            "-.inf",
            "99999999999999999999999",
            "true",
            "null",
            "~",
            "red",
            "'#ff0000'",
            "'#zz'",
            "''",
            "2024-01-01",
            "0x10",
            "[]",
            "{}",
            "{a: 1}",
        ]
    ),
)
wild = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5).map(lambda items: "[" + ", ".join(items) + "]"), max_leaves=8
)
unit = st.floats(0, 1).map(lambda x: f"{x:.3g}")
plausible = st.one_of(
    unit,
    st.sampled_from(
        [
            "true",
            "false",
            "2",
            "[0, 0, 0]",
            "[0.2, 0.3, 0.4]",
            "[1, 2, 3]",
            "[0.1, 0.2, 0.3, 0.4]",
            "[10, 5]",
            "'#336699'",
            "[0, -10]",
        ]
    ),
    st.lists(unit, min_size=2, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
)


def mostly(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``good`` nine times in ten: files with a few problems reach more checks than files with many."""
    # Hypothesis favours the ends of a range, so 'bad' sits in the middle of it
    return st.integers(0, 9).flatmap(lambda n: bad if n == 5 else good)


values = st.one_of(plausible, wild)
GOOD = {"position": "[0, 1, 2]", "colour": "[0.5, 0.5, 0.5]", "scale": "2", "rotation": "[10, 0, 0]"}
TRANSFORM = {"box", "group", "array", "scatter", "sphere", "plane"}


@st.composite
def bindings(draw: st.DrawFn) -> str:
    target = draw(st.sampled_from(IDS)) + (f".{p}" if (p := draw(st.sampled_from(PROPS))) else "")
    parts = [f"target: {target}"]
    shape = draw(st.sampled_from(["range", "points", "both", "neither"]))
    if shape in ("range", "both"):
        parts.append(f"range: [{draw(values)}, {draw(values)}]")
    if shape in ("points", "both"):
        pair = st.tuples(unit, values).map(lambda t: f"[{t[0]}, {t[1]}]")
        pts = draw(st.lists(mostly(pair, values), min_size=draw(mostly(st.just(2), st.just(0))), max_size=4))
        parts.append(f"points: [{', '.join(pts)}]")
    if draw(st.booleans()):
        good = st.sampled_from(["[0, 1]", "[0.2, 0.8]", "[1, 0]", "[0.5, 0.5]"])
        parts.append(f"over: {draw(mostly(good, st.sampled_from(['0.5', '[0, 2]', '[a, b]', 'null'])))}")
    if draw(st.booleans()):
        parts.append(f"interpolation: {draw(mostly(st.sampled_from(['linear', 'smooth', 'step']), st.just('cubic')))}")
    return "  - {" + ", ".join(parts) + "}"


@st.composite
def entity(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(TYPES))
    parts = [f"type: {kind}"]
    if draw(st.booleans()):
        parts.append(f"id: {draw(st.sampled_from(IDS[:4]))}")
    if draw(st.integers(0, 3)) == 0 and kind not in ("fog", "sky"):
        parts.append(f"parent: {draw(st.sampled_from(IDS))}")
    if kind == "light":
        parts.append(f"kind: {draw(mostly(st.sampled_from(['ambient', 'point', 'directional']), st.just('disco')))}")
    if kind == "sound":
        parts.append(
            f"path: {draw(mostly(st.just('wind.wav'), st.sampled_from(['nothing.wav', 'wind.mp4', 'fuzz.yaml.wav'])))}"
        )
    if kind in ("array", "scatter"):
        parts.append(f"count: {draw(mostly(st.sampled_from(['1', '3', '40']), st.sampled_from(['0', '5000', 'x'])))}")
        parts.append("item: " + (draw(entity(depth + 1)) if depth < 2 else "{type: box}"))
        if kind == "scatter":
            parts.append(f"area: {draw(mostly(st.just('[10, 10]'), st.sampled_from(['[0.1, 0.1]', '5'])))}")
            parts.append(f"exclude_radius: {draw(mostly(st.sampled_from(['0', '4']), st.just('100')))}")
    if kind == "group" and depth < 2:
        children = draw(st.lists(entity(depth + 1), max_size=3))
        parts.append(f"children: [{', '.join(children)}]")
    if draw(st.integers(0, 3)) == 0 and kind in TRANSFORM:
        kinds = st.sampled_from(["sway", "spin", "bob", "wander", "approach"])
        parts.append(f"motion: {{kind: {draw(mostly(kinds, st.just('fly')))}, amplitude: 1, speed: 0.2}}")
    keys = ["position", "colour", "scale", "rotation"] if kind in TRANSFORM else []
    for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)) if keys else []:
        parts.append(f"{key}: {draw(mostly(st.just(GOOD[key]), values))}")
    return "{" + ", ".join(parts) + "}"


@st.composite
def viewpoint(draw: st.DrawFn) -> str:
    parts = []
    for key in draw(
        st.lists(
            st.sampled_from(["parent", "position", "rotation", "look", "fov", "eye_height"]), max_size=4, unique=True
        )
    ):
        good = {
            "parent": st.sampled_from(IDS),
            "position": st.just("[0, 0, 1.7]"),
            "rotation": st.just("[30, 10, 5]"),
            "look": st.just("[20, -10]"),
            "fov": st.just("90"),
            "eye_height": st.just("1.2"),
        }[key]
        parts.append(f"{key}: " + draw(mostly(good, values)))
    return "{" + ", ".join(parts) + "}"


def scenario_text(entities: list[str], binds: list[str], view: str) -> str:
    return (
        f"format: 1\nscenario: {{id: fuzz, title: Fuzz, phobia: none, author: tests, version: \"1\"}}\n"
        f"levels:\n{LEVELS}\nviewpoint: {view}\nentities:\n"
        + "".join(f"  - {e}\n" for e in entities or ["{type: box}"])
        + "bindings:\n"
        + ("\n".join(binds) + "\n" if binds else "  []\n")
    )


def assert_problems_inside(exc: ScenarioError, path: Path, text: str) -> None:
    lines = text.splitlines()
    for problem in exc.problems:
        line = str(problem)
        m = PROBLEM.match(line)
        assert m and m[1] == str(path), line
        row, col = int(m[2]), int(m[3])
        assert 1 <= row <= max(len(lines), 1), f"line {row} is outside the file:\n{line}\n{text}"
        assert 1 <= col <= len(lines[row - 1]) + 1 if row <= len(lines) else col == 1, (
            f"column {col} is outside line {row}:\n{line}\n{text}"
        )


def validates_cleanly(text: str) -> None:
    """``text`` as a scenario file: accepted, or refused with FILE:LINE:COL problems inside
    the file; never an internal error, also from the command's own path and the headset check."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text)
        (Path(folder) / "wind.wav").write_bytes(WIND.read_bytes())
        try:
            spec = load_scenario(path)
        except ScenarioError as exc:
            assert exc.problems
            assert_problems_inside(exc, path, text)
        else:
            for problem in check_hmd(spec):  # ``vrex validate --target hmd`` on what loads
                assert PROBLEM.match(str(problem)), str(problem)
        # the command's own path too: no internal error disguised as a problem
        assert not any("could not check this file" in ln for ln in check_file(path, "hmd")), text


@FUZZ
@given(entities=st.lists(entity(), max_size=5), binds=st.lists(bindings(), max_size=5), view=viewpoint())
def test_random_scenarios_never_crash_the_validator(entities, binds, view):
    validates_cleanly(scenario_text(entities, binds, view))


def test_the_fuzzer_reaches_valid_files_too(tmp_path):
    """A fuzzer that only ever writes broken files tests only the first error path."""
    text = scenario_text(
        ["{type: box, id: a}"], ["  - {target: a.colour, range: [[0, 0, 0], [1, 1, 1]]}"], "{position: [0, 0, 1.7]}"
    )
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    (tmp_path / "wind.wav").write_bytes(WIND.read_bytes())
    spec = load_scenario(path)
    assert spec.bindings[0].points[1][1] == (1.0, 1.0, 1.0, 1.0)
    assert check_hmd(spec) == []


# -- bindings alone, on a scene that is otherwise valid ------------------------------------
# Most random files stop at their first wrong key; these reach the binding checks every time:
# each real target of a valid scene, driven by values of every shape (the colour crash of
# issue 14, `{target: ambient.colour, range: [0.2, 0.5]}`, is one of them).

VALID_ENTITIES = [
    "{type: light, id: ambient, kind: ambient}",
    "{type: light, id: sun, kind: directional}",
    "{type: box, id: a}",
    "{type: group, id: lift, children: [{type: box}]}",
    "{type: array, id: row, count: 3, item: {type: box}}",
    "{type: sky, id: sky}",
    "{type: fog, id: haze, density: 0.01}",
    "{type: sound, id: wind, path: wind.wav}",
]
ENTITY_TYPE = {
    "ambient": "light",
    "sun": "light",
    "a": "box",
    "lift": "group",
    "row": "array",
    "sky": "sky",
    "haze": "fog",
    "wind": "sound",
}
TARGETS = sorted(
    {f"{eid}.{p}" for eid, kind in ENTITY_TYPE.items() for p in PROPERTIES.get(kind, ())}
    | {f"viewpoint.{p}" for p in PROPERTIES.get("viewpoint", ())}
)


@st.composite
def valid_scene_bindings(draw: st.DrawFn) -> str:
    target = draw(st.sampled_from(TARGETS))
    if draw(st.booleans()):
        return f"  - {{target: {target}, range: [{draw(values)}, {draw(values)}]}}"
    pts = draw(st.lists(st.tuples(unit, values).map(lambda t: f"[{t[0]}, {t[1]}]"), min_size=2, max_size=4))
    return f"  - {{target: {target}, points: [{', '.join(pts)}]}}"


@FUZZ
@given(binds=st.lists(valid_scene_bindings(), min_size=1, max_size=3))
def test_random_binding_values_on_a_valid_scene_never_crash_the_validator(binds):
    assert TARGETS, "the property table gave no targets"
    validates_cleanly(scenario_text(VALID_ENTITIES, binds, "{position: [0, 0, 1.7]}"))


# -- entity trees with random keys ---------------------------------------------------------
# Every stage runs on what is valid (engine/scenario/salvage.py), so a file with wrong keys in
# one entity still reaches the cross-checks for the others: these trees mix real and random
# keys at every depth, with groups, arrays and scatters nested inside each other.

ALL_KEYS = sorted(
    {"type", "id", "parent", "children", "item", "count", "area", "path", "kind", "size", "motion"}
    | {"colour", "opacity", "visible", "scale", "radius", "exclude_radius", "step", "seed", "flicker"}
    | {"colur", "sise", "x", "children2", "Type"}
)
mappings = st.dictionaries(st.sampled_from(["a", "kind", "rate", "x"]), values, max_size=3).map(
    lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
)


@st.composite
def wild_entity(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(mostly(st.sampled_from(TYPES + ["model", "cylinder"]), st.sampled_from(["boks", "", "null", "[box]"])))
    parts = [f"type: {kind}"] if draw(mostly(st.just(True), st.just(False))) else []
    for key in draw(st.lists(st.sampled_from(ALL_KEYS), max_size=4)):  # duplicates too
        if key in ("children", "item") and depth < 3:
            inner = st.lists(wild_entity(depth + 1), max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
            value = draw(inner if key == "children" else wild_entity(depth + 1))
        elif key in ("id", "parent"):
            value = draw(mostly(st.sampled_from(IDS), values))
        else:
            value = draw(st.one_of(values, mappings))
        parts.append(f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


@settings(FUZZ, max_examples=250)  # broken files are quick: more of them in about the same time
@given(entities=st.lists(wild_entity(), min_size=1, max_size=4), binds=st.lists(bindings(), max_size=4))
def test_random_entity_trees_with_random_keys_never_crash_the_validator(entities, binds):
    validates_cleanly(scenario_text(entities, binds, "{}"))


def test_lift_example_colour_crash_is_one_clear_problem(tmp_path):
    """Regression, issue 14: the lift example's `{target: ambient.colour, range: [0.2, 0.5]}`
    (numbers for a colour) crashed the validator. Now: one FILE:LINE:COL problem per value,
    saying what a colour binding takes; nothing else in the file is blamed."""
    binding = "  - {target: ambient.colour, range: [0.2, 0.5]}"
    text = scenario_text(VALID_ENTITIES, [binding], "{position: [0, 0, 1.7]}")
    path = tmp_path / "lift.yaml"
    path.write_text(text)
    (tmp_path / "wind.wav").write_bytes(WIND.read_bytes())
    lines = check_file(path)
    row = text.splitlines().index(binding) + 1
    assert len(lines) == 2, lines
    col = binding.index("[0.2") + 1  # a range's values are reported at the range
    for line, value in zip(lines, ("0.2", "0.5")):
        assert line.startswith(f"{path}:{row}:{col}: value {value} does not fit 'ambient.colour' — "), lines
        assert "[r, g, b]" in line
