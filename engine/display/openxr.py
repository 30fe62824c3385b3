"""``openxr``: a real headset, through pyopenxr (the ``xr`` extra: ``pip install 'vrex[xr]'``).

Panda3D draws the two eyes exactly as ``hmd-sim`` does (one buffer, camera, lens and veil
layer per eye, under the head, under the level rig); this backend replaces the simulated
head and profile with what the runtime reports, and hands each eye's image to it::

    begin_frame(t): poll events → xrWaitFrame → xrBeginFrame → xrLocateViews at the predicted
                    display time → head and eye cameras, per-eye lenses → acquire images
    (Panda3D renders; a draw callback blits each eye into its swapchain image: openxr_gl.py)
    end_frame():    release images → xrEndFrame with one projection layer

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
import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.display.backend import EyeSpec
from engine.display.head import HeadPose, HeadSource, StillHead
from engine.display.openxr_gl import GlGraphics, choose_swapchain_format, last_region
from engine.display.openxr_input import Controls
from engine.display.openxr_runtime import (
    explain,
    import_xr,
    instance_info,
    quiet_loader,
    require_runtime,
    runtime_name,
    text,
)
from engine.display.openxr_state import FrameStats, XrSessionState, loss_errors, read_events
from engine.display.profile import QUEST3_LIKE, EyeFov, HmdProfile
from engine.display.projection import panda_hpr, panda_point, set_eye_fov
from engine.errors import VrexError

__all__ = ["OpenXRDisplay", "fov_from_xr", "mean_pose", "pose_from_xr", "require_runtime"]

log = logging.getLogger(__name__)


def fov_from_xr(fov: Any) -> EyeFov:
    """An ``XrFovf`` (radians) as an ``EyeFov`` (degrees)."""
    return EyeFov(*(math.degrees(a) for a in (fov.angle_left, fov.angle_right, fov.angle_up, fov.angle_down)))


def pose_from_xr(pose: Any) -> HeadPose:
    """An ``XrPosef`` (Y up, −Z forward) as a ``HeadPose`` in Panda3D's axes."""
    p, q = pose.position, pose.orientation
    return HeadPose(*panda_point(p.x, p.y, p.z), *panda_hpr(q.x, q.y, q.z, q.w))


def mean_pose(a: Any, b: Any) -> HeadPose:
    """The head between two eyes: mean position, normalised mean orientation."""
    qa = np.array([a.orientation.x, a.orientation.y, a.orientation.z, a.orientation.w])
    qb = np.array([b.orientation.x, b.orientation.y, b.orientation.z, b.orientation.w])
    q = qa + (qb if qa @ qb >= 0 else -qb)  # q and −q are one rotation
    q /= np.linalg.norm(q)
    pa, pb = a.position, b.position
    mid = ((pa.x + pb.x) / 2, (pa.y + pb.y) / 2, (pa.z + pb.z) / 2)
    return HeadPose(*panda_point(*mid), *panda_hpr(*q))


@dataclass
class _Eye:
    name: str
    size: tuple[int, int]
    swapchain: Any
    images: list[int]
    camera: Any
    blit: Any


