"""Setting a session up and taking it down, for ``vrex session`` and ``vrex demo``.

Order matters for the patient and for the recording:
1. everything that can be refused is checked before anything starts: the output folder
   is writable, the scenario loads, the patient id is valid, the wanted streams exist
   (missing ones are listed with what was found);
2. the folder, ``session.json``, the event log, vrex's own outlets and the recorder start,
   in that order, so the first event is already recorded;
3. whatever ends the session (done, Ctrl-C, an error) the ``finally`` writes
   ``session_end``, updates ``session.json``, stops the recorder (LabRecorder writes the
   stream footers) and closes every stream. A ``kill -9`` skips all that and still leaves a
   folder that loads: the log is flushed per event, the XDF per chunk.
"""

from __future__ import annotations

import gc
import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from adaptation.live_patient import Injections, SimulatedPatient, publisher as patient_publisher
from adaptation.shield import ShieldConfig
from engine.display.config import DisplayConfig
from engine.errors import VrexError
from engine.session.core import Mode, Plan, SessionCore
from engine.session.runner import SessionClock, SessionRunner
from engine.session.terminal import StatusDisplay
from sensors import lsl
from sensors.baseline import Baseline
from sensors.live import LivePhysiology

PHYSIOLOGY = ("ecg", "ppg", "eda", "resp", "rr")
HEART = ("ecg", "ppg", "rr")


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
        found = "\n".join(f"  {role}: {str(e).splitlines()[0]}" for role, e in live.failed.items())
        live.close()
        raise VrexError(
            "no heart signal (ECG, PPG or RR) found; a session needs one for the safety shield.\n"
            f"What was looked for and why it failed:\n{found}\n"
            "Start the devices' LSL apps (check with 'vrex streams'), or name streams with --stream ROLE=NAME"
        )
    return live


