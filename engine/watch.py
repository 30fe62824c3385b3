"""``vrex view --watch``: the authoring loop. Save the scenario, see it change.

``FileWatch`` polls the modification times of the scenario file and of the sound, model and
texture files it names (``POLL_SECONDS``: 5 times a second, so a save shows well within a second).
``LiveView`` owns the running scene: on a change it validates the file again; a valid file
replaces the scene, keeping the intensity the author was looking at (the camera follows the
scenario's viewpoint, as before); a broken one keeps the last good scene on screen and shows
the problems over it (and in the terminal) until the file is fixed. A broken edit never
closes the window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.scenario import ScenarioError, ScenarioSpec, load_scenario

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
OVERLAY_LINES = 8  # more would cover the scene the author is trying to fix
Signature = tuple[tuple[str, int, int], ...]


def referenced_files(spec: ScenarioSpec) -> list[Path]:
    """The scenario file and every sound, model and texture file it names (copied items included)."""
    files = [spec.path]
    for e in spec.walk(templates=True):
        if e.type in ("model", "sound") and e.get("path"):
            files.append(spec.path.parent / e["path"])
        material = e.get("material")
        texture = material.path(spec.path.parent) if material is not None else None
        if texture is not None:  # a PNG/JPEG file (procedural textures have none)
            files.append(texture)
    return files


class FileWatch:
    """Says when any watched file's modification time or size changed (or it appeared or went)."""

    def __init__(self, files: list[Path]):
        self.files = list(files)
        self.last = self.signature()

    def signature(self) -> Signature:
        out = []
        for f in self.files:
            try:
                st = f.stat()
                out.append((str(f), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(f), -1, -1))  # missing now: its return is a change too
        return tuple(out)

    def changed(self) -> bool:
        now = self.signature()
        if now == self.last:
            return False
        self.last = now
        return True

    def watch(self, files: list[Path]) -> None:
        self.files = list(files)
        self.last = self.signature()

    def newest_ns(self) -> int:
        """The newest modification time among the watched files (ns since the epoch)."""
        return max((m for _, m, _ in self.last), default=0)


def check(path: Path) -> tuple[ScenarioSpec | None, list[str]]:
    """(spec, []) for a valid file, else (None, its problems as FILE:LINE:COL lines)."""
    try:
        return load_scenario(path), []
    except ScenarioError as exc:
        return None, [str(p) for p in exc.problems]
    except Exception as exc:  # the watcher must outlive any file an author can save
        log.debug("validating %s failed", path, exc_info=True)
        return None, [f"{path}:1:1: vrex could not check this file ({type(exc).__name__}: {exc}) — please report this"]


PLACEHOLDER = """\
# What vrex view --watch shows while the file it watches has never been valid: a grey room.
format: 1
scenario: {id: placeholder, title: waiting for a valid file, phobia: none, author: vrex, version: "1"}
levels:
  - {name: "1", intensity: 0.0, description: "-"}
  - {name: "2", intensity: 0.14, description: "-"}
  - {name: "3", intensity: 0.28, description: "-"}
  - {name: "4", intensity: 0.42, description: "-"}
  - {name: "5", intensity: 0.57, description: "-"}
  - {name: "6", intensity: 0.71, description: "-"}
  - {name: "7", intensity: 0.85, description: "-"}
  - {name: "8", intensity: 1.0, description: "-"}
entities:
  - {type: light, kind: ambient, colour: [0.6, 0.6, 0.6]}
  - {type: plane, size: [20, 20], colour: [0.35, 0.35, 0.37]}
"""


