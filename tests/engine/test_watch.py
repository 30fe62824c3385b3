"""engine/watch.py on the shared offscreen ShowBase: what to watch, and the swap rules.

The real window, the subprocess and the 1-second promise are tested in test_view_watch.py;
these run the same ``LiveView`` in-process, so each rule is checked directly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from engine.app import SceneRunner
from engine.easing import IntensityDriver
from engine.scenario import load_scenario
from engine.scene import Scene
from engine.watch import FileWatch, LiveView, check, referenced_files
from tests.engine.scenario_text import LEVELS

WIND = Path(__file__).resolve().parent / "scenarios" / "wind.wav"


def text(colour: str = "[1, 0, 0]", extra: str = "") -> str:
    return (
        'format: 1\nscenario: {id: watch, title: Watch, phobia: none, author: tests, version: "1"}\n'
        f"levels:\n{LEVELS}\nentities:\n"
        f"  - {{type: box, id: wall, position: [0, 5, 1.7], colour: {colour}}}\n"
        "  - {type: sound, id: wind, path: wind.wav}\n"
        + extra
        + "bindings:\n  - {target: wall.position.z, range: [0, 3]}\n"
    )


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "wind.wav").write_bytes(WIND.read_bytes())
    return tmp_path


def test_the_scenario_and_the_files_it_names_are_watched(folder):
    path = folder / "s.yaml"
    path.write_text(text())
    spec = load_scenario(path)
    assert referenced_files(spec) == [path, folder / "wind.wav"]
    watch = FileWatch(referenced_files(spec))
    assert not watch.changed()
    st = (folder / "wind.wav").stat()
    os.utime(folder / "wind.wav", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the sound re-exported
    assert watch.changed()
    assert not watch.changed()  # once per change
    (folder / "wind.wav").unlink()
    assert watch.changed()


def test_texture_files_are_watched_too_but_procedural_textures_are_no_files(folder):
    import zlib

    raw = b"\x00\xff\x00\x00"  # one red pixel, filter byte first
    chunk = lambda kind, body: len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")  # noqa: E731
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]))
    (folder / "brick.png").write_bytes(png + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path = folder / "s.yaml"
    path.write_text(
        text(
            extra="  - {type: box, material: {texture: brick.png}}\n"
            "  - {type: array, count: 2, item: {type: plane, material: {texture: grass}}}\n"
        )
    )
    assert sorted(referenced_files(load_scenario(path))) == sorted([path, folder / "wind.wav", folder / "brick.png"])


def test_check_gives_problems_as_lines_never_an_exception(folder):
    path = folder / "s.yaml"
    path.write_text(text("[0, 2, 0]"))
    spec, problems = check(path)
    assert spec is None and len(problems) == 1
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: 2 is out of range — ", problems[0])
    spec, problems = check(folder / "gone.yaml")
    assert spec is None and problems[0].startswith(f"{folder / 'gone.yaml'}:1:1: cannot read the file")


@pytest.fixture
def live(base, folder):
    path = folder / "s.yaml"
    path.write_text(text())
    said: list[str] = []

    def make_scene(spec):
        return Scene(spec, base.render)

    def start(scene, intensity, target):
        driver = IntensityDriver(scene.spec.comfort, scene.spec.calm, start=intensity)
        driver.set_target(target)
        return driver, SceneRunner(scene, driver, base)

    view = LiveView(base, load_scenario(path), make_scene, start, 0.4, say=said.append)
    view.said = said
    yield view
    view.close()
    view.runner.close()
    view.scene.destroy()
    base.render.clearLight()


def test_a_valid_edit_replaces_the_scene_and_keeps_the_intensity(live):
    live.driver.set_target(0.6)
    old = live.scene
    live.spec.path.write_text(text("[0, 1, 0]"))
    live.reload()
    assert live.scene is not old and live.problems == [] and live.overlay.text == ""
    assert old.root.isEmpty()  # the old scene is gone from the graph
    assert live.driver.intensity == pytest.approx(0.4) and live.driver.target == pytest.approx(0.6)
    assert live.scene.spec.entities[0]["colour"] == (0.0, 1.0, 0.0, 1.0)  # drawn: test_view_watch.py
    live.runner.tick(0.0)
    assert live.scene.intensity == pytest.approx(0.4)  # the new scene is drawn at the kept intensity
    assert live.frame_shown().startswith(f"reloaded {live.spec.path}: on screen ")
    assert live.frame_shown() is None  # reported once


def test_a_broken_edit_keeps_the_last_good_scene_and_shows_its_problems(live):
    good = live.scene
    live.spec.path.write_text(text("[0, 2, 0]"))
    live.reload()
    assert live.scene is good and not good.root.isEmpty()
    assert len(live.problems) == 1 and re.match(rf"^{re.escape(str(live.spec.path))}:\d+:\d+: ", live.problems[0])
    assert live.problems[0] in live.overlay.text and live.overlay.node is not None
    assert live.said[-1] == live.problems[0]  # and in the terminal
    live.spec.path.write_text(text("[0, 0, 1]"))
    live.reload()
    assert live.problems == [] and live.overlay.text == "" and live.overlay.node is None
    assert live.scene is not good


def test_a_file_that_validates_but_does_not_build_keeps_the_old_scene(live, base):
    good = live.scene
    children = len(base.render.getChildren())

    def broken_build(spec):
        Scene(spec, base.render)  # leaves a half-built scene under render ...
        raise RuntimeError("a loader bug")  # ... then fails

    live.make_scene = broken_build
    live.spec.path.write_text(text("[0, 0, 1]"))
    live.reload()
    assert live.scene is good and live.runner.task in base.taskMgr.getTasks()
    assert len(base.render.getChildren()) == children  # the half-built scene was removed
    assert "the scene could not be built (RuntimeError: a loader bug)" in live.problems[0]


def test_a_file_broken_from_the_start_opens_a_stand_in_and_its_first_valid_save_replaces_it(base, folder, tmp_path):
    from engine.watch import placeholder

    path = folder / "s.yaml"
    path.write_text(text("[1, 0, 0, 7]"))  # 7 is out of range: never valid so far
    spec, problems = check(path)
    assert spec is None and problems
    said: list[str] = []

    def start(scene, intensity, target):
        driver = IntensityDriver(scene.spec.comfort, scene.spec.calm, start=intensity)
        return driver, SceneRunner(scene, driver, base)

    stand_in = placeholder(tmp_path / "stand-in")  # its own folder: not watched
    view = LiveView(
        base, stand_in, lambda s: Scene(s, base.render), start, 0.0, say=said.append, path=path, problems=problems
    )
    try:
        assert view.path == path and view.problems == problems and "out of range" in view.overlay.text
        assert view.watch.files == [path]
        path.write_text(text("[0, 1, 0]"))
        view.reload()
        assert view.problems == [] and view.overlay.text == "" and view.reloads == 1
        assert view.spec.path == path and view.scene.spec.entities[0]["colour"] == (0.0, 1.0, 0.0, 1.0)
        assert path.parent / "wind.wav" in view.watch.files  # what the real file names is watched from now on
    finally:
        view.close()
        view.runner.close()
        view.scene.destroy()
        base.render.clearLight()


def test_view_watch_on_a_broken_file_stays_open_and_says_why(folder):
    import subprocess
    import sys

    path = folder / "s.yaml"
    path.write_text(text("[1, 0, 0, 7]"))
    args = ["view", str(path), "--watch", "--offscreen", "--seconds", "0.5", "--size", "160x90"]
    done = subprocess.run(  # its own process: one ShowBase per process, and the tests hold one
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, timeout=120
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: .*out of range", out)
    assert f"Watching {path} for changes" in out
