"""The console's picture of the patient's view: the shared block round-trips a picture and
never hands out a torn one (a writer in another thread, and in another process, while the
test reads), and the frame thread's mirror takes a small picture five times a second with
the head and gaze of the frame it came from, without ever costing a frame when it fails."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from engine.display.backend import EyeSpec
from engine.display.profile import EyeFov
from engine.errors import VrexError
from engine.session.eyemirror import EyeMirror, eye_tangents, stride
from engine.session.eyeshare import H_SEQ, MAX_H, MAX_W, EyeShare
from engine.session.frameshare import FrameShare
from tests.conftest import ROOT


def picture(k: int) -> np.ndarray:
    """Picture number ``k``: its size and every pixel's value depend on ``k``, so a copy
    mixing two pictures (or a header from another) shows."""
    w, h = 40 + (k * 37) % (MAX_W - 40), 30 + (k * 53) % (MAX_H - 30)
    return np.full((h, w, 3), k % 251, np.uint8)


def whole(p) -> bool:
    k = int(p.stamp)
    return p.pixels.shape == picture(k).shape and bool((p.pixels == k % 251).all()) and p.frame == k


def test_a_picture_round_trips_with_what_it_shows():
    share = EyeShare()
    assert share.read() is None and share.seq == 0  # nothing written yet
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 240, 3), dtype=np.uint8)
    share.write(
        image[::2, ::2],
        stamp=1234.5,
        frame=77,
        head=(10.0, -5.0, 2.0),
        gaze=(0.0, -28.0),  # a strided
        gaze_off_deg=24.9,
        tangents=(-1.1, 0.9, 1.0, -1.2),
        stereo=True,
    )  # view, as the mirror's
    p = share.read()
    assert p.seq == 1 and share.seq == 1
    assert np.array_equal(p.pixels, image[::2, ::2]) and (p.width, p.height) == (120, 150)
    assert (p.stamp, p.frame, p.head, p.gaze, p.gaze_off_deg) == (1234.5, 77, (10.0, -5.0, 2.0), (0.0, -28.0), 24.9)
    assert p.tangents == (-1.1, 0.9, 1.0, -1.2) and p.stereo and 0.0 <= p.age() < 5.0
    assert share.read(after=1) is None  # nothing newer than the one read
    p.pixels[:] = 0  # the reader's copy is its own
    assert np.array_equal(share.read().pixels, image[::2, ::2])


@pytest.mark.parametrize(
    "bad,says",
    [
        (np.zeros((10, MAX_W + 1, 3), np.uint8), "does not fit"),
        (np.zeros((MAX_H + 1, 10, 3), np.uint8), "does not fit"),
        (np.zeros((10, 10, 4), np.uint8), "uint8 RGB"),
        (np.zeros((10, 10, 3), np.float32), "uint8 RGB"),
    ],
)
def test_a_picture_that_does_not_fit_is_refused_by_name(bad, says):
    with pytest.raises(ValueError, match=says):
        EyeShare().write(bad)


def test_a_reader_never_takes_a_picture_being_written():
    share = EyeShare()
    share.write(picture(1), stamp=1, frame=1)
    share.a[H_SEQ] += 1.0  # the writer is caught between its two halves ...
    share.px[:100] = 99  # ... having overwritten part of the pixels
    assert share.read() is None  # no picture rather than a torn one
    share.a[H_SEQ] += 1.0
    assert share.read().seq == 2  # whole again (this test's scribble is the "new" picture)


def test_no_torn_picture_while_a_thread_writes():
    share = EyeShare()
    stop = threading.Event()

    def writer():
        k = 0
        while not stop.is_set():
            k += 1
            share.write(picture(k), stamp=k, frame=k)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython allows: mid-write reads
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        seen, last, end = 0, 0, time.monotonic() + 1.5
        while time.monotonic() < end:
            p = share.read(after=last)
            if p is not None:
                assert whole(p), f"torn picture: #{p.stamp:.0f} with values {np.unique(p.pixels)[:5]}"
                assert p.seq > last
                seen, last = seen + 1, p.seq
    finally:
        stop.set()
        thread.join(5)
        sys.setswitchinterval(switch)
    assert seen > 20, f"only {seen} pictures read"
    print(f"{seen} read whole, {share.retries} reads tried again")


WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from engine.session.eyeshare import EyeShare
from tests.engine.session.test_eyeshare import picture
share = EyeShare.attach({name!r})
k, end = 0, time.monotonic() + {seconds}
while time.monotonic() < end:
    k += 1
    share.write(picture(k), stamp=k, frame=k)
    time.sleep(0.0001)        # far more often than the renderer's 5 a second, yet not a wall of writes
share.close()
print(k)
"""


