"""Display backends: what reaches the patient's eyes, and where their head is.

``make_display("offscreen" | "window" | "hmd-sim" | "openxr", ...)`` gives a backend
(``backend.DisplayBackend``); ``SceneRunner`` drives it. See ``backend.py`` for the
protocol, ``hmd_sim.py`` for the simulated headset and ``openxr.py`` for real ones.
"""

from __future__ import annotations

from typing import Any

from engine.display.backend import DISPLAYS, STEREO, DesktopDisplay, DisplayBackend, EyeSpec
from engine.display.config import SHARED_HEAD, DisplayConfig
from engine.display.head import HeadPose, HeadSource, head_source
from engine.display.profile import QUEST3_LIKE, EyeFov, HmdProfile, load_profile
from engine.errors import VrexError

__all__ = [
    "DISPLAYS",
    "SHARED_HEAD",
    "STEREO",
    "DesktopDisplay",
    "DisplayConfig",
    "DisplayBackend",
    "EyeFov",
    "EyeSpec",
    "HeadPose",
    "HeadSource",
    "HmdProfile",
    "QUEST3_LIKE",
    "head_source",
    "load_profile",
    "make_display",
]


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
