"""The OpenXR display without a headset: a scripted pyopenxr (``fake_xr``) drives the
session's states and frames; the OpenGL copy runs for real on the test renderer; the
runtime probe runs for real (no runtime here) in a child process, whose output is what a
user would see."""

from __future__ import annotations

import ctypes
import math
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
from panda3d.core import Camera, CardMaker, LVecBase4f, PythonCallbackObject

from engine.display.openxr import OpenXRDisplay, fov_from_xr, require_runtime
from engine.display.openxr_bindings import PROFILES, describe
from engine.display.openxr_gl import (
    GL_SRGB8_ALPHA8,
    GlGraphics,
    SwapchainBlit,
    choose_swapchain_format,
    current_context,
)
from engine.display.openxr_state import XrSessionState
from engine.display.panel import WorldPanel
from engine.display.projection import eye_lens, panda_point
from engine.errors import VrexError
from tests.conftest import ROOT
from tests.engine.display.fake_xr import FakeGraphics, FakeXr, turn_y

xr = pytest.importorskip("xr", reason="pyopenxr is part of the test set-up (the 'test' extra)")
FOCUS = ("READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED")


@pytest.fixture
def fake():
    return FakeXr(xr)


@pytest.fixture
def anchor(base):
    node = base.render.attachNewNode("anchor")
    yield node
    node.removeNode()


@pytest.fixture
def display(base, anchor, fake):
    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0.2, 0.4, 0.6, 1.0))
    assert [k for k, _ in d.notices()] == ["waiting"]  # held until the scene is seen (its own test below)
    yield d
    d.close()


def test_a_new_session_says_it_waits_for_the_headset_so_the_session_holds(base, anchor, fake):
    from engine.session.runner import HEADSET_AWAY

    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0.2, 0.4, 0.6, 1.0))
    try:
        ((kind, text),) = d.notices()
        assert kind == "waiting" and kind in HEADSET_AWAY and "held" in text
        assert {"tracking_lost", "focus_lost", "hidden", "headset_lost"} <= HEADSET_AWAY
    finally:
        d.close()


def frames(display, n=1):
    for i in range(n):
        display.begin_frame(i / 90)
        display.end_frame()


# -- the session's states, alone ----------------------------------------------------------------


def test_state_machine_says_what_to_do_and_what_to_tell():
    heard = []
    s = XrSessionState(on_notice=lambda kind, text: heard.append(kind))
    assert [s.on_state(n) for n in FOCUS] == ["begin", None, None, None]
    assert s.running and s.visible and s.focused and heard == []  # the first showing is no news
    s.on_state("VISIBLE")  # the system menu opened
    s.on_state("FOCUSED")
    s.on_state("VISIBLE")
    s.on_state("SYNCHRONIZED")  # headset taken off
    assert heard == ["focus_lost", "focus_back", "focus_lost", "hidden"]
    assert "possible escape" in dict(s.notices())["focus_lost"]
    assert s.on_state("STOPPING") == "end" and not s.running
    assert s.on_state("IDLE") is None
    assert s.on_state("EXITING") == "exit" and s.ended
    assert s.on_state("READY") is None and not s.running  # ended: no new beginning
    assert [k for k, _ in s.notices()] == ["stopped", "exiting"]


def test_state_machine_loss_and_tracking_are_told_once():
    s = XrSessionState()
    for n in FOCUS:
        s.on_state(n)
    s.on_tracking(False)
    s.on_tracking(False)
    s.on_tracking(True)
    s.on_recentre("LOCAL")
    assert s.on_state("LOSS_PENDING") == "exit"
    assert s.on_lost() == "exit"
    kinds = [k for k, _ in s.notices()]
    assert kinds == ["tracking_lost", "tracking_back", "recentred", "headset_lost"]
    assert not s.running and s.ended


# -- the frame loop against the fake runtime ------------------------------------------------------


def test_open_asks_for_a_stereo_hmd_and_makes_eye_sized_swapchains(display, fake):
    assert fake.infos["create_instance"][0] == ["XR_KHR_opengl_enable"]
    assert fake.infos["get_system"][0] == "HEAD_MOUNTED_DISPLAY"
    assert "enumerate_view_configuration_views:PRIMARY_STEREO" in fake.calls
    assert "create_reference_space:LOCAL" in fake.calls
    assert fake.infos["create_swapchain"] == [(GL_SRGB8_ALPHA8, 64, 48, 1)] * 2  # sRGB preferred to RGBA8
    assert [(e.name, e.size) for e in display.eyes] == [("left", (64, 48)), ("right", (64, 48))]
    assert display.overlay is not None and display.rig is not None