def test_no_torn_picture_while_another_process_writes():
    """The real case: the renderer process writes while the console's thread reads, on two cores."""
    share = EyeShare.create()
    name = share.name
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(root=str(ROOT), name=name, seconds=3.0)],
            stdout=subprocess.PIPE,
            text=True,
        )
        seen, last, end = 0, 0, time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < end:
            p = share.read(after=last)
            if p is None:
                continue
            assert whole(p), f"torn picture: #{p.stamp:.0f} with values {np.unique(p.pixels)[:5]}"
            seen, last = seen + 1, p.seq
        written = int(proc.communicate(timeout=30)[0])
        assert written > 100 and seen > 50, (written, seen)
        print(f"{written} written, {seen} read whole, {share.retries} reads tried again")
        assert share.retries > 0, "the reader never met the writer mid-write: this test proved nothing"
    finally:
        share.close(unlink=True)
    with pytest.raises(FileNotFoundError):
        EyeShare.attach(name)  # the owner unlinked it


# -- the frame thread's mirror ------------------------------------------------------------


class Display:
    def __init__(self, size=(2064, 2208), stereo=True, fail=None):
        self.stereo, self.size, self.fail, self.calls = stereo, size, fail, 0

    @property
    def eye_size(self):
        return self.size

    def eye_image(self, eye, step=1):
        self.calls += 1
        self.eye, self.step = eye, step
        if self.fail:
            raise self.fail
        w, h = self.size
        y, x = np.mgrid[0:h, 0:w]
        return np.stack([x % 256, y % 256, (x // 7) % 256], -1).astype(np.uint8)[::step, ::step]

    def head_pose(self):
        return SimpleNamespace(heading=0.0, pitch=0.0, roll=0.0)


def stage_with(display, fov=EyeFov(-40.0, 50.0, 45.0, -55.0)):
    share = FrameShare()
    runner = SimpleNamespace(
        display=display,
        gaze=lambda: (0.0, -28.0),
        lens=None,
        eyes=[EyeSpec("left", display.size, fov, -0.03)] if fov else [],
    )
    return SimpleNamespace(share=share, scene_runner=runner)


def test_the_mirror_takes_a_small_picture_of_the_frame_with_its_head_and_gaze():
    display = Display()
    stage = stage_with(display)
    stage.share.frame_done(
        812.25,
        3.0,
        0.5,
        0.0,
        False,
        0,
        (0.01, 0.0, 0.0, 35.0, -10.0, 3.0),
        clock_start=0.0,
        pose_stamp=812.2,
        gaze_off_deg=41.5,
    )
    eyes = EyeShare()
    assert EyeMirror(eyes)(stage) and display.eye == "left"
    p = eyes.read()
    s = stride(2064, 2208)
    assert s == 7 and (p.width, p.height) == (295, 316) and p.width <= MAX_W and p.height <= MAX_H
    assert np.array_equal(p.pixels, display.eye_image("left")[::7, ::7])
    assert (p.stamp, p.frame, p.head, p.gaze, p.gaze_off_deg) == (812.25, 1, (35.0, -10.0, 3.0), (0.0, -28.0), 41.5)
    assert p.tangents == pytest.approx(EyeFov(-40.0, 50.0, 45.0, -55.0).tangents()) and p.stereo


def test_a_desktop_gives_its_mono_view_and_its_lens_field_of_view():
    display = Display(size=(1280, 720), stereo=False)
    stage = stage_with(display, fov=None)
    stage.scene_runner.lens = SimpleNamespace(getFov=lambda: (90.0, 60.0))
    eyes = EyeShare()
    EyeMirror(eyes)(stage)
    p = eyes.read()
    assert display.eye == "mono" and (p.width, p.height) == (320, 180) and not p.stereo
    t = math.tan(math.radians(30.0))
    assert p.tangents == pytest.approx((-1.0, 1.0, t, -t))
    assert eye_tangents(SimpleNamespace(eyes=[], lens=None)) == (-1.0, 1.0, 1.0, -1.0)


def test_five_pictures_a_second_at_most_whatever_the_frame_rate():
    display = Display(size=(64, 48))
    stage, eyes = stage_with(display), EyeShare()
    mirror = EyeMirror(eyes, period_s=0.2)
    end = time.perf_counter() + 1.0
    frames = 0
    while time.perf_counter() < end:  # frames as fast as the machine goes
        mirror(stage)
        frames += 1
    assert frames > 50 and 4 <= mirror.taken <= 6, (frames, mirror.taken)


def test_a_failing_image_costs_no_frame_and_is_told_once(caplog):
    display = Display(fail=VrexError("no frame has been rendered yet"))
    stage, eyes = stage_with(display), EyeShare()
    mirror = EyeMirror(eyes, period_s=0.0)
    assert not mirror(stage) and not mirror(stage)
    assert eyes.read() is None and display.calls == 2
    assert len([r for r in caplog.records if "picture" in r.getMessage()]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind,size", [("hmd-sim", (258, 276)), ("offscreen", (320, 180))])
def test_the_renderer_process_shares_its_left_eye_five_times_a_second(kind, size):
    """The hooks: ``ProcessFrames`` makes the block, the renderer process attaches it and
    mirrors its left eye (hmd-sim at 1/8 scale: 258×276, no stride needed) or its desktop
    view (640×360, every second pixel: 320×180, through the window's triggered copy), and
    closing unlinks it."""
    from engine.display.config import DisplayConfig
    from engine.scenario import load_scenario
    from engine.session.process_frames import ProcessFrames, RenderConfig
    from tests.conftest import SCENARIOS

    spec = load_scenario(SCENARIOS / "spiders.yaml")
    display = DisplayConfig(kind=kind, scale=0.125, head="look-around") if kind == "hmd-sim" else DisplayConfig()
    frames = ProcessFrames(
        RenderConfig(
            scenario=SCENARIOS / "spiders.yaml",
            offscreen=True,
            size=(640, 360),
            renderer="p3tinydisplay",
            title="t",
            start=1.0,
            levels=len(spec.levels),
            fps=30.0,
            display=display,
        )
    )
    name = frames.eyes.name
    try:
        end = time.monotonic() + 30
        while frames.eyes.seq < 1 and time.monotonic() < end:
            time.sleep(0.05)
        first, start = frames.eyes.seq, time.monotonic()
        time.sleep(3.0)
        rate = (frames.eyes.seq - first) / (time.monotonic() - start)
        p = frames.eyes.read()
        assert p is not None and (p.width, p.height) == size and p.stereo == (kind == "hmd-sim")
        assert p.pixels.std() > 1.0  # a scene, not an empty buffer
        assert p.age() < 1.0 and math.isfinite(p.stamp)
        assert 3.5 <= rate <= 5.5, f"{rate:.1f} pictures a second"
    finally:
        frames.close()
    with pytest.raises(FileNotFoundError):
        EyeShare.attach(name)


def test_a_slow_picture_slows_the_mirror_not_the_frames():
    """Reading a full-resolution eye back can take tens of ms: the mirror then takes pictures
    less often, so that they never take more than 2 % of the frame thread's time, and says so."""

    class Slow(Display):
        def eye_image(self, eye, step=1):
            time.sleep(0.02)  # 20 ms a picture: at most one a second
            return super().eye_image(eye, step)

    display = Slow(size=(64, 48))
    stage, eyes = stage_with(display), EyeShare()
    mirror = EyeMirror(eyes, period_s=0.2, max_share=0.02)
    end = time.perf_counter() + 1.5
    while time.perf_counter() < end:
        mirror(stage)
    assert 1 <= mirror.taken <= 2 and mirror.period_s >= 1.0  # at once, then (about) a second later, not 7
    assert eyes.read().period_s == pytest.approx(mirror.period_s, rel=0.5)


def test_prime_reads_no_image_and_never_fails():
    """Set-up attaches a desktop window's triggered copy (real windows: the process test
    below); it never reads an eye, and a display without a window is no error."""
    desktop, headset = Display(size=(64, 48), stereo=False), Display(size=(64, 48))
    EyeMirror(EyeShare()).prime(stage_with(desktop, fov=None))
    EyeMirror(EyeShare()).prime(stage_with(headset))
    assert desktop.calls == 0 and headset.calls == 0
