"""``openxr``: a real headset, through pyopenxr (the ``xr`` extra: ``pip install 'vrex[xr]'``).

Panda3D draws the two eyes exactly as ``hmd-sim`` does (one buffer, camera, lens and veil
layer per eye, under the head, under the level rig); this backend replaces the simulated
head and profile with what the runtime reports, and hands each eye's image to it::

    begin_frame(t): poll events → xrWaitFrame → xrBeginFrame → xrLocateViews at the predicted
                    display time → head and eye cameras, per-eye lenses → acquire images
    (Panda3D renders; a draw callback blits each eye into its swapchain image: openxr_gl.py)
    end_frame():    release images → xrEndFrame with one projection layer

Opening (instance, session, space, swapchains) is ``openxr_open.py``; the views' poses
and fields of view in Panda3D's terms, and the layer handed back, ``openxr_views.py``.
The session's states and what the therapist must hear about them are ``openxr_state.py``;
``notices()`` hands those on ("focus_lost": possible escape, "headset_lost", …). The
patient's STOP and SUDS answers on the controllers are ``openxr_input.py``; ``inputs()``
hands those on, read each focused frame (a SUDS answer only on ``suds_panel``, once set).
Poses are located in LOCAL space (origin at the patient's head when the session began: put
the rig at eye height) or STAGE (``space="stage"``; origin on the floor). pyopenxr is
imported only when used: it is optional, and slow to import.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import numpy as np

from engine.display.backend import EyeSpec
from engine.display.head import HeadPose, HeadSource, StillHead
from engine.display.openxr_gl import GlGraphics
from engine.display.openxr_input import Controls
from engine.display.openxr_open import XrEye, open_xr
from engine.display.openxr_runtime import explain, import_xr, require_runtime
from engine.display.openxr_state import FrameStats, XrSessionState, loss_errors, read_events
from engine.display.openxr_views import XrFrame, acquire, fov_from_xr, mean_pose, pose_from_xr
from engine.display.projection import set_eye_fov
from engine.errors import VrexError

__all__ = ["OpenXRDisplay", "fov_from_xr", "mean_pose", "pose_from_xr", "require_runtime"]

log = logging.getLogger(__name__)


class OpenXRDisplay:
    """The display protocol (``backend.py``) for a real headset; see the module docstring.
    ``xr_module`` and ``graphics`` are for tests (a fake pyopenxr, no GL)."""

    name = "openxr"
    stereo = True

    def __init__(
        self,
        head: HeadSource | None = None,
        *,
        space: str = "local",
        mirror: bool = True,
        msaa: int = 0,
        on_notice: Callable[[str, str], None] | None = None,
        xr_module: Any = None,
        graphics: Any = None,
        idle_sleep_s: float = 0.02,
    ):
        if space not in ("local", "stage"):
            raise VrexError(f"OpenXR space '{space}': one of local, stage")
        if head is not None and not isinstance(head, StillHead):
            log.warning("the headset reports the head itself: the given head source is ignored")
        self.space, self.mirror, self.msaa, self.idle_sleep_s = space, mirror, msaa, idle_sleep_s
        self.floor_origin = False  # until the runtime grants a STAGE space
        self._on_notice = on_notice
        self.state = XrSessionState(on_notice)
        self.frame_stats = FrameStats()
        self.overlay: Any = None
        self.suds_panel: Any = None  # the world-locked SUDS question (panel.WorldPanel), when one exists
        self.eyes: list[EyeSpec] = []
        self._xr, self._graphics = xr_module, graphics
        self._sim: Any = None
        self._anchor: Any = None
        self._open: ExitStack | None = None
        self._eyes: list[XrEye] = []
        self._frame: XrFrame | None = None
        self._controls: Controls | None = None
        self._inputs: list[tuple[str, dict]] = []
        self._pose = HeadPose()

    # -- opening and closing ------------------------------------------------------------------

    def open(self, base: Any, anchor: Any, near: float, far: float, background: tuple[float, ...]) -> list[EyeSpec]:
        if self._open is not None:
            raise VrexError("the OpenXR display is already open")
        xr = self._xr = self._xr or import_xr()
        graphics = self._graphics or GlGraphics(base)
        self.state, self.frame_stats = XrSessionState(self._on_notice), FrameStats()  # a fresh session
        try:
            with ExitStack() as stack:  # on any failure, undo what was made, newest first
                open_xr(self, xr, graphics, stack, base, anchor, near, far, background)
                self._show(False)  # nothing to draw until the runtime asks for frames
                self._open = stack.pop_all()
            self.state.waiting()  # nothing raises intensity until the scene is seen (then: resume)
        except Exception as exc:
            self._sim = None
            error = explain(xr, exc)
            if error is exc:
                raise
            raise error from exc
        task_mgr = getattr(base, "taskMgr", None)
        if task_mgr is not None:  # base.run() has no end_frame call of its own: after igLoop (50)
            task_mgr.add(self._end_task, "vrex-openxr-end-frame", sort=55)
            self._open.callback(task_mgr.remove, "vrex-openxr-end-frame")
        return self.eyes

    def close(self) -> None:
        """Swapchains, then space, session, eye buffers and instance (the reverse of open).
        A running session is destroyed as it is: xrEndSession is only valid once the runtime
        has said STOPPING, and waiting for that would need frames; runtimes clean up."""
        if self._open is None:
            return
        try:
            if self._frame is not None:
                self._finish(submit=False)
        except Exception as exc:  # closing goes on: the runtime may already be gone
            log.warning("could not end the last OpenXR frame: %s", exc)
        finally:
            closer, self._open, self._sim = self._open, None, None
            closer.close()

    # -- frames -------------------------------------------------------------------------------

    def begin_frame(self, t: float) -> HeadPose:
        if self._open is None:
            return self._pose
        xr = self._xr
        if self._frame is not None:  # begun again without end_frame: that frame goes out empty
            self._finish(submit=False)
        self._handle_events()
        if not self.state.running:
            self._show(False)
            if self.idle_sleep_s:  # xrWaitFrame paces a running session; nothing paces this
                time.sleep(self.idle_sleep_s)
            return self._pose
        try:
            state = xr.wait_frame(self._session, xr.FrameWaitInfo())
            try:
                xr.begin_frame(self._session, xr.FrameBeginInfo())
            except xr.FrameDiscarded:  # a success code that pyopenxr raises: the frame goes on
                self.frame_stats.discarded += 1
            frame = self._frame = XrFrame(state.predicted_display_time)
            if self.state.focused:  # the runtime delivers input to the focused session only
                self._inputs += self._controls.poll(self.suds_panel)
            self.frame_stats.waited_for(bool(state.should_render), state.predicted_display_period)
            view_state, views = xr.locate_views(
                self._session,
                xr.ViewLocateInfo(xr.ViewConfigurationType.PRIMARY_STEREO, state.predicted_display_time, self._space),
            )
            tracked = bool(view_state.view_state_flags & xr.ViewStateFlags.ORIENTATION_VALID_BIT)
            frame.render = bool(state.should_render) and tracked
            if frame.render:
                acquire(xr, frame, self._eyes, views, self._space)
        except loss_errors(xr):
            if getattr(self._controls, "pending_stop", False):
                self._controls.pending_stop = False
                self._inputs.append(("patient_stop", {}))  # pressed in the sync that saw the loss
            return self._lost()
        self.state.on_tracking(tracked)
        if tracked:
            self._place(views)
        elif state.should_render:
            self.frame_stats.skipped += 1  # nothing true to show; the runtime shows its own
        self._show(frame.render)
        return self._pose

    def end_frame(self) -> None:
        if self._open is not None and self._frame is not None:
            self._finish(submit=True)

    def _place(self, views: Any) -> None:
        self._pose = mean_pose(views[0].pose, views[1].pose)
        self._sim.rig.node.setPosHpr(*self._pose)  # the head first: the eyes are placed under it
        self._sim.rig.pose = self._pose
        specs = []
        for eye, view in zip(self._eyes, views):
            eye.camera.setPosHpr(self._anchor, *pose_from_xr(view.pose))
            fov = fov_from_xr(view.fov)
            set_eye_fov(eye.camera.node().getLens(), fov)
            specs.append(EyeSpec(eye.name, eye.size, fov, float(eye.camera.getX())))
        self.eyes = specs

    def _finish(self, submit: bool) -> None:
        xr, frame, self._frame = self._xr, self._frame, None
        try:
            for eye in frame.acquired:
                eye.blit.target = None
                xr.release_swapchain_image(eye.swapchain, xr.SwapchainImageReleaseInfo())
            layers = [ctypes.byref(frame.layer)] if submit and frame.layer is not None else []
            xr.end_frame(
                self._session,
                xr.FrameEndInfo(display_time=frame.time, environment_blend_mode=self._blend, layers=layers),
            )
        except loss_errors(xr):
            self._lost()
            return
        self.frame_stats.rendered += bool(layers)

    def _end_task(self, task: Any) -> Any:
        self.end_frame()
        return task.cont

    # -- the session's life -------------------------------------------------------------------

    def _handle_events(self) -> None:
        xr = self._xr
        for kind, detail in read_events(xr, self._instance):
            if kind == "state":
                action = self.state.on_state(detail)
                if action == "begin":
                    xr.begin_session(self._session, xr.SessionBeginInfo(xr.ViewConfigurationType.PRIMARY_STEREO))
                elif action == "end":  # pyopenxr's name; panda3d-openxr 0.1.2 called it on a missing attribute
                    xr.end_session(self._session)
            elif kind == "instance_lost":
                self.state.on_lost()
            elif kind == "recentre":
                self.state.on_recentre(detail)
            elif kind == "profile":
                self._controls.profile_changed()
            elif kind == "events_lost":
                log.warning("the OpenXR runtime dropped %s events", detail)

    def _lost(self) -> HeadPose:
        self._frame = None
        for eye in self._eyes:
            eye.blit.target = None
        self.state.on_lost()
        self._show(False)
        return self._pose

    def _show(self, on: bool) -> None:
        """Panda3D draws the eye buffers only for a frame the runtime will take."""
        if self._sim is not None:
            for eye in self._sim.eyes.values():
                eye.buffer.setActive(on)

    def notices(self) -> list[tuple[str, str]]:
        """What happened to the session since the last call: (kind, sentence), oldest first."""
        return self.state.notices()

    def inputs(self) -> list[tuple[str, dict]]:
        """The patient's commands from the controllers since the last call, oldest first:
        ``("patient_stop", {})`` per press of the stop button, ``("suds", {"value": v})``."""
        out, self._inputs = self._inputs, []
        return out

    @property
    def stats(self) -> dict[str, Any]:
        return {**self.frame_stats.as_dict(), "state": self.state.state}

    # -- the protocol's rest ------------------------------------------------------------------

    @property
    def rig(self) -> Any:
        """The head (``HeadRig``): what world-locked panels are placed in front of."""
        return None if self._sim is None else self._sim.rig

    def head_pose(self) -> HeadPose:
        return self._pose

    @property
    def eye_size(self) -> tuple[int, int]:
        if self._sim is None:
            raise VrexError("the OpenXR display is not open")
        return self._sim.eye_size

    def eye_image(self, eye: str = "left", step: int = 1) -> np.ndarray:
        if self._sim is None:
            raise VrexError("the OpenXR display is not open")
        return self._sim.eye_image(eye, step)
