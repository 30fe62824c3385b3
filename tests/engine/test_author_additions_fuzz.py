"""Whatever an author writes for text, flicker and min_spacing, validation answers with
FILE:LINE:COL lines or accepts it, and what it accepts builds and runs (the scene that
``view``, ``preview`` and a session drive) without an exception. Derandomized."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from panda3d.core import NodePath

from engine.errors import VrexError
from engine.scenario import ScenarioError, load_scenario
from engine.scene import Scene
from tests.engine.scenario_text import scenario

FUZZ = settings(
    max_examples=60, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROBLEM = re.compile(r"^(.+):(\d+):(\d+): .+")

words = st.one_of(
    st.sampled_from(["'1'", "2", "1.10", "TOP", "''", "null", "true", "[1]", "{a: 1}", '"a\\nb"', '"a\\tb"', "1e400"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8).map(
        lambda t: '"' + t.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    ),
)
wild_numbers = st.one_of(
    st.floats(-5, 70, allow_nan=False).map(lambda x: f"{x:.3g}"), st.sampled_from(["-1", "x", "null"])
)
# mostly plausible (so that many files pass and their scenes are built and run), now and then anything
numbers = st.integers(0, 3).flatmap(
    lambda n: wild_numbers if n == 0 else st.floats(0, 1 if n == 1 else 3.5).map(lambda x: f"{x:.3g}")
)
unit = st.floats(0, 1).map(lambda x: f"{x:.3g}")


@st.composite
def additions(draw: st.DrawFn) -> tuple[str, str]:
    entities = [
        f"  - {{type: text, id: sign, text: {draw(words)}, size: {draw(st.sampled_from(['0.3', '0', '2']))}, "
        f"billboard: {draw(st.booleans())!s}}}".replace("True", "true").replace("False", "false"),
        f"  - {{type: light, kind: point, id: lamp, flicker: {{rate: {draw(numbers)}, depth: {draw(numbers)}}}}}",
        f"  - {{type: scatter, id: rocks, count: {draw(st.integers(1, 300))}, area: [{draw(st.integers(1, 20))}, 8], "
        f"min_spacing: {draw(numbers)}, exclude_radius: {draw(st.sampled_from(['0', '2']))}, item: {{type: box}}}}",
    ]
    bindings = []
    for target, values in (
        ("sign.text", words),
        ("lamp.flicker.rate", numbers),
        ("lamp.flicker.depth", numbers),
    ):
        if draw(st.booleans()):
            pts = draw(st.lists(st.tuples(unit, values), min_size=2, max_size=4))
            interp = draw(st.sampled_from(["linear", "smooth", "step"]))
            points = ", ".join(f"[{a}, {v}]" for a, v in pts)
            bindings.append(f"  - {{target: {target}, points: [{points}], interpolation: {interp}}}")
    return "\n".join(entities), "\n".join(bindings)


@FUZZ
@given(parts=additions(), steps=st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_text_flicker_and_spacing_never_crash_validation_or_the_scene(parts, steps):
    entities, bindings = parts
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        text = scenario(viewpoint="{position: [0, -3, 1.6]}", entities=entities, bindings=bindings)
        path.write_text(text)
        try:
            spec = load_scenario(path)
        except ScenarioError as exc:
            lines = text.count("\n") + 1
            for problem in exc.problems:
                m = PROBLEM.match(str(problem))
                assert m and m[1] == str(path) and 1 <= int(m[2]) <= lines, str(problem)
            return
        root = NodePath("fuzz")
        try:
            scene = Scene(spec, root)
        except VrexError as exc:  # a scatter the validator let through but the tries missed: one line
            assert "min_spacing" in str(exc)
            return
        for x in steps:
            scene.apply(x)
            scene.update(1 / 60)
        scene.destroy()
