"""The renderer process: Panda3D, the scene and the frame thread, apart from everything else.

A real session renders in a process of its own so that nothing the frame thread does can
delay safety, and nothing else can delay a frame. A frame thread stuck in the driver,
in llvmpipe or holding its process's GIL stops only frames: the control side (sensors,
shield, event log, console, in the main process) notices the missing heartbeat, logs the
stall, keeps applying the therapist's commands, and the first frame drawn afterwards
already shows what the control side decided (``frames.FrameStage``). The two processes
share a ``FrameShare`` block, an ``EyeShare`` block (a small picture of the patient's view
for the console, ``eyemirror.py``) and a pipe for the window's keys; the control side's heartbeat
tells this process when the control side is gone, and then it shows the calm state. The
control side's end of all this is ``process_frames.ProcessFrames``.

Keys pressed in the window go to the control side as commands (``keys.py``); the patient's
stop (space) and the therapist's stop (s) also blink to calm here at once.

Fault injection for tests and demos: ``("stall", seconds)`` on the pipe makes the frame
thread block for that long *holding the GIL* (a C call through ``ctypes.PyDLL``, which never
releases it), the worst kind of stall: no thread of this process runs meanwhile.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.display.config import DisplayConfig
from engine.errors import VrexError
from engine.session.eyeshare import EyeShare
from engine.session.frames import hold_gil
from engine.session.frameshare import CLOSED, CONTROL_LOST_S, FAILED, RUNNING, FrameShare, age

if TYPE_CHECKING:
    from engine.session.command_spec import Command
    from engine.session.frames import FrameStage


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


if __name__ == "__main__":
    raise SystemExit(main())
