"""Headset comfort: where a scenario would move the patient's head against their will.

``vrex validate --target hmd`` adds these checks to the ordinary ones. In a headset the head
belongs to the patient: the scene places a level **rig** (position and heading, from the
viewpoint) and the headset's own head pose is added under it (docs/architecture.md,
"Display backends"). Whatever else a scenario does to the viewpoint either turns the
patient's head for them or is lost, so each of these is reported, with what to write:

1. **Pitch and roll of the viewpoint** — a static ``viewpoint.rotation`` with pitch or roll,
   and bindings of ``viewpoint.rotation.p``/``.r`` (or of ``viewpoint.rotation``) with a
   non-zero pitch or roll. Write the direction as ``viewpoint.look`` instead: a gaze target
   the patient turns their own head to. Meta's locomotion guidelines: never rotate or pitch
   the user's view (docs/headset.md, "Comfort"); Oculus Best Practices: "the camera should
   rotate and move in a manner consistent with head movements", and "user and camera
   movements should never be decoupled" (developer.oculus.com/design/latest/concepts/bp_app_motion/).
2. **Field of view** — bindings of ``viewpoint.fov``. A headset's field of view is fixed by
   its optics; Oculus Best Practices, Tracking: "The FOV of the virtual cameras must match
   the visible display area" (developer.oculus.com/design/latest/concepts/bp_app_tracking/).
   A zoom cannot be shown; bring the feared thing nearer instead.
3. **Heading changes** — bindings that change the heading of the viewpoint or of what carries
   it. Flagged *always*, at any rate: Meta counts "any acceleration, rotation, or movement
   not initiated by real-world movement" as locomotion and offers smooth turning only as an
   opt-in the user chooses (developers.meta.com/horizon/design/locomotion-best-practices/);
   a turn driven by intensity is neither initiated nor chosen by the patient, and it is never
   needed: the patient turns their own head, and ``viewpoint.look.h`` says where to.
4. **What carries the viewpoint** (``viewpoint.parent`` and everything it hangs from) — bindings
   that pitch, roll or scale it as intensity changes, and any procedural ``motion`` on it
   (sway, spin, bob, wander, approach) that can move. Flagged always, with no "small enough"
   amplitude: in studies of oscillation, sickness grows with magnitude and duration from the
   smallest amplitude tested up and no safe floor was found (Griffin & Mills 2002, Aviat Space
   Environ Med 73:640, horizontal; Joseph & Griffin 2008, 79:390, roll and pitch from ±1.83°
   at 0.2 Hz), and it is worst around 0.2 Hz (Golding, Mueller & Gresty 2001, Aviat Space
   Environ Med 72:188), where swaying lifts and boats sit. Those are studies of physical
   motion; a headset imposes it on the eyes alone, which we assume is no kinder (the
   visual-vestibular conflict is what Meta names as the cause). Oculus Best Practices also
   say "don't use head bobbing" (bp_app_motion above). Move the surroundings instead (a
   railing, the deck in a group that does not carry the viewpoint).
5. **Rig speed** — the fastest the viewpoint's position can move, at most walking pace
   (``MAX_RIG_SPEED``, 1.4 m/s): the rule, its limit and its sources are ``rigspeed.py``,
   with ``carriers`` (what carries the viewpoint) and ``rig_positions``.

Not checked: a carrier's constant tilt (the rig is level, so it moves nothing). Pure Python:
no Panda3D, so ``vrex validate`` stays quick.
"""

from __future__ import annotations

from typing import Any

from engine.scenario.errors import Mark, Problem
from engine.scenario.rigspeed import carriers, check_speed
from engine.scenario.spec import Binding, Entity, ScenarioSpec

_LOOK = "bind 'viewpoint.look.h' / 'viewpoint.look.p' (or write 'look: [heading, pitch]') to say where to look"


def check_hmd(spec: ScenarioSpec) -> list[Problem]:
    """Every place where ``spec`` would move the patient's head in a headset."""
    out: list[Problem] = []

    def add(mark: Mark, what: str, expected: str) -> None:
        out.append(Problem(spec.path, mark, what, expected))

    chain = carriers(spec)
    carried = {e.id for e in chain if e.id is not None}
    vp = spec.viewpoint
    bound = {b.prop for b in spec.bindings if b.entity == "viewpoint"}
    tilt = [
        f"{axis} {vp.rotation[i]:g}°"
        for i, axis in ((1, "pitch"), (2, "roll"))
        if vp.rotation[i] != 0.0 and not {"rotation", f"rotation.{'hpr'[i]}"} & bound
    ]
    if tilt:
        h, pitch = vp.rotation[0], vp.rotation[1]
        add(
            vp.marks.get("rotation", Mark(1, 1)),
            f"viewpoint rotation has {' and '.join(tilt)}, which a "
            "headset cannot show without tilting the patient's head",
            f"'rotation: [{h:g}, 0, 0]'"
            + (f" and 'look: [0, {pitch:g}]'" if pitch else "")
            + " (a headset keeps the horizon level; 'look' asks the patient to look there)",
        )
    for b in spec.bindings:
        if b.entity == "viewpoint":
            _check_viewpoint_binding(b, add)
        elif b.entity in carried:
            _check_carrier_binding(b, add)
    for e in chain:
        _check_motion(e, spec, add)
    check_speed(spec, chain, add)
    return sorted(out, key=lambda p: (p.mark.line, p.mark.col))


