"""Which controller buttons are the patient's STOP and SUDS answer, per interaction profile.

``PROFILES`` suggests the three ``vrex`` actions (``openxr_input.py``) for the controllers
that runtimes commonly offer (OpenXR 1.1, "Interaction Profile Paths"; the paths below are
the spec's):

- ``stop``: the patient's STOP, a face button under the thumb on both hands. Not a trigger
  or grip: an anxious patient holds the controller tight, and squeezing it must not stop
  the exposure; an accidental stop interrupts it and teaches the patient that the stop
  fires by itself. The patient cannot see the controller in the headset, so the button
  must be found by feel: the thumb rests beside the lower face button (A, X).
- ``suds_move`` (a thumbstick or trackpad, up/down) and ``suds_answer`` (pressing that
  stick in; the Vive's trigger): the SUDS answer, chosen in steps of 10 on the world-locked
  panel, and given only while the question is shown and only once a value is on it.

``describe`` words what the runtime bound for the therapist's notice (which controllers,
which stop buttons).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HANDS", "PROFILES", "Profile", "describe"]

HANDS = ("left", "right")


@dataclass(frozen=True)
class Profile:
    name: str  # as the therapist reads it
    stop: dict[str, str]  # hand → the stop button, as the patient is told
    bindings: tuple[tuple[str, str], ...]  # (action, binding path)
    choose: str = ""  # how to choose a SUDS value with it ("": it cannot)
    answer: str = ""  # how to give that value


def _both(action: str, component: str) -> tuple[tuple[str, str], ...]:
    return tuple((action, f"/user/hand/{hand}{component}") for hand in HANDS)


STICK = ("push a stick up or down to choose", "press the stick in to answer")
PROFILES: dict[str, Profile] = {
    # only select and menu, and menu is the runtime's own on some headsets: no SUDS here
    "/interaction_profiles/khr/simple_controller": Profile(
        "simple controller", {"left": "select", "right": "select"}, _both("stop", "/input/select/click")
    ),
    # A and X, the lower face buttons; B, Y and the menu button stay free
    "/interaction_profiles/oculus/touch_controller": Profile(
        "Oculus Touch",
        {"left": "X", "right": "A"},
        (
            ("stop", "/user/hand/left/input/x/click"),
            ("stop", "/user/hand/right/input/a/click"),
            *_both("suds_move", "/input/thumbstick"),
            *_both("suds_answer", "/input/thumbstick/click"),
        ),
        *STICK,
    ),
    "/interaction_profiles/valve/index_controller": Profile(
        "Valve Index",
        {"left": "A", "right": "A"},
        (
            *_both("stop", "/input/a/click"),
            *_both("suds_move", "/input/thumbstick"),
            *_both("suds_answer", "/input/thumbstick/click"),
        ),
        *STICK,
    ),
    # the wand's only face button besides the trackpad (whose click is easily pressed while
    # touching it); the trigger answers SUDS: the trackpad's click would answer while sliding
    "/interaction_profiles/htc/vive_controller": Profile(
        "HTC Vive",
        {"left": "menu button", "right": "menu button"},
        (
            *_both("stop", "/input/menu/click"),
            *_both("suds_move", "/input/trackpad"),
            *_both("suds_answer", "/input/trigger/click"),
        ),
        "slide a thumb up or down the trackpad to choose",
        "pull the trigger to answer",
    ),
}


def describe(bound: dict[str, str]) -> tuple[str, str]:
    """(the controllers on which hands, the stop buttons) for a notice; ``bound`` is hand →
    interaction profile path, as the runtime reported it."""
    names, stops = {}, {}
    for hand in HANDS:
        if hand in bound:
            profile = PROFILES.get(bound[hand])
            names[hand] = profile.name if profile else bound[hand]
            stops[hand] = profile.stop[hand] if profile else "the button the runtime chose (see its bindings)"
    if len(names) == 2 and names["left"] == names["right"]:
        hands = f"{names['left']} on both hands"
    else:
        hands = ", ".join(
            f"{name} ({hand} hand only)" if len(names) == 1 else f"{hand} hand {name}" for hand, name in names.items()
        )
    if len(stops) == 2 and stops["left"] == stops["right"]:
        stop = f"{stops['left']} on either hand"
    else:
        stop = " or ".join(f"{button} ({hand})" for hand, button in stops.items())
    return hands, stop