def placeholder(folder: Path) -> ScenarioSpec:
    """A plain grey room to show while the watched file has never validated: the window
    opens anyway, with the file's problems over it, and the first valid save replaces it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "placeholder.yaml"
    path.write_text(PLACEHOLDER, encoding="utf-8")
    return load_scenario(path)


class LiveView:
    """The scene, its driver and runner, rebuilt from the file whenever it changes and is valid.

    ``make_scene(spec)`` builds a scene; ``start(scene, intensity, target)`` gives its
    (driver, runner). Both come from ``vrex view``, so the window, display and keys stay its
    business; ``say`` prints to the terminal."""

    def __init__(
        self,
        base: Any,
        spec: ScenarioSpec,
        make_scene: Callable[[ScenarioSpec], Any],
        start: Callable[[Any, float, float], tuple[Any, Any]],
        intensity: float,
        say: Callable[[str], None] = lambda line: print(line, flush=True),  # an editor may read the pipe
        path: Path | None = None,
        problems: list[str] | None = None,
    ):
        """``path``: the file watched when ``spec`` is a stand-in (``placeholder``) because
        the file was broken from the start; ``problems``: its problems, shown at once."""
        self.base, self.spec, self.make_scene, self.start, self.say = base, spec, make_scene, start, say
        self.path = Path(path) if path is not None else spec.path
        self.scene = make_scene(spec)
        self.driver, self.runner = start(self.scene, intensity, intensity)
        self.watch = FileWatch(referenced_files(spec) if path is None else [self.path])
        self.problems: list[str] = list(problems or [])
        self.reloads = 0
        self.report: tuple[str, int] | None = None  # (what, mtime ns) until its first frame is shown
        self.overlay = _Overlay(base)
        if self.problems:
            self.overlay.show(self.problems)
        self._next_poll = 0.0
        self.task = base.taskMgr.add(self._poll, "vrex-watch", sort=-20)

    def _poll(self, task: Any) -> int:
        now = time.monotonic()
        if now >= self._next_poll:
            self._next_poll = now + POLL_SECONDS
            if self.watch.changed():
                self.reload()
        return task.cont

    def reload(self) -> None:
        saved_ns = self.watch.newest_ns()
        spec, problems = check(self.path)
        if spec is not None:
            problems = self._swap(spec)
        if problems:
            self.problems = problems
            self.overlay.show(problems)
            self.say(f"{self.path}: {len(problems)} problem(s); still showing the last good scene")
            for line in problems:
                self.say(line)
            return
        self.problems = []
        self.overlay.hide()
        self.reloads += 1
        self.path = spec.path
        self.watch.watch(referenced_files(spec))  # a new model or sound is watched from now on
        self.report = ("reloaded", saved_ns)

    def _swap(self, spec: ScenarioSpec) -> list[str]:
        """Build the new scene beside the old one; only when that worked does it replace it."""
        intensity, target = self.driver.intensity, self.driver.target
        render = self.base.render
        before = set(render.getChildren())
        try:
            scene = self.make_scene(spec)
        except Exception as exc:  # a file that validates but does not build: keep the old scene
            log.debug("building %s failed", spec.path, exc_info=True)
            for child in render.getChildren():
                if child not in before:
                    child.removeNode()
            return [f"{spec.path}:1:1: the scene could not be built ({type(exc).__name__}: {exc}) — please report this"]
        # the old runner goes first: its display hands the camera back, the new one takes it
        self.runner.close()
        self.scene.destroy()
        self.scene = scene
        self.driver, self.runner = self.start(scene, intensity, target)
        self.spec = spec
        return []

    def frame_shown(self) -> str | None:
        """After a frame: the line to print for a reload now on screen, with its latency."""
        if self.report is None:
            return None
        what, saved_ns = self.report
        self.report = None
        ms = (time.time_ns() - saved_ns) / 1e6
        return f"{what} {self.spec.path}: on screen {ms:.0f} ms after the save"

    def state(self) -> dict[str, Any]:
        return {
            "scenario": str(self.spec.path),
            "intensity": self.driver.intensity,
            "target": self.driver.target,
            "reloads": self.reloads,
            "problems": list(self.problems),
            "overlay": self.overlay.text,
        }

    def close(self) -> None:
        self.base.taskMgr.remove(self.task)
        self.overlay.hide()


class _Overlay:
    """The problems, over the top-left of the window, on a dark card so they read on any scene."""

    def __init__(self, base: Any):
        self.base = base
        self.node: Any = None
        self.text = ""

    def show(self, problems: list[str]) -> None:
        from direct.gui.OnscreenText import OnscreenText
        from panda3d.core import TextNode

        lines = problems[:OVERLAY_LINES]
        if len(problems) > OVERLAY_LINES:
            lines.append(f"… and {len(problems) - OVERLAY_LINES} more (see the terminal)")
        self.text = "\n".join(["The file has problems; showing the last good scene:", *lines])
        self.hide(keep_text=True)
        self.node = OnscreenText(
            text=self.text,
            parent=self.base.a2dTopLeft,
            pos=(0.05, -0.08),
            scale=0.045,
            align=TextNode.ALeft,
            fg=(1.0, 0.85, 0.3, 1.0),
            bg=(0.0, 0.0, 0.0, 0.75),
            wordwrap=60,
            mayChange=True,
        )
        self.node.setBin("fixed", 1100)  # above the calm veil: the author must see it

    def hide(self, keep_text: bool = False) -> None:
        if self.node is not None:
            self.node.destroy()
            self.node = None
        if not keep_text:
            self.text = ""
