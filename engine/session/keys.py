"""Keys in the session window, bound from the one command table (``command_spec.py``). Every
key sends its command to the control side, which applies and logs it at once; a stop key also
blinks to calm in the renderer itself, so it shows on the next frame whatever the control
side is doing.

Patient: space = stop (calm state at once); 0–9 answer an open SUDS prompt (× 10), 'o' = 100.
Therapist: h hold, r resume, page up/down step a level, F1–F12 set level 1–12, s stop,
a accept, x reject, q ask for SUDS, e end exposure (recovery), escape twice within 2 s quits
(the session is recorded up to then).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from engine.session.command_spec import SPECS, Command


def twice(action: Callable[[], None], within_s: float = 2.0) -> Callable[[], None]:
    """``action`` only on a second press within ``within_s``: a patient's stray key must not
    end the session (the patient's own key is space, which goes to calm, not out)."""
    last = [-1e9]

    def press() -> None:
        now = time.monotonic()
        if now - last[0] <= within_s:
            action()
        last[0] = now

    return press


def bindings(
    put: Callable[[Command], None], levels: int, quit: Callable[[], None], prompt_open: Callable[[], bool]
) -> dict[str, Callable[[], None]]:
    """Each key of the command table (``command_spec.SPECS``) bound to its command; SUDS
    digits only while the question is open; escape twice quits."""

    def cmd(name: str, **args: Any) -> Callable[[], None]:
        origin = "patient" if SPECS[name].senders == {"patient"} else "therapist"
        return lambda: put(Command(name, args, origin))

    def suds(value: int) -> Callable[[], None]:
        def press() -> None:
            if prompt_open():
                put(Command("suds", {"value": value}, "patient"))

        return press

    keys: dict[str, Callable[[], None]] = {}
    for spec in SPECS.values():
        if not spec.args:
            for key in spec.keys:
                keys[key] = cmd(spec.name)
    keys["escape"] = twice(quit)
    keys["o"] = suds(100)
    for digit in range(10):
        keys[str(digit)] = suds(digit * 10)
    for k in range(1, min(levels, 12) + 1):
        keys[f"f{k}"] = cmd("set_level", level=k)
    return keys