def _component(b: Binding, index: int) -> list[float]:
    """The values one component (0 h, 1 p, 2 r) takes at the binding's points."""
    return [float(v[index]) if isinstance(v, tuple) else float(v) for _, v in b.points]


def _check_viewpoint_binding(b: Binding, add: Any) -> None:
    where = b.marks["target"]
    if b.prop in ("rotation.p", "rotation.r", "rotation"):
        for i, axis in ((1, "pitch"), (2, "roll")):
            if (b.prop == "rotation" or b.prop[-1] == "hpr"[i]) and any(_component(b, i)):
                add(
                    where,
                    f"'{b.target}' gives the viewpoint a {axis}: in a headset it would tilt the "
                    "patient's head for them",
                    _LOOK if axis == "pitch" else "no roll (a headset keeps the horizon level)",
                )
    if b.prop in ("rotation.h", "rotation") and len(set(_component(b, 0))) > 1:
        add(
            where,
            f"'{b.target}' turns the viewpoint's heading: in a headset it would turn the patient "
            "round (a turn they did not make)",
            "a fixed heading; " + _LOOK,
        )
    if b.prop == "fov":
        add(
            where,
            "'viewpoint.fov' has no effect in a headset (its lenses fix the field of view)",
            "remove the binding; to bring the feared thing nearer, move it (or the viewpoint, slowly)",
        )


def _check_carrier_binding(b: Binding, add: Any) -> None:
    where, whose = b.marks["target"], f"'{b.entity}', which carries the viewpoint"
    if b.prop.startswith("rotation"):
        for i, axis in ((0, "heading"), (1, "pitch"), (2, "roll")):
            if (b.prop == "rotation" or b.prop[-1] == "hpr"[i]) and len(set(_component(b, i))) > 1:
                fix = (
                    ("keep what carries the viewpoint level and its heading fixed; " + _LOOK)
                    if i < 2
                    else "keep what carries the viewpoint level; tilt the things around the patient instead"
                )
                add(
                    where,
                    f"'{b.target}' changes the {axis} of {whose}: in a headset it would "
                    f"{'turn the patient round' if i == 0 else 'tilt the patient'}",
                    fix,
                )
    elif b.prop.startswith("scale") and len({v for _, v in b.points}) > 1:
        add(
            where,
            f"'{b.target}' scales {whose}: in a headset the patient would shrink or grow",
            "a fixed scale for what carries the viewpoint; scale the surroundings instead",
        )


def _moves(e: Entity, spec: ScenarioSpec, key: str) -> tuple[bool, Mark | None]:
    """Whether the motion's ``key`` (amplitude or speed) can be non-zero, and the binding
    that makes it so (None: the entity's own value)."""
    for b in spec.bindings:
        if b.entity == e.id and b.prop == f"motion.{key}":
            return any(v for _, v in b.points), b.marks["target"]
    return getattr(e["motion"], key) != 0.0, None


def _check_motion(e: Entity, spec: ScenarioSpec, add: Any) -> None:
    motion = e.get("motion")
    if motion is None:
        return
    amplitude, amp_mark = _moves(e, spec, "amplitude")
    speed, speed_mark = _moves(e, spec, "speed")
    if not speed or (motion.kind != "spin" and not amplitude):
        return  # it never moves
    mark = (speed_mark if motion.kind == "spin" else amp_mark or speed_mark) or e.marks["motion"]
    name = f"'{e.id}'" if e.id else f"this {e.type}"
    if motion.kind == "sway" and motion.axis in "pr":
        how = (
            f"rocks {name} ({'pitch' if motion.axis == 'p' else 'roll'}), which carries the viewpoint: "
            "in a headset it would tilt the patient's head"
        )
    elif motion.kind in ("sway", "spin"):
        how = f"turns {name}, which carries the viewpoint: in a headset it would turn the patient round"
    else:
        how = (
            f"moves {name}, which carries the viewpoint, back and forth: in a headset that is "
            "acceleration the patient does not make"
        )
    add(
        mark,
        f"'{motion.kind}' motion {how}",
        "no motion on what carries the viewpoint; move the surroundings instead "
        "(e.g. sway a group of railing and floor that does not carry the viewpoint)",
    )
