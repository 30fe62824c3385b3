"""A headset profile: per-eye resolution and field of view, eye distance, refresh rate.

A real OpenXR runtime reports all of these itself (``xrEnumerateViewConfigurationViews``,
``xrLocateViews``); ``hmd-sim`` takes them from a profile, so that CI renders what a
headset would, at a reduced scale (``scale``) where the full size is too slow on a CPU.

The default is **Quest-3-like**, not a measurement of a Quest 3: 2064×2208 per eye and
72/80/90/120 Hz come from the published specifications (docs/headset.md); the
field of view is about 110° across both eyes and 96° high, split between each eye's
outer and inner side as the Quest 2's measured per-eye geometry is (outer 52°, inner 45°,
up 48°, down 50°; hmdgdb, risa2000.github.io/hmdgdb/hmd_cfgs/Quest2_Native_R72.html);
63 mm between the eyes is the adult mean (headset.md: 58–71 mm).

A profile file is YAML, read with the scenario reader (line and column in every error)::

    name: my-headset
    eye_size: [1832, 1920]          # pixels, width × height, per eye
    fov_deg: {left: -50, right: 43, up: 47, down: -49}   # the LEFT eye; the right mirrors it
    ipd_mm: 64
    refresh_hz: 90
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from engine.scenario.errors import Mark, Problems, did_you_mean
from engine.scenario.yamlsafe import YMap, YNode, YScalar, YSeq, read_yaml
from vrexbase.real import is_finite


@dataclass(frozen=True)
class EyeFov:
    """One eye's field of view in degrees, as OpenXR's ``XrFovf`` (left and down negative)."""

    left: float
    right: float
    up: float
    down: float

    def mirrored(self) -> EyeFov:
        return EyeFov(-self.right, -self.left, self.up, self.down)

    def tangents(self) -> tuple[float, float, float, float]:
        """tan(left), tan(right), tan(up), tan(down)."""
        return tuple(math.tan(math.radians(a)) for a in (self.left, self.right, self.up, self.down))


@dataclass(frozen=True)
class HmdProfile:
    name: str
    eye_size: tuple[int, int]  # full-resolution pixels per eye (width, height)
    left_fov: EyeFov  # the right eye's is its mirror image
    ipd_m: float
    refresh_hz: float
    scale: float = 1.0  # render at this fraction of eye_size (CI: 0.125)

    @property
    def right_fov(self) -> EyeFov:
        return self.left_fov.mirrored()

    @property
    def render_size(self) -> tuple[int, int]:
        """The eye buffers' size at ``scale`` (at least 16 pixels a side)."""
        return tuple(max(16, round(n * self.scale)) for n in self.eye_size)

    def scaled(self, scale: float) -> HmdProfile:
        if not (0.01 <= scale <= 1.0):
            raise ValueError(f"--hmd-scale {scale}: must be between 0.01 and 1 (1 = the headset's full resolution)")
        return replace(self, scale=scale)


QUEST3_LIKE = HmdProfile(
    name="quest3-like",
    eye_size=(2064, 2208),
    left_fov=EyeFov(left=-55.0, right=47.6, up=47.0, down=-49.0),
    ipd_m=0.063,
    refresh_hz=90.0,
)

_KEYS = {
    "name": "a short name, e.g. my-headset",
    "eye_size": "[width, height] in pixels per eye, e.g. [2064, 2208]",
    "fov_deg": "{left: -55, right: 47.6, up: 47, down: -49} (degrees, the left eye)",
    "ipd_mm": "the distance between the eyes in millimetres, 50–80",
    "refresh_hz": "the display's refresh rate, 60–144",
}


def load_profile(path: Path) -> HmdProfile:
    """Read and check a profile file; every problem is reported as FILE:LINE:COL."""
    path = Path(path)
    if not path.is_file():
        from engine.errors import VrexError

        raise VrexError(
            f"{path}: no such headset profile file — give the path of a profile .yaml "
            "(see docs/headset.md), or leave --hmd-profile out for the Quest-3-like default"
        )
    problems = Problems(path)
    tree = read_yaml(path, problems)
    problems.raise_if_any()
    if not isinstance(tree, YMap):
        problems.add(
            getattr(tree, "mark", Mark(1, 1)),
            "a headset profile is a mapping of keys",
            "write " + ", ".join(_KEYS) + " (see vrex's docs/headset.md)",
        )
        problems.raise_if_any()
    values: dict[str, object] = {}
    for key, (mark, node) in tree.entries.items():
        if key not in _KEYS:
            problems.add(mark, f"unknown key '{key}'{did_you_mean(key, _KEYS)}", "the keys are " + ", ".join(_KEYS))
            continue
        values[key] = _value(key, node, problems)
    for key in _KEYS:
        if key not in tree.entries:
            problems.add(tree.mark, f"missing key '{key}'", f"add {key}: {_KEYS[key]}")
    problems.raise_if_any()
    fov = values["fov_deg"]
    return HmdProfile(
        name=str(values["name"]),
        eye_size=tuple(values["eye_size"]),
        left_fov=EyeFov(**fov),
        ipd_m=float(values["ipd_mm"]) / 1000.0,
        refresh_hz=float(values["refresh_hz"]),
    )


def _number(node: YNode, problems: Problems, key: str, low: float, high: float) -> float | None:
    if not (isinstance(node, YScalar) and is_finite(node.value) and low <= node.value <= high):
        problems.add(
            node.mark,
            f"{key}: {_shown(node)} is not a number from {low:g} to {high:g}",
            f"write {_KEYS.get(key.split('.')[0], '')}",
        )
        return None
    return float(node.value)


def _shown(node: YNode) -> str:
    return repr(node.value) if isinstance(node, YScalar) else "a " + ("list" if isinstance(node, YSeq) else "mapping")


def _value(key: str, node: YNode, problems: Problems) -> object:
    if key == "name":
        if not (isinstance(node, YScalar) and isinstance(node.value, str) and node.value.strip()):
            problems.add(node.mark, f"name: {_shown(node)} is not a name", f"write {_KEYS['name']}")
        return getattr(node, "value", "")
    if key == "eye_size":
        if not (isinstance(node, YSeq) and len(node.items) == 2):
            problems.add(node.mark, f"eye_size: {_shown(node)} is not [width, height]", f"write {_KEYS['eye_size']}")
            return (0, 0)
        sizes = [_number(item, problems, "eye_size", 64, 8192) for item in node.items]
        return tuple(int(s) if s is not None else 0 for s in sizes)
    if key == "fov_deg":
        if not isinstance(node, YMap):
            problems.add(node.mark, f"fov_deg: {_shown(node)} is not a mapping", f"write {_KEYS['fov_deg']}")
            return {}
        # each side at least 1° from straight ahead: a zero-width frustum makes an invalid lens
        # (Panda3D asserts on it), and no headset's eye sees less than that to any side
        sides = {"left": (-89, -1), "right": (1, 89), "up": (1, 89), "down": (-89, -1)}
        out = {}
        for side, (mark, value) in node.entries.items():
            if side not in sides:
                problems.add(
                    mark,
                    f"fov_deg: unknown side '{side}'{did_you_mean(side, sides)}",
                    "the sides are left, right, up, down",
                )
                continue
            out[side] = _number(value, problems, f"fov_deg.{side}", *sides[side])
        for side in sides:
            if side not in node.entries:
                problems.add(node.mark, f"fov_deg: missing '{side}'", f"write {_KEYS['fov_deg']}")
        return out
    low, high = {"ipd_mm": (50, 80), "refresh_hz": (60, 144)}[key]
    return _number(node, problems, key, low, high)
