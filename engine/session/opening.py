"""What ``launch.OpenSession`` opens that takes the most words: the options' checks, the frame
thread (a renderer process, or frames drawn inline), the console with its lines on the
terminal, and what session.json records at the start and at the end. Apart so that
launch.py reads as the order of opening and closing, which is what matters there.

``careful`` is how every part is closed: whatever one part does on closing, the others
still close.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from engine.errors import VrexError
from engine.session.core import Plan
from engine.session.options import SessionOptions, controller_version, display_record, frame_rate
from engine.session.roles import Clock, Frames

if TYPE_CHECKING:  # types only: the console and Panda3D load when a session asks for them
    from adaptation.types import Controller
    from engine.console.service import ConsoleServer
    from engine.scenario import ScenarioSpec
    from engine.session.core import SessionCore
    from engine.session.events import EventLog
    from engine.session.launch import OpenSession
    from engine.session.runner import SessionRunner
    from sensors.live import LivePhysiology

log = logging.getLogger(__name__)


def careful(what: str, close: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Closing goes on whatever one part does: a failure is said, never raised. (``Any``:
    whatever the closing call takes and returns.)"""
    try:
        close(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 — one failure must not skip the rest
        log.warning("while %s: %s", what, exc)


def check_options(opts: SessionOptions) -> None:
    """VrexError for options that cannot make a session, before anything opens."""
    if not 0.0 < opts.ceiling <= 1.0:
        raise VrexError(f"--ceiling {opts.ceiling}: give an intensity above 0 and at most 1")
    if opts.fps is not None and not (math.isfinite(opts.fps) and 0 <= opts.fps <= 1000):
        raise VrexError(f"--fps {opts.fps}: give frames a second from 1 to 1000, or 0 for as fast as possible")
    if opts.frames not in ("process", "thread", "inline"):
        raise VrexError(f"frames {opts.frames!r}: 'process', 'thread' or 'inline'")
    opts.display.check()  # a bad profile or no headset runtime: refused now


def plan_of(opts: SessionOptions, spec: ScenarioSpec) -> Plan:
    """The session's shape: the scenario's levels and calm state, the options' phases."""
    return Plan(
        levels=tuple(lv.intensity for lv in spec.levels),
        names=tuple(lv.name for lv in spec.levels),
        baseline_s=opts.baseline_s,
        exposure_s=opts.exposure_s,
        recovery_s=opts.recovery_s,
        calm=spec.calm.intensity,
    )


class OpenedFrames(NamedTuple):
    frames: Frames
    renderer: str
    fps: float | None
    base: Any  # Panda3D's ShowBase (no type stubs) when frames are drawn inline, else None


def open_frames(
    opts: SessionOptions, spec: ScenarioSpec, plan: Plan, front: ExitStack, clock: Callable[[], Clock]
) -> OpenedFrames:
    """The frame thread: a renderer process, or frames drawn inline by ``runner.step``.
    ``front`` gets the window's close; ``clock`` gives the session's clock, made after the
    frames (inline frames read it only when they draw)."""
    fps = frame_rate(opts)
    if opts.frames in ("process", "thread"):
        from engine.session.process_frames import ProcessFrames, RenderConfig

        frames = ProcessFrames(
            RenderConfig(
                scenario=Path(opts.scenario),
                offscreen=opts.offscreen,
                size=opts.size,
                renderer=opts.renderer,
                title=spec.meta.title,
                start=plan.levels[0],
                levels=len(plan.levels),
                fps=fps or None,
                display=opts.display,
            ),
            thread=opts.frames == "thread",
        )
        return OpenedFrames(frames, frames.renderer, fps, None)
    from engine.app import open_base, renderer_name
    from engine.session.frames import InlineFrames, build_stage
    from engine.session.frameshare import FrameShare

    base = open_base(
        offscreen=opts.offscreen,
        size=opts.size,
        display=opts.renderer,
        title=spec.meta.title,
        vsync=opts.display.kind != "openxr",
    )
    front.callback(careful, "closing the window", base.destroy)
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
    return OpenedFrames(InlineFrames(stage), renderer_name(base), fps, base)


def open_console(session: OpenSession, front: ExitStack) -> ConsoleServer:
    """The therapist's console, stopped first of all (``front``); its address (the token is
    in it: printed, never logged), the certificate's fingerprint and the network warning are
    the CLI's own lines on the terminal, in that order."""
    from engine.console import start_console

    opts = session.opts
    console = start_console(
        session,
        opts.console_host,
        opts.console_port,
        cert=opts.console_cert,
        key=opts.console_key,
        insecure=opts.console_insecure,
    )
    front.callback(careful, "stopping the console", console.stop)
    print(f"console: {console.url}", flush=True)
    if console.fingerprint:  # check it against the browser's view of the certificate
        print(f"console certificate SHA-256: {console.fingerprint}", flush=True)
    if console.warning:  # part of the lines above ("the token in the URL above"): printed with them
        print(console.warning, flush=True)
    return console


def start_record(
    opts: SessionOptions,
    spec: ScenarioSpec,
    plan: Plan,
    controller: Controller,
    live: LivePhysiology,
    renderer: str,
    fps: float | None,
) -> dict[str, Any]:
    """session.json's fields at the start (``SessionFolder.create``'s keyword arguments; JSON
    values, hence ``Any``): what was asked, what was found, what renders."""
    from engine.session.folder import file_sha256

    streams = [
        {"name": r.spec.name, "type": r.spec.type, "source_id": r.spec.source_id, "role": role}
        for role, r in live.acquisition.readers.items()
    ]
    return dict(
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
        renderer=renderer,
        frame_mode=opts.frames,
        fps=fps,
        display=display_record(opts.display),
    )


def end_record(
    core: SessionCore | None, runner: SessionRunner | None, events: EventLog | None, frames: Frames | None
) -> dict[str, Any]:
    """session.json's fields at the end (JSON values), from whatever parts had opened."""
    stats = getattr(frames, "display_stats", None)  # a headset runtime's, from the renderer
    return dict(
        top_level_reached=core.top_reached if core else None,
        stalls=list(runner.stalls) if runner else [],
        stalled_s=round(runner.stalled_s, 3) if runner else 0.0,
        frames=runner.frame_count if runner else 0,
        # the chain's end: `vrex verify` sees lines cut from the end
        **({"events_chain": events.head} if events else {}),
        **({"display_stats": stats} if stats else {}),
    )
