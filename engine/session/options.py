"""What a session is asked to be (``SessionOptions``, from the CLI or a test), and the
pieces set-up needs before anything opens: the controller by name and the physiology
streams, refused with a message that names what was looked for."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptation.live_patient import Injections
from adaptation.shield import HEART, ShieldConfig
from engine.display.config import DisplayConfig
from engine.errors import VrexError, explained
from engine.session.clock import SessionClock
from engine.session.phase import Mode
from sensors.baseline import Baseline
from sensors.live import LivePhysiology

PHYSIOLOGY = ("ecg", "ppg", "eda", "resp", "rr")


@dataclass
class SessionOptions:
    scenario: Path
    patient: str = "demo"
    mode: Mode = Mode.AUTO
    controller: str = "policy"
    offscreen: bool = True  # the desktop window is an offscreen buffer (no display, or asked)
    renderer: str | None = None  # offscreen renderer (p3headlessgl, p3tinydisplay); None: that order
    display: DisplayConfig = field(default_factory=DisplayConfig)  # desktop, hmd-sim or openxr, and its head
    size: tuple[int, int] = (640, 360)
    root: Path = Path("out/sessions")
    speed: float = 1.0
    demo: bool = False
    seed: int = 0
    streams: dict[str, Any] = field(default_factory=dict)  # role -> kind / {name|source_id|kind}
    stream_timeout: float = 5.0
    ceiling: float = 1.0
    shield: ShieldConfig = field(default_factory=ShieldConfig)
    baseline_s: float = 120.0
    exposure_s: float = 1800.0
    recovery_s: float = 120.0
    injections: Injections = field(default_factory=Injections)
    status: bool = True
    max_wall_s: float = math.inf
    console: bool = False  # the therapist's browser console (engine/console/)
    console_host: str = "127.0.0.1"  # this machine only, unless told otherwise
    console_port: int | None = None  # None: 8765, or any free port if that one is taken
    console_cert: Path | None = None  # TLS pair (PEM); beyond loopback without it: a self-signed pair
    console_key: Path | None = None
    console_insecure: bool = False  # plain HTTP beyond loopback (a network the clinic trusts)
    fps: float | None = None  # frame rate; None: the display's (vsync) in a window,
    # frames.DEFAULT_OFFSCREEN_FPS offscreen; 0: uncapped
    frame_stalls: tuple[tuple[float, float], ...] = ()  # (session start, wall seconds): injected frame stalls
    frames: str = "process"  # "process": the renderer in its own process (sessions);
    # "thread": a frame thread in this process (to measure the GIL's cost);
    # "inline": frames drawn by runner.step() (tests, benchmarks)


def make_controller(name: str):
    from adaptation.evaluate import controller_factory

    try:
        return controller_factory(name)()
    except ValueError as exc:
        raise VrexError(f"--controller: {exc}") from None


def controller_version(name: str) -> str:
    if name != "policy":
        return "rule (vrex source)"
    from adaptation.policy import SHIPPED

    return "sha256:" + hashlib.sha256(SHIPPED.read_bytes()).hexdigest()[:16]


def open_physiology(opts: SessionOptions, clock: SessionClock, source: str | None) -> LivePhysiology:
    """The physiology streams: the demo's own (by source id) or the ones asked for."""
    if source is not None:
        wanted = {role: {"source_id": f"{source}-{role}", "timeout": opts.stream_timeout} for role in PHYSIOLOGY}
    else:
        wanted = opts.streams or {role: role.upper() for role in PHYSIOLOGY}
    live = LivePhysiology.open(wanted, timeout=opts.stream_timeout, clock=clock.lsl_now, baseline=Baseline())
    if not any(k in live.signals for k in HEART):
        found = "\n".join(line for role, e in live.failed.items() for line in explained(f"  {role}: ", e))
        live.close()
        raise VrexError(
            "no heart signal (ECG, PPG or RR) found; a session needs one for the safety shield.\n"
            f"What was looked for and why it failed:\n{found}\n"
            "Start the devices' LSL apps (check with 'vrex streams'), or name streams with --stream ROLE=NAME"
        )
    return live


def display_record(display: DisplayConfig) -> dict:
    """What session.json says about the display: kind, and for a simulated headset the
    profile and scale it drew at; the head's source."""
    out: dict[str, Any] = {"kind": display.kind, "head": display.head or "still"}
    if display.stereo:
        out["space"] = display.space
    if display.kind == "hmd-sim":
        profile = display.hmd_profile()
        out.update(
            profile=profile.name,
            profile_file=display.profile,
            scale=profile.scale,
            eye_size=list(profile.render_size),
            refresh_hz=profile.refresh_hz,
            msaa=display.msaa,
        )
    return out


def frame_rate(opts: SessionOptions) -> float | None:
    """Frames a second to pace at: as asked; none for OpenXR (xrWaitFrame paces); a
    simulated headset's own rate; offscreen the default; a window, its display's (None)."""
    from engine.session.frames import DEFAULT_OFFSCREEN_FPS

    if opts.fps is not None:
        return opts.fps
    if opts.display.kind == "openxr":
        return 0.0
    return opts.display.refresh_hz() or (DEFAULT_OFFSCREEN_FPS if opts.offscreen else None)
