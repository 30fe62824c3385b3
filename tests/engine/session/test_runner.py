"""SessionRunner, frame by frame, on the real heights scene (offscreen, the shared ShowBase).

Streams, the event log and vrex's outlets are replaced by recorders here to isolate the
frame loop's order of work; the whole thing over real LSL is tests/engine/session/test_demo_e2e.py.
"""

from __future__ import annotations

import pytest

from adaptation.shield import ShieldConfig
from adaptation.types import Decision
from engine.app import SceneRunner
from engine.easing import IntensityDriver
from engine.scenario import load_scenario
from engine.scene import Scene
from engine.session.core import Mode, Phase, Plan, SessionCore
from engine.session.frames import FrameStage, InlineFrames
from engine.session.frameshare import FrameShare
from engine.session.runner import Command, SessionRunner
from sensors.types import Features, Quality
from tests.conftest import SCENARIOS


class Stay:
    name = "stay"

    def reset(self):
        pass

    def decide(self, obs):
        return Decision(obs.target, "stay", self.name)


class HandClock:
    speed = 1.0

    def __init__(self):
        self.t = 0.0
        self.start = 0.0

    def now(self):
        return self.t

    def lsl_time(self, t=None):
        return 1000.0 + (self.t if t is None else t)

    def lsl_now(self):
        return self.lsl_time()

    def session_time(self, stamp):
        return stamp - 1000.0


class Live:
    """Canned physiology: a calm, trustworthy heart at 70 bpm."""

    beats_arrived = 0

    def poll(self, now):
        return {}

    def tick(self, now):
        return Features(
            time=now,
            hr_bpm=70.0,
            hr_source="ecg",
            quality={"ecg": Quality(1.0)},
            age_s={"ecg": 0.1},
            relative={"hr_bpm": 0.0},
        )


class Recorder:
    def __init__(self):
        self.calls: list[tuple] = []
        self.events: list[dict] = []

    def log(self, source, kind, reason="", **fields):
        e = {"source": source, "kind": kind, "reason": reason, **fields}
        self.events.append(e)
        return e

    def sync(self):
        pass

    def __getattr__(self, name):  # outlets: intensity, marker, frame, features, headpose
        return lambda *a, **k: self.calls.append((name, a, k))


@pytest.fixture
def session(base, scene_root):
    spec = load_scenario(SCENARIOS / "heights.yaml")
    scene = Scene(spec, scene_root)
    driver = IntensityDriver(spec.comfort, spec.calm)
    scene_runner = SceneRunner(scene, driver, base)
    scene_runner.stop()
    events, outlets = Recorder(), Recorder()
    plan = Plan(tuple(lv.intensity for lv in spec.levels), tuple(lv.name for lv in spec.levels), baseline_s=35.0)
    core = SessionCore(plan, Stay(), events.log, mode=Mode.AUTO, shield=ShieldConfig())
    clock = HandClock()
    stage = FrameStage(
        FrameShare(),
        base,
        scene_runner,
        driver,
        now=lambda snap: clock.now(),
        stamp=lambda snap, t: clock.lsl_time(t),
        speed=lambda snap: clock.speed,
    )
    runner = SessionRunner(core, clock=clock, live=Live(), frames=InlineFrames(stage), events=events, outlets=outlets)
    runner.base = base
    core.start(0.0)
    yield runner, clock, events, outlets
    scene_runner.close()
    scene.destroy()


def frames(runner, clock, seconds, dt=0.1):
    for _ in range(int(round(seconds / dt))):
        clock.t += dt
        runner.step()


def test_a_stop_on_the_queue_is_on_screen_at_the_next_frame(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 36)
    assert runner.core.phase is Phase.EXPOSURE
    runner.commands.put(Command("set_level", {"level": 5}))
    frames(runner, clock, 35)  # the lift climbs 35 m at walking pace: about 28 s
    assert runner.shown.intensity == pytest.approx(0.4)
    runner.commands.put(Command("stop"))
    clock.t += 0.01
    runner.step()  # the very next frame
    assert runner.shown.veil > 0.0 and runner.shown.calming
    assert [e for e in events.events if e["kind"] == "command"][-1]["command"] == "stop"


def test_each_new_level_is_announced_when_it_is_first_shown(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 36)
    runner.commands.put(Command("set_level", {"level": 4}))
    frames(runner, clock, 25)  # 20 m up at walking pace: about 16 s
    shown = [e for e in events.events if e["kind"] == "shown"]
    assert [e["level"] for e in shown] == [1, 2, 3]  # every level on the way up, once
    markers = [c[1][0] for c in outlets.calls if c[0] == "marker"]
    assert [m["level"] for m in markers if m["kind"] == "shown"] == [1, 2, 3]
    (change,) = [m for m in markers if m["kind"] == "change"]  # one target change: the therapist's
    assert change["target"] == pytest.approx(0.3) and change["cause"] == "therapist"
    assert markers.index(change) == 0  # announced before the levels it leads to
    for e in shown:  # at the frame that shows it, not before
        assert e["intensity"] >= runner.core.plan.levels[e["level"]] - 1e-9


def test_ticks_follow_session_time_and_every_frame_goes_out(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 10.0)
    ticks = [e for e in events.events if e["kind"] == "tick"]
    assert 9 <= len(ticks) <= 11  # one per second of session time
    n_frames = len([c for c in outlets.calls if c[0] == "frame"])
    assert n_frames == runner.frame_count == 100
    assert len([c for c in outlets.calls if c[0] == "intensity"]) == 100


