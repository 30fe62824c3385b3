"""Which display a session, a preview or a benchmark uses, as plain data.

``DisplayConfig`` crosses into the renderer process as JSON, so it holds names and paths,
not objects; ``check()`` reads the profile and head files and probes for an OpenXR
runtime in the calling process, so that a wrong file or a missing runtime is refused
before any session folder, recording or stream exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.display.backend import DISPLAYS, STEREO
from engine.display.head import HeadSource, head_source
from engine.display.profile import QUEST3_LIKE, HmdProfile, load_profile
from engine.errors import VrexError

SHARED_HEAD = "patient"  # a demo: the simulated patient's head, from the control side


@dataclass(frozen=True)
class DisplayConfig:
    kind: str = "offscreen"  # window, offscreen, hmd-sim or openxr
    profile: str | None = None  # hmd-sim: a profile file; None: Quest-3-like
    scale: float = 1.0  # hmd-sim: fraction of the profile's resolution
    head: str | None = None  # None/still, look-around, a CSV file, or "patient" (a demo)
    msaa: int = 0  # multisamples per eye buffer (0: none)
    space: str = "local"  # headsets: local (eyes at the viewpoint) or stage (the real floor)
    eye_height: float = 1.65  # hmd-sim in stage space: the simulated patient's eyes above the floor

    @property
    def stereo(self) -> bool:
        return self.kind in STEREO

    def hmd_profile(self) -> HmdProfile:
        base = load_profile(Path(self.profile)) if self.profile else QUEST3_LIKE
        try:
            return base.scaled(self.scale)
        except ValueError as exc:
            raise VrexError(str(exc)) from None

    def refresh_hz(self) -> float | None:
        """The headset's frame rate (frames are paced to it at speed 1); None: not a headset."""
        if self.kind == "hmd-sim":
            return self.hmd_profile().refresh_hz
        return None

    def check(self) -> None:
        """Refuse a bad choice now, with one line saying what to do."""
        if self.kind not in DISPLAYS:
            raise VrexError(f"--display {self.kind}: one of {', '.join(DISPLAYS)}")
        if self.msaa not in (0, 2, 4, 8):
            raise VrexError(f"--msaa {self.msaa}: 0, 2, 4 or 8")
        if self.space not in ("local", "stage"):
            raise VrexError(
                f"--space {self.space}: local (the eyes at the scenario's viewpoint) or stage "
                "(the patient's real floor and eye height)"
            )
        if not 0.3 <= self.eye_height <= 2.5:
            raise VrexError(f"--eye-height {self.eye_height}: give the eyes' height above the floor in metres, 0.3–2.5")
        if self.kind == "hmd-sim":
            self.hmd_profile()
        elif self.profile is not None or self.scale != 1.0:
            raise VrexError("--hmd-profile and --hmd-scale apply to --display hmd-sim only")
        if self.head not in (None, SHARED_HEAD):
            head_source(self.head)
        if self.kind == "openxr":
            from engine.display.openxr import require_runtime

            require_runtime()

    def backend(self, head: HeadSource | None = None) -> Any:
        """The backend, in the process that renders. ``head`` overrides ``self.head``
        (the renderer passes the shared head of a demo)."""
        from engine.display.factory import make_display

        source = head if head is not None else head_source(None if self.head == SHARED_HEAD else self.head)
        profile = self.hmd_profile() if self.kind == "hmd-sim" else None
        return make_display(
            self.kind, profile=profile, head=source, msaa=self.msaa, space=self.space, eye_height=self.eye_height
        )

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "profile": self.profile,
            "scale": self.scale,
            "head": self.head,
            "msaa": self.msaa,
            "space": self.space,
            "eye_height": self.eye_height,
        }
