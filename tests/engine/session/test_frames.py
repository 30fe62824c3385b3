"""The frame thread's parts: the shared block, the pacer, the stage's calm handling, and a
renderer process that cannot start."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.errors import VrexError
from engine.session import frameshare
from engine.session.frames import Pacer
from engine.session.frameshare import RING, FrameShare, age


def test_the_frame_ring_keeps_order_and_counts_what_it_lost():
    share = FrameShare()
    for i in range(10):
        share.frame_done(100.0 + i, 1.0 + i, 0.1 * i, 0.0, False, 0)
    n, rows, lost = share.frames_since(0)
    assert n == 10 and lost == 0 and list(rows[:, 0]) == [100.0 + i for i in range(10)]
    for i in range(10, 10 + RING + 5):  # the reader fell behind by more than the ring
        share.frame_done(100.0 + i, 1.0, 0.0, 0.0, False, 0)
    n2, rows, lost = share.frames_since(n)
    assert n2 == 10 + RING + 5 and len(rows) == RING and lost == 5
    assert np.all(np.diff(rows[:, 0]) == 1.0) and rows[-1, 0] == 100.0 + n2 - 1


def test_a_snapshot_caught_mid_write_is_the_last_whole_one_never_a_torn_one():
    share = FrameShare()
    share.publish(0.3, 1, 5.0, True)
    first = share.snapshot()
    share.a[frameshare.C_SEQ] += 1.0  # the writer preempted half way through
    share.a[frameshare.C_TARGET] = 0.9
    assert share.snapshot() == first  # not 0.9 with the old calm count
    share.a[frameshare.C_SEQ] += 1.0
    assert share.snapshot().target == 0.9


def test_the_shared_block_is_the_same_in_another_attachment():
    owner = FrameShare.create()
    try:
        other = FrameShare.attach(owner.name)
        owner.publish(0.7, 3, 1.0, False)
        other.frame_done(42.0, 2.5, 0.7, 0.0, False, 3, (0, 0, 1.6, 10.0, 0, 0))
        assert other.snapshot().target == 0.7 and other.snapshot().calm_n == 3
        report = owner.report()
        assert report.frames == 1 and report.calm_seen == 3 and report.pose[3] == 10.0
        other.close()
    finally:
        owner.close(unlink=True)


def test_age_of_no_heartbeat_is_infinite():
    assert age(0.0) == float("inf")
    assert 0.0 <= age(time.monotonic()) < 1.0


def test_the_pacer_waits_for_the_next_frame_and_never_bursts_to_catch_up():
    pacer = Pacer(50.0)
    slept = pacer.wait()
    assert 0.0 < slept <= 0.02 + 1e-6
    time.sleep(0.1)  # five frames late
    assert pacer.wait() == 0.0  # no wait now...
    assert pacer.wait() > 0.0  # ...and the next frame is a whole period later
    assert Pacer(None).wait() == 0.0 and Pacer(0).wait() == 0.0


def test_a_calm_asked_during_a_stall_is_drawn_covered_on_the_first_frame_after(base, scene_root):
    from engine.app import SceneRunner
    from engine.easing import IntensityDriver
    from engine.scenario import load_scenario
    from engine.scene import Scene
    from engine.session.frames import FrameStage
    from tests.conftest import SCENARIOS

    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm, start=0.5)
    runner = SceneRunner(scene, driver, base)
    runner.stop()
    share, t = FrameShare(), [0.0]
    stage = FrameStage(
        share, base, runner, driver, now=lambda snap: t[0], stamp=lambda snap, x: x, speed=lambda snap: 1.0
    )
    try:
        share.publish(0.5, 0, 0.0, False)
        t[0] += 0.02
        stage.step()
        share.publish(0.5, 1, time.monotonic(), False)  # a stop, seen at once
        t[0] += 0.02
        stage.step()
        assert 0.0 < driver.veil < 1.0 and driver.intensity == pytest.approx(0.5, abs=1e-3)  # an ordinary blink starts
        driver.jump_to(0.5)
        driver.veil, driver._blink = 0.0, None
        late = time.monotonic() - spec.calm.fade_seconds  # a stop asked a whole fade ago (a stall)
        share.publish(0.5, 2, late, False)
        t[0] += 3.0
        stage.step()
        report = share.report()
        assert report.veil == 1.0 and report.intensity == spec.calm.intensity and report.calm_seen == 2
    finally:
        runner.close()
        scene.destroy()


def test_a_renderer_that_cannot_start_says_why_before_anything_else_opens(tmp_path):
    from engine.session.process_frames import ProcessFrames, RenderConfig
    from tests.conftest import SCENARIOS

    cfg = RenderConfig(
        scenario=SCENARIOS / "heights.yaml",
        offscreen=True,
        size=(64, 36),
        renderer="nosuchpipe",
        title="t",
        start=0.0,
        levels=11,
        fps=30.0,
    )
    with pytest.raises(VrexError, match="the renderer could not start: unknown display 'nosuchpipe'"):
        ProcessFrames(cfg)


def test_a_script_without_a_main_guard_can_start_the_renderer(tmp_path):
    """The renderer is a program of its own: starting it never re-runs the caller's script
    (multiprocessing's spawn would, and refuse a script without ``if __name__ == '__main__'``)."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import SCENARIOS

    root = Path(__file__).resolve().parents[3]
    script = tmp_path / "session_script.py"
    script.write_text(f"""
import sys
sys.path.insert(0, {str(root)!r})
from pathlib import Path
from engine.session.process_frames import ProcessFrames, RenderConfig
print("script body ran", flush=True)
frames = ProcessFrames(RenderConfig(scenario=Path({str(SCENARIOS / 'heights.yaml')!r}), offscreen=True,
                       size=(64, 36), renderer="p3tinydisplay", title="t", start=0.0, levels=11, fps=30.0))
print("ready:", frames.renderer, flush=True)
frames.close()
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("script body ran") == 1 and "ready: " in out.stdout