@dataclass
class _Frame:
    time: int  # the runtime's predicted display time
    render: bool = False
    acquired: list[_Eye] = field(default_factory=list)
    views: list[Any] = field(default_factory=list)  # kept alive until xrEndFrame has read them
    layer: Any = None


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
        self._eyes: list[_Eye] = []
        self._frame: _Frame | None = None
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
                self._open_xr(xr, graphics, stack, base, anchor, near, far, background)
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

    def _open_xr(
        self,
        xr: Any,
        graphics: Any,
        stack: ExitStack,
        base: Any,
        anchor: Any,
        near: float,
        far: float,
        background: tuple[float, ...],
    ) -> None:
        from engine.display.hmd_sim import HmdSim

        with quiet_loader():  # the loader's own lines, should these fail
            offered = {text(p.extension_name) for p in xr.enumerate_instance_extension_properties()}
            instance = self._instance = xr.create_instance(instance_info(xr, graphics.extensions(offered)))
        stack.callback(xr.destroy_instance, instance)
        system = xr.get_system(instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
        stereo = xr.ViewConfigurationType.PRIMARY_STEREO
        views = list(xr.enumerate_view_configuration_views(instance, system, stereo))
        size = (views[0].recommended_image_rect_width, views[0].recommended_image_rect_height)
        log.info("OpenXR runtime %s: %d×%d per eye", runtime_name(xr, instance), *size)
        graphics.check_requirements(xr, instance, system)
        blends = [xr.EnvironmentBlendMode(b) for b in xr.enumerate_environment_blend_modes(instance, system, stereo)]
        self._blend = xr.EnvironmentBlendMode.OPAQUE if xr.EnvironmentBlendMode.OPAQUE in blends else blends[0]

        profile = HmdProfile("openxr", size, QUEST3_LIKE.left_fov, QUEST3_LIKE.ipd_m, QUEST3_LIKE.refresh_hz)
        sim = self._sim = HmdSim(profile, msaa=self.msaa, mirror=self.mirror)
        self.eyes = sim.open(base, anchor, near, far, background)  # FOV and IPD: guesses until the first frame
        stack.callback(sim.close)
        self._anchor, self.overlay = anchor, sim.overlay

        regions = {name: last_region(eye.buffer) for name, eye in sim.eyes.items()}
        info = xr.SessionCreateInfo(system_id=system, next=graphics.binding(xr, regions["left"]))
        session = self._session = xr.create_session(instance, info)
        stack.callback(xr.destroy_session, session)
        self._space = self._make_space(xr, session)
        stack.callback(xr.destroy_space, self._space)
        controls = self._controls = Controls(xr, instance, session, self.state)
        controls.open()  # attached once, before the first frame: xrSyncActions needs it
        stack.callback(controls.close)
        fmt = choose_swapchain_format([int(f) for f in xr.enumerate_swapchain_formats(session)])
        stack.callback(self._eyes.clear)
        for name in ("left", "right"):
            swapchain = xr.create_swapchain(
                session,
                xr.SwapchainCreateInfo(
                    usage_flags=xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT | xr.SwapchainUsageFlags.SAMPLED_BIT,
                    format=fmt,
                    sample_count=1,
                    width=size[0],
                    height=size[1],
                    face_count=1,
                    array_size=1,
                    mip_count=1,
                ),
            )
            stack.callback(xr.destroy_swapchain, swapchain)
            blit = graphics.attach(regions[name], size)
            stack.callback(blit.detach)
            self._eyes.append(
                _Eye(name, size, swapchain, graphics.image_ids(xr, swapchain), sim.eyes[name].camera, blit)
            )
        self._show(False)  # nothing to draw until the runtime asks for frames

    def _make_space(self, xr: Any, session: Any) -> Any:
        offered = {xr.ReferenceSpaceType(s).name for s in xr.enumerate_reference_spaces(session)}
        kind = "STAGE" if self.space == "stage" and "STAGE" in offered else "LOCAL"
        if self.space == "stage" and kind != "STAGE":
            log.warning("the OpenXR runtime has no STAGE space (no room set up?): using LOCAL")
        self.floor_origin = kind == "STAGE"  # poses over the real floor: SceneRunner lowers the rig to the scene's
        return xr.create_reference_space(
            session,
            xr.ReferenceSpaceCreateInfo(
                reference_space_type=xr.ReferenceSpaceType[kind], pose_in_reference_space=xr.Posef()
            ),
        )

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
            frame = self._frame = _Frame(state.predicted_display_time)
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
                self._acquire(frame, views)
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

    def _acquire(self, frame: _Frame, views: Any) -> None:
        xr = self._xr
        for eye, view in zip(self._eyes, views):
            index = xr.acquire_swapchain_image(eye.swapchain, xr.SwapchainImageAcquireInfo())
            frame.acquired.append(eye)
            xr.wait_swapchain_image(eye.swapchain, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION))
            eye.blit.target = eye.images[index]
            rect = xr.Rect2Di(offset=xr.Offset2Di(0, 0), extent=xr.Extent2Di(*eye.size))
            frame.views.append(
                xr.CompositionLayerProjectionView(
                    pose=view.pose,
                    fov=view.fov,
                    sub_image=xr.SwapchainSubImage(swapchain=eye.swapchain, image_rect=rect),
                )
            )
        frame.layer = xr.CompositionLayerProjection(space=self._space, views=frame.views)

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
