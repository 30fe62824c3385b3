"""Opening an OpenXR session for ``OpenXRDisplay`` (``openxr.py``), step by step.

Instance (with the graphics binding's extensions), system, view configuration and blend
mode; the two eye buffers, drawn as ``hmd-sim`` draws them (their FOV and IPD guesses until
the first located frame); the session, its reference space (LOCAL, or STAGE when asked for
and offered) and the controllers' actions (``openxr_input.py``, attached before the first
frame); one swapchain per eye with its blit (``openxr_gl.py``). Each step registers its
undo on the caller's ``ExitStack``, so a failure part-way undoes what was made, newest
first, and ``close()`` later undoes it all in the same order. The handles are set on the
display as they are made: its frame loop reads them.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.display.openxr_gl import choose_swapchain_format, last_region
from engine.display.openxr_input import Controls
from engine.display.openxr_runtime import instance_info, quiet_loader, runtime_name, text
from engine.display.profile import QUEST3_LIKE, HmdProfile

if TYPE_CHECKING:
    from engine.display.openxr import OpenXRDisplay

__all__ = ["XrEye", "make_space", "open_xr"]

log = logging.getLogger(__name__)


@dataclass
class XrEye:
    name: str
    size: tuple[int, int]
    swapchain: Any
    images: list[int]
    camera: Any
    blit: Any


def open_xr(
    display: OpenXRDisplay,
    xr: Any,
    graphics: Any,
    stack: ExitStack,
    base: Any,
    anchor: Any,
    near: float,
    far: float,
    background: tuple[float, ...],
) -> None:
    """Opens everything ``display`` draws through, its undo on ``stack``; see the module docstring."""
    from engine.display.hmd_sim import HmdSim

    with quiet_loader():  # the loader's own lines, should these fail
        offered = {text(p.extension_name) for p in xr.enumerate_instance_extension_properties()}
        instance = display._instance = xr.create_instance(instance_info(xr, graphics.extensions(offered)))
    stack.callback(xr.destroy_instance, instance)
    system = xr.get_system(instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
    stereo = xr.ViewConfigurationType.PRIMARY_STEREO
    views = list(xr.enumerate_view_configuration_views(instance, system, stereo))
    size = (views[0].recommended_image_rect_width, views[0].recommended_image_rect_height)
    log.info("OpenXR runtime %s: %d×%d per eye", runtime_name(xr, instance), *size)
    graphics.check_requirements(xr, instance, system)
    blends = [xr.EnvironmentBlendMode(b) for b in xr.enumerate_environment_blend_modes(instance, system, stereo)]
    display._blend = xr.EnvironmentBlendMode.OPAQUE if xr.EnvironmentBlendMode.OPAQUE in blends else blends[0]

    profile = HmdProfile("openxr", size, QUEST3_LIKE.left_fov, QUEST3_LIKE.ipd_m, QUEST3_LIKE.refresh_hz)
    sim = display._sim = HmdSim(profile, msaa=display.msaa, mirror=display.mirror)
    display.eyes = sim.open(base, anchor, near, far, background)  # FOV and IPD: guesses until the first frame
    stack.callback(sim.close)
    display._anchor, display.overlay = anchor, sim.overlay

    regions = {name: last_region(eye.buffer) for name, eye in sim.eyes.items()}
    info = xr.SessionCreateInfo(system_id=system, next=graphics.binding(xr, regions["left"]))
    session = display._session = xr.create_session(instance, info)
    stack.callback(xr.destroy_session, session)
    display._space = make_space(display, xr, session)
    stack.callback(xr.destroy_space, display._space)
    controls = display._controls = Controls(xr, instance, session, display.state)
    controls.open()  # attached once, before the first frame: xrSyncActions needs it
    stack.callback(controls.close)
    fmt = choose_swapchain_format([int(f) for f in xr.enumerate_swapchain_formats(session)])
    stack.callback(display._eyes.clear)
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
        display._eyes.append(
            XrEye(name, size, swapchain, graphics.image_ids(xr, swapchain), sim.eyes[name].camera, blit)
        )


def make_space(display: OpenXRDisplay, xr: Any, session: Any) -> Any:
    """The reference space poses are located in: STAGE when asked for and offered, else LOCAL."""
    offered = {xr.ReferenceSpaceType(s).name for s in xr.enumerate_reference_spaces(session)}
    kind = "STAGE" if display.space == "stage" and "STAGE" in offered else "LOCAL"
    if display.space == "stage" and kind != "STAGE":
        log.warning("the OpenXR runtime has no STAGE space (no room set up?): using LOCAL")
    display.floor_origin = kind == "STAGE"  # poses over the real floor: SceneRunner lowers the rig to the scene's
    return xr.create_reference_space(
        session,
        xr.ReferenceSpaceCreateInfo(
            reference_space_type=xr.ReferenceSpaceType[kind], pose_in_reference_space=xr.Posef()
        ),
    )
