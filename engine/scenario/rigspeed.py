"""Where a headset's rig goes as intensity changes, and how fast: the fifth comfort rule.

``carriers`` is what carries the viewpoint (its ``parent``, what that hangs from, up to the root);
``rig_positions`` is where the viewpoint is at each intensity, carriers' bindings included;
``check_speed`` is the rig-speed rule of ``vrex validate --target hmd`` (the four rules
about turning and tilting the head are ``comfort.py``, which calls it):

5. **Rig speed** — the fastest the viewpoint's position can move: its distance per unit of
   intensity × the fastest change of intensity the scenario's ``comfort`` allows
   (``max_intensity_rate``; ``engine/easing.py`` slows intensity further so that the
   viewpoint never exceeds ``max_camera_speed``, so the speed is also capped by that).
   Limit ``MAX_RIG_SPEED`` = 1.4 m/s, typical human walking speed, which Oculus Best Practices
   ("Speed of Movement and Acceleration") recommends for movement, slower speeds being most
   comfortable for new users (developer.oculus.com/design/latest/concepts/bp_app_motion/);
   Meta also asks to match real-world walking speeds and keep elevators gentle
   (developers.meta.com/horizon/design/locomotion-best-practices/). Patients in exposure
   therapy are mostly new to VR, so the walking pace (not the 3 m/s jogging pace the same
   guide mentions) is the limit.

Not checked: acceleration of the rig (the intensity easing bounds it; every shipped binding
eases in and out with ``smooth``). Pure Python and numpy: no Panda3D, so ``vrex validate``
stays quick.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.curves import evaluate
from engine.scenario.spec import Binding, Entity, ScenarioSpec

__all__ = ["MAX_RIG_SPEED", "carriers", "check_speed", "rig_positions"]

MAX_RIG_SPEED = 1.4  # m/s: walking pace (Oculus Best Practices; see the docstring)
_SAMPLES = 2001  # intensity grid for the rig speed: 0.0005 apart


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


def check_speed(spec: ScenarioSpec, chain: list[Entity], add: Any) -> None:
    """Reports through ``add(mark, what, expected)`` a rig faster than ``MAX_RIG_SPEED``, at the
    binding that moves it most there; ``chain`` is ``carriers(spec)``."""
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