class OpenSession:
    """A session set up and ready to run: ``with OpenSession(opts) as s: s.runner.run()``.

    ``__enter__`` does steps 1–2 of the module docstring; ``__exit__`` step 3, whatever
    happened. Benchmarks, tests and the console reach the parts as attributes."""

    def __init__(self, opts: SessionOptions, controller: Any = None):
        self.opts = opts
        self.controller = controller
        self.end_reason = "error"
        self.live = self.base = self.recorder = self.events = self.outlets = self.folder = None
        self.patient = self.publisher = self.core = self.runner = self.console = self.frames = None
        self.renderer, self.fps = "", None

    def __enter__(self) -> "OpenSession":
        try:
            self._open()
        except BaseException:
            self._close()
            raise
        return self

    def _open(self) -> None:
        from engine.scenario import load_scenario
        from engine.session.events import EventLog
        from engine.session.folder import SessionFolder, check_writable, file_sha256
        from engine.session.outlets import VrexOutlets
        from sensors.recorder import XdfRecorder

        opts = self.opts
        check_writable(opts.root)  # refused before anything starts
        spec = load_scenario(opts.scenario)
        if not 0.0 < opts.ceiling <= 1.0:
            raise VrexError(f"--ceiling {opts.ceiling}: give an intensity above 0 and at most 1")
        if opts.fps is not None and not (math.isfinite(opts.fps) and 0 <= opts.fps <= 1000):
            raise VrexError(f"--fps {opts.fps}: give frames a second from 1 to 1000, or 0 for as fast as possible")
        if opts.frames not in ("process", "thread", "inline"):
            raise VrexError(f"frames {opts.frames!r}: 'process', 'thread' or 'inline'")
        opts.display.check()  # a bad profile or no headset runtime: refused now
        controller = self.controller or make_controller(opts.controller)
        plan = Plan(
            levels=tuple(lv.intensity for lv in spec.levels),
            names=tuple(lv.name for lv in spec.levels),
            baseline_s=opts.baseline_s,
            exposure_s=opts.exposure_s,
            recovery_s=opts.recovery_s,
            calm=spec.calm.intensity,
        )
        # the renderer first: a scene or display that cannot open is refused before any
        # stream, folder or recording exists
        self.frames = frames = self._open_frames(opts, spec, plan)
        tag = secrets.token_hex(3)
        source = f"vrex-demo-{tag}" if opts.demo else None
        if opts.demo:
            self.patient = SimulatedPatient(seed=opts.seed, injections=opts.injections)
            self.publisher = patient_publisher(
                self.patient, speed=opts.speed, clock=lsl.local_clock, prefix=source, source=source
            )
            clock = SessionClock(opts.speed, start=self.publisher.start)
        else:
            clock = SessionClock(opts.speed)
        self.clock = clock
        self.live = live = open_physiology(opts, clock, source)
        streams = [
            {"name": r.spec.name, "type": r.spec.type, "source_id": r.spec.source_id, "role": role}
            for role, r in live.acquisition.readers.items()
        ]
        self.folder = folder = SessionFolder.create(
            opts.root,
            opts.patient,
            spec.meta.id,
            datetime.now(timezone.utc),
            demo=opts.demo,
            speed=opts.speed,
            mode=opts.mode.value,
            scenario={
                "file": str(Path(opts.scenario).resolve()),
                "sha256": file_sha256(opts.scenario),
                "id": spec.meta.id,
                "title": spec.meta.title,
                "levels": [{"name": n, "intensity": v} for n, v in zip(plan.names, plan.levels)],
            },
            controller={
                "name": getattr(controller, "name", opts.controller),
                "version": controller_version(opts.controller),
            },
            ceilings={
                "intensity": opts.ceiling,
                "hr_relative": opts.shield.hr_ceiling_rel,
                "hr_bpm": opts.shield.hr_ceiling_bpm,
                "suds": opts.shield.suds_ceiling,
            },
            phases_s={"baseline": plan.baseline_s, "exposure": plan.exposure_s, "recovery": plan.recovery_s},
            streams=streams,
            failed_streams={role: str(e).splitlines()[0] for role, e in live.failed.items()},
            top_level_reached=None,
            renderer=self.renderer,
            frame_mode=opts.frames,
            fps=self.fps,
            display=self._display_record(opts.display),
        )
        self.outlets = outlets = VrexOutlets(folder.session_id)
        # every time stamp vrex writes is on the session's LSL time base (simulated in a demo),
        # the one the physiology streams carry, so the XDF's streams and the log line up
        self.events = events = EventLog(
            folder.events, clock.now, lsl_clock=clock.lsl_now, publish=lambda line: outlets.event(line, clock.lsl_now())
        )
        self.recorder = XdfRecorder.start(
            folder.recording, [r.spec for r in live.acquisition.readers.values()] + list(outlets.specs())
        )
        if not outlets.wait_for_consumers(10.0):
            print(
                "warning: the recorder has not subscribed to vrex's own streams after 10 s; "
                "their first events may be missing from recording.xdf (events.jsonl has them)"
            )
        self._start_fields = dict(
            patient=opts.patient, scenario=spec.meta.id, mode=opts.mode.value, controller=opts.controller
        )
        self.core = core = SessionCore(
            plan,
            controller,
            events.log,
            mode=opts.mode,
            shield=opts.shield,
            ceiling=opts.ceiling,
            baseline=live.extractor.baseline,
        )
        self.runner = runner = SessionRunner(
            core,
            clock=clock,
            live=live,
            frames=frames,
            events=events,
            outlets=outlets,
            patient=self.patient,
            publisher=self.publisher,
            status=StatusDisplay() if opts.status else None,
            frame_stalls=opts.frame_stalls,
        )
        if self.base is not None:  # inline frames: keys in this process
            from engine.session.keys import bindings

            for key, action in bindings(
                runner.commands.put,
                len(plan.levels),
                quit=runner.request_quit,
                prompt_open=lambda: core.prompt_since is not None,
            ).items():
                self.base.accept(key, action)
        if opts.console:
            from engine.console import start_console

            self.console = start_console(self, opts.console_host, opts.console_port)
            print(f"console: {self.console.url}", flush=True)  # the token is in it: never logged
            if self.console.warning:
                print(self.console.warning, flush=True)
        gc.collect()
        gc.freeze()  # set-up's objects are never scanned again

    @staticmethod
    def _display_record(display: DisplayConfig) -> dict:
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

    def _open_frames(self, opts: SessionOptions, spec: Any, plan: Plan) -> Any:
        """The frame thread: a renderer process, or frames drawn inline by ``runner.step``."""
        from engine.session.frames import DEFAULT_OFFSCREEN_FPS

        headset_hz = opts.display.refresh_hz()  # hmd-sim: the headset's own rate
        if opts.fps is not None:
            self.fps = opts.fps
        elif opts.display.kind == "openxr":
            self.fps = 0.0  # xrWaitFrame paces: no second pacer
        else:
            self.fps = headset_hz or (DEFAULT_OFFSCREEN_FPS if opts.offscreen else None)
        if opts.frames in ("process", "thread"):
            from engine.session.render_process import ProcessFrames, RenderConfig

            frames = ProcessFrames(
                RenderConfig(
                    scenario=Path(opts.scenario),
                    offscreen=opts.offscreen,
                    size=opts.size,
                    renderer=opts.renderer,
                    title=spec.meta.title,
                    start=plan.levels[0],
                    levels=len(plan.levels),
                    fps=self.fps or None,
                    display=opts.display,
                ),
                thread=opts.frames == "thread",
            )
            self.renderer = frames.renderer
            return frames
        from engine.app import open_base, renderer_name
        from engine.session.frames import InlineFrames, build_stage
        from engine.session.frameshare import FrameShare

        self.base = base = open_base(
            offscreen=opts.offscreen,
            size=opts.size,
            display=opts.renderer,
            title=spec.meta.title,
            vsync=opts.display.kind != "openxr",
        )
        self.renderer = renderer_name(base)
        clock = lambda: self.clock  # noqa: E731 — made after the frames
        stage = build_stage(
            spec,
            base,
            FrameShare(),
            opts.display,
            plan.levels[0],
            now=lambda snap: clock().now(),
            stamp=lambda snap, t: clock().lsl_time(t),
            speed=lambda snap: clock().speed,
        )
        return InlineFrames(stage)

    def begin(self) -> None:
        """Session time starts now; the first events are written on that clock."""
        self.runner.begin()
        self.events.log("session", "session_start", "", **self._start_fields)
        for role, error in self.live.failed.items():
            self.events.log("sensors", "sensor", str(error).splitlines()[0], signal=role, status="lost")

    def run(self) -> None:
        try:
            self.begin()
            self.runner.loop(self.opts.max_wall_s)
            self.end_reason = (
                "completed" if self.core.done else ("quit" if self.runner.quit_requested else "time limit")
            )
        except KeyboardInterrupt:
            self.end_reason = "quit (Ctrl-C)"
        except SystemExit:  # Panda3D's window closed (userExit)
            self.end_reason = "quit (window closed)"

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and self.end_reason == "error":
            self.end_reason = f"error: {type(exc).__name__}: {exc}"[:300]
        self._close()

    def _close(self) -> None:
        if self.console is not None:  # first: no command may arrive while the rest closes
            try:
                self.console.stop()
            except Exception as exc:  # noqa: BLE001 — closing must go on
                print(f"warning: while stopping the console: {exc}")
        for closer in (self.frames and self.frames.close, self.base and self.base.destroy):
            try:  # next: the patient never stares at a frozen frame
                closer and closer()  # while the recorder finishes (4–7 s)
            except Exception as exc:  # noqa: BLE001 — closing must go on
                print(f"warning: while closing the window: {exc}")
        if self.events is not None:
            try:
                self.events.log("session", "session_end", self.end_reason, end_reason=self.end_reason)
            except Exception as exc:  # noqa: BLE001 — closing must go on
                print(f"warning: could not log the session's end: {exc}")
        if self.folder is not None:
            try:
                runner = self.runner
                self.folder.update(
                    top_level_reached=self.core.top_reached if self.core else None,
                    stalls=list(runner.stalls) if runner else [],
                    stalled_s=round(runner.stalled_s, 3) if runner else 0.0,
                    frames=runner.frame_count if runner else 0,
                    # the chain's end: `vrex verify` sees lines cut from the end
                    **({"events_chain": self.events.head} if self.events else {}),
                    **(
                        {"display_stats": self.frames.display_stats}
                        if getattr(self.frames, "display_stats", None)
                        else {}
                    ),
                )
                self.folder.end(self.end_reason)
            except Exception as exc:  # noqa: BLE001 — closing must go on
                print(f"warning: could not write the session's end into session.json: {exc}")
        # inlets before the outlets they read (else liblsl logs a broken transmission for each);
        # the recorder stops first so it can drain what was sent before the end
        status = self.runner.status if self.runner is not None else None
        if status is not None:
            status.flush()  # the last status and alerts before what follows
        if self.recorder is not None and self.opts.status:
            print("finishing the recording (about 5 s)…", flush=True)  # else Ctrl-C looks ignored
        for closer in (
            self.recorder and self.recorder.stop,
            self.live and self.live.close,
            self.events and self.events.close,
            self.outlets and self.outlets.close,
            self.publisher and self.publisher.close,
        ):
            if closer:
                try:
                    closer()
                except Exception as exc:  # noqa: BLE001 — one failure must not skip the rest
                    print(f"warning: while closing the session: {exc}")


def run_session(opts: SessionOptions) -> Path:
    """Run a whole session; returns its folder."""
    with OpenSession(opts) as session:
        session.run()
    return session.folder.path
