"""Which properties of which entity types intensity can drive, and the shape of their values.

Shared by validation (so an author learns at once that 'railing.colur' is wrong) and by the
scene (so a binding that validated always has a setter).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.scenario.text import as_text
from vrexbase.real import is_finite


@dataclass(frozen=True)
class Prop:
    shape: str  # "number", "bool", "vec3", "look", "colour", "count", "text"
    low: float | None = None
    high: float | None = None


# Where the patient is asked to look, relative to the viewpoint's heading (deg). Pitch stops
# short of ±90: straight up or down has no heading, so a gaze target there would be ambiguous.
LOOK_BOUNDS = ((-180.0, 180.0), (-89.0, 89.0))


_TRANSFORM = {
    "position": Prop("vec3"),
    "position.x": Prop("number"),
    "position.y": Prop("number"),
    "position.z": Prop("number"),
    "rotation": Prop("vec3"),
    "rotation.h": Prop("number"),
    "rotation.p": Prop("number"),
    "rotation.r": Prop("number"),
}
_SHAPE = {
    **_TRANSFORM,
    "scale": Prop("vec3", 0.0),
    "scale.x": Prop("number", 0.0),
    "scale.y": Prop("number", 0.0),
    "scale.z": Prop("number", 0.0),
    "colour": Prop("colour"),
    "opacity": Prop("number", 0.0, 1.0),
    "visible": Prop("bool"),
    "motion.amplitude": Prop("number", 0.0),
    "motion.speed": Prop("number", 0.0),
}
_COPIES = {**_SHAPE, "count": Prop("count", 0.0), "item_scale": Prop("vec3", 0.0)}

PROPERTIES: dict[str, dict[str, Prop]] = {
    "box": _SHAPE,
    "plane": _SHAPE,
    "cylinder": _SHAPE,
    "sphere": _SHAPE,
    "model": {**_SHAPE, "animation.speed": Prop("number", 0.0, 20.0)},  # the clip's play rate
    "group": _SHAPE,
    "array": _COPIES,
    "scatter": _COPIES,
    "text": {**_SHAPE, "text": Prop("text")},
    "light": {
        **_TRANSFORM,
        "colour": Prop("colour"),
        "strength": Prop("number", 0.0, 10.0),
        "visible": Prop("bool"),
        "flicker.rate": Prop("number", 0.0, 60.0),
        "flicker.depth": Prop("number", 0.0, 1.0),
    },
    "spiders": {
        **_TRANSFORM,
        "colour": Prop("colour"),
        "opacity": Prop("number", 0.0, 1.0),
        "visible": Prop("bool"),
        "count": Prop("count", 0.0),
        "size": Prop("number", 0.01, 1.0),
        "speed": Prop("number", 0.0, 2.0),
        "distance": Prop("number", 0.0, 100.0),
        "reach": Prop("number", 0.0, 100.0),
    },
    "fog": {"colour": Prop("colour"), "density": Prop("number", 0.0, 1.0)},
    "sky": {"colour": Prop("colour"), "horizon_colour": Prop("colour")},
    "sound": {"volume": Prop("number", 0.0, 1.0)},
    "people": {
        **_TRANSFORM,
        "visible": Prop("bool"),
        "count": Prop("count", 0.0),
        "distance": Prop("number", 0.0),
        "attention": Prop("number", 0.0, 1.0),
        "restlessness": Prop("number", 0.0, 1.0),
    },
    "viewpoint": {
        **_TRANSFORM,
        "look": Prop("look"),
        "look.h": Prop("number", *LOOK_BOUNDS[0]),
        "look.p": Prop("number", *LOOK_BOUNDS[1]),
        "fov": Prop("number", 20.0, 140.0),
    },
}


def _is_number(v: object) -> bool:
    # YAML's true/false are ints to Python; a binding value of 'true' is never a number.
    # Non-finite and absurdly large values would poison interpolation and the scene graph.
    return is_finite(v) and abs(v) <= 1e15  # type: ignore[operator]  # is_finite narrows to a real number


def _numbers(value: object, n: tuple[int, ...]) -> tuple[float, ...] | None:
    """``value`` as a tuple of finite floats when it is a flat list of one of the lengths ``n``."""
    if isinstance(value, (tuple, list)) and len(value) in n and all(_is_number(v) for v in value):
        return tuple(float(v) for v in value)
    return None


# What to write, per shape: said once here so every wrong value gets the same advice.
_COLOUR = (
    "a colour binding's values are [r, g, b] or [r, g, b, a] colours, each from 0 to 1 "
    "(or '#rrggbb' in quotes), e.g. range: [[0.2, 0.2, 0.2], [0.5, 0.5, 0.5]]"
)
_VEC3 = "a list of 3 numbers [x, y, z] for each value, e.g. range: [[0, 0, 0], [0, 0, 2]]"
_LOOK = "[heading, pitch] in deg, heading from -180 to 180 and pitch from -89 to 89"


def check_value(prop: Prop, value: object) -> tuple[object, str]:
    """(the value as the engine uses it, '') when ``value`` suits ``prop``, else (None, what to write).

    Every binding value goes through here before anything else reads it, so a value of the
    wrong shape (a number for a colour, a list for a number, text, null, nested lists) is
    reported instead of reaching code that assumes the shape. Any Python value is accepted.
    """
    if prop.shape == "bool":
        return (value, "") if isinstance(value, bool) else (None, "true or false")
    if prop.shape == "text":
        return as_text(value)
    if prop.shape in ("number", "count"):
        if not _is_number(value):
            return None, ("a whole number of copies" if prop.shape == "count" else "a number") + (
                " (a single value, not a list)" if isinstance(value, (tuple, list)) else ""
            )
        assert isinstance(value, (int, float))
        if prop.low is not None and value < prop.low or prop.high is not None and value > prop.high:
            low = f"{prop.low:g}" if prop.low is not None else "any"
            return None, f"a number from {low}" + (f" to {prop.high:g}" if prop.high is not None else " up")
        if prop.shape == "count" and value != int(value):
            return None, "a whole number of copies"
        return float(value), ""
    if prop.shape == "vec3":
        vec = _numbers(value, (3,))
        if vec is None:
            return None, _VEC3
        if prop.low is not None and min(vec) < prop.low:
            return None, f"[x, y, z] with each at least {prop.low:g}"
        return vec, ""
    if prop.shape == "look":
        look = _numbers(value, (2,))
        if look is None or not all(low <= v <= high for v, (low, high) in zip(look, LOOK_BOUNDS)):
            return None, _LOOK
        return look, ""
    if prop.shape == "colour":
        rgba = _numbers(value, (3, 4))
        if rgba is None or not all(0 <= c <= 1 for c in rgba):
            return None, _COLOUR
        return rgba + (1.0,) * (4 - len(rgba)), ""  # the scene always sets RGBA
    raise AssertionError(prop.shape)


def value_fits(prop: Prop, value: object) -> str:
    """'' when ``value`` suits ``prop``, else what was expected."""
    return check_value(prop, value)[1]
