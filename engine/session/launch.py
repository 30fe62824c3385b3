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
import secrets
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptation.live_patient import SimulatedPatient
from adaptation.live_patient import publisher as patient_publisher
from engine.session.clock import SessionClock
from engine.session.core import Plan, SessionCore
from engine.session.opening import careful as _careful
from engine.session.opening import check_options, end_record, open_console, open_frames, plan_of, start_record
from engine.session.options import (  # noqa: F401 — the CLI, tests and benchmarks import them from here
    PHYSIOLOGY,
    SessionOptions,
    controller_version,
    display_record,
    frame_rate,
    make_controller,
    open_physiology,
)
from engine.session.roles import Frames
from engine.session.runner import SessionRunner
from engine.session.terminal import StatusDisplay
from sensors import lsl

if TYPE_CHECKING:  # types only: each part's module loads when the session opens it
    from adaptation.types import Controller
    from engine.console.service import ConsoleServer
    from engine.scenario import ScenarioSpec
    from engine.session.events import EventLog
    from engine.session.folder import SessionFolder
    from engine.session.outlets import VrexOutlets
    from sensors.live import LivePhysiology
    from sensors.publish import SimulatedPublisher
    from sensors.recorder import XdfRecorder

log = logging.getLogger(__name__)


class OpenSession:
    """A session set up and ready to run: ``with OpenSession(opts) as s: s.runner.run()``.

    ``__enter__`` does steps 1–2 of the module docstring; ``__exit__`` step 3, whatever
    happened. Benchmarks, tests and the console reach the parts as attributes."""

    def __init__(self, opts: SessionOptions, controller: Controller | None = None):
        self.opts = opts
        self.controller = controller
        self.end_reason = "error"
        self.renderer: str = ""
        self.fps: float | None = None
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
        # None until opened (a part that failed to open stays None, and is not closed)
        self.folder: SessionFolder | None = None
        self.events: EventLog | None = None
        self.core: SessionCore | None = None
        self.runner: SessionRunner | None = None
        self.console: ConsoleServer | None = None
        self.frames: Frames | None = None
        self.base: Any = None  # Panda3D's ShowBase (no type stubs), for inline frames only
        self.live: LivePhysiology | None = None
        self.recorder: XdfRecorder | None = None
        self.outlets: VrexOutlets | None = None
        self.patient: SimulatedPatient | None = None
        self.publisher: SimulatedPublisher | None = None

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

    def _open_inputs(self) -> tuple[ScenarioSpec, Plan, Controller]:
        from engine.scenario import load_scenario
        from engine.session.folder import check_writable

        opts = self.opts
        check_writable(opts.root)  # refused before anything starts
        from engine.records.keyfiles import load_recipients

        # ROOT/recipients.txt (vrex keys init --sessions): a bad one is refused now, not at the end
        self.recipients = load_recipients(opts.root)
        spec = load_scenario(opts.scenario)
        check_options(opts)
        controller = self.controller or make_controller(opts.controller)
        plan = plan_of(opts, spec)
        # the renderer first: a scene or display that cannot open is refused before any
        # stream, folder or recording exists
        opened = open_frames(opts, spec, plan, self._front, lambda: self.clock)
        frames = self.frames = opened.frames
        self.renderer, self.fps, self.base = opened.renderer, opened.fps, opened.base
        self._front.callback(_careful, "closing the window", frames.close)
        source = f"vrex-demo-{secrets.token_hex(3)}" if opts.demo else None
        if source is not None:  # a demo
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

    def _open_record(self, spec: ScenarioSpec, plan: Plan, controller: Controller) -> None:
        """The session folder, vrex's own streams, the event log and the recorder."""
        from engine.session.events import EventLog
        from engine.session.folder import SessionFolder
        from engine.session.outlets import VrexOutlets
        from sensors.recorder import XdfRecorder

        opts, live, clock = self.opts, self.live, self.clock
        assert live is not None  # opened by _open_inputs
        fields = start_record(opts, spec, plan, controller, live, self.renderer, self.fps)
        self.folder = folder = SessionFolder.create(opts.root, opts.patient, spec.meta.id, datetime.now(UTC), **fields)
        self.outlets = outlets = VrexOutlets(folder.session_id)
        self._back.callback(_careful, "closing vrex's streams", outlets.close)
        # every time stamp vrex writes is on the session's LSL time base (simulated in a demo),
        # the one the physiology streams carry, so the XDF's streams and the log line up
        self.events = events = EventLog(
            folder.events, clock.now, lsl_clock=clock.lsl_now, publish=lambda line: outlets.event(line, clock.lsl_now())
        )
        self._back.callback(_careful, "closing the event log", events.close)
        self.recorder = recorder = XdfRecorder.start(
            folder.recording, [r.spec for r in live.acquisition.readers.values()] + list(outlets.specs())
        )
        self._recording.callback(_careful, "stopping the recorder", recorder.stop)
        if opts.status:  # else Ctrl-C looks ignored while it drains
            self._recording.callback(print, "finishing the recording (about 5 s)…", flush=True)
        if not outlets.wait_for_consumers(10.0):
            log.warning(
                "the recorder has not subscribed to vrex's own streams after 10 s; "
                "their first events may be missing from recording.xdf (events.jsonl has them)"
            )
        self._start_fields = dict(
            patient=opts.patient, scenario=spec.meta.id, mode=opts.mode.value, controller=opts.controller
        )

    def _open_control(self, spec: ScenarioSpec, plan: Plan, controller: Controller) -> None:
        """The session's logic, the control loop, the keys and the console."""
        opts, live, clock, events, frames, outlets = (
            self.opts,
            self.live,
            self.clock,
            self.events,
            self.frames,
            self.outlets,
        )
        assert live is not None and events is not None and frames is not None and outlets is not None  # opened before
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
            self.console = open_console(self, self._front)

    def _opened(self) -> tuple[SessionRunner, SessionCore, EventLog, LivePhysiology]:
        """The parts ``begin`` and ``run`` use: there once ``__enter__`` has returned."""
        runner, core, events, live = self.runner, self.core, self.events, self.live
        if runner is None or core is None or events is None or live is None:
            raise RuntimeError("the session is not open: with OpenSession(opts) as s: s.run()")
        return runner, core, events, live

    def begin(self) -> None:
        """Session time starts now; the first events are written on that clock."""
        runner, _, events, live = self._opened()
        runner.begin()
        events.log("session", "session_start", "", **self._start_fields)
        for role, error in live.failed.items():
            events.log("sensors", "sensor", str(error).splitlines()[0], signal=role, status="lost")

    def run(self) -> None:
        try:
            self.begin()
            runner, core, _, _ = self._opened()
            runner.loop(self.opts.max_wall_s)
            self.end_reason = "completed" if core.done else ("quit" if runner.quit_requested else "time limit")
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
        assert self.folder is not None  # _record_end calls this only then
        self.folder.update(**end_record(self.core, self.runner, self.events, self.frames))
        self.folder.end(self.end_reason)


def run_session(opts: SessionOptions) -> Path:
    """Run a whole session; returns its folder."""
    with OpenSession(opts) as session:
        session.run()
    assert session.folder is not None  # open, or __enter__ raised
    return session.folder.path
