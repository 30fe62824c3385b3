"""The roles a session's parts play, as ``typing.Protocol``s.

Why Protocols and not the parts' classes (or ``Any``): the session depends on what a part
does, not on what it is. The runner drives ``sensors.live.LivePhysiology`` in a session and a
test's scripted streams alike, frames drawn inline or by a renderer process, a simulated
patient or none; a test's fake satisfies a role structurally (no base class, no
registration), and mypy checks every real part against its role. Each Protocol names exactly
what the session's code uses of the part, so this file is also the list of what a
replacement must answer (the style of ``engine/scene/parts.py``'s ``Part``).

Read-only members are written as properties: a part may then hold a narrower type (a
``SessionClock`` for a ``Clock``) or compute it. Members the code sets (``Publisher.start``,
``StageHost.frame_count``) are plain attributes.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # types only: core imports this module
    from engine.display.backend import DisplayBackend, HeadRig
    from engine.display.head import HeadPose
    from engine.session.core import SessionCore
    from engine.session.frameshare import FrameReport, FrameShare
    from sensors.types import Features


class LogEvent(Protocol):
    """``EventLog.log``: one event, written and chained as it happens. ``fields`` are the
    event's own JSON values, whatever they are (docs/session-format.md); hence ``Any``."""

    def __call__(self, source: str, kind: str, reason: str = "", **fields: Any) -> object: ...


class Events(Protocol):
    """The session's event log (``events.EventLog``) as the control side writes to it."""

    def log(self, source: str, kind: str, reason: str = "", **fields: Any) -> object: ...


class Physiology(Protocol):
    """The physiology streams (``sensors.live.LivePhysiology``): drained every step, turned
    into features at each control tick."""

    @property
    def beats_arrived(self) -> int: ...  # beats seen by the last ``poll``

    def poll(self, now: float | None = None) -> object: ...

    def tick(self, now: float | None = None) -> Features: ...


class Outlets(Protocol):
    """vrex's own LSL streams (``outlets.VrexOutlets``), stamped with the frame thread's times."""

    def features(self, values: dict[str, float], ts: float | None = None) -> None: ...

    def frame(self, ms: float, ts: float | None = None) -> None: ...

    def intensity(self, shown: float, target: float, ts: float | None = None) -> None: ...

    def headpose(
        self, x: float, y: float, z: float, h: float, p: float, r: float, *, ts: float | None = None
    ) -> None: ...

    def marker(self, fields: dict[str, Any], ts: float | None = None) -> object: ...  # JSON fields


class Frames(Protocol):
    """The frame thread as the control side holds it: ``frames.InlineFrames`` or
    ``process_frames.ProcessFrames``. Optional members (``inline``, ``alive``, ``exitcode``,
    ``display_stats``) are read with ``getattr`` and a default, so a part may lack them."""

    @property
    def share(self) -> FrameShare: ...

    def step(self) -> None: ...

    def messages(self) -> list[tuple]: ...  # ("command", name, args, origin), ("quit",), ("notice", kind, text)

    def stall(self, seconds: float) -> None: ...

    def close(self) -> None: ...


class PatientModel(Protocol):
    """The simulated person's hidden state (habituation ``H``, sensitisation ``S``)."""

    @property
    def H(self) -> np.ndarray: ...  # noqa: N802 — the model's own names

    @property
    def S(self) -> np.ndarray: ...  # noqa: N802


class Patient(Protocol):
    """A demo's simulated patient (``adaptation.live_patient.SimulatedPatient``)."""

    @property
    def model(self) -> PatientModel: ...

    @property
    def arousal(self) -> float: ...

    @property
    def escaped(self) -> bool: ...

    def advance(self, t: float, intensity: float) -> None: ...

    def answer_suds(self) -> int: ...

    def true_physiology(self) -> dict[str, float]: ...

    def head_pose(self, t: float | None = None) -> tuple[float, float, float, float, float, float]: ...


class Publisher(Protocol):
    """What publishes the simulated patient's body over LSL; ``start`` is moved to the
    session's start when it begins."""

    start: float

    def step(self) -> object: ...

    def close(self) -> None: ...


class Clock(Protocol):
    """Session time (``clock.SessionClock``)."""

    @property
    def start(self) -> float: ...

    @property
    def speed(self) -> float: ...

    def now(self) -> float: ...

    def lsl_time(self, session_time: float | None = None) -> float: ...

    def session_time(self, stamp: float) -> float: ...


class StageHost(Protocol):
    """The runner as its stages (``stages.py``) see it: the parts they share, and the frame
    counters ``FramesOut`` keeps up to date."""

    frame_count: int
    frames_lost: int

    @property
    def core(self) -> SessionCore: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def events(self) -> Events: ...

    @property
    def outlets(self) -> Outlets: ...

    @property
    def share(self) -> FrameShare: ...

    @property
    def shown(self) -> FrameReport: ...

    @property
    def frames(self) -> Frames: ...

    @property
    def patient(self) -> Patient | None: ...

    @property
    def publisher(self) -> Publisher | None: ...

    @property
    def frame_ms(self) -> deque[float]: ...


class Calm(Protocol):
    @property
    def fade_seconds(self) -> float: ...


class Driver(Protocol):
    """What eases the shown intensity toward the target (``engine.easing.IntensityDriver``)."""

    @property
    def calm(self) -> Calm: ...

    @property
    def intensity(self) -> float: ...

    @property
    def veil(self) -> float: ...

    @property
    def calming(self) -> bool: ...

    def set_target(self, target: float) -> object: ...

    def calm_now(self) -> None: ...

    def cover(self) -> None: ...


class Prompt(Protocol):
    """The SUDS question on screen or in the headset's world."""

    def show(self) -> object: ...

    def hide(self) -> object: ...


class Headset(Protocol):
    """A stereo display once open (``hmd_sim.HmdSim``, ``openxr.OpenXRDisplay``): the head's
    node the SUDS question floats before, and the panel a headset's controller answers on."""

    suds_panel: Any  # a panel.WorldPanel (Panda3D nodes: no type stubs)

    @property
    def rig(self) -> HeadRig: ...


class SceneView(Protocol):
    """The scene and its display as the frame thread drives them (``engine.app.SceneRunner``).
    Optional members (the display's ``notices``/``inputs``/``stats``/``eye_size``, the
    runner's ``eyes``/``lens``) are read with ``getattr`` and a default."""

    @property
    def display(self) -> DisplayBackend: ...

    def tick(self, dt: float, max_dt: float = ..., t: float | None = None) -> object: ...

    def head_pose(self) -> HeadPose: ...

    def gaze(self) -> tuple[float, float]: ...

    def gaze_offset_deg(self, pose: Any = None) -> float: ...  # a HeadPose or a bare 6-tuple

    def recentre(self) -> None: ...


class Mirrored(Protocol):
    """The frame stage the console's picture is taken of (``frames.FrameStage``, by
    ``eyemirror.EyeMirror``); its ``base`` (Panda3D's, with the window) is read with
    ``getattr``: a stand-in has none."""

    @property
    def scene_runner(self) -> SceneView: ...

    @property
    def share(self) -> FrameShare: ...
