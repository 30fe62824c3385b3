"""The control side's handle on the renderer process (``render_process.py``):
``ProcessFrames`` starts it as a program of its own, creates the ``FrameShare`` and
``EyeShare`` blocks the two sides share, waits until the scene is built (or raises a ``VrexError``
that says why it was not), reads the keys pressed in its window, and closes it so that a calm
state asked for last is drawn first. With ``thread=True`` it runs the same frame thread in
this process instead, for measuring what a shared GIL costs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import VrexError
from engine.logsetup import VERBOSE_ENV
from engine.session.eyeshare import EyeShare
from engine.session.frameshare import FrameReport, FrameShare
from engine.session.render_process import RenderConfig, frame_main

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0  # a loaded 2-core machine can take this long to import Panda3D and build a scene


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
