"""A frame thread that stalls holding its GIL cannot delay safety.

A real session (renderer process, real LSL, real recorder, the console over HTTP) with a
simulated patient; in exposure the renderer's frame thread is made to block for 3 s in a C
call that keeps its GIL (``render_process.hold_gil``). The control side must notice within
1 s (a ``stall`` event and a therapist alert), a console STOP sent during the stall must be
applied and logged during it, and the first frame drawn after it must already be calm,
fully covered by the veil.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest

from engine.session.events import read_events
from engine.session.launch import OpenSession
from engine.session.runner import Command
from tests.engine.session.demo_options import demo_options

pytestmark = pytest.mark.slow

STALL_S = 3.0


def post(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Vrex-Token": token},
    )
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.loads(r.read())


def until(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_stall_holding_the_gil_is_caught_and_a_console_stop_during_it_shows_calm_first(tmp_path):
    opts = demo_options(tmp_path, "T-stall", console=True, console_port=0)
    rows: list[tuple] = []
    seen = [0]

    def frames_seen(runner) -> None:  # every frame the renderer drew, as the control side got it
        n, new, _lost = runner.share.frames_since(seen[0])
        seen[0] = n
        rows.extend(tuple(map(float, r)) for r in new)

    with OpenSession(opts) as s:
        s.runner.observers.append(frames_seen)
        s.opts.max_wall_s = 120.0
        worker = threading.Thread(target=s.run, daemon=True)
        worker.start()
        try:
            until(lambda: s.core.phase.value == "exposure", 60, "exposure")
            s.runner.commands.put(Command("set_level", {"level": 3}))
            until(lambda: s.runner.shown.intensity > s.core.plan.calm + 0.05, 30, "a level above calm on screen")
            token = s.console.url.split("token=")[1]
            base_url = s.console.url.split("/?")[0]
            s.frames.stall(STALL_S)
            until(lambda: s.core.stalled, 10, "the stall to be noticed")
            verdict = post(base_url + "/api/command", token, {"command": "stop"})
            assert verdict.get("accepted") is True, verdict
            until(lambda: not s.core.stalled, 30, "frames after the stall")
            time.sleep(0.3)
        finally:
            s.runner.request_quit()
            worker.join(60)
    events, _ = read_events(s.folder.events)
    stop = next(e for e in events if e["kind"] == "command" and e["command"] == "stop")
    # a loaded machine can also freeze frames by itself for over 0.5 s before the injected
    # stall: the stall that matters is the one the stop was sent in
    start = [e for e in events if e["kind"] == "stall" and e["state"] == "start" and e["seq"] < stop["seq"]][-1]
    end = next(e for e in events if e["kind"] == "stall" and e["state"] == "end" and e["seq"] > stop["seq"])
    assert start["waited_s"] <= 1.0  # noticed within 1 s of the last frame
    assert any(a["kind"] == "stall" for a in s.core.alerts)
    assert start["seq"] < stop["seq"] < end["seq"]  # the stop was applied and logged during the stall
    assert stop["accepted"] and stop["source"] == "console"
    assert end["length_s"] >= 0.8 * STALL_S * opts.speed
    # the first frame drawn after the stall: calm and fully covered
    gaps = [i for i in range(1, len(rows)) if rows[i][0] - rows[i - 1][0] > 0.8 * STALL_S * opts.speed]
    assert gaps, "no frame gap of the stall's length among the frames"
    first = rows[gaps[0]]
    before = rows[gaps[0] - 1]
    assert before[2] > s.core.plan.calm + 0.05  # a level above calm when it froze
    assert first[2] == pytest.approx(s.core.plan.calm) and first[3] == pytest.approx(1.0)


def test_a_control_loop_that_raises_shows_calm_says_why_and_closes_the_recording(tmp_path):
    opts = demo_options(tmp_path, "T-crash", max_wall_s=120.0)
    with pytest.raises(RuntimeError, match="sensor driver fell over"):
        with OpenSession(opts) as s:
            tick = s.live.tick

            def failing(now):
                if s.core.phase.value == "exposure" and s.runner.shown.intensity > s.core.plan.calm + 0.05:
                    raise RuntimeError("sensor driver fell over")
                return tick(now)

            s.live.tick = failing
            original = s.core.enter

            def enter(phase, *a, **k):  # the therapist sets level 3 as exposure begins
                original(phase, *a, **k)
                if phase.value == "exposure":
                    s.runner.commands.put(Command("set_level", {"level": 3}))

            s.core.enter = enter
            s.run()
    events, problems = read_events(s.folder.events)
    assert problems == []
    error = next(e for e in events if e["kind"] == "control_error")
    assert "sensor driver fell over" in error["reason"] and "calm" in error["reason"]
    assert any(a["kind"] == "control" for a in s.core.alerts)
    assert s.frames.last_report.calm_seen == s.core.calm_requests >= 1  # the renderer drew the calm request
    assert s.frames.last_report.calming
    end = json.loads((s.folder.path / "session.json").read_text())
    assert end["end_reason"].startswith("error: RuntimeError: sensor driver fell over")
    pyxdf = pytest.importorskip("pyxdf")
    streams, _ = pyxdf.load_xdf(str(s.folder.recording))
    assert {st["info"]["name"][0] for st in streams} >= {"vrex-frames", "vrex-events"}


def test_a_silent_control_loop_is_alerted_within_a_second():
    """The watchdog thread notices a control loop that stopped going round (a call that
    blocks), says so on the terminal, in the log and as an alert, and when it runs again."""
    from types import SimpleNamespace

    from engine.session.frameshare import FrameShare
    from engine.session.stages import CONTROL_STALL_S, ControlWatch

    logged, alerts = [], []
    share = FrameShare()
    share.control_beat()
    runner = SimpleNamespace(
        share=share,
        core=SimpleNamespace(alert=lambda kind, text: alerts.append(kind)),
        events=SimpleNamespace(log=lambda *a, **k: logged.append((a, k))),
    )
    watch = ControlWatch(runner, period_s=0.05)
    try:
        until(lambda: logged, 30, "the control-stall event")
        (source, kind, why), fields = logged[0]
        assert kind == "control_stall" and fields["state"] == "start" and alerts == ["control"]
        assert CONTROL_STALL_S < fields["waited_s"] < CONTROL_STALL_S + 1.0
        share.control_beat()
        until(lambda: len(logged) == 2, 30, "the control loop's return")
        assert logged[1][1]["state"] == "end"
    finally:
        watch.stop()


def test_the_renderer_goes_calm_when_the_control_side_falls_silent_and_its_exit_is_reported(tmp_path):
    from engine.session.render_process import CONTROL_LOST_S

    opts = demo_options(tmp_path, "T-silent")
    with OpenSession(opts) as s:
        s.begin()

        def drive(predicate, timeout: float, what: str) -> None:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                s.runner.step()
                if predicate():
                    return
                time.sleep(0.01)
            raise AssertionError(f"timed out waiting for {what}")

        drive(lambda: s.core.phase.value == "exposure", 60, "exposure")
        s.runner.commands.put(Command("set_level", {"level": 3}))
        drive(
            lambda: s.runner.shown.intensity > s.core.plan.calm + 0.05 and not s.runner.shown.calming,
            30,
            "level 3 on screen",
        )
        time.sleep(CONTROL_LOST_S + 1.5)  # the control side says nothing at all
        report = s.frames.share.report()
        assert report.intensity == pytest.approx(s.core.plan.calm)  # the renderer went calm on its own
        s.runner.step()  # back: the target is made calm too, and said
        assert s.core.target == pytest.approx(s.core.plan.calm)
        assert any(a["kind"] == "control" and "silent" in a["text"] for a in s.core.alerts)
        time.sleep(1.0)
        assert s.frames.share.report().intensity == pytest.approx(s.core.plan.calm)  # and it stays calm
        s.frames.process.terminate()  # the renderer dies
        s.frames.process.wait(10)
        drive(lambda: any(a["kind"] == "renderer" for a in s.core.alerts), 10, "the renderer's exit to be told")
        s.end_reason = "test over"
    events, _ = read_events(s.folder.events)
    (exit_event,) = [e for e in events if e["kind"] == "renderer_exit"]
    assert "exited" in exit_event["reason"] and exit_event["exit_code"] is not None