def test_session_begins_only_after_ready(display, fake):
    frames(display, 3)
    assert "begin_session:session" not in fake.calls and fake.frame_calls() == []
    fake.push_state("READY")
    frames(display)
    assert fake.infos["begin_session"] == ["PRIMARY_STEREO"]
    assert fake.calls.index("begin_session:session") < fake.calls.index("wait_frame")


def test_each_frame_waits_begins_locates_renders_and_ends(base, display, fake):
    fake.push_state(*FOCUS)
    blits = display._graphics.blits
    for i in range(3):
        display.begin_frame(i / 90)
        assert [b.target for b in blits] == [100 + i, 200 + i]  # the acquired images, ready for the copy
        assert all(e.buffer.isActive() for e in display._sim.eyes.values())
        display.end_frame()
        assert [b.target for b in blits] == [None, None]  # released: not to be drawn into
    one = [
        "wait_frame",
        "begin_frame",
        "locate_views",
        "acquire_swapchain_image:swapchain-0",
        "wait_swapchain_image:swapchain-0",
        "acquire_swapchain_image:swapchain-1",
        "wait_swapchain_image:swapchain-1",
        "release_swapchain_image:swapchain-0",
        "release_swapchain_image:swapchain-1",
        "end_frame",
    ]
    assert fake.frame_calls() == one * 3
    for (located, space), (shown, layers) in zip(fake.infos["locate_views"], fake.infos["end_frame"]):
        assert located == shown and space == "space-LOCAL"  # located and shown at the predicted time
        assert layers == [
            {
                "space": "space-LOCAL",
                "swapchains": ["swapchain-0", "swapchain-1"],
                "extents": [(64, 48)] * 2,
                "fov_left": pytest.approx([-0.96, -0.83]),
            }
        ]
    assert display.stats["rendered"] == 3 and display.stats["skipped"] == 0
    assert display.stats["display_period_ms"] == pytest.approx(11.111, abs=1e-3)


def test_nothing_is_rendered_when_the_runtime_says_not_to(display, fake):
    fake.push_state("READY", "SYNCHRONIZED")
    fake.should_render = False
    frames(display, 2)
    assert fake.frame_calls() == ["wait_frame", "begin_frame", "locate_views", "end_frame"] * 2
    assert [layers for _, layers in fake.infos["end_frame"]] == [[], []]
    assert not any(e.buffer.isActive() for e in display._sim.eyes.values())
    assert display.stats["skipped"] == 2 and display.stats["rendered"] == 0


def test_untracked_views_are_not_shown_and_told(display, fake):
    fake.push_state(*FOCUS)
    fake.tracked = False
    frames(display)
    fake.tracked = True
    frames(display)
    assert [len(layers) for _, layers in fake.infos["end_frame"]] == [0, 1]
    assert [k for k, _ in display.notices()] == ["tracking_lost", "tracking_back"]


def test_stopping_ends_the_session_and_its_frames(display, fake):
    fake.push_state(*FOCUS)
    frames(display)
    fake.push_state("VISIBLE", "SYNCHRONIZED", "STOPPING")
    frames(display)
    waited = fake.calls.count("wait_frame")
    assert "end_session:session" in fake.calls
    fake.push_state("IDLE", "EXITING")
    frames(display, 2)
    assert fake.calls.count("wait_frame") == waited == 1
    assert [k for k, _ in display.notices()] == ["focus_lost", "hidden", "stopped", "exiting"]


def test_focus_lost_and_back_are_notices(display, fake):
    fake.push_state(*FOCUS)
    frames(display)
    fake.push_state("VISIBLE")
    frames(display)
    notices = display.notices()
    assert [k for k, _ in notices] == ["focus_lost"] and "possible escape" in notices[0][1]
    fake.push_state("FOCUSED")
    frames(display)
    assert [k for k, _ in display.notices()] == ["focus_back"]
    assert fake.calls.count("end_frame") == 3  # VISIBLE still gets frames


def test_loss_pending_is_told_and_frames_stop(display, fake):
    fake.push_state(*FOCUS)
    frames(display)
    fake.push_state("LOSS_PENDING")
    frames(display, 3)
    assert fake.calls.count("wait_frame") == 1
    assert [k for k, _ in display.notices()] == ["headset_lost"]


@pytest.mark.parametrize(
    "call,after", [("wait_frame", 1), ("locate_views", 1), ("acquire_swapchain_image", 2), ("end_frame", 1)]
)
def test_a_frame_call_reporting_loss_stops_frames(display, fake, call, after):
    fake.push_state(*FOCUS)
    fake.fail_on(call, xr.SessionLossPending(), after=after)  # in the second frame
    frames(display, 4)
    assert fake.calls.count("wait_frame") == 2  # and none after it
    assert [k for k, _ in display.notices()] == ["headset_lost"]
    assert [b.target for b in display._graphics.blits] == [None, None]
    assert not any(e.buffer.isActive() for e in display._sim.eyes.values())


