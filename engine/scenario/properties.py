"""Which properties of which entity types intensity can drive, and the shape of their values.

Shared by validation (so an author learns at once that 'railing.colur' is wrong) and by the
scene (so a binding that validated always has a setter).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prop:
    shape: str                      # "number", "bool", "vec3", "look", "colour", "count"
    low: float | None = None
    high: float | None = None


# Where the patient is asked to look, relative to the viewpoint's heading (deg). Pitch stops
# short of ±90: straight up or down has no heading, so a gaze target there would be ambiguous.
LOOK_BOUNDS = ((-180.0, 180.0), (-89.0, 89.0))


_TRANSFORM = {
    "position": Prop("vec3"), "position.x": Prop("number"), "position.y": Prop("number"),
    "position.z": Prop("number"),
    "rotation": Prop("vec3"), "rotation.h": Prop("number"), "rotation.p": Prop("number"),
    "rotation.r": Prop("number"),
}
_SHAPE = {
    **_TRANSFORM,
    "scale": Prop("vec3", 0.0), "scale.x": Prop("number", 0.0), "scale.y": Prop("number", 0.0),
    "scale.z": Prop("number", 0.0),
    "colour": Prop("colour"), "opacity": Prop("number", 0.0, 1.0), "visible": Prop("bool"),
    "motion.amplitude": Prop("number", 0.0), "motion.speed": Prop("number", 0.0),
}
_COPIES = {**_SHAPE, "count": Prop("count", 0.0), "item_scale": Prop("vec3", 0.0)}

PROPERTIES: dict[str, dict[str, Prop]] = {
    "box": _SHAPE, "plane": _SHAPE, "cylinder": _SHAPE, "sphere": _SHAPE, "model": _SHAPE,
    "group": _SHAPE, "array": _COPIES, "scatter": _COPIES,
    "light": {**_TRANSFORM, "colour": Prop("colour"), "strength": Prop("number", 0.0, 10.0),
              "visible": Prop("bool")},
    "fog": {"colour": Prop("colour"), "density": Prop("number", 0.0, 1.0)},
    "sky": {"colour": Prop("colour"), "horizon_colour": Prop("colour")},
    "sound": {"volume": Prop("number", 0.0, 1.0)},
    "viewpoint": {**_TRANSFORM, "look": Prop("look"), "look.h": Prop("number", *LOOK_BOUNDS[0]),
                  "look.p": Prop("number", *LOOK_BOUNDS[1]), "fov": Prop("number", 20.0, 140.0)},
}


def value_fits(prop: Prop, value: object) -> str:
    """'' when ``value`` suits ``prop``, else what was expected."""
    if prop.shape == "bool":
        return "" if isinstance(value, bool) else "true or false"
    if prop.shape in ("number", "count"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "a number"
        if prop.low is not None and value < prop.low or prop.high is not None and value > prop.high:
            return f"a number from {prop.low:g}" + (f" to {prop.high:g}" if prop.high is not None else " up")
        if prop.shape == "count" and value != int(value):
            return "a whole number of copies"
        return ""
    if prop.shape == "vec3":
        ok = isinstance(value, tuple) and len(value) == 3
        if ok and prop.low is not None and min(value) < prop.low:
            return f"[x, y, z] with each at least {prop.low:g}"
        return "" if ok else "a list of 3 numbers [x, y, z]"
    if prop.shape == "look":
        ok = isinstance(value, tuple) and len(value) == 2 and all(
            low <= v <= high for v, (low, high) in zip(value, LOOK_BOUNDS))
        return "" if ok else "[heading, pitch] in deg, heading from -180 to 180 and pitch from -89 to 89"
    if prop.shape == "colour":
        ok = isinstance(value, tuple) and len(value) in (3, 4) and all(0 <= c <= 1 for c in value)
        return "" if ok else "a colour [r, g, b] or [r, g, b, a], each from 0 to 1"
    raise AssertionError(prop.shape)
