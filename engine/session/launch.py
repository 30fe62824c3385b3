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
import logging
import math
import secrets
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adaptation.live_patient import SimulatedPatient
from adaptation.live_patient import publisher as patient_publisher
from engine.errors import VrexError
from engine.session.core import Plan, SessionCore
from engine.session.options import (  # noqa: F401 — the CLI, tests and benchmarks import them from here
    PHYSIOLOGY,
    SessionOptions,
    controller_version,
    display_record,
    frame_rate,
    make_controller,
    open_physiology,
)
from engine.session.runner import SessionClock, SessionRunner
from engine.session.terminal import StatusDisplay
from sensors import lsl

log = logging.getLogger(__name__)


class OpenSession:
    """A session set up and ready to run: ``with OpenSession(opts) as s: s.runner.run()``.

    ``__enter__`` does steps 1–2 of the module docstring; ``__exit__`` step 3, whatever
    happened. Benchmarks, tests and the console reach the parts as attributes."""

    def __init__(self, opts: SessionOptions, controller: Any = None):
        self.opts = opts
        self.controller = controller
        self.end_reason = "error"
        self.renderer, self.fps = "", None
        self.recipients: list[str] = []
        # What is open, closed by ``_close`` group by group (the order is deliberate, not the
        # reverse of opening; tests/engine/session/test_launch_close.py pins it): ``_front``
        # (the console, so no command arrives while the rest closes; then the window, so the
        # patient never stares at a frozen frame while the recorder finishes), the record of
        # the end (session_end, session.json), ``_recording`` (the recorder drains what was
        # sent), ``_inlets`` (before the outlets they read), ``_back`` (the event log, vrex's
        # outlets, the simulated patient's outlets), and the seal.
        self._front = ExitStack()
        self._recording = ExitStack()
        self._inlets = ExitStack()
        self._back = ExitStack()
        self.folder: Any = None
        self.events: Any = None
        self.core: SessionCore | None = None
        self.runner: SessionRunner | None = None
        self.console: Any = None
        self.frames: Any = None
        self.base: Any = None
        self.live: Any = None
        self.recorder: Any = None
        self.outlets: Any = None
        self.patient: Any = None
        self.publisher: Any = None

    def __enter__(self) -> OpenSession:
        try:
            self._open()
        except BaseException:
            self._close()
            raise
        return self

    def _open(self) -> None:
        """Inputs first (the scenario, the renderer, the streams: whatever cannot open is
        refused before any record exists), then the record, then the control side."""
        spec, plan, controller = self._open_inputs()
        self._open_record(spec, plan, controller)
        self._open_control(spec, plan, controller)
        gc.collect()
        gc.freeze()  # set-up's objects are never scanned again

    def _open_inputs(self) -> tuple[Any, Plan, Any]:
        from engine.scenario import load_scenario
        from engine.session.folder import check_writable

        opts = self.opts
        check_writable(opts.root)  # refused before anything starts
        from engine.records.keyfiles import load_recipients

        # ROOT/recipients.txt (vrex keys init --sessions): a bad one is refused now, not at the end
        self.recipients = load_recipients(opts.root)
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
        self._front.callback(_careful, "closing the window", frames.close)
        tag = secrets.token_hex(3)
        source = f"vrex-demo-{tag}" if opts.demo else None
        if opts.demo:
            self.patient = SimulatedPatient(seed=opts.seed, injections=opts.injections)
            self.publisher = patient_publisher(
                self.patient, speed=opts.speed, clock=lsl.local_clock, prefix=source, source=source
            )
            self._back.callback(_careful, "closing the simulated patient", self.publisher.close)
            clock = SessionClock(opts.speed, start=self.publisher.start)
        else:
            clock = SessionClock(opts.speed)
        self.clock = clock
        self.live = live = open_physiology(opts, clock, source)
        self._inlets.callback(_careful, "closing the physiology streams", live.close)
        return spec, plan, controller

    def _open_record(self, spec: Any, plan: Plan, controller: Any) -> None:
        """The session folder, vrex's own streams, the event log and the recorder."""
        from engine.session.events import EventLog
        from engine.session.folder import SessionFolder, file_sha256
        from engine.session.outlets import VrexOutlets
        from sensors.recorder import XdfRecorder

        opts, live, clock = self.opts, self.live, self.clock
        streams = [
            {"name": r.spec.name, "type": r.spec.type, "source_id": r.spec.source_id, "role": role}
            for role, r in live.acquisition.readers.items()
        ]
        self.folder = folder = SessionFolder.create(
            opts.root,
            opts.patient,
            spec.meta.id,
            datetime.now(UTC),
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
            display=display_record(opts.display),
        )
        self.outlets = outlets = VrexOutlets(folder.session_id)
        self._back.callback(_careful, "closing vrex's streams", outlets.close)
        # every time stamp vrex writes is on the session's LSL time base (simulated in a demo),
        # the one the physiology streams carry, so the XDF's streams and the log line up
        self.events = events = EventLog(
            folder.events, clock.now, lsl_clock=clock.lsl_now, publish=lambda line: outlets.event(line, clock.lsl_now())
        )
        self._back.callback(_careful, "closing the event log", events.close)
        self.recorder = XdfRecorder.start(
            folder.recording, [r.spec for r in live.acquisition.readers.values()] + list(outlets.specs())
        )
        self._recording.callback(_careful, "stopping the recorder", self.recorder.stop)
        if opts.status:  # else Ctrl-C looks ignored while it drains
            self._recording.callback(print, "finishing the recording (about 5 s)…", flush=True)
        if not outlets.wait_for_consumers(10.0):
            print(
                "warning: the recorder has not subscribed to vrex's own streams after 10 s; "
                "their first events may be missing from recording.xdf (events.jsonl has them)"
            )
        self._start_fields = dict(
            patient=opts.patient, scenario=spec.meta.id, mode=opts.mode.value, controller=opts.controller
        )

    def _open_control(self, spec: Any, plan: Plan, controller: Any) -> None:
        """The session's logic, the control loop, the keys and the console."""
        opts, live, clock, events, frames = self.opts, self.live, self.clock, self.events, self.frames
        self.core = core = SessionCore(
            plan,
            controller,
            events.log,
            mode=opts.mode,
            shield=opts.shield,
            ceiling=opts.ceiling,
            baseline=live.extractor.baseline,
            threaded=True,  # a hung controller must not hold the control loop (STOP, ticks, the shield)
        )
        self.runner = runner = SessionRunner(
            core,
            clock=clock,
            live=live,
            frames=frames,
            events=events,
            outlets=self.outlets,
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

            self.console = start_console(
                self,
                opts.console_host,
                opts.console_port,
                cert=opts.console_cert,
                key=opts.console_key,
                insecure=opts.console_insecure,
            )
            self._front.callback(_careful, "stopping the console", self.console.stop)
            print(f"console: {self.console.url}", flush=True)  # the token is in it: never logged
            if self.console.fingerprint:  # check it against the browser's view of the certificate
                print(f"console certificate SHA-256: {self.console.fingerprint}", flush=True)
            if self.console.warning:
                print(self.console.warning, flush=True)

    def _open_frames(self, opts: SessionOptions, spec: Any, plan: Plan) -> Any:
        """The frame thread: a renderer process, or frames drawn inline by ``runner.step``."""
        self.fps = frame_rate(opts)
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
        self._front.callback(_careful, "closing the window", base.destroy)
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
        self._front.close()
        self._record_end()
        status = self.runner.status if self.runner is not None else None
        if status is not None:
            status.flush()  # the last status and alerts before what follows
        self._recording.close()
        self._inlets.close()
        self._back.close()
        if self.folder is not None and self.recipients:
            from engine.records.seal import seal_at_end

            seal_at_end(self.folder.path, self.recipients)  # last: every file is closed; never raises

    def _record_end(self) -> None:
        """``session_end`` in the log and the session's totals and end in session.json."""
        if self.events is not None:
            _careful(
                "logging the session's end",
                self.events.log,
                "session",
                "session_end",
                self.end_reason,
                end_reason=self.end_reason,
            )
        if self.folder is not None:
            _careful("writing the session's end into session.json", self._write_end)

    def _write_end(self) -> None:
        runner = self.runner
        self.folder.update(
            top_level_reached=self.core.top_reached if self.core else None,
            stalls=list(runner.stalls) if runner else [],
            stalled_s=round(runner.stalled_s, 3) if runner else 0.0,
            frames=runner.frame_count if runner else 0,
            # the chain's end: `vrex verify` sees lines cut from the end
            **({"events_chain": self.events.head} if self.events else {}),
            **({"display_stats": self.frames.display_stats} if getattr(self.frames, "display_stats", None) else {}),
        )
        self.folder.end(self.end_reason)


def _careful(what: str, close: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Closing goes on whatever one part does: a failure is said, never raised."""
    try:
        close(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 — one failure must not skip the rest
        log.warning("warning: while %s: %s", what, exc)


def run_session(opts: SessionOptions) -> Path:
    """Run a whole session; returns its folder."""
    with OpenSession(opts) as session:
        session.run()
    return session.folder.path