def test_recentre_and_instance_loss_are_notices(display, fake):
    fake.push_state(*FOCUS)
    fake.push_recentre("LOCAL")
    frames(display)
    fake.push_instance_loss()
    frames(display)
    assert [k for k, _ in display.notices()] == ["recentred", "headset_lost"]


def test_a_second_begin_without_end_sends_the_first_frame_empty(display, fake):
    fake.push_state(*FOCUS)
    display.begin_frame(0.0)  # SceneRunner begins once when it is made…
    display.begin_frame(0.0)  # …and again on its first tick
    display.end_frame()
    assert fake.frame_calls()[:10] == [
        "wait_frame",
        "begin_frame",
        "locate_views",
        "acquire_swapchain_image:swapchain-0",
        "wait_swapchain_image:swapchain-0",
        "acquire_swapchain_image:swapchain-1",
        "wait_swapchain_image:swapchain-1",
        "release_swapchain_image:swapchain-0",
        "release_swapchain_image:swapchain-1",
        "end_frame",
    ]
    assert [len(layers) for _, layers in fake.infos["end_frame"]] == [0, 1]


def test_a_discarded_frame_is_counted_and_goes_on(display, fake):
    fake.push_state(*FOCUS)
    fake.discard_next = True
    frames(display)
    assert display.stats["discarded"] == 1 and display.stats["rendered"] == 1


def test_head_and_eyes_follow_the_located_views(display, fake, anchor):
    fake.push_state(*FOCUS)
    q = turn_y(30.0)  # the patient turned 30° to the left
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    head = (0.10, 0.05, -0.20)
    eyes = [(head[0] + d * c, head[1], head[2] - d * s) for d in (-0.032, 0.032)]  # the eyes turn with it
    fake.view_poses = [(eyes[0], q), (eyes[1], q)]
    pose = display.begin_frame(0.0)
    display.end_frame()
    assert pose == pytest.approx((*panda_point(*head), 30.0, 0.0, 0.0), abs=1e-5)
    assert display.head_pose() == pose
    for eye, at in zip(display._eyes, eyes):
        assert tuple(eye.camera.getPos(anchor)) == pytest.approx(panda_point(*at), abs=1e-5)
        assert eye.camera.getHpr(anchor)[0] == pytest.approx(30.0, abs=1e-4)
    lens = display._eyes[0].camera.node().getLens()
    assert lens.getFilmSize()[0] == pytest.approx(math.tan(0.83) + math.tan(0.96), abs=1e-5)
    assert display.eyes[0].fov.left == pytest.approx(math.degrees(-0.96))
    assert display.eyes[1].offset_m == pytest.approx(0.032, abs=1e-5)


