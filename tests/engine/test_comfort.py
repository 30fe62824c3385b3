"""``vrex validate --target hmd``: each way a scenario could move a headset wearer's head is
reported at the line and column where it is written, and nothing else is."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.scenario import load_scenario
from engine.scenario.comfort import check_hmd
from engine.scenario.rigspeed import MAX_RIG_SPEED
from tests.conftest import ROOT, SCENARIOS, TEST_SCENARIOS
from tests.engine.scenario_text import scenario, where, write


def problems(tmp_path, text):
    """(line, col, message) of every headset problem in ``text``; it must load cleanly first."""
    return [
        (p.mark.line, p.mark.col, f"{p.what} — {p.expected}") for p in check_hmd(load_scenario(write(tmp_path, text)))
    ]


def only_at(tmp_path, text, needle, *words, nth=1):
    """``text`` has exactly one problem, at ``needle``, and its message holds ``words``."""
    found = problems(tmp_path, text)
    assert [(line, col) for line, col, _ in found] == [where(text, needle, nth)], found
    for word in words:
        assert word in found[0][2], found[0][2]


# --- the viewpoint's own rotation and lens ---------------------------------------------------


@pytest.mark.parametrize(
    "rotation, words",
    [
        ("[0, -20, 0]", ("pitch -20", "'rotation: [0, 0, 0]' and 'look: [0, -20]'")),
        ("[15, 0, 5]", ("roll 5", "'rotation: [15, 0, 0]'")),
        ("[0, 30, -5]", ("pitch 30° and roll -5°", "'look: [0, 30]'")),
    ],
)
def test_a_static_viewpoint_pitch_or_roll_is_reported_at_the_rotation(tmp_path, rotation, words):
    text = scenario(viewpoint=f"{{parent: lift, rotation: {rotation}}}")
    only_at(tmp_path, text, rotation, *words)


def test_a_static_heading_alone_is_fine(tmp_path):
    assert problems(tmp_path, scenario(viewpoint="{rotation: [120, 0, 0], look: [10, -30]}")) == []


@pytest.mark.parametrize(
    "binding, words",
    [
        ("{target: viewpoint.rotation.p, range: [0, -40]}", ("pitch", "viewpoint.look.p")),
        ("{target: viewpoint.rotation.r, range: [0, 3]}", ("roll",)),
        ("{target: viewpoint.rotation, range: [[0, 0, 0], [0, -30, 0]]}", ("pitch",)),
        ("{target: viewpoint.rotation.h, range: [0, 90]}", ("turn the patient round", "viewpoint.look.h")),
        ("{target: viewpoint.rotation, range: [[0, 0, 0], [45, 0, 0]]}", ("heading",)),
        ("{target: viewpoint.fov, range: [75, 40]}", ("lenses", "remove the binding")),
    ],
)
def test_each_viewpoint_binding_that_moves_the_head_is_reported_at_its_target(tmp_path, binding, words):
    text = scenario(bindings=f"  - {binding}")
    only_at(tmp_path, text, binding.split(", ")[0].split(": ")[1], *words)


@pytest.mark.parametrize(
    "binding",
    [
        "{target: viewpoint.rotation.p, range: [0, 0]}",  # moves nothing
        "{target: viewpoint.rotation.h, range: [30, 30]}",  # a fixed heading
        "{target: viewpoint.look.p, range: [0, -60]}",  # the patient turns their own head
        "{target: viewpoint.look, points: [[0, [0, 0]], [1, [170, 80]]]}",
        "{target: floor.rotation.r, range: [0, 10]}",  # on the lift, but carries nothing
    ],
)
def test_what_does_not_move_the_head_passes(tmp_path, binding):
    assert problems(tmp_path, scenario(bindings=f"  - {binding}")) == []


# --- what carries the viewpoint ---------------------------------------------------------------


@pytest.mark.parametrize(
    "binding, words",
    [
        ("{target: lift.rotation.r, range: [0, 4]}", ("roll of 'lift', which carries the viewpoint", "tilt")),
        ("{target: lift.rotation.p, range: [0, 4]}", ("pitch of 'lift'",)),
        ("{target: lift.rotation.h, range: [0, 30]}", ("heading of 'lift'", "turn the patient round")),
        ("{target: lift.rotation, range: [[0, 0, 0], [0, 0, 2]]}", ("roll",)),
        ("{target: lift.scale.z, range: [1, 2]}", ("scales 'lift'",)),
        ("{target: outer.rotation.p, range: [0, 4]}", ("pitch of 'outer'",)),  # the group around 'lift'
    ],
)
def test_tilting_turning_or_scaling_a_carrier_is_reported(tmp_path, binding, words):
    text = scenario(bindings=f"  - {binding}", entities="  - {type: group, id: outer}")
    text = text.replace("    id: lift\n", "    id: lift\n    parent: outer\n")  # outer carries lift
    only_at(tmp_path, text, binding.split(", ")[0].split(": ")[1], *words)


@pytest.mark.parametrize(
    "motion, binding, needle, words",
    [
        ("{kind: sway, axis: r, amplitude: 1, speed: 0.2}", "", "{kind: sway", ("rocks 'lift' (roll)",)),
        (
            "{kind: sway, axis: p, amplitude: 0, speed: 0.2}",
            "{target: lift.motion.amplitude, range: [0, 2]}",
            "lift.motion.amplitude",
            ("(pitch)",),
        ),
        ("{kind: sway, axis: h, amplitude: 3, speed: 0.2}", "", "{kind: sway", ("turns 'lift'",)),
        ("{kind: spin, speed: 5}", "", "{kind: spin", ("turns 'lift'",)),
        ("{kind: bob, amplitude: 0.02, speed: 0.2}", "", "{kind: bob", ("back and forth", "acceleration")),
        ("{kind: wander, amplitude: 0.5, speed: 0.1}", "", "{kind: wander", ("back and forth",)),
    ],
)
def test_motion_on_a_carrier_is_reported_however_small(tmp_path, motion, binding, needle, words):
    text = scenario(bindings=f"  - {binding}" if binding else "")
    text = text.replace("    id: lift\n", f"    id: lift\n    motion: {motion}\n")
    only_at(tmp_path, text, needle, *words)


def test_motion_that_never_moves_or_does_not_carry_the_viewpoint_passes(tmp_path):
    text = scenario(bindings="  - {target: floor.motion.amplitude, range: [0, 3]}")
    text = text.replace("    id: lift\n", "    id: lift\n    motion: {kind: sway, amplitude: 0, speed: 0.2}\n")
    text = text.replace(
        "{type: box, id: floor, size: [3, 3, 0.1]}",
        "{type: box, id: floor, size: [3, 3, 0.1], motion: {kind: sway, speed: 0.2}}",
    )
    assert problems(tmp_path, text) == []


def test_motion_on_an_unnamed_group_around_the_carrier_is_found(tmp_path):
    text = scenario(
        viewpoint="{parent: cabin}",
        entities="  - type: group\n    motion: {kind: bob, amplitude: 0.1, speed: 0.3}\n"
        "    children:\n      - {type: group, id: cabin}",
    )
    only_at(tmp_path, text, "{kind: bob", "this group")


# --- rig speed -----------------------------------------------------------------------------------


def test_a_rig_faster_than_walking_pace_is_reported_where_the_fast_move_is_written(tmp_path):
    # 0.5 → 1 moves 40 m: 80 m per unit × 0.05/s = 4 m/s, under max_camera_speed 5; the point
    # that starts the fast stretch is marked at its intensity, as the loader marks points
    text = scenario(bindings="  - target: viewpoint.position.y\n    points: [[0, 0], [0.5, 0], [1, 40]]")
    only_at(tmp_path, text, "0.5, 0]", "4 m/s between intensity 0.5 and 1", f"at most {MAX_RIG_SPEED:g} m/s")


def test_rig_speed_adds_up_the_carriers_and_is_capped_by_max_camera_speed(tmp_path):
    # the lift rises 100 m (100 m/unit × 0.05/s = 5 m/s) and the viewpoint walks 3 m at once
    bindings = "  - {target: lift.position.z, range: [0, 100]}\n  - {target: viewpoint.position.y, range: [0, 3]}"
    only_at(tmp_path, scenario(bindings=bindings), "lift.position.z", "5 m/s")
    text = scenario(bindings=bindings, comfort="{max_camera_speed: 2}")
    only_at(tmp_path, text, "lift.position.z", "2 m/s", "capped by max_camera_speed")
    assert problems(tmp_path, scenario(bindings=bindings, comfort="{max_camera_speed: 1.4}")) == []


def test_a_move_at_walking_pace_passes(tmp_path):
    # 28 m over the scale at 0.05/s: exactly 1.4 m/s
    assert problems(tmp_path, scenario(bindings="  - {target: viewpoint.position.x, range: [0, 28]}")) == []
    assert problems(tmp_path, scenario(bindings="  - {target: viewpoint.position.x, range: [0, 29]}")) != []


def test_several_problems_come_in_line_order(tmp_path):
    text = scenario(
        viewpoint="{parent: lift, rotation: [0, -10, 0]}",
        bindings="  - {target: viewpoint.fov, range: [75, 50]}\n  - {target: lift.rotation.r, range: [0, 2]}",
    )
    found = problems(tmp_path, text)
    assert [(line, col) for line, col, _ in found] == [
        where(text, "[0, -10, 0]"),
        where(text, "viewpoint.fov"),
        where(text, "lift.rotation.r"),
    ]


# --- the shipped scenarios and the command ----------------------------------------------------


def test_the_shipped_scenarios_and_the_readme_example_pass_a_headset(tmp_path):
    for path in [*sorted(SCENARIOS.glob("*.yaml")), TEST_SCENARIOS / "minimal.yaml"]:
        assert check_hmd(load_scenario(path)) == [], path
    example = (SCENARIOS / "README.md").read_text().split("```yaml\n")[2].split("```")[0]
    assert problems(tmp_path, example) == []


def vrex_validate(*args):
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_reports_hmd_problems_only_for_that_target_and_fails(tmp_path):
    text = scenario(
        viewpoint="{parent: lift, rotation: [0, -10, 0]}", bindings="  - {target: viewpoint.fov, range: [75, 50]}"
    )
    path = write(tmp_path, text)
    shipped = sorted(SCENARIOS.glob("*.yaml"))
    hmd = vrex_validate("--target", "hmd", path, *shipped)
    assert hmd.returncode == 1, hmd.stdout + hmd.stderr
    lines = [ln for ln in hmd.stdout.splitlines() if ln.startswith(str(path))]
    assert [ln.split(": ", 1)[0] for ln in lines] == [
        f"{path}:{line}:{col}" for line, col in (where(text, "[0, -10, 0]"), where(text, "viewpoint.fov"))
    ]
    assert all(" — " in ln for ln in lines) and "Traceback" not in hmd.stderr
    for p in shipped:
        assert f"{p}: ok for a headset" in hmd.stdout
    desktop = vrex_validate(path, *shipped)
    assert desktop.returncode == 0 and f"{path}: ok" in desktop.stdout, desktop.stdout + desktop.stderr
