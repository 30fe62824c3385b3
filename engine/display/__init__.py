"""Display backends: what reaches the patient's eyes, and where their head is.

``make_display("offscreen" | "window" | "hmd-sim" | "openxr", ...)`` gives a backend
(``backend.DisplayBackend``); ``SceneRunner`` drives it. See ``backend.py`` for the
protocol, ``hmd_sim.py`` for the simulated headset and ``openxr.py`` for real ones.
"""

from __future__ import annotations

from engine.display.backend import DISPLAYS, STEREO, DesktopDisplay, DisplayBackend, EyeSpec
from engine.display.config import SHARED_HEAD, DisplayConfig
from engine.display.factory import make_display
from engine.display.head import HeadPose, HeadSource, head_source
from engine.display.profile import QUEST3_LIKE, EyeFov, HmdProfile, load_profile

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