def test_a_machine_that_falls_behind_the_session_clock_says_so_once(session):
    """Frames 1.5 s of session time apart (a slow machine at a high --speed): stale-looking
    sensors would follow, so the session logs a ``pace`` event and raises one alert."""
    runner, clock, events, outlets = session
    frames(runner, clock, 3.0)
    assert not [e for e in events.events if e["kind"] == "pace"]
    frames(runner, clock, 15.0, dt=1.5)
    (pace,) = [e for e in events.events if e["kind"] == "pace"]
    assert pace["behind"] and pace["frame_gap_s"] == pytest.approx(1.5) and "1.5 s apart" in pace["reason"]
    assert [a["kind"] for a in runner.core.alerts].count("pace") == 1
    frames(runner, clock, 6.0)  # 60 frames on time again
    assert [e["behind"] for e in events.events if e["kind"] == "pace"] == [True, False]


def test_head_pose_goes_out_and_looking_away_is_logged(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 36)
    assert runner.core.phase is Phase.EXPOSURE
    poses = [c for c in outlets.calls if c[0] == "headpose"]
    assert poses and all(abs(p[1][3]) < 1e-6 for p in poses)  # a screen: the viewpoint itself
    assert len(poses) == runner.frame_count  # one per frame drawn, at its stamp
    head = Turning()
    runner.frames.stage.scene_runner.display.rig.source = head  # as a tracked head would turn
    head.heading = 28.0
    frames(runner, clock, 1)  # under the threshold: nothing
    head.heading = 45.0
    frames(runner, clock, 1)
    head.heading = 27.0  # back under 30° but not under 25°: still away
    frames(runner, clock, 1)
    head.heading = 0.0
    frames(runner, clock, 1)
    turns = [e for e in events.events if e["kind"] in ("looked_away", "looked_back")]
    assert [e["kind"] for e in turns] == ["looked_away", "looked_back"]
    assert turns[0]["angle_deg"] == pytest.approx(45.0)
    first_away = next(p for p in poses_after(outlets) if abs(p[1][3] - 45.0) < 1e-6)
    assert turns[0]["frame_t"] == pytest.approx(clock.session_time(first_away[2]["ts"]))  # that very frame


class Turning:
    heading = 0.0

    def pose(self, t):
        from engine.display.head import HeadPose

        return HeadPose(heading=self.heading)


def poses_after(outlets):
    return [c for c in outlets.calls if c[0] == "headpose"]


def test_escape_quits_only_when_pressed_twice():
    from engine.session.keys import bindings

    quits = []
    keys = bindings(lambda c: None, 11, quit=lambda: quits.append(1), prompt_open=lambda: False)
    keys["escape"]()
    assert quits == []
    keys["escape"]()
    assert quits == [1]


def test_a_failing_observer_is_dropped_with_an_alert_and_the_session_goes_on(session):
    runner, clock, events, outlets = session

    def broken(r):
        raise RuntimeError("boom")

    runner.observers.append(broken)
    frames(runner, clock, 1.0)
    assert broken not in runner.observers and runner.frame_count == 10
    assert any("boom" in a["text"] for a in runner.core.alerts)


def test_frames_drawn_on_the_clock_before_the_sessions_are_not_sent(session):
    """Frames drawn during set-up are stamped on the clock before the session's start: sent,
    they would make vrex-frames and vrex-intensity go backwards in time."""
    runner, clock, events, outlets = session
    frames(runner, clock, 1.0)
    runner.share.frame_done(5000.0, 1.0, 0.0, 0.0, False, 0, clock_start=clock.start - 50.0)
    frames(runner, clock, 1.0)
    stamps = [c[1][1] for c in outlets.calls if c[0] == "frame"]
    assert 5000.0 not in stamps and stamps == sorted(stamps) and len(stamps) == 20


def test_a_headset_that_loses_focus_holds_at_once_and_alerts(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 36)
    display = runner.frames.stage.scene_runner.display
    told = [[("focus_lost", "possible escape: check on the patient")], [("focus_back", "focus is back")]]
    display.notices = lambda: told.pop(0) if told else []
    runner.step()
    assert runner.core.therapist.value == "hold"
    assert [a["kind"] for a in runner.core.alerts][-1] == "headset"
    runner.step()
    headset = [e for e in events.events if e["kind"] == "headset"]
    assert [e["state"] for e in headset] == ["focus_lost", "focus_back"]
    assert runner.core.therapist.value == "hold"  # the therapist resumes, after checking
    hold = [e for e in events.events if e["kind"] == "command" and e["command"] == "hold"]
    assert hold and hold[-1]["source"] == "session" and hold[-1]["accepted"]


def test_recentre_reaches_the_frame_thread_once_per_request(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 1)
    scene_runner = runner.frames.stage.scene_runner
    turned = []
    scene_runner.recentre = lambda: turned.append(clock.t)
    runner.commands.put(Command("recentre", {}, "patient"))
    frames(runner, clock, 0.5)
    assert len(turned) == 1  # at the next frame, and only once
    (verdict,) = [e for e in events.events if e["kind"] == "command" and e["command"] == "recentre"]
    assert verdict["accepted"] and verdict["source"] == "patient"


def test_a_controller_stop_is_calm_on_the_next_frame_and_logged_as_the_patients(session):
    runner, clock, events, outlets = session
    frames(runner, clock, 36)
    runner.commands.put(Command("set_level", {"level": 3}))
    frames(runner, clock, 20)
    display = runner.frames.stage.scene_runner.display
    pressed = [[("patient_stop", {})]]
    display.inputs = lambda: pressed.pop(0) if pressed else []
    clock.t += 0.01
    runner.step()  # the very next frame
    assert runner.shown.veil > 0.0 and runner.shown.calming
    (stop,) = [e for e in events.events if e["kind"] == "command" and e["command"] == "patient_stop"]
    assert stop["source"] == "patient" and stop["accepted"]
