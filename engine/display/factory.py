"""``make_display``: a display backend by name (its own module, so the display
configuration can make one without importing the package that re-exports it)."""

from __future__ import annotations

from typing import Any

from engine.display.backend import DISPLAYS, DesktopDisplay
from engine.display.head import HeadSource
from engine.display.profile import QUEST3_LIKE, HmdProfile
from engine.errors import VrexError


def make_display(
    name: str,
    *,
    profile: HmdProfile | None = None,
    head: HeadSource | None = None,
    msaa: int = 0,
    space: str = "local",
    eye_height: float = 1.65,
) -> Any:
    """The backend called ``name``; ``profile`` (hmd-sim) already carries its scale.
    ``space``: a headset's head in ``local`` space (the eyes start at the scenario's
    viewpoint) or ``stage`` (over the real floor; hmd-sim's eyes ``eye_height`` above it)."""
    if name in ("window", "offscreen"):
        return DesktopDisplay(head, name)
    if name == "hmd-sim":
        from engine.display.hmd_sim import HmdSim

        return HmdSim(profile or QUEST3_LIKE, head, msaa=msaa, space=space, eye_height=eye_height)
    if name == "openxr":
        from engine.display.openxr import OpenXRDisplay

        return OpenXRDisplay(head=head, space=space, msaa=msaa)
    raise VrexError(f"unknown display '{name}' — one of: {', '.join(DISPLAYS)}")