def test_stage_space_when_asked_and_offered_else_local(base, anchor):
    for spaces, expected in ((("LOCAL", "STAGE"), "STAGE"), (("VIEW", "LOCAL"), "LOCAL")):
        fake = FakeXr(xr, spaces=spaces)
        d = OpenXRDisplay(space="stage", xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
        d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
        d.close()
        assert f"create_reference_space:{expected}" in fake.calls


def test_close_destroys_swapchains_then_space_session_and_instance(base, anchor, fake):
    windows_before = base.graphicsEngine.getNumWindows()
    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    fake.push_state(*FOCUS)
    d.begin_frame(0.0)  # closed mid-frame: that frame is ended first
    d.close()
    d.close()  # twice is harmless
    destroyed = [c for c in fake.calls if c.startswith("destroy_") or c == "end_frame"]
    assert destroyed == [
        "end_frame",
        "destroy_swapchain:swapchain-1",
        "destroy_swapchain:swapchain-0",
        "destroy_action_set:vrex",
        "destroy_space:space-LOCAL",
        "destroy_session:session",
        "destroy_instance:instance",
    ]
    assert all(b.detached for b in d._graphics.blits)
    assert base.graphicsEngine.getNumWindows() == windows_before and base.camNode.isActive()


def test_open_failing_halfway_leaves_nothing_behind(base, anchor, fake):
    windows_before = base.graphicsEngine.getNumWindows()
    fake.fail_on("create_swapchain", xr.OutOfMemoryError(), after=1)  # the right eye's swapchain
    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    with pytest.raises(VrexError, match="runtime refused"):
        d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    destroyed = [c for c in fake.calls if c.startswith("destroy_")]
    assert destroyed == [
        "destroy_swapchain:swapchain-0",
        "destroy_action_set:vrex",
        "destroy_space:space-LOCAL",
        "destroy_session:session",
        "destroy_instance:instance",
    ]
    assert base.graphicsEngine.getNumWindows() == windows_before and base.camNode.isActive()
    assert d.begin_frame(0.0) == d.head_pose()  # a display that failed to open does nothing
    d.close()


def test_swapchain_format_prefers_srgb_and_refuses_what_it_cannot_fill():
    assert choose_swapchain_format([0x8058, 0x8C43]) == 0x8C43
    assert choose_swapchain_format([0x881A, 0x8058]) == 0x8058
    with pytest.raises(VrexError, match="no 8-bit RGBA swapchain"):
        choose_swapchain_format([0x881A])


def fake_base(pipe: str):
    return SimpleNamespace(pipe=SimpleNamespace(getType=lambda: SimpleNamespace(getName=lambda: pipe)))


def test_opengl_extensions_follow_panda3d_pipe():
    both = {"XR_KHR_opengl_enable", "XR_MNDX_egl_enable"}
    assert GlGraphics(fake_base("glxGraphicsPipe")).extensions(both) == ["XR_KHR_opengl_enable"]
    assert GlGraphics(fake_base("eglGraphicsPipe")).extensions(both) == ["XR_KHR_opengl_enable", "XR_MNDX_egl_enable"]
    with pytest.raises(VrexError, match="lacks XR_MNDX_egl_enable.*with SteamVR run vrex on a desktop"):
        GlGraphics(fake_base("eglGraphicsPipe")).extensions({"XR_KHR_opengl_enable"})
    with pytest.raises(VrexError, match="needs OpenGL, but Panda3D renders with TinyOffscreenGraphicsPipe"):
        GlGraphics(fake_base("TinyOffscreenGraphicsPipe"))


def test_runtime_fov_projects_as_openxr_reference():
    """XrFovf (radians) → EyeFov (degrees) → Panda3D lens equals pyopenxr's OpenGL matrix."""
    from xr.utils import GraphicsAPI, Matrix4x4f

    near, far = 0.05, 300.0
    for angles in ((-0.96, 0.83, 0.82, -0.86), (-0.70, 0.70, 0.61, -0.61), (-1.05, 0.35, 0.20, -1.20)):
        fov = xr.Fovf(*angles)
        ours = eye_lens(fov_from_xr(fov), near, far).getProjectionMat()
        ref = np.array(Matrix4x4f.create_projection_fov(GraphicsAPI.OPENGL, fov, near, far).m, dtype=np.float64)
        rng = np.random.default_rng(3)
        for _ in range(200):
            depth = rng.uniform(near * 1.5, far * 0.9)
            x, y = rng.uniform(-1.5, 1.5) * depth, rng.uniform(-1.5, 1.5) * depth
            clip = ref @ np.array([x, y, -depth, 1.0])
            c = ours.xform(LVecBase4f(*panda_point(x, y, -depth), 1.0))
            assert np.array([c[0], c[1], c[2]]) / c[3] == pytest.approx(clip[:3] / clip[3], abs=1e-5)


# -- the patient's STOP and SUDS on the controllers ------------------------------------------------

TOUCH, INDEX = "/interaction_profiles/oculus/touch_controller", "/interaction_profiles/valve/index_controller"
SIMPLE, VIVE = "/interaction_profiles/khr/simple_controller", "/interaction_profiles/htc/vive_controller"


def press(display, fake, action, frames_held=3):
    fake.buttons[action] = True
    frames(display, frames_held)
    fake.buttons[action] = False
    frames(display)


def test_actions_are_suggested_for_each_profile_and_attached_once_before_frames(display, fake):
    assert fake.actions == {"stop": "BOOLEAN_INPUT", "suds_move": "VECTOR2F_INPUT", "suds_answer": "BOOLEAN_INPUT"}
    assert set(fake.suggested) == {SIMPLE, TOUCH, INDEX, VIVE}
    stops = {p: sorted(path for action, path in b if action == "stop") for p, b in fake.suggested.items()}
    assert stops == {
        SIMPLE: ["/user/hand/left/input/select/click", "/user/hand/right/input/select/click"],
        TOUCH: ["/user/hand/left/input/x/click", "/user/hand/right/input/a/click"],
        INDEX: ["/user/hand/left/input/a/click", "/user/hand/right/input/a/click"],
        VIVE: ["/user/hand/left/input/menu/click", "/user/hand/right/input/menu/click"],
    }
    assert ("suds_move", "/user/hand/right/input/thumbstick") in fake.suggested[TOUCH]
    assert ("suds_answer", "/user/hand/left/input/thumbstick/click") in fake.suggested[TOUCH]
    fake.push_state(*FOCUS)
    frames(display, 3)
    assert fake.calls.count("attach_session_action_sets:vrex") == 1
    order = [c.split(":")[0] for c in fake.calls]
    assert order.index("create_session") < order.index("attach_session_action_sets") < order.index("wait_frame")
    assert max(i for i, c in enumerate(order) if c == "suggest_interaction_profile_bindings") < order.index(
        "attach_session_action_sets"
    )  # suggestions after attaching are refused


def test_actions_are_synced_only_while_focused(display, fake):
    fake.push_state("READY", "SYNCHRONIZED", "VISIBLE")
    frames(display, 2)
    assert "sync_actions:vrex" not in fake.calls  # not focused: no input is delivered
    fake.push_state("FOCUSED")
    frames(display, 2)
    fake.push_state("VISIBLE")  # the system menu took focus
    frames(display, 2)
    assert fake.calls.count("sync_actions:vrex") == 2
    synced = fake.calls.index("sync_actions:vrex")
    assert fake.calls[synced - 1] == "begin_frame"  # after xrBeginFrame, in the frame
    assert display.inputs() == []


def test_a_press_is_one_patient_stop_and_holding_does_not_repeat(display, fake):
    fake.bound = {"right": TOUCH}
    fake.push_state(*FOCUS)
    frames(display)
    assert display.inputs() == []
    press(display, fake, "stop", frames_held=5)  # held for five frames: one stop
    assert display.inputs() == [("patient_stop", {})]
    frames(display, 3)
    assert display.inputs() == []  # said once
    press(display, fake, "stop")
    press(display, fake, "stop")
    assert display.inputs() == [("patient_stop", {}), ("patient_stop", {})]  # two presses, two stops


def test_a_profile_the_runtime_refuses_is_logged_and_the_others_work(base, anchor, caplog):
    fake = FakeXr(xr)
    fake.refuse = {VIVE, SIMPLE}
    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    try:
        assert set(fake.suggested) == {TOUCH, INDEX} and fake.attached == 1
        assert "refused the HTC Vive bindings (PathUnsupportedError)" in caplog.text
        fake.bound = {"left": INDEX, "right": INDEX}
        fake.push_state(*FOCUS)
        press(d, fake, "stop")
        assert d.inputs() == [("patient_stop", {})]
    finally:
        d.close()


def test_what_the_runtime_bound_is_told_once(display, fake):
    fake.push_state(*FOCUS)
    frames(display, 2)  # not bound yet: no "no controller" at once
    fake.bound = {"left": TOUCH, "right": TOUCH}
    fake.push_profile_changed()
    frames(display, 3)
    told = [n for n in display.notices() if "controller" in n[0]]
    assert told == [
        ("controller", "controllers: Oculus Touch on both hands — the patient's stop is X (left) or A (right)")
    ]
    asked = fake.calls.count("get_current_interaction_profile")
    frames(display, 3)
    assert fake.calls.count("get_current_interaction_profile") == asked  # asked again only on change
    fake.bound = {}  # the controllers were switched off
    fake.push_profile_changed()
    display._controls.grace_s = 0.0
    frames(display)
    assert [k for k, _ in display.notices()] == ["no_controller"]


def test_no_controller_is_told_after_a_grace(display, fake):
    clock = [0.0]
    display._controls.clock = lambda: clock[0]
    fake.push_state(*FOCUS)
    frames(display, 3)
    assert display.notices() == []
    clock[0] = 2.5
    frames(display, 3)
    notices = display.notices()
    assert notices == [
        ("no_controller", "no controller: the patient's stop is the keyboard's space or the therapist's")
    ]


def test_controllers_are_described_for_the_therapist():
    assert describe({"left": INDEX, "right": INDEX}) == ("Valve Index on both hands", "A on either hand")
    assert describe({"right": TOUCH}) == ("Oculus Touch (right hand only)", "A (right)")
    assert describe({"left": VIVE, "right": "/interaction_profiles/x/pad"}) == (
        "left hand HTC Vive, right hand /interaction_profiles/x/pad",
        "menu button (left) or the button the runtime chose (see its bindings) (right)",
    )
    assert all(set(p.stop) == {"left", "right"} for p in PROFILES.values())


def test_actions_the_runtime_refuses_leave_the_headset_usable(base, anchor):
    fake = FakeXr(xr)
    fake.fail_on("attach_session_action_sets", xr.ValidationFailureError())
    d = OpenXRDisplay(xr_module=fake, graphics=FakeGraphics(), idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    try:
        fake.push_state(*FOCUS)
        fake.buttons["stop"] = True
        frames(d, 2)
        assert d.stats["rendered"] == 2 and d.inputs() == []
        assert "sync_actions:vrex" not in fake.calls
        assert [k for k, _ in d.notices()] == ["no_controller", "waiting"]  # the actions fail while opening
    finally:
        d.close()
    assert "destroy_action_set:vrex" in fake.calls


def test_a_sync_reporting_loss_stops_frames(display, fake):
    fake.push_state(*FOCUS)
    fake.fail_on("sync_actions", xr.SessionLossPending(), after=1)
    frames(display, 3)
    assert fake.calls.count("wait_frame") == 2
    assert [k for k, _ in display.notices()] == ["headset_lost"]


@pytest.fixture
def panel(display, anchor):
    p = WorldPanel(anchor, display.rig.node, "How anxious are you right now?")
    display.suds_panel = p
    yield p
    p.remove()


def stick(display, fake, y):
    """The stick pushed to ``y`` for a frame, then let go."""
    fake.sticks["suds_move"] = (0.0, y)
    frames(display)
    fake.sticks["suds_move"] = (0.0, 0.0)
    frames(display)


def test_suds_is_chosen_on_the_panel_and_answered_once(display, fake, panel):
    text = panel.node.node().getText
    fake.bound = {"left": TOUCH, "right": TOUCH}
    fake.push_state(*FOCUS)
    frames(display, 2)
    assert text() == "How anxious are you right now?"  # the question is not open
    press(display, fake, "suds_answer")
    panel.show()
    frames(display)
    assert text().endswith("\n\npush a stick up or down to choose")
    press(display, fake, "suds_answer")  # nothing chosen yet: no answer
    assert display.inputs() == []
    stick(display, fake, 0.9)
    assert text().endswith("\n\n50   -   press the stick in to answer")  # the first push: the middle
    fake.sticks["suds_move"] = (0.0, 0.95)
    frames(display, 4)  # held up: one step, not one per frame
    fake.sticks["suds_move"] = (0.0, 0.0)
    frames(display)
    stick(display, fake, 0.8)
    stick(display, fake, -0.7)
    assert text().endswith("\n\n60   -   press the stick in to answer")
    fake.sticks["suds_move"] = (0.0, 0.9)
    press(display, fake, "suds_answer")  # clicked while pushing: part of the push
    fake.sticks["suds_move"] = (0.0, 0.0)
    frames(display)
    assert display.inputs() == [] and "70" in text()
    press(display, fake, "suds_answer")
    assert display.inputs() == [("suds", {"value": 70})]
    assert text().endswith("\n\n70   -   sent")
    press(display, fake, "suds_answer")  # before the question closes: not twice
    assert display.inputs() == []
    panel.hide()
    frames(display)
    assert text() == "How anxious are you right now?"
    panel.show()  # the next question: a fresh dial
    frames(display)
    assert text().endswith("\n\npush a stick up or down to choose")


def test_suds_stays_within_0_and_100(display, fake, panel):
    fake.bound = {"right": INDEX}
    fake.push_state(*FOCUS)
    panel.show()
    frames(display)
    for _ in range(8):
        stick(display, fake, 1.0)
    assert "100   -" in panel.node.node().getText()
    for _ in range(14):
        stick(display, fake, -1.0)
    press(display, fake, "suds_answer")
    assert display.inputs() == [("suds", {"value": 0})]


def test_without_a_panel_the_controllers_give_only_the_stop(display, fake):
    fake.bound = {"right": TOUCH}
    fake.push_state(*FOCUS)
    stick(display, fake, 1.0)
    press(display, fake, "suds_answer")
    press(display, fake, "stop")
    assert display.inputs() == [("patient_stop", {})]


# -- the OpenGL copy, for real on the test renderer ------------------------------------------------


def in_gl(base, fn):
    """``fn()``'s result, run once inside a draw callback (Panda3D's GL context current)."""
    buffer = base.win.makeTextureBuffer("gl-helper", 8, 8)
    camera = base.render.attachNewNode(Camera("gl-helper"))
    region = buffer.makeDisplayRegion()
    region.setCamera(camera)
    out = []
    region.setDrawCallback(PythonCallbackObject(lambda cb: (cb.upcall(), out.append(fn()))))
    try:
        base.graphicsEngine.renderFrame()
    finally:
        camera.removeNode()
        base.graphicsEngine.removeWindow(buffer)
    assert out, "Panda3D did not draw the helper buffer"
    return out[0]


def make_textures(n, size):
    from OpenGL import GL

    ids = [int(t) for t in np.atleast_1d(GL.glGenTextures(n))]
    for t in ids:
        GL.glBindTexture(GL.GL_TEXTURE_2D, t)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_SRGB8_ALPHA8, *size, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return ids


def read_texture(texture, size):
    from OpenGL import GL

    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    data = GL.glGetTexImage(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE)
    GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
    return np.frombuffer(data, np.uint8).reshape(size[1], size[0], 4)[::-1, :, :3]  # top row first, RGB


def test_each_eye_is_copied_into_its_swapchain_image(base, anchor):
    try:
        GlGraphics(base)
    except VrexError as exc:
        pytest.skip(str(exc))  # the software renderer has no GL
    size = (64, 48)
    textures = in_gl(base, lambda: make_textures(6, size))
    fake = FakeXr(xr, size=size)
    card = CardMaker("red")
    card.setFrame(-0.6, 0.6, -0.3, 0.3)  # (the eyes look 9° outwards: asymmetric FOVs)
    red = anchor.attachNewNode(card.generate())
    red.setPos(0.0, 2.0, 0.0)
    red.setColor(1, 0, 0, 1)
    fake.gl_images = [textures[:3], textures[3:]]  # stand-ins for the runtime's images
    graphics = GlGraphics(base)
    d = OpenXRDisplay(xr_module=fake, graphics=graphics, idle_sleep_s=0.0)
    d.open(base, anchor, 0.1, 100.0, (0.2, 0.4, 0.6, 1.0))
    try:
        binding = ctypes.cast(
            fake.infos["create_session"][0],
            ctypes.POINTER(xr.GraphicsBindingEGLMNDX if graphics.api == "egl" else xr.GraphicsBindingOpenGLXlibKHR),
        ).contents
        handles = (
            (binding.display, binding.context, binding.config)
            if graphics.api == "egl"
            else (binding.x_display, binding.glx_context)
        )
        assert all(ctypes.cast(h, ctypes.c_void_p).value for h in handles)  # Panda3D's own context, handed on
        assert "xrGetOpenGLGraphicsRequirementsKHR" in fake.calls  # before the session, as runtimes demand
        assert fake.calls.index("xrGetOpenGLGraphicsRequirementsKHR") < fake.calls.index("create_session")
        fake.push_state(*FOCUS)
        d.begin_frame(0.0)
        base.graphicsEngine.renderFrame()
        d.end_frame()
        for eye, texture in (("left", textures[0]), ("right", textures[3])):
            shown = in_gl(base, lambda texture=texture: read_texture(texture, size))
            drawn = d.eye_image(eye)
            assert np.array_equal(shown, drawn)
            assert (drawn[24, 32] == (255, 0, 0)).all() and (drawn[1, 1] == (51, 102, 153)).all()
    finally:
        d.close()
        red.removeNode()


def test_contexts_are_read_for_what_they_are(base):
    try:
        api = GlGraphics(base).api
    except VrexError as exc:
        pytest.skip(str(exc))
    other = "glx" if api == "egl" else "egl"
    ours, theirs = in_gl(base, lambda: (current_context(api), current_context(other)))
    assert ours["context"] and ours["display"]
    assert theirs["context"] == 0  # Panda3D's context is not mistaken for the other kind


def test_a_runtime_wanting_newer_opengl_is_refused(base, anchor):
    try:
        graphics = GlGraphics(base)
    except VrexError as exc:
        pytest.skip(str(exc))
    fake = FakeXr(xr)
    fake.gl_min_version = (9, 9)
    with pytest.raises(VrexError, match="needs OpenGL 9.9"):
        OpenXRDisplay(xr_module=fake, graphics=graphics).open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    assert fake.calls[-1] == "destroy_instance:instance"


def test_the_copy_puts_back_the_gl_state_it_changes(base, anchor):
    try:
        GlGraphics(base)
    except VrexError as exc:
        pytest.skip(str(exc))
    from OpenGL import GL

    [target] = in_gl(base, lambda: make_textures(1, (8, 8)))

    def blit_and_compare():
        GL.glEnable(GL.GL_SCISSOR_TEST)

        def state():
            return (
                int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING)),
                int(GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING)),
                bool(GL.glIsEnabled(GL.GL_SCISSOR_TEST)),
                bool(GL.glIsEnabled(GL.GL_FRAMEBUFFER_SRGB)),
            )

        before = state()
        SwapchainBlit((8, 8)).blit(target)  # the copy alone, from the helper buffer
        return before, state(), GL.glGetError()

    before, after, error = in_gl(base, blit_and_compare)
    assert after == before and error == GL.GL_NO_ERROR


