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
5. **Rig speed** — the fastest the viewpoint's position can move: its distance per unit of
   intensity × the fastest change of intensity the scenario's ``comfort`` allows
   (``max_intensity_rate``; ``engine/easing.py`` slows intensity further so that the
   viewpoint never exceeds ``max_camera_speed``, so the speed is also capped by that).
   Limit ``MAX_RIG_SPEED`` = 1.4 m/s, typical human walking speed, which Oculus Best Practices
   ("Speed of Movement and Acceleration") recommends for movement, slower speeds being most
   comfortable for new users (bp_app_motion above); Meta also asks to match real-world
   walking speeds and keep elevators gentle (locomotion-best-practices above). Patients in
   exposure therapy are mostly new to VR, so the walking pace (not the 3 m/s jogging pace the
   same guide mentions) is the limit.

Not checked: acceleration of the rig (the intensity easing bounds it; every shipped binding
eases in and out with ``smooth``) and a carrier's constant tilt (the rig is level, so it
moves nothing). Pure Python and numpy: no Panda3D, so ``vrex validate`` stays quick.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.curves import evaluate
from engine.scenario.errors import Mark, Problem
from engine.scenario.spec import Binding, Entity, ScenarioSpec

MAX_RIG_SPEED = 1.4  # m/s: walking pace (Oculus Best Practices; see the docstring)
_LOOK = "bind 'viewpoint.look.h' / 'viewpoint.look.p' (or write 'look: [heading, pitch]') to say where to look"
_SAMPLES = 2001  # intensity grid for the rig speed: 0.0005 apart


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
    _check_speed(spec, chain, add)
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


def carriers(spec: ScenarioSpec) -> list[Entity]:
    """The entity the viewpoint hangs from, then what that hangs from, up to the root:
    its 'parent', else the group it is in (named or not, since unnamed groups move too)."""
    by_id = {e.id: e for e in spec.walk() if e.id is not None}
    holder: dict[int, Entity] = {}
    stack: list[tuple[Entity, Entity | None]] = [(e, None) for e in spec.entities]
    while stack:
        e, enclosing = stack.pop()
        parent = e.get("parent")
        up = by_id.get(parent) if parent is not None else enclosing
        if up is not None:
            holder[id(e)] = up
        stack.extend((c, e) for c in e.children)
    chain: list[Entity] = []
    e = by_id.get(spec.viewpoint.parent) if spec.viewpoint.parent else None
    while e is not None and all(e is not c for c in chain):
        chain.append(e)
        e = holder.get(id(e))
    return chain


def _rotation(h: float, p: float, r: float) -> np.ndarray:
    """Panda3D's heading-pitch-roll as a matrix on column vectors: Rz(h) · Rx(p) · Ry(r)."""
    h, p, r = np.radians([h, p, r])
    rz = np.array([[math.cos(h), -math.sin(h), 0], [math.sin(h), math.cos(h), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(r), 0, math.sin(r)], [0, 1, 0], [-math.sin(r), 0, math.cos(r)]])
    return rz @ rx @ ry


def _transform(static: dict[str, Any], bindings: list[Binding], x: float) -> dict[str, list[float]]:
    t = {
        k: list(static.get(k, d))
        for k, d in (("position", (0.0, 0.0, 0.0)), ("rotation", (0.0, 0.0, 0.0)), ("scale", (1.0, 1.0, 1.0)))
    }
    for b in bindings:
        value = evaluate(b.points, b.interpolation, x)
        key = b.prop.split(".")[0]
        if key not in t:
            continue
        if "." in b.prop:
            t[key][("hpr" if key == "rotation" else "xyz").index(b.prop[-1])] = float(value)
        else:
            t[key] = [float(v) for v in value]
    return t


def rig_positions(
    spec: ScenarioSpec, intensities: Any, only: Binding | None = None, held_at: float = 0.0
) -> np.ndarray:
    """The viewpoint's position in the root's coordinates at each intensity, shape (n, 3),
    without procedural motion. With ``only``, every other binding is held at ``held_at``."""
    chain = carriers(spec)
    moving = {e.id for e in chain} | {"viewpoint"}
    bindings = [b for b in spec.bindings if b.entity in moving and b.points]
    vp = spec.viewpoint
    out = np.zeros((len(intensities), 3))
    for n, x in enumerate(intensities):
        at = {id(b): x if only is None or b is only else held_at for b in bindings}
        point = np.array(vp.position, dtype=float)
        for b in bindings:
            if b.entity == "viewpoint" and b.prop.startswith("position"):
                point = np.array(_transform({"position": tuple(point)}, [b], at[id(b)])["position"])
        for e in chain:  # innermost first: each carrier's transform takes the point up a level
            t = _transform(e.params, [], 0.0)
            for b in bindings:
                if b.entity == e.id:
                    t = _transform(t, [b], at[id(b)])
            point = np.array(t["position"]) + _rotation(*t["rotation"]) @ (np.array(t["scale"]) * point)
        out[n] = point
    return out


def _check_speed(spec: ScenarioSpec, chain: list[Entity], add: Any) -> None:
    movers = [
        b
        for b in spec.bindings
        if b.points
        and (
            (b.entity == "viewpoint" and b.prop.startswith("position"))
            or (b.entity in {e.id for e in chain} and b.prop.startswith(("position", "rotation", "scale")))
        )
    ]
    if not movers:
        return
    breaks = {at for b in movers for at, _ in b.points}
    # rounded, so that a breakpoint and a grid point a hair apart do not make a tiny
    # interval whose rounding noise reads as a huge speed
    xs = np.unique(np.round(np.concatenate([np.linspace(0.0, 1.0, _SAMPLES), sorted(breaks)]), 9))
    pos = rig_positions(spec, xs)
    slopes = np.linalg.norm(np.diff(pos, axis=0), axis=1) / np.diff(xs)
    worst = int(np.argmax(slopes))
    c = spec.comfort
    slope = float(slopes[worst])
    speed = min(slope * c.max_intensity_rate, c.max_camera_speed)
    if speed <= MAX_RIG_SPEED * (1 + 1e-6):
        return
    a, b_ = float(xs[worst]), float(xs[worst + 1])
    culprit = max(movers, key=lambda m: float(np.linalg.norm(np.diff(rig_positions(spec, [a, b_], m, a), axis=0))))
    seg = max((i for i, (at, _) in enumerate(culprit.points) if at <= a), default=0)
    mark = culprit.marks.get(f"points[{seg}]", culprit.marks["target"])
    span = [at for at, _ in culprit.points[seg : seg + 2]]
    within = f"between intensity {span[0]:g} and {span[-1]:g}" if len(span) == 2 else f"near intensity {a:.2f}"
    capped = ", capped by max_camera_speed" if speed == c.max_camera_speed else ""
    add(
        mark,
        f"in a headset '{culprit.target}' carries the patient at up to {speed:.3g} m/s {within} "
        f"({slope:.3g} m per unit of intensity × max_intensity_rate {c.max_intensity_rate:g}/s{capped})",
        f"at most {MAX_RIG_SPEED:g} m/s, walking pace: 'comfort: {{max_camera_speed: {MAX_RIG_SPEED:g}}}' "
        "or less (intensity then rises more slowly here), or spread this move over more intensity",
    )
