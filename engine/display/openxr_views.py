"""The runtime's located views in Panda3D's terms, and the frame that hands them back.

OpenXR locates each eye as an ``XrPosef`` (Y up, −Z forward, metres) with an ``XrFovf``
(radians); Panda3D's cameras want Z up, Y forward and degrees: ``pose_from_xr``,
``fov_from_xr``, and ``mean_pose`` for the head between the eyes. ``XrFrame`` is one frame
between xrBeginFrame and xrEndFrame; ``acquire`` takes each eye's swapchain image for the
draw callbacks and builds the projection layer ``OpenXRDisplay`` (``openxr.py``) submits
at xrEndFrame, with the very poses and fields of view the eyes were drawn with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.display.head import HeadPose
from engine.display.openxr_open import XrEye
from engine.display.profile import EyeFov
from engine.display.projection import panda_hpr, panda_point

__all__ = ["XrFrame", "acquire", "fov_from_xr", "mean_pose", "pose_from_xr"]


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
class XrFrame:
    time: int  # the runtime's predicted display time
    render: bool = False
    acquired: list[XrEye] = field(default_factory=list)
    views: list[Any] = field(default_factory=list)  # kept alive until xrEndFrame has read them
    layer: Any = None


def acquire(xr: Any, frame: XrFrame, eyes: list[XrEye], views: Any, space: Any) -> None:
    """Each eye's next swapchain image as its blit target, and ``frame``'s projection layer
    in ``space``; an eye is in ``frame.acquired`` as soon as its image is, to be released."""
    for eye, view in zip(eyes, views):
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
    frame.layer = xr.CompositionLayerProjection(space=space, views=frame.views)