# -- the runtime probe, as a user meets it ----------------------------------------------------------

PROBE = """
import sys, time
from engine.errors import VrexError
t0 = time.perf_counter()
{prelude}
t1 = time.perf_counter()
try:
    from engine.display.openxr import require_runtime
    require_runtime()
except VrexError as exc:
    print(exc, file=sys.stderr)            # as the CLI does
print(f"{{t1 - t0:.3f}} {{time.perf_counter() - t1:.3f}}")
"""


def run_probe(prelude: str) -> tuple[str, float, float]:
    env = {k: v for k, v in os.environ.items() if k != "XR_LOADER_DEBUG"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(prelude=prelude)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    first, probe = (float(v) for v in out.stdout.split())
    return out.stderr, first, probe


LOADER_USED = """
import os, xr
saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 2)                            # the loader's logger starts up, writing to stderr…
try:
    xr.enumerate_instance_extension_properties()
except xr.RuntimeUnavailableError:
    pass
os.dup2(saved, 2)                           # …which is the terminal again: XR_LOADER_DEBUG is too late
"""


@pytest.mark.parametrize("prelude", ["import xr", LOADER_USED], ids=["fresh", "loader-already-used"])
def test_no_runtime_is_one_line_and_quick(prelude):
    stderr, imported, probe = run_probe(prelude)
    lines = stderr.strip().splitlines()
    assert len(lines) <= 1 and "OpenXR-Loader" not in stderr, stderr
    if not lines or "no OpenXR runtime found" not in lines[0]:
        pytest.skip(f"an OpenXR runtime is installed here ({lines[0] if lines else 'with a headset'})")
    assert "no OpenXR runtime found" in lines[0] and "SteamVR, WiVRn or Monado" in lines[0]
    assert "XR_RUNTIME_JSON" in lines[0] and "~/.config/openxr/1/" in lines[0]
    assert probe < 2.0, f"the probe took {probe:.2f} s (pyopenxr's import before it: {imported:.2f} s)"


def test_no_pyopenxr_is_one_line_naming_the_extra():
    stderr, _, probe = run_probe("sys.modules['xr'] = None         # as if pyopenxr were not installed")
    assert stderr.strip().splitlines() == ["OpenXR support is not installed — pip install 'vrex[xr]' (pyopenxr)"]
    assert probe < 2.0


def test_pyopenxr_and_pyopengl_are_imported_only_when_used():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, engine.display.openxr; from engine.display import "
            "make_display; make_display('openxr'); print('xr' in sys.modules, 'OpenGL' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_no_headset_is_said(monkeypatch, fake):
    monkeypatch.delenv("XR_LOADER_DEBUG", raising=False)  # the probe sets it; restored afterwards
    monkeypatch.setitem(sys.modules, "xr", fake)
    fake.fail_on("get_system", xr.FormFactorUnavailableError())
    with pytest.raises(VrexError, match="sees no headset"):
        require_runtime()
    assert fake.calls[-1] == "destroy_instance:instance"  # the probe's instance is not left open


def test_a_runtime_without_opengl_is_refused(monkeypatch):
    monkeypatch.delenv("XR_LOADER_DEBUG", raising=False)
    monkeypatch.setitem(sys.modules, "xr", FakeXr(xr, extensions=("XR_KHR_vulkan_enable2",)))
    with pytest.raises(VrexError, match="lacks XR_KHR_opengl_enable"):
        require_runtime()


def test_a_runtime_that_hangs_is_given_up_on(monkeypatch, fake):
    monkeypatch.delenv("XR_LOADER_DEBUG", raising=False)
    monkeypatch.setitem(sys.modules, "xr", fake)
    fake.delay["create_instance"] = 3.0
    started = time.perf_counter()
    with pytest.raises(VrexError, match="did not answer within 0.3 s"):
        require_runtime(timeout_s=0.3)
    assert time.perf_counter() - started < 1.0


def test_a_real_runtime_runs_frames(base, anchor, monkeypatch):
    """Needs a runtime and a headset; skipped, with the runtime's own reason, without."""
    monkeypatch.setenv("XR_LOADER_DEBUG", "none")
    try:
        xr.destroy_instance(xr.create_instance(xr.InstanceCreateInfo()))
    except xr.RuntimeUnavailableError as exc:
        pytest.skip(str(exc))
    try:
        require_runtime()
    except VrexError as exc:
        pytest.skip(str(exc))
    d = OpenXRDisplay()
    d.open(base, anchor, 0.1, 100.0, (0, 0, 0, 1))
    try:
        deadline = time.monotonic() + 10.0
        while d.stats["frames"] < 30 and time.monotonic() < deadline:
            d.begin_frame(0.0)
            base.graphicsEngine.renderFrame()
            d.end_frame()
        assert d.stats["frames"] >= 30, d.stats
    finally:
        d.close()


@pytest.mark.parametrize(
    "error", [xr.RuntimeFailureError(), xr.SessionLossPending()], ids=["a controller read fails", "the headset is lost"]
)
def test_a_stop_read_before_a_later_call_fails_is_never_dropped(display, fake, error):
    """A press is reported by one sync only: if asking which controllers are bound fails (or
    reports the headset's loss) in the same frame, the stop read just before must still go out."""
    fake.bound = {"right": TOUCH}
    fake.push_state(*FOCUS)
    frames(display)
    display.inputs()
    fake.fail_on("get_current_interaction_profile", error)
    fake.buttons["stop"] = True
    display._controls._due = True  # the profiles are asked again in this frame (a change was reported)
    asked = sum(c.startswith("get_current_interaction_profile") for c in fake.calls)
    frames(display)
    assert sum(c.startswith("get_current_interaction_profile") for c in fake.calls) > asked  # it did fail
    assert ("patient_stop", {}) in display.inputs()
