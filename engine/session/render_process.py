"""The renderer process: Panda3D, the scene and the frame thread, apart from everything else.

A real session renders in a process of its own so that nothing the frame thread does can
delay safety, and nothing else can delay a frame. A frame thread stuck in the driver,
in llvmpipe or holding its process's GIL stops only frames: the control side (sensors,
shield, event log, console, in the main process) notices the missing heartbeat, logs the
stall, keeps applying the therapist's commands, and the first frame drawn afterwards
already shows what the control side decided (``frames.FrameStage``). The two processes
share a ``FrameShare`` block, an ``EyeShare`` block (a small picture of the patient's view
for the console, ``eyemirror.py``) and a pipe for the window's keys; the control side's heartbeat
tells this process when the control side is gone, and then it shows the calm state.

Keys pressed in the window go to the control side as commands (``keys.py``); the patient's
stop (space) and the therapist's stop (s) also blink to calm here at once.

Fault injection for tests and demos: ``("stall", seconds)`` on the pipe makes the frame
thread block for that long *holding the GIL* (a C call through ``ctypes.PyDLL``, which never
releases it), the worst kind of stall: no thread of this process runs meanwhile.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.display.config import DisplayConfig
from engine.errors import VrexError
from engine.logsetup import VERBOSE_ENV
from engine.session.eyeshare import EyeShare
from engine.session.frames import hold_gil
from engine.session.frameshare import CLOSED, CONTROL_LOST_S, FAILED, RUNNING, FrameReport, FrameShare, age

if TYPE_CHECKING:
    from engine.session.command_spec import Command
    from engine.session.frames import FrameStage

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0  # a loaded 2-core machine can take this long to import Panda3D and build a scene


@dataclass(frozen=True)
class RenderConfig:
    scenario: Path
    offscreen: bool
    size: tuple[int, int]
    renderer: str | None
    title: str
    start: float  # the intensity shown before the first snapshot
    levels: int  # for the F-keys
    fps: float | None  # pacing; None: the display's (vsync)
    display: DisplayConfig = DisplayConfig()  # what the eyes are: a desktop view or a headset


def _build(cfg: RenderConfig, share: FrameShare, conn: Connection) -> tuple[Any, FrameStage, str]:
    """Panda3D's ShowBase (no type stubs), the frame stage, and the renderer's name."""
    from engine.app import open_base, renderer_name
    from engine.scenario import load_scenario
    from engine.session.frames import build_stage
    from engine.session.keys import bindings
    from sensors.lsl import local_clock

    spec = load_scenario(cfg.scenario)
    base = open_base(
        offscreen=cfg.offscreen,
        size=cfg.size,
        display=cfg.renderer,
        title=cfg.title,
        vsync=cfg.display.kind != "openxr",
    )  # a headset's runtime paces frames
    stage = build_stage(
        spec,
        base,
        share,
        cfg.display,
        cfg.start,
        now=lambda snap: (local_clock() - snap.clock_start) * (snap.speed or 1.0),
        stamp=lambda snap, t: snap.clock_start + t,
        speed=lambda snap: snap.speed or 1.0,
    )

    def put(command: Command) -> None:
        if command.name in ("stop", "patient_stop"):
            stage.stop_now()
        conn.send(("command", command.name, dict(command.args), command.origin))

    for key, action in bindings(
        put, cfg.levels, quit=lambda: conn.send(("quit",)), prompt_open=lambda: share.snapshot().prompt
    ).items():
        base.accept(key, action)
    return base, stage, renderer_name(base)


def frame_main(conn: Connection, share: FrameShare, cfg: RenderConfig, eyes: EyeShare | None = None) -> None:
    """The frame thread's whole life: build the scene, draw frames until told to quit;
    five times a second a small picture of the patient's view goes into ``eyes`` (the console's)."""
    import direct.task.Task as panda_tasks

    from engine.session.eyemirror import EyeMirror
    from engine.session.frames import Pacer

    panda_tasks.signal = None  # the task manager would take SIGINT each frame (and cannot
    if threading.current_thread() is threading.main_thread():  # outside the main thread): the session
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # decides when frames end (Ctrl-C is its)
    parent = os.getppid()
    base = None
    try:
        try:
            base, stage, renderer = _build(cfg, share, conn)
        except BaseException as exc:  # noqa: BLE001 — told to the parent, which says it
            share.set_state(FAILED)
            conn.send(
                (
                    "error",
                    str(exc)
                    if isinstance(exc, VrexError)
                    else f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
                )
            )
            return
        conn.send(("ready", renderer))
        share.set_state(RUNNING)
        gc.collect()
        gc.freeze()  # set-up's objects never scanned again
        gc.callbacks.append(share.count_gc2)
        pacer = Pacer(cfg.fps)
        mirror = EyeMirror(eyes) if eyes is not None else None
        if mirror is not None:
            mirror.prime(stage)  # a display's first read-back set-up, before frames count
        control_lost = False
        while not share.snapshot().quit:
            if conn.poll():
                message = conn.recv()
                if message[0] == "stall":
                    hold_gil(float(message[1]))
            stage.step()
            if mirror is not None:
                mirror(stage)  # at most every 0.2 s: a copy for the console
            for kind, text in stage.notices():  # a headset's runtime: focus lost, headset lost, ...
                conn.send(("notice", kind, text))
            for name, args in stage.inputs():  # a headset controller's buttons: the patient's
                conn.send(("command", name, args, "patient"))
            gone = age(share.snapshot().beat) > CONTROL_LOST_S or os.getppid() != parent
            if gone and not control_lost:
                stage.stop_now()  # nobody watches the body now: calm
            control_lost = stage.hold_calm = gone  # back: the control side makes its target calm too
            if os.getppid() != parent:
                break  # the session's process died: nothing to show
            pacer.wait()
        stats = getattr(stage.scene_runner.display, "stats", None)
        if stats:  # the headset runtime's own frame statistics
            conn.send(("stats", dict(stats)))
    finally:
        if base is not None:
            try:
                base.destroy()
            except Exception:  # noqa: BLE001 — closing anyway
                pass
        share.set_state(CLOSED)
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """The renderer process: ``python -m engine.session.render_process SHARE FD CONFIG_JSON [EYES]``.
    Started by ``ProcessFrames`` as a program of its own (not by multiprocessing, whose
    spawn would first re-run the session's main script in this process)."""
    import json
    import sys
    from multiprocessing.connection import Connection

    from engine.logsetup import configure_logging, verbose_from_env

    configure_logging(verbose_from_env())  # its warnings read as the session's own (engine/logsetup.py)
    args = argv if argv is not None else sys.argv[1:]
    share_name, fd, config = args[:3]
    cfg = json.loads(config)
    cfg = RenderConfig(
        **{
            **cfg,
            "scenario": Path(cfg["scenario"]),
            "size": tuple(cfg["size"]),
            "display": DisplayConfig(**cfg["display"]),
        }
    )
    share = FrameShare.attach(share_name)
    eyes = EyeShare.attach(args[3]) if len(args) > 3 else None
    try:
        frame_main(Connection(int(fd)), share, cfg, eyes)
    finally:
        share.close()
        if eyes is not None:
            eyes.close()
    return 0


class ProcessFrames:
    """The control side's handle on the renderer process (or, with ``thread=True``, on a
    frame thread in this process: the same code, for measuring what a shared GIL costs)."""

    inline = False

    def __init__(self, cfg: RenderConfig, thread: bool = False):
        import json
        import socket
        import subprocess
        import sys
        from dataclasses import asdict
        from multiprocessing.connection import Connection

        self.share = FrameShare.create()
        self.eyes = EyeShare.create()  # the picture the console shows; unlinked at close
        self.threaded = thread
        self.renderer = ""
        self.last_report: FrameReport | None = None  # the renderer's last word, kept at close
        self.display_stats: dict = {}  # a headset runtime's frame statistics, sent at the end
        self._pending: list[tuple] = []
        ours, theirs = socket.socketpair()
        self.conn = Connection(ours.detach())
        child = theirs.detach()
        try:
            if thread:
                self.process: Any = threading.Thread(  # or a Popen below: ``threaded`` says which
                    target=frame_main,
                    name="vrex-frames",
                    daemon=True,
                    args=(Connection(child), self.share, cfg, self.eyes),
                )
                self.process.start()
            else:
                config = json.dumps({**asdict(cfg), "scenario": str(cfg.scenario)})
                assert self.share.name is not None and self.eyes.name is not None  # made by create(): shared
                package_root = str(Path(__file__).resolve().parents[2])  # engine's parent: importable there
                env = {
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
                    VERBOSE_ENV: "1" if logging.getLogger().getEffectiveLevel() <= logging.INFO else "0",
                }
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "engine.session.render_process",
                        self.share.name,
                        str(child),
                        config,
                        self.eyes.name,
                    ],
                    pass_fds=(child,),
                    env=env,
                )
                os.close(child)
            self._wait_ready()
        except BaseException:
            self.close()
            raise

    @property
    def exitcode(self) -> int | None:
        return None if self.threaded else self.process.poll()

    def _wait_ready(self) -> None:
        end = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < end:
            if self.conn.poll(0.05):
                try:
                    message = self.conn.recv()
                except EOFError:  # it closed its end: it is gone, or going
                    if not self.threaded:
                        try:
                            self.process.wait(5.0)
                        except Exception:  # noqa: BLE001 — the message below says enough
                            pass
                    raise VrexError(
                        f"the renderer process ended before it was ready (exit code {self.exitcode}; "
                        "its messages are above); try --renderer p3tinydisplay"
                    ) from None
                if message[0] == "ready":
                    self.renderer = message[1]
                    return
                if message[0] == "error":
                    raise VrexError(f"the renderer could not start: {message[1]}")
                self._pending.append(message)
            elif not self.alive:
                raise VrexError(
                    f"the renderer process ended before it was ready (exit code {self.exitcode}; "
                    "its messages are above); try --renderer p3tinydisplay"
                )
        raise VrexError(
            f"the renderer process did not start within {READY_TIMEOUT_S:.0f} s (a very busy "
            "machine?); close other programs, or try --renderer p3tinydisplay"
        )

    def step(self) -> None:
        """Nothing to do here: the renderer draws at its own pace."""

    def messages(self) -> list[tuple]:
        """Keys pressed in the window since the last call, as ("command", name, args, origin) or ("quit",)."""
        out, self._pending = self._pending, []
        try:
            while self.conn.poll():
                out.append(self.conn.recv())
        except (EOFError, OSError):
            pass
        return out

    def stall(self, seconds: float) -> None:
        """Fault injection: the frame thread holds its GIL for ``seconds``."""
        self.conn.send(("stall", float(seconds)))

    @property
    def alive(self) -> bool:
        return self.process.is_alive() if self.threaded else self.process.poll() is None

    def close(self, timeout: float = 10.0) -> None:
        """Quit the renderer; a calm state the control side asked for last is drawn first
        (up to a second), so a session ended by an error leaves the patient on calm."""
        import subprocess

        if self.share.a is not None:
            end = time.monotonic() + 1.0
            while (
                self.alive and self.share.report().calm_seen != self.share.snapshot().calm_n and time.monotonic() < end
            ):
                time.sleep(0.01)
            self.last_report = self.share.report()
            self.share.ask_quit()
            end = time.monotonic() + 2.0
            while self.alive and time.monotonic() < end and not self.display_stats:
                for message in self.messages():  # its last words: a headset's frame statistics
                    if message[0] == "stats":
                        self.display_stats = message[1]
                    else:  # the session is closing: nobody acts on it now
                        log.info("after the session's end, the renderer said %r", message)
                if not self.display_stats:
                    time.sleep(0.01)
        process = getattr(self, "process", None)
        if self.threaded and process is not None:
            if process.is_alive():
                process.join(timeout)
        elif process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(2.0)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.conn.close()
        self.share.close(unlink=True)
        self.eyes.close(unlink=True)


if __name__ == "__main__":
    raise SystemExit(main())
